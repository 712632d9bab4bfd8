"""Closures of the mixing equation: the zonal pair generator and what it implies (docs/physics.md, "Closures").

On zonal pair states F(mu), mu = p_A . p_B, F = sum_l (2l+1)/(4 pi) C_l P_l, the second-order
generator X = 2 M^(1a) + M^(1c) is a second-order differential operator, X F = a F'' + b F'.
The checks prove, exactly: that structure for every kernel kappa_{lA lB} of KPM (47) and for
KPM (38); that the power invariant means a(1) = b(1) = 0; that the monopole is conserved exactly
when b = a' (the flux form); the steady states used by crmix.solver.closure (flux form, the
integrating-factor solution of the general form, the Legendre projection by parts); the first-order
dressing of the Bourret closure; and the pair geometry of the structure-function form of a and b.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from functools import cache

import mpmath
import sympy as sp

from crmix.derive import reductions
from crmix.derive.exact import vanishes
from crmix.derive.expressions import claimed
from crmix.derive.reductions import MIXING
from crmix.derive.registry import Verdict, identity, verdict

__all__ = ["zonal_action"]

mu = sp.Symbol("mu", real=True)
L0_CHECKED = 4
#: the kernels the slab M^(1c) contracts.
SLAB_M1C_KERNELS = ("slab_m1c_m0_weight_c0", "slab_m1c_m0_weight_c2", "slab_m1c_index_weight", "slab_m1c_l0_weight")
KERNELS = [(la, lb) for la, lb in itertools.product(range(4), repeat=2) if (la + lb) % 2 == 0]


def _legendre(n: int) -> sp.Expr:
    return sp.legendre(n, mu)


@cache
def m1c_coefficient(ell: int, l0: int, la: int, lb: int) -> sp.Expr:
    """c_{l; lA lB}(l0): the coefficient of kappa_{lA lB} in the slab M^(1c)_{l l0}, from the emitted weights
    (KPM (47); crmix.derive.mixing_weights): l0 weight x index weights x (l l0 lA; 000)(l l0 lB; 000) x
    sum_m0 (w_0 + w_2 m0^2)(l l0 lA; -m0 m0 0)(l l0 lB; -m0 m0 0), zero for lA + lB odd."""
    weights = {name: claimed(MIXING, name) for name in SLAB_M1C_KERNELS}
    return reductions.m1c_coefficient(weights, "slab", ell, l0, la, lb)


@cache
def zonal_action(la: int, lb: int, l0: int) -> sp.Expr:
    """X_AB P_l0 = sum_l (2l+1)/(2l0+1) c_{l; lA lB}(l0) P_l(mu): the kernel kappa_{lA lB}'s part of M^(1c)
    acting on the zonal state P_l0 (the state C_l = delta_{l l0} is F = (2l0+1)/(4 pi) P_l0)."""
    terms = (sp.Rational(2 * ell + 1, 2 * l0 + 1) * m1c_coefficient(ell, l0, la, lb) * _legendre(ell)
             for ell in range(0, l0 + max(la, lb) + 1))
    return sp.expand(sum(terms, sp.Integer(0)))


def _fit_coefficients(action: Callable[[int], sp.Expr], order: int) -> list[sp.Expr]:
    """f_1..f_order with action(l0) = sum_k f_k P_l0^(k) for l0 = 1..order (triangular solve)."""
    f: list[sp.Expr] = []
    for l0 in range(1, order + 1):
        rest = action(l0) - sum(fk * sp.diff(_legendre(l0), mu, k + 1) for k, fk in enumerate(f))
        f.append(sp.expand(sp.cancel(rest / sp.diff(_legendre(l0), mu, l0))))
    return f


@identity("zonal_generator_1c", "KPM", "(47); docs/physics.md Closures")
def zonal_generator_1c(order: int = 2) -> Verdict:
    """Each kernel kappa_{lA lB} of M^(1c) acts on zonal states as a differential operator of order 2:
    a_AB P_l0'' + b_AB P_l0' with a_AB, b_AB from l0 = 1, 2 predicts l0 = 3, 4 (exact, lA, lB <= 3)."""
    failures = []
    for la, lb in KERNELS:
        f = _fit_coefficients(lambda l0, la=la, lb=lb: zonal_action(la, lb, l0), order)
        for l0 in range(order + 1, L0_CHECKED + 1):
            predicted = sum(fk * sp.diff(_legendre(l0), mu, k + 1) for k, fk in enumerate(f))
            if sp.expand(zonal_action(la, lb, l0) - predicted) != 0:
                failures.append((la, lb, l0))
    ok = not failures
    return verdict(ok, f"order {order}: " + ("holds for all kernels lA, lB <= 3, l0 <= 4" if ok else f"fails for (lA, lB, l0) = {failures[:4]}"))


