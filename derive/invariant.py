"""The exact invariant of the pair propagator: total power sum_l (2l+1) C_l is conserved.

Why (DESIGN.md Sec. 4, docs/physics.md): dL = -i w.L is anti-Hermitian on L^2(S^2), so U is
unitary and int dp^ |f|^2 = sum_l (2l+1) C_l is conserved realisation by realisation.  In the
interaction picture U = U0 (1 + U1 + U2 + ...), and U^dagger U = 1 gives at second order

    U2 + U2^dagger = -U1^dagger U1,

where U2 is the time-ordered (triangle) integral -- the (1a)/(1b) diagrams -- and U1^dagger U1 the
product of two first-order terms over the full square -- the (1c) diagram.  For the mixing matrix
this is sum_l (2l+1) (2 M^(1a) + M^(1c))_{l l0} = 0 for every l0, the l = 0 row included; the
monopole row alone is not conserved.
"""

from __future__ import annotations

import itertools
from functools import cache

import numpy as np
import sympy as sp
from sympy.physics.quantum import Dagger

from crmix.derive.diagrams import ode_second_order
from crmix.derive.reductions import legendre_weight, m1c_coefficient
from crmix.derive.registry import Verdict, identity, verdict
from crmix.wigxjpf import ensure_tables

__all__ = ["dyson_terms", "power_weights"]

N_SLICES = 4
L0_MAX = 3


def dyson_terms(n: int) -> tuple[sp.Expr, sp.Expr, list[sp.Symbol]]:
    """U1, U2 of prod_{k=n..1} exp(V_k) (latest to the left), V_k non-commuting, to second order."""
    V = list(sp.symbols(f"V1:{n + 1}", commutative=False))
    u1 = sum(V, sp.Integer(0))
    u2 = sum((V[i] * V[j] for i in range(n) for j in range(i)), sp.Integer(0)) + sum((v * v for v in V), sp.Integer(0)) / 2
    return u1, u2, V


@identity("unitarity_second_order", "crmix", "DESIGN Sec. 4; MA19 (2.6)")
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


@cache
def power_weights(l0: int, la: int, lb: int) -> sp.Expr:
    """sum_l (2l+1) c_{l; lA lB}(l0): the weight of kappa_{lA lB} in sum_l (2l+1) M^(1c)_{l l0} (l from 0)."""
    return sp.radsimp(sum((2 * ell + 1) * m1c_coefficient(ell, l0, la, lb) for ell in range(0, la + l0 + 1)))


@cache
def _square_is_twice_triangle() -> bool:
    """int int_[0,T]^2 cos(w(sA - sB)) = 2 int_0^T dT' int_0^T' dtau cos(w tau), exactly (generic w)."""
    w, T, sa, sb, tau = sp.symbols("w DeltaT s_A s_B tau", positive=True)
    square = sp.integrate(sp.integrate(sp.cos(w * (sa - sb)), (sa, 0, T)), (sb, 0, T))
    triangle = sp.integrate(sp.integrate(sp.cos(w * tau), (tau, 0, sa)), (sa, 0, T))
    return sp.simplify(square - 2 * triangle) == 0


@identity("invariant_mixing", "KPM+MA19", "DESIGN Sec. 4; KPM (38), (40), (41), (47), (48)")
def invariant_mixing(m1a_prefactor: sp.Expr = 1, m1c_prefactor: sp.Expr = 1, kappa_domain_factor: sp.Expr = 1) -> Verdict:
    """sum_l (2l+1)(2 M^(1a) + M^(1c))_{l l0} = 0 for l0 <= 3, with exact Wigner symbols.

    M^(1a) = -a l(l+1)[(2/3)L0 - (1/3)L2], M^(1c) = b sum c kappa, kappa over d times the full square
    (KPM (38), (47), (48): a = b = d = 1 with G = 4 pi g; KPM (40) has a = 2, KPM (41) d = 1/2).
    With T_{lA lB} (``legendre_weight``), sum T kappa = 2[(2/3)L0 - (1/3)L2] (plane-wave expansion and
    square = 2 x triangle for the even integrand), so the invariant holds iff for all lA, lB:
        b d sum_l (2l+1) c_{l; lA lB}(l0) = a l0(l0+1)(2l0+1) T_{lA lB}.
    """
    square_ok = _square_is_twice_triangle()
    failures = []
    monopole = {}
    for l0 in range(L0_MAX + 1):
        for la, lb in itertools.product(range(l0 + 5), repeat=2):
            if (la + lb) % 2:
                continue
            lhs = m1c_prefactor * kappa_domain_factor * power_weights(l0, la, lb)
            rhs = m1a_prefactor * l0 * (l0 + 1) * (2 * l0 + 1) * legendre_weight(la, lb)
            if sp.simplify(lhs - rhs) != 0:
                failures.append((l0, la, lb))
        monopole[l0] = m1c_coefficient(0, l0, l0, l0)
    ok = square_ok and not failures
    detail = (
        f"square = 2 triangle: {square_ok}; failures (l0, lA, lB): {failures[:5]}; "
        f"monopole row c_(0; l0 l0)(l0) = {monopole} (not conserved)"
    )
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


@identity("invariant_numeric", "KPM", "(38)-(40), (47)-(48); DESIGN Sec. 4")
def invariant_numeric(m1a_prefactor: float = 1.0, kappa_domain_factor: float = 1.0) -> Verdict:
    """sum_l (2l+1)(2 M^(1a) + M^(1c))_{l l0} = 0, l0 <= 3, with Lambda and kappa from quadrature of (39), (48).

    Independent of the algebra of ``invariant_mixing``: the integrals are computed numerically for a
    band-limited slab spectrum and contracted with pywigxjpf's 3j symbols (the solver's library).
    """
    import pywigxjpf as wig

    l_cut = 26
    lam0, lam2, kappa = _lambda_kappa(l_cut)
    kappa = kappa * kappa_domain_factor
    worst = 0.0
    ensure_tables(2 * 64, 3)
    for l0 in range(L0_MAX + 1):
        m1a_sum = -2 * m1a_prefactor * (2 * l0 + 1) * l0 * (l0 + 1) * (2 * lam0 / 3 - lam2 / 3)
        m1c_sum = 0.0
        for ell in range(l_cut + l0):
            ab = [x for x in range(abs(ell - l0), min(ell + l0, l_cut - 1) + 1) if (ell + l0 + x) % 2 == 0]
            w0 = {x: wig.wig3jj(2 * ell, 2 * l0, 2 * x, 0, 0, 0) for x in ab}
            for la, lb in itertools.product(ab, repeat=2):
                msum = sum(
                    (l0 * (l0 + 1) - m0 * m0)
                    * wig.wig3jj(2 * ell, 2 * l0, 2 * la, -2 * m0, 2 * m0, 0)
                    * wig.wig3jj(2 * ell, 2 * l0, 2 * lb, -2 * m0, 2 * m0, 0)
                    for m0 in range(-min(ell, l0), min(ell, l0) + 1)
                )
                phase = (-1) ** ((la - lb) // 2)
                c = (2 * l0 + 1) * (2 * la + 1) * (2 * lb + 1) * phase * w0[la] * w0[lb] * msum
                m1c_sum += (2 * ell + 1) * c * kappa[la, lb]
        scale = abs(m1a_sum) if l0 else abs(kappa).max()
        worst = max(worst, abs(m1a_sum + m1c_sum) / scale)
    return verdict(worst < 1e-10, f"max |sum_l (2l+1)(2M1a + M1c)| / |sum 2M1a| over l0 <= {L0_MAX}: {worst:.1e}")
