"""Reduction of the diagrams to mixing-matrix elements: M^(1a) (KPM (32)-(40), MA19 (3.13)-(3.15)),
the operator part of M^(1c) (KPM (44)-(47)), and the dipole source (KPM (18), MA19 (3.4)).

Conventions (docs/physics.md): L = -i p x d_p; slab: int d^3k delta(k_perp)/k_perp F(k_par) =
2 pi int_{-inf}^{inf} dk_par F(k_par), so that with G = 4 pi g

    M^(1a)_{l l0} = -delta_{l l0} l(l+1) [(2/3) Lambda_0 - (1/3) Lambda_2]                (KPM (38))
    M^(1c)_{l l0} = sum_{lA, lB} c_{l; lA lB}(l0) kappa_{lA lB}                              (KPM (47))

with Lambda_l and kappa_{lA lB} weighted by G and kappa integrated over the full square.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import mpmath
import sympy as sp

from crmix.derive.exact import sphere_polynomial_integral, vanishes, vanishes_on_spheres, wigner3j
from crmix.derive.harmonics import mp_spherical_jn, to_mp
from crmix.derive.operators import angular_momentum_matrices, phi, spherical_L, theta, ynm
from crmix.derive.registry import Verdict, identity, verdict

__all__ = ["legendre_weight", "m1c_coefficient"]

x_s = sp.Symbol("x", positive=True)
mu = sp.Symbol("mu", real=True)


@cache
def m1c_coefficient(ell: int, l0: int, la: int, lb: int) -> sp.Expr:
    """c_{l; lA lB}(l0): the coefficient of kappa_{lA lB} in M^(1c)_{l l0} (docs/physics.md, KPM (47)).

    (2l0+1)(2lA+1)(2lB+1) i^(lA-lB) [1 + (-1)^(lA+lB)]/2 (l l0 lA;000)(l l0 lB;000)
    sum_m0 (l0(l0+1) - m0^2)(l l0 lA; -m0 m0 0)(l l0 lB; -m0 m0 0).
    """
    if (la + lb) % 2:
        return sp.Integer(0)
    w000 = wigner3j(ell, l0, la, 0, 0, 0) * wigner3j(ell, l0, lb, 0, 0, 0)
    if w000 == 0:
        return sp.Integer(0)
    msum = sum(
        (l0 * (l0 + 1) - m0**2) * wigner3j(ell, l0, la, -m0, m0, 0) * wigner3j(ell, l0, lb, -m0, m0, 0)
        for m0 in range(-min(ell, l0), min(ell, l0) + 1)
    )
    return sp.radsimp(sp.expand((2 * l0 + 1) * (2 * la + 1) * (2 * lb + 1) * sp.I ** (la - lb) * w000 * msum))


@cache
def legendre_weight(la: int, lb: int) -> sp.Expr:
    """T_{lA lB} = (2lA+1)(2lB+1) i^(lA-lB) (1/2) int dmu P_lA P_lB (1+mu^2)/2.

    sum T_{lA lB} j_lA(x) j_lB(y) = (1/2) int dmu e^{i(x-y)mu} (1+mu^2)/2 by the plane-wave expansion.
    """
    integral = sp.integrate(sp.legendre(la, mu) * sp.legendre(lb, mu) * (1 + mu**2) / 2, (mu, -1, 1)) / 2
    return (2 * la + 1) * (2 * lb + 1) * sp.I ** (la - lb) * integral


# ------------------------------------------------------------------------------------------------
@identity("pitch_angle_projection", "KPM", "(32)-(37)")
def pitch_angle_projection(
    y00_coeff: sp.Expr = sp.Rational(4, 3) * sp.sqrt(sp.pi), y20_coeff: sp.Expr = sp.Rational(2, 3) * sp.sqrt(sp.pi / 5)
) -> Verdict:
    """4pi/(2l+1) sum_m |Y_l^m|^2 [l(l+1) - m^2] = l(l+1)(4/3 sqrt(pi) Y_0^0 + 2/3 sqrt(pi/5) Y_2^0) (l <= 4);
    the i m sin term vanishes by (34)."""
    failures = []
    for ell in range(5):
        lhs = 4 * sp.pi / (2 * ell + 1) * sum((ell * (ell + 1) - m**2) * ynm(ell, m) * sp.conjugate(ynm(ell, m)) for m in range(-ell, ell + 1))
        rhs = ell * (ell + 1) * (y00_coeff * ynm(0, 0) + y20_coeff * ynm(2, 0))
        if not vanishes_on_spheres(lhs - rhs, (theta,), (phi,)):
            failures.append(ell)
    return verdict(not failures, "exact for l <= 4" if not failures else f"fails for l = {failures}")


@identity("m1a_slab_reduction", "KPM", "(32)-(40)")
def m1a_slab_reduction(
    j0_coeff: sp.Expr = sp.Rational(2, 3), j2_coeff: sp.Expr = sp.Rational(-1, 3), k_measure: sp.Expr = 4 * sp.pi
) -> Verdict:
    """(1a) slab: -k_measure int g l(l+1) cos(Omega tau)[(2/3) j0 - (1/3) j2]: k_measure = 4 pi (KPM (38)).

    Angular part exact: int dp^ e^{i x mu}(1 + mu^2)/(8 pi) = (2/3) j0(x) - (1/3) j2(x); brute force:
    the full (32) integrand with every Y_l^m, l = 2, 3, integrated over the sphere by mpmath.  The
    k measure: int d^3k delta(k_perp)/k_perp F(k_par) = 2 pi int_{-inf}^{inf} F, and the integrand
    is even in k_par, so 2 pi * 2 = 4 pi.  KPM (40) prints 8 pi (see also ``invariant_mixing``).
    """
    angular = sp.integrate(sp.exp(sp.I * x_s * mu) * (1 + mu**2), (mu, -1, 1)) * 2 * sp.pi / (8 * sp.pi)
    exact_ok = vanishes(angular - (j0_coeff * sp.expand_func(sp.jn(0, x_s)) + j2_coeff * sp.expand_func(sp.jn(2, x_s))))
    worst = mpmath.mpf(0)
    with mpmath.workdps(20):
        for ell, xv, lv in ((2, mpmath.mpf("2.3"), mpmath.mpf("0.7")), (3, mpmath.mpf("5.1"), mpmath.mpf("2.0"))):

            def integrand(th: mpmath.mpf) -> mpmath.mpc:  # |Y_l^m|^2 does not depend on phi
                bracket = sum(
                    abs(mpmath.spherharm(ell, m, th, 0)) ** 2 * (ell * (ell + 1) * mpmath.cos(lv) - 1j * m * mpmath.sin(lv) - m * m * mpmath.cos(lv))
                    for m in range(-ell, ell + 1)
                )
                return 2 * mpmath.pi * bracket / (2 * ell + 1) * mpmath.exp(1j * xv * mpmath.cos(th)) * mpmath.sin(th)

            brute = mpmath.quad(integrand, [0, mpmath.pi / 2, mpmath.pi])
            closed = ell * (ell + 1) * mpmath.cos(lv) * (to_mp(j0_coeff) * mp_spherical_jn(0, xv) + to_mp(j2_coeff) * mp_spherical_jn(2, xv))
            worst = max(worst, abs(brute - closed))
    # k measure: 2 pi int_{-inf}^{inf} dk G(|k|) cos(k s) = 4 pi int_0^inf ..., exact for G = e^{-k^2}
    k, sv = sp.Symbol("k", real=True), sp.Symbol("s", positive=True)
    full_line = 2 * sp.pi * sp.integrate(sp.exp(-(k**2)) * sp.exp(sp.I * k * sv), (k, -sp.oo, sp.oo))
    half_line = sp.integrate(sp.exp(-(k**2)) * sp.cos(k * sv), (k, 0, sp.oo))
    measure_ok = vanishes(full_line - k_measure * half_line)
    ok = exact_ok and worst < 1e-12 and measure_ok
    return verdict(ok, f"angular exact {exact_ok}, brute force max error {mpmath.nstr(worst, 3)}, k measure {k_measure}: {measure_ok}")


@identity("m1a_isotropic_reduction", "MA19", "(3.13)-(3.15)")
def m1a_isotropic_reduction(prefactor: sp.Expr = sp.Rational(8, 3) * sp.pi, lambda2_weight: sp.Expr = sp.Rational(1, 2)) -> Verdict:
    """M^(1a) = -(8pi/3) delta l(l+1)(Lambda_0 - Lambda_2/2) from sum_lA (2lA+1) i^lA Lambda_lA int dk^ P_lA (d_ij - k_i k_j) L_i L_j.

    Exact: the k^ tensor integrals for lA <= 4 (only lA = 0, 2 survive, of the form a d_ij + b p_i p_j),
    and p^.L = 0 (with p^ to the left) on an arbitrary function, so the b part drops.
    """
    kx, ky, kz = sp.symbols("k_x k_y k_z", real=True)
    kv = (kx, ky, kz)
    coeffs = {}
    for la in range(5):  # p^ = z^: the tensor is a d_ij + b z_i z_j
        T = [[sphere_polynomial_integral(sp.legendre(la, kz) * (int(i == j) - kv[i] * kv[j]), kx, ky, kz) for j in range(3)] for i in range(3)]
        offdiag_zero = all(T[i][j] == 0 for i in range(3) for j in range(3) if i != j) and sp.simplify(T[0][0] - T[1][1]) == 0
        if not offdiag_zero:
            return verdict(False, f"tensor for lA = {la} is not of the form a d_ij + b p_i p_j")
        coeffs[la] = -(2 * la + 1) * sp.I**la * T[0][0]  # coefficient of Lambda_lA l(l+1)
    f = sp.Function("f")(theta, phi)
    phat = (sp.sin(theta) * sp.cos(phi), sp.sin(theta) * sp.sin(phi), sp.cos(theta))
    p_dot_l_zero = vanishes(sum(phat[i] * spherical_L(f)[i] for i in range(3)))
    claimed = {0: -prefactor, 2: prefactor * lambda2_weight}
    match = all(sp.simplify(coeffs[la] - claimed.get(la, 0)) == 0 for la in coeffs)
    ok = match and p_dot_l_zero
    return verdict(ok, f"coefficients of l(l+1) Lambda_lA: {coeffs}; p^.L = 0: {p_dot_l_zero}")


@cache
def _dipole_source(ell: int) -> tuple[sp.Expr, sp.Expr]:
    """((1/4pi) int int P_l(pA.pB)[(-pA.g)(fbar - 3 pB.K.g) + (A <-> B)], g.K.g), exact."""
    a = sp.symbols("a_x a_y a_z", real=True)
    b = sp.symbols("b_x b_y b_z", real=True)
    g = sp.Matrix(sp.symbols("g_x g_y g_z", real=True))
    K = sp.Matrix(3, 3, lambda i, j: sp.Symbol(f"K{min(i, j)}{max(i, j)}"))
    fbar = sp.Symbol("fbar", positive=True)
    pa, pb = sp.Matrix(a), sp.Matrix(b)
    integrand = (-(pa.dot(g))) * (fbar - 3 * pb.dot(K * g)) + (-(pb.dot(g))) * (fbar - 3 * pa.dot(K * g))
    body = sp.expand(sp.legendre(ell, pa.dot(pb)) * integrand)
    total = sphere_polynomial_integral(sphere_polynomial_integral(body, *b), *a) / (4 * sp.pi)
    return sp.expand(total), sp.expand(g.dot(K * g))


@identity("source_term", "KPM+MA19", "KPM (18); MA19 (3.3)-(3.4)")
def source_term(coefficient: sp.Expr = sp.Rational(8, 3) * sp.pi) -> Verdict:
    """Dipole source: (1/4pi) int int P_l [(dr_A.grad f)<f_B> + (A<->B)]/dT = (8pi/3) grad f.K.grad f delta_l1.

    dr = -p^ dT, <f> = f - 3 p^.K.grad f, any symmetric K and gradient, l <= 3 (exact sphere
    integrals).  MA19 (3.4) prints 8pi/9.
    """
    failures = []
    for ell in range(4):
        total, gkg = _dipole_source(ell)
        target = coefficient * gkg if ell == 1 else 0
        if sp.expand(total - target) != 0:
            failures.append(ell)
    return verdict(not failures, f"coefficient {coefficient}: " + ("holds for l <= 3" if not failures else f"fails for l = {failures}"))


@identity("m1c_operator_part", "KPM", "(44)-(47), (C35)-(C36)")
def m1c_operator_part(sin_sign: int = 1) -> Verdict:
    """(1c) operators on sum_m0 Y^m0(pA) Y^m0*(pB): weight (l0(l0+1) - m0^2) cos D + i m0 sin D.

    D = Omega(s_A - s_B) with s = t - t_insertion the look-back times (as in a_l(k) of docs/physics.md).
    Exact on matrices, l0 <= 3 (Omega = 1): the B line acts on conjugate harmonics, on which L_i has
    the matrix -conj(L_i) (``ladder_on_conjugate``); the free propagators are the real rotations
    exp(i Omega t L_z); insertion times t_A, t_B are measured from t0.
    """
    D, sa, sb, T = sp.symbols("D t_A t_B DeltaT", real=True)
    failures = []
    for l0 in range(4):
        M = angular_momentum_matrices(l0)
        n = 2 * l0 + 1
        rot = lambda angle: sp.diag(*[sp.exp(sp.I * angle * m) for m in range(-l0, l0 + 1)])  # noqa: E731
        rot_conj = lambda angle: sp.diag(*[sp.exp(-sp.I * angle * m) for m in range(-l0, l0 + 1)])  # noqa: E731
        total = sp.zeros(n, n)
        for i in ("x", "y"):
            opA = rot(T - sa) * M[i] * rot(sa)
            opB = rot_conj(T - sb) * (-M[i].conjugate()) * rot_conj(sb)
            # dL^A dL^B* = (-i)^2 w_i w_j L^A_i L^B_j, <w_i w_j> = R delta_ij; Psi = identity in (mA, mB)
            total += -(opA * opB.T)
        claimed = sp.diag(*[(l0 * (l0 + 1) - m**2) * sp.cos(D) + sin_sign * sp.I * m * sp.sin(D) for m in range(-l0, l0 + 1)])
        diff = (total - claimed).subs(sa, sb - D)  # look-back: s_A - s_B = t_B - t_A
        if not all(vanishes(e) for e in diff):
            failures.append(l0)
    return verdict(not failures, f"sin sign {sin_sign}: " + ("exact for l0 <= 3" if not failures else f"fails for l0 = {failures}"))


@cache
def _white_noise_phi(alpha: float) -> mpmath.mpf:
    """Phi(alpha) = (Lambda_0 - Lambda_2/2)/(g_out Delta T) for white noise, k_out -> 0, by quadrature.

    Lambda_l = g_out int_0^dT dT' int_0^T' dtau int_0^k_in dk j_l(k tau) (MA19 (3.14)) reduces with
    u = k_in tau, x = k tau to Phi = int_0^alpha du/u (1 - u/alpha) int_0^u dx h(x), h = j0 - j2/2;
    exchanging the order, Phi = int_0^alpha dx h(x) [ln(alpha/x) - 1 + x/alpha].
    """
    with mpmath.workdps(20):
        a = mpmath.mpf(alpha)
        h = lambda x: mp_spherical_jn(0, x) - mp_spherical_jn(2, x) / 2  # noqa: E731
        return mpmath.quad(lambda x: h(x) * (mpmath.log(a / x) - 1 + x / a), mpmath.linspace(0, a, int(a) // 3 + 2))


def _ma19_braces(alpha: mpmath.mpf, sin_term: Callable[[mpmath.mpf], mpmath.mpf]) -> mpmath.mpf:
    """The braces of MA19 (3.16) with the given sin alpha term."""
    hyp = mpmath.hyp2f3(0.5, 0.5, 1.5, 1.5, 1.5, -((alpha / 2) ** 2))
    return -mpmath.cos(alpha) / alpha + 2 * alpha * hyp + sin_term(alpha) - mpmath.si(alpha)


@identity("m1a_white_noise", "MA19", "(3.16)")
def m1a_white_noise(
    prefactor: sp.Expr = sp.pi, sin_term: Callable[[mpmath.mpf], mpmath.mpf] = lambda a: mpmath.sin(a) / a**2
) -> Verdict:
    """White noise: M^(1a) = -pi g_out dT {-cos a/a + 2a 2F3(1/2,1/2;3/2,3/2,3/2;-a^2/4) + sin a/a^2 - Si a} l(l+1).

    a = k_in dT.  Against (8 pi/3)(Lambda_0 - Lambda_2/2) from MA19 (3.15) by quadrature of (3.14),
    for a = 0.5, 2, 10.  MA19 (3.16) prints g_out/k_out r for g_out dT and alpha^2 sin alpha.
    """
    worst = mpmath.mpf(0)
    with mpmath.workdps(20):
        for a in (0.5, 2.0, 10.0):
            brute = 8 * mpmath.pi / 3 * _white_noise_phi(a)
            closed = to_mp(prefactor).real * _ma19_braces(mpmath.mpf(a), sin_term)
            worst = max(worst, abs(brute - closed) / abs(brute))
    return verdict(worst < 1e-14, f"max relative deviation from the quadrature of (3.14)-(3.15): {mpmath.nstr(worst, 3)}")