@identity("zonal_generator_1a", "KPM", "(38); docs/physics.md Closures")
def zonal_generator_1a(first_derivative: sp.Expr = -2 * mu) -> Verdict:
    """-l(l+1) P_l = (1 - mu^2) P_l'' - 2 mu P_l': M^(1a) = -l(l+1) lambda acts on zonal states as
    lambda [(1 - mu^2) d^2 - 2 mu d] (Legendre's equation, l <= 8)."""
    failures = [ell for ell in range(9)
                if sp.expand(-ell * (ell + 1) * _legendre(ell) - (1 - mu**2) * sp.diff(_legendre(ell), mu, 2)
                             - first_derivative * sp.diff(_legendre(ell), mu)) != 0]
    return verdict(not failures, "holds for l <= 8" if not failures else f"fails for l = {failures}")


def _generic(name: str, degree: int) -> sp.Expr:
    return sum((sp.Symbol(f"{name}{i}") * mu**i for i in range(degree + 1)), sp.Integer(0))


def _matrix_element(a: sp.Expr, b: sp.Expr, ell: int, l0: int) -> sp.Expr:
    """X_{l l0} = (2l0+1)/2 int P_l (a P_l0'' + b P_l0') dmu (the zonal operator in the C_l basis)."""
    P0 = _legendre(l0)
    return sp.Rational(2 * l0 + 1, 2) * sp.integrate(_legendre(ell) * (a * sp.diff(P0, mu, 2) + b * sp.diff(P0, mu)), (mu, -1, 1))


@identity("zonal_power_invariant", "KPM+MA19", "KPM (17), (38), (47); docs/physics.md Closures")
def zonal_power_invariant(weight: Callable[[int], int] = lambda ell: 2 * ell + 1) -> Verdict:
    """sum_l (2l+1) X_{l l0} = (2l0+1)(X P_l0)(1): the power invariant of M holds for every l0 iff a(1) = b(1) = 0
    (generic cubic a, b; l0 <= 3)."""
    a = (1 - mu) * _generic("a", 2)
    b = (1 - mu) * _generic("b", 2)
    bad = []
    for l0 in range(1, 4):
        total = sum(weight(ell) * _matrix_element(a, b, ell, l0) for ell in range(0, l0 + 4))
        if sp.expand(total) != 0:
            bad.append(l0)
    # and a(1), b(1) != 0 breaks it: P_l0''(1), P_l0'(1) are independent over l0
    broken = sp.expand(sum(weight(ell) * _matrix_element(1 + 0 * mu, 0 * mu, ell, 2) for ell in range(6)))
    ok = not bad and broken != 0
    return verdict(ok, f"column sums with a(1) = b(1) = 0 vanish: {not bad}; with a(1) != 0: {broken} (must not vanish)")


@identity("flux_form_monopole", "KPM", "(17), (20); docs/physics.md Closures")
def flux_form_monopole(drift: Callable[[sp.Expr], sp.Expr] = lambda a: sp.diff(a, mu)) -> Verdict:
    """int (a F'' + b F') dmu = 0 for every F (the monopole row of X vanishes) iff b = a', for a(+-1) = 0:
    the flux form X F = (a F')'.  Generic a = (1 - mu^2)(a0 + a1 mu + a2 mu^2), F = P_1 .. P_4."""
    a = (1 - mu**2) * _generic("a", 2)
    b = drift(a)
    rows = [sp.expand(sp.integrate(a * sp.diff(_legendre(n), mu, 2) + b * sp.diff(_legendre(n), mu), (mu, -1, 1)))
            for n in range(1, 5)]
    ok = all(r == 0 for r in rows)
    return verdict(ok, "monopole row vanishes" if ok else f"monopole row for F = P_1..P_4: {rows}")


