"""The exact invariant of the pair propagator: total power sum_l (2l+1) C_l is conserved.

Why (docs/physics.md): dL = -i w.L is anti-Hermitian on L^2(S^2), so U is
unitary and int dp^ |f|^2 = sum_l (2l+1) C_l is conserved realisation by realisation.  In the
interaction picture U = U0 (1 + U1 + U2 + ...), and U^dagger U = 1 gives at second order

    U2 + U2^dagger = -U1^dagger U1,

where U2 is the time-ordered (triangle) integral -- the (1a)/(1b) diagrams -- and U1^dagger U1 the
product of two first-order terms over the full square -- the (1c) diagram.  For the mixing matrix
this is sum_l (2l+1) (2 M^(1a) + M^(1c))_{l l0} = 0 for every l0, the l = 0 row included; the
monopole row alone is not conserved.

Both checks of the invariant contract the weights that ``crmix codegen`` emits
(``crmix.derive.mixing_weights``, read when they run), so that a changed weight breaks them.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from functools import cache

import numpy as np
import sympy as sp
from sympy.physics.quantum import Dagger

from crmix.derive.diagrams import ode_second_order
from crmix.derive.exact import wigner3j
from crmix.derive.expressions import claimed
from crmix.derive.harmonics import PLANE_WAVE_PHASE, legendre_plane_wave_coefficient
from crmix.derive.reductions import M1C_WEIGHT_PREFIX, MIXING, ell, ell0, ellA, lambda_symbol, mu
from crmix.derive.registry import Verdict, identity, verdict
from crmix.wigxjpf import ensure_tables

__all__ = ["dyson_terms", "legendre_projection_weight", "power_coefficient"]

N_SLICES = 4
L0_MAX = 3


def dyson_terms(n: int) -> tuple[sp.Expr, sp.Expr, list[sp.Symbol]]:
    """U1, U2 of prod_{k=n..1} exp(V_k) (latest to the left), V_k non-commuting, to second order."""
    V = list(sp.symbols(f"V1:{n + 1}", commutative=False))
    u1 = sum(V, sp.Integer(0))
    u2 = sum((V[i] * V[j] for i in range(n) for j in range(i)), sp.Integer(0)) + sum((v * v for v in V), sp.Integer(0)) / 2
    return u1, u2, V


@identity("unitarity_second_order", "crmix", "MA19 (2.6); docs/physics.md")
def unitarity_second_order(interaction_domain: str = "square") -> Verdict:
    """U2 + U2^dagger = -U1^dagger U1 for anti-Hermitian insertions: exact (non-commuting algebra, 4 slices)
    and on the spin-1 model of ``dyson_time_domains`` (equations of motion).

    ``interaction_domain`` "ordered" replaces U1^dagger U1 by its time-ordered half (KPM (41)'s (1c)).
    """
    u1, u2, V = dyson_terms(N_SLICES)
    anti = {Dagger(v): -v for v in V}
    adj = lambda e: sp.expand(Dagger(e)).subs(anti)  # noqa: E731
    if interaction_domain == "square":
        inter = adj(u1) * u1
    elif interaction_domain == "ordered":
        inter = sum((adj(V[i]) * V[j] for i in range(N_SLICES) for j in range(i)), sp.Integer(0)) + sum((adj(v) * v for v in V), sp.Integer(0)) / 2
    else:
        raise ValueError(f"interaction_domain must be 'square' or 'ordered', got {interaction_domain!r}")
    defect = sp.expand(u2 + adj(u2) + inter)
    # continuum: U = U0 (1 + W1 + W2) with W_n = U0^-1 U_n, U0 unitary
    u0, U1, U2 = ode_second_order()
    w1, w2 = np.linalg.solve(u0, U1), np.linalg.solve(u0, U2)
    w1w1 = w1.conj().T @ w1
    ode_defect = float(np.max(np.abs(w2 + w2.conj().T + (w1w1 if interaction_domain == "square" else 0.5 * w1w1))))
    ok = defect == 0 and ode_defect < 1e-9
    return verdict(ok, f"{interaction_domain}: algebraic defect {defect if defect != 0 else 0}; spin-1 model defect {ode_defect:.1e}")


SLAB_KERNELS = ("slab_m1a", "slab_m1c_m0_weight_c0", "slab_m1c_m0_weight_c2", "slab_m1c_index_weight", "slab_m1c_l0_weight")
ISOTROPIC_KERNELS = ("isotropic_m1a", "isotropic_m1c0_weight", "isotropic_m1c2_m0_weight_c0", "isotropic_m1c2_m0_weight_c2",
                     "slab_m1c_index_weight", "slab_m1c_l0_weight")


@cache
def legendre_projection_weight(la: int, lb: int, n: int) -> sp.Expr:
    """T^(n)_{lA lB} = c(lA) c(lB)^* (1/2) int dmu P_lA P_lB P_n, c(l) = (2l+1) i^l the plane-wave coefficient (KPM (36)).

    sum T^(n)_{lA lB} j_lA(x) j_lB(y) = (1/2) int dmu e^{i(x-y)mu} P_n(mu) = i^n j_n(x - y).
    """
    antiderivative = sp.Poly(sp.legendre(la, mu) * sp.legendre(lb, mu) * sp.legendre(n, mu), mu).integrate()
    integral = (antiderivative.eval(1) - antiderivative.eval(-1)) / 2
    return sp.expand(legendre_plane_wave_coefficient(la) * sp.conjugate(legendre_plane_wave_coefficient(lb)) * integral)


@cache
def _power_sums(l0: int, la: int, lb: int) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """sum_l (2l+1) t_A t_B sum_m0 m0^k T_A T_B for k = 0, 2, and sum_l (2l+1) t_A^2 (lA = lB), exact.

    t_A = (l l0 lA; 0 0 0), T_A = (l l0 lA; -m0 m0 0): the parts of sum_l (2l+1) M^(1c)_{l l0} that do
    not depend on the weights.
    """
    sums = [sp.Integer(0)] * 3
    for n in range(abs(l0 - max(la, lb)), l0 + min(la, lb) + 1):
        t = wigner3j(n, l0, la, 0, 0, 0) * wigner3j(n, l0, lb, 0, 0, 0)
        if t == 0:
            continue
        ms = range(-min(n, l0), min(n, l0) + 1)
        pairs = [wigner3j(n, l0, la, -m, m, 0) * wigner3j(n, l0, lb, -m, m, 0) for m in ms]
        sums[0] += (2 * n + 1) * t * sum(pairs)
        sums[1] += (2 * n + 1) * t * sum(m * m * p for m, p in zip(ms, pairs))
        sums[2] += (2 * n + 1) * t if la == lb else 0
    return tuple(sp.radsimp(sp.expand(v)) for v in sums)


def power_coefficient(weights: Mapping[str, sp.Expr], geometry: str, l0: int, la: int, lb: int, kappa_domain_factor: sp.Expr = 1) -> sp.Expr:
    """Coefficient of kappa_{lA lB} in sum_l (2l+1)(2 M^(1a) + M^(1c))_{l l0}, from the weights the solver contracts.

    Lambda_n = sum_AB T^(n)_AB kappa_AB / (2 i^n) for even n (plane-wave expansion; the full square of
    kappa is twice the triangle of Lambda for the even integrand), so the invariant holds for every
    kappa iff this coefficient vanishes for all lA, lB.  ``kappa_domain_factor`` scales the (1c) term
    (its time domain: 1 for the full square).
    """
    lambdas = {lambda_symbol(n): legendre_projection_weight(la, lb, n) / (2 * PLANE_WAVE_PHASE**n) for n in (0, 2, 4)}
    m1a = weights[f"{geometry}_m1a"].subs({ell: l0, **lambdas})
    prefix = M1C_WEIGHT_PREFIX[geometry]
    w0, w2 = (weights[f"{prefix}_m0_weight_{c}"].subs(ell0, l0) for c in ("c0", "c2"))
    index = weights["slab_m1c_index_weight"]
    p0, p2, q = _power_sums(l0, la, lb)
    m1c = weights["slab_m1c_l0_weight"].subs(ell0, l0) * index.subs(ellA, la) * index.subs(ellA, lb) * (w0 * p0 + w2 * p2)
    diagonal = weights.get(f"{geometry}_m1c0_weight")  # MA19 (3.21)'s lA = lB term (isotropic only)
    if diagonal is not None and la == lb:
        m1c += diagonal.subs({ell0: l0, ellA: la}) * q
    return sp.expand(2 * (2 * l0 + 1) * m1a + kappa_domain_factor * m1c)


@cache
def _square_is_twice_triangle() -> bool:
    """int int_[0,T]^2 cos(w(sA - sB)) = 2 int_0^T dT' int_0^T' dtau cos(w tau), exactly (generic w)."""
    w, T, sa, sb, tau = sp.symbols("w DeltaT s_A s_B tau", positive=True)
    square = sp.integrate(sp.integrate(sp.cos(w * (sa - sb)), (sa, 0, T)), (sb, 0, T))
    triangle = sp.integrate(sp.integrate(sp.cos(w * tau), (tau, 0, sa)), (sa, 0, T))
    return sp.simplify(square - 2 * triangle) == 0


@identity("invariant_mixing", "KPM+MA19", "KPM (38), (40), (41), (47), (48); MA19 (3.15), (3.21)-(3.23)",
          covers=tuple(dict.fromkeys(SLAB_KERNELS + ISOTROPIC_KERNELS)))
def invariant_mixing(kappa_domain_factor: sp.Expr = 1, kernels: Mapping[str, sp.Expr] | None = None) -> Verdict:
    """sum_l (2l+1)(2 M^(1a) + M^(1c))_{l l0} = 0 for l0 <= 3 with the emitted weights, slab and isotropic, exactly.

    Every weight the solver contracts (``crmix.derive.mixing_weights``), with exact Wigner symbols: the
    coefficient of each kappa_{lA lB} (lA, lB <= l0 + 4) must vanish (``power_coefficient``).  KPM (40)'s
    8 pi doubles M^(1a), KPM (41)'s ordered (1c) time domain halves kappa: both break it.
    """
    names = dict.fromkeys(SLAB_KERNELS + ISOTROPIC_KERNELS)
    weights = {name: claimed(MIXING, name, kernels) for name in names}
    square_ok = _square_is_twice_triangle()
    failures = []
    for geometry, l0 in itertools.product(M1C_WEIGHT_PREFIX, range(L0_MAX + 1)):
        for la, lb in itertools.product(range(l0 + 5), repeat=2):
            if (la + lb) % 2 == 0 and power_coefficient(weights, geometry, l0, la, lb, kappa_domain_factor) != 0:
                failures.append((geometry, l0, la, lb))
    ok = square_ok and not failures
    detail = f"square = 2 triangle: {square_ok}; failures (geometry, l0, lA, lB): {failures[:5]}"
    return verdict(ok, detail)


def _gauss(a: float, b: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.legendre.leggauss(n)
    return 0.5 * (b - a) * (x + 1) + a, 0.5 * (b - a) * w


@cache
def _lambda_kappa(l_cut: int) -> tuple[float, float, np.ndarray]:
    """Lambda_0, Lambda_2 and kappa_{lA lB} (lA, lB < l_cut) by Gauss-Legendre quadrature of KPM (39), (48).

    Slab model: G = 1 on k in [0.5, 3], Omega = 1, Delta T = 1.5 (all integrands smooth).
    """
    from scipy.special import spherical_jn

    omega, dT = 1.0, 1.5
    k, wk = _gauss(0.5, 3.0, 64)
    s, ws = _gauss(0.0, dT, 64)
    ells = np.arange(l_cut)
    j = spherical_jn(ells[:, None, None], k[None, :, None] * s[None, None, :])  # (l, k, s)
    # Lambda_l = int_0^dT dtau (dT - tau) cos(Omega tau) int dk G j_l(k tau)
    lam = np.einsum("lks,k,s->l", j[:3], wk, ws * (dT - s) * np.cos(omega * s))
    a = np.einsum("lks,s->lk", j, ws * np.exp(1j * omega * s))  # a_l(k) = int_0^dT ds j_l(ks) e^{i Omega s}
    kappa = np.einsum("ak,bk,k->ab", a, a.conj(), wk).real
    return float(lam[0]), float(lam[2]), kappa


@identity("invariant_numeric", "KPM", "(38), (47)-(48); docs/physics.md", covers=SLAB_KERNELS)
def invariant_numeric(kappa_domain_factor: float = 1.0, kernels: Mapping[str, sp.Expr] | None = None) -> Verdict:
    """sum_l (2l+1)(2 M^(1a) + M^(1c))_{l l0} = 0, l0 <= 3, with Lambda and kappa from quadrature of (39), (48).

    Independent of the algebra of ``invariant_mixing``: the integrals are computed numerically for a
    band-limited slab spectrum and contracted, with the emitted slab weights, and pywigxjpf's 3j
    symbols (the solver's library) summed over m0.
    """
    import pywigxjpf as wig

    symbols = (ell, ell0, ellA, lambda_symbol(0), lambda_symbol(2))
    m1a, w0, w2, index, l0_weight = (sp.lambdify(symbols, claimed(MIXING, name, kernels), "math") for name in SLAB_KERNELS)
    l_cut = 26
    lam0, lam2, kappa = _lambda_kappa(l_cut)
    kappa = kappa * kappa_domain_factor
    worst = 0.0
    ensure_tables(2 * 64, 3)
    for l0 in range(L0_MAX + 1):
        m1a_sum = 2 * (2 * l0 + 1) * m1a(l0, l0, 0, lam0, lam2)
        c0, c2, cl0 = w0(0, l0, 0, 0, 0), w2(0, l0, 0, 0, 0), l0_weight(0, l0, 0, 0, 0)
        m1c_sum = 0.0
        for n in range(l_cut + l0):
            ab = [x for x in range(abs(n - l0), min(n + l0, l_cut - 1) + 1) if (n + l0 + x) % 2 == 0]
            t0 = {x: wig.wig3jj(2 * n, 2 * l0, 2 * x, 0, 0, 0) * index(0, 0, x, 0, 0) for x in ab}
            for la, lb in itertools.product(ab, repeat=2):
                msum = sum(
                    (c0 + c2 * m * m)
                    * wig.wig3jj(2 * n, 2 * l0, 2 * la, -2 * m, 2 * m, 0)
                    * wig.wig3jj(2 * n, 2 * l0, 2 * lb, -2 * m, 2 * m, 0)
                    for m in range(-min(n, l0), min(n, l0) + 1)
                )
                m1c_sum += (2 * n + 1) * cl0 * t0[la] * t0[lb] * msum * kappa[la, lb]
        scale = abs(m1a_sum) if l0 else abs(kappa).max()
        worst = max(worst, abs(m1a_sum + m1c_sum) / scale)
    return verdict(worst < 1e-10, f"max |sum_l (2l+1)(2M1a + M1c)| / |sum 2M1a| over l0 <= {L0_MAX}: {worst:.1e}")