@identity("flux_steady_state", "KPM", "(18), (20); docs/physics.md Closures")
def flux_steady_state(prefactor: sp.Expr = sp.Rational(1, 2)) -> Verdict:
    """G = F' = c (1 - mu^2) / (2 a) solves (a G)' = -c mu (the flux-form steady state with the dipole source
    c mu) with zero flux a G at mu = -1; the flux at mu = 1 is 0 too (no monopole growth)."""
    c = sp.Symbol("c", positive=True)
    a = sp.Function("a")(mu)
    G = prefactor * c * (1 - mu**2) / a
    ode = sp.simplify(sp.diff(a * G, mu) + c * mu)
    ends = [sp.simplify((a * G).subs(mu, e)) for e in (-1, 1)]
    ok = ode == 0 and ends == [0, 0]
    return verdict(ok, f"residual {ode}; flux a G at mu = -1, 1: {ends}")


@identity("legendre_by_parts", "KPM", "(4), (31); docs/physics.md Closures")
def legendre_by_parts(sign: int = 1) -> Verdict:
    """int F P_l dmu = (sign/(2l+1)) int F' (P_{l-1} - P_{l+1}) dmu for polynomial F (P_{l+1} - P_{l-1}
    vanishes at mu = +-1): C_l from G = F' alone (generic F of degree 6, l = 1..5)."""
    F = _generic("f", 6)
    bad = []
    for ell in range(1, 6):
        lhs = sp.integrate(F * _legendre(ell), (mu, -1, 1))
        rhs = sp.Rational(sign, 2 * ell + 1) * sp.integrate(sp.diff(F, mu) * (_legendre(ell - 1) - _legendre(ell + 1)), (mu, -1, 1))
        if sp.expand(lhs - rhs) != 0:
            bad.append(ell)
    return verdict(not bad, "holds for l = 1..5" if not bad else f"fails for l = {bad}")


@identity("continuum_steady_state", "KPM", "(20); docs/physics.md Closures")
def continuum_steady_state(exponent_sign: int = 1) -> Verdict:
    """G = (1/p) int_{-1}^{mu} (kappa - c nu) p/a dnu with p = exp(+int b/a) solves a G' + b G = kappa - c mu
    (any a, b); for the sphere's a = 1 - mu^2, b = -2 mu it is regular at mu = -1."""
    c, kappa, nu = sp.symbols("c kappa nu", real=True)
    a, b, q, big_i = (sp.Function(name)(mu) for name in ("a", "b", "q", "I"))
    p = sp.exp(exponent_sign * q)  # q' = b/a: q = int b/a
    G = big_i / p  # I' = (kappa - c mu) p/a: I = int (kappa - c nu) p/a
    expr = a * sp.diff(G, mu) + b * G - (kappa - c * mu)
    expr = expr.subs({sp.Derivative(q, mu): b / a, sp.Derivative(big_i, mu): (kappa - c * mu) * p / a})
    residual = sp.simplify(expr)
    # the sphere: p = exp(int -2 mu/(1 - mu^2)) = 1 - mu^2 up to a constant
    ps = sp.exp(exponent_sign * sp.integrate(-2 * mu / (1 - mu**2), mu))
    Gs = sp.cancel(sp.integrate(((kappa - c * nu) * ps.subs(mu, nu) / (1 - nu**2)), (nu, -1, mu)) / ps)
    regular = sp.limit(Gs, mu, -1, "+")
    ok = residual == 0 and regular.is_finite is True
    return verdict(ok, f"residual {residual}; G(-1) on the sphere = {sp.simplify(regular)}")


def _expm(m: mpmath.matrix) -> mpmath.matrix:
    return mpmath.expm(m)


@identity("bourret_dressing", "KPM", "App. A, B (B32); docs/physics.md Closures")
def bourret_dressing(phi1: Callable[[mpmath.mpf, mpmath.mpf], mpmath.mpf] = lambda x, y: (mpmath.exp(x) - mpmath.exp(y)) / (x - y)) -> Verdict:
    """d/d eps exp(D + eps N) at eps = 0 (D diagonal: the resummed legs) is N_ij phi1(D_i, D_j) with
    phi1(x, y) = (e^x - e^y)/(x - y), phi1(x, x) = e^x: central difference at 40 digits, 3 x 3."""
    with mpmath.workdps(40):
        d = [mpmath.mpf(-1) / 3, mpmath.mpf(-5) / 2, mpmath.mpf(-7)]
        n = mpmath.matrix([[mpmath.mpf(i * 3 + j + 1) / 7 - (i == j) for j in range(3)] for i in range(3)])
        D = mpmath.diag(d)
        eps = mpmath.mpf(10) ** -15
        deriv = (_expm(D + eps * n) - _expm(D - eps * n)) / (2 * eps)
        worst = max(abs(deriv[i, j] - n[i, j] * (mpmath.exp(d[i]) if i == j else phi1(d[i], d[j])))
                    for i in range(3) for j in range(3))
    ok = worst < mpmath.mpf(10) ** -20
    return verdict(ok, f"max |d exp(D + eps N) - N phi1(D_i, D_j)| = {mpmath.nstr(worst, 3)}")


@identity("pair_geometry", "KPM", "(35), (46); docs/physics.md Closures")
def pair_geometry(transverse_factor: Callable[[sp.Expr, sp.Expr], sp.Expr] = lambda st, sp_: 1 - st**2 * sp_**2) -> Verdict:
    """p_B at angle gamma and azimuth psi about p_A: mu_B = mu_A cos gamma - sin theta_A sin gamma cos psi and
    |(p_A x p_B)_perp|^2 = sin^2 gamma (1 - sin^2 theta_A sin^2 psi); their psi averages (1 + mu_A^2)/2 sin^2 gamma
    and mu_A cos gamma give back the (1a) generator 2 lambda [(1 - mu^2) d^2 - 2 mu d] (KPM (35))."""
    th, ph, g, ps = sp.symbols("theta_A phi_A gamma psi", real=True)
    pA = sp.Matrix([sp.sin(th) * sp.cos(ph), sp.sin(th) * sp.sin(ph), sp.cos(th)])
    e1 = sp.Matrix([sp.cos(th) * sp.cos(ph), sp.cos(th) * sp.sin(ph), -sp.sin(th)])  # theta-hat
    e2 = sp.Matrix([-sp.sin(ph), sp.cos(ph), 0])  # phi-hat
    pB = sp.cos(g) * pA + sp.sin(g) * (sp.cos(ps) * e1 + sp.sin(ps) * e2)
    n = pA.cross(pB)
    mu_b_ok = vanishes(pB[2] - (sp.cos(th) * sp.cos(g) - sp.sin(th) * sp.sin(g) * sp.cos(ps)))
    perp_ok = vanishes(n[0] ** 2 + n[1] ** 2 - sp.sin(g) ** 2 * transverse_factor(sp.sin(th), sp.sin(ps)))
    avg_perp = sp.integrate(sp.sin(g) ** 2 * transverse_factor(sp.sin(th), sp.sin(ps)), (ps, 0, 2 * sp.pi)) / (2 * sp.pi)
    avg_ok = vanishes(avg_perp - sp.sin(g) ** 2 * (1 + sp.cos(th) ** 2) / 2)
    avg_mub = sp.integrate(pB[2], (ps, 0, 2 * sp.pi)) / (2 * sp.pi)
    ok = mu_b_ok and perp_ok and avg_ok and vanishes(avg_mub - sp.cos(th) * sp.cos(g))
    return verdict(ok, f"mu_B: {mu_b_ok}; |n_perp|^2: {perp_ok}; <|n_perp|^2>_psi = (1 + mu_A^2)/2 sin^2 gamma: {avg_ok}")
