"""The checks of M^(1a) and of the dipole source: the reductions of crmix.derive.reductions against brute force.

M^(1a) for slab turbulence (KPM (32)-(40): the pitch-angle projection and the line spectrum by
quadrature), for isotropic turbulence (MA19 (3.13)-(3.15)) and for white noise (MA19 (3.16)); the
dipole source of KPM (18) / MA19 (3.4).  Each reads the emitted expression (``claimed``), so a
changed kernel fails it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache

import mpmath
import numpy as np
import sympy as sp

from crmix.derive.exact import sphere_polynomial_integral, vanishes, vanishes_on_spheres
from crmix.derive.expressions import claimed
from crmix.derive.harmonics import (
    mp_spherical_jn,
    to_mp,
)
from crmix.derive.operators import (
    angular_momentum_matrices,
    phi,
    spherical_L,
    theta,
    ynm,
)
from crmix.derive.reductions import (
    MIXING,
    ell,
    isotropic_tensor_coefficients,
    lambda_symbol,
)
from crmix.derive.registry import Verdict, identity, verdict


@identity("pitch_angle_projection", "KPM", "(32)-(37)")
def pitch_angle_projection(
    y00_coeff: sp.Expr = sp.Rational(4, 3) * sp.sqrt(sp.pi), y20_coeff: sp.Expr = sp.Rational(2, 3) * sp.sqrt(sp.pi / 5)
) -> Verdict:
    """4pi/(2l+1) sum_m |Y_l^m|^2 [l(l+1) - m^2] = l(l+1)(4/3 sqrt(pi) Y_0^0 + 2/3 sqrt(pi/5) Y_2^0) (l <= 4);
    the i m sin term vanishes by (34)."""
    failures = []
    for n in range(5):
        lhs = 4 * sp.pi / (2 * n + 1) * sum((n * (n + 1) - m**2) * ynm(n, m) * sp.conjugate(ynm(n, m)) for m in range(-n, n + 1))
        rhs = n * (n + 1) * (y00_coeff * ynm(0, 0) + y20_coeff * ynm(2, 0))
        if not vanishes_on_spheres(lhs - rhs, (theta,), (phi,)):
            failures.append(n)
    return verdict(not failures, "exact for l <= 4" if not failures else f"fails for l = {failures}")


#: (l, x = k tau, lambda = Omega tau) of the brute-force comparisons of (1a).
_M1A_CASES = ((2, "2.3", "0.7"), (3, "5.1", "2.0"))


@cache
def _kpm32_line_spectrum(n: int, x: str, lam: str) -> mpmath.mpc:
    """KPM (32)'s integrand at fixed tau for the line spectrum g(k) = delta(|k| - k1), x = k1 tau, by brute force.

    -2 pi [I(x) + I(-x)]: the reading int d^3k delta(k_perp)/k_perp F = 2 pi int dk_par F over both
    signs of k_par, and I(x) = (1/(2l+1)) int dp^ sum_m |Y_l^m|^2 e^{i x mu}[l(l+1) cos lambda
    - i m sin lambda - m^2 cos lambda] by mpmath over theta (|Y_l^m|^2 does not depend on phi).
    """
    with mpmath.workdps(20):
        lv = mpmath.mpf(lam)

        def angular(xv: mpmath.mpf) -> mpmath.mpc:
            def integrand(th: mpmath.mpf) -> mpmath.mpc:
                bracket = sum(
                    abs(mpmath.spherharm(n, m, th, 0)) ** 2 * (n * (n + 1) * mpmath.cos(lv) - 1j * m * mpmath.sin(lv) - m * m * mpmath.cos(lv))
                    for m in range(-n, n + 1)
                )
                return 2 * mpmath.pi * bracket / (2 * n + 1) * mpmath.exp(1j * xv * mpmath.cos(th)) * mpmath.sin(th)

            return mpmath.quad(integrand, [0, mpmath.pi / 2, mpmath.pi])

        return -2 * mpmath.pi * (angular(mpmath.mpf(x)) + angular(-mpmath.mpf(x)))


@identity("m1a_slab_reduction", "KPM", "(32)-(40)", covers=("slab_m1a",))
def m1a_slab_reduction(kernels: Mapping[str, sp.Expr] | None = None) -> Verdict:
    """The emitted slab M^(1a) = -l(l+1)[(2/3) Lambda_0 - (1/3) Lambda_2] (in G) is KPM (32), by brute force.

    At fixed tau, with a line spectrum g = delta(|k| - k1) (so Lambda_n -> cos(Omega tau) 4 pi j_n(k1 tau)
    with G = 4 pi g), against (32) integrated over the sphere with every Y_l^m (mpmath, l = 2, 3) and over
    both signs of k_par.  KPM (40) prints 8 pi where (38) has 4 pi: twice this (see also ``invariant_mixing``).
    """
    expr = claimed(MIXING, "slab_m1a", kernels)
    worst = mpmath.mpf(0)
    with mpmath.workdps(20):
        for n, x, lam in _M1A_CASES:
            brute = _kpm32_line_spectrum(n, x, lam)
            lambdas = {lambda_symbol(k): mpmath.cos(mpmath.mpf(lam)) * 4 * mpmath.pi * mp_spherical_jn(k, mpmath.mpf(x)) for k in (0, 1, 2, 3, 4)}
            emitted_value = sp.lambdify((ell, *lambdas), expr, "mpmath")(n, *lambdas.values())
            worst = max(worst, abs(emitted_value - brute) / abs(brute))
    return verdict(worst < 1e-12, f"max relative deviation from the brute force of (32): {mpmath.nstr(worst, 3)}")


def _ynm_numeric(n: int) -> list[Callable[[np.ndarray, np.ndarray], np.ndarray]]:
    return [sp.lambdify((theta, phi), ynm(n, m), "numpy") for m in range(-n, n + 1)]


@cache
def _ma19_313_line_spectrum(n: int, x: float) -> float:
    """MA19 (3.13) at fixed k, tau for Omega = 0: -int dk^ (1/(2l+1)) sum_m <Y_l^m| e^{i x k^.p^} (delta_ij - k_i k_j) L_i L_j |Y_l^m>.

    Brute force on product grids (Gauss-Legendre in cos theta, uniform in phi) for both k^ and p^,
    with the exact matrices of L on span{Y_l^m}.
    """
    cos_t, w_t = np.polynomial.legendre.leggauss(28)
    n_phi = 56
    th, ph = np.meshgrid(np.arccos(cos_t), 2 * np.pi * np.arange(n_phi) / n_phi, indexing="ij")
    weights = (w_t[:, None] * np.full(n_phi, 2 * np.pi / n_phi)).ravel()
    dirs = np.stack([np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph), np.cos(th)]).reshape(3, -1)
    Y = np.array([np.broadcast_to(f(th, ph), th.shape).ravel() for f in _ynm_numeric(n)], dtype=complex)  # (2l+1, N)
    phase = np.exp(1j * x * (dirs.T @ dirs)) * weights[None, :]  # (k^, p^)
    overlap = (phase @ (Y.conj()[:, None, :] * Y[None, :, :]).reshape(-1, Y.shape[1]).T).reshape(-1, len(Y), len(Y))  # [k, m, m']
    mats = {a: np.array(angular_momentum_matrices(n)[a].evalf(), dtype=complex) for a in ("x", "y", "z", "L2")}
    k_dot_l = np.einsum("ik,iab->kab", dirs, np.stack([mats["x"], mats["y"], mats["z"]]))
    operator = mats["L2"][None] - k_dot_l @ k_dot_l  # column m' holds the expansion of (op Y^m')
    total = np.einsum("k,kab,kba->", weights, operator, overlap)  # sum_m,m' op[m', m] <Y^m|e^{..}|Y^m'>
    return float(-(total / (2 * n + 1)).real)


@cache
def _isotropic_reduction_steps() -> tuple[bool, bool]:
    """(p^.L = 0 on an arbitrary function, the k^ tensors have the form a delta_ij + b p_i p_j)."""
    f = sp.Function("f")(theta, phi)
    phat = (sp.sin(theta) * sp.cos(phi), sp.sin(theta) * sp.sin(phi), sp.cos(theta))
    p_dot_l_zero = vanishes(sum(phat[i] * spherical_L(f)[i] for i in range(3)))
    try:
        isotropic_tensor_coefficients()
    except ValueError:
        return p_dot_l_zero, False
    return p_dot_l_zero, True


@identity("m1a_isotropic_reduction", "MA19", "(3.13)-(3.15)", covers=("isotropic_m1a",))
def m1a_isotropic_reduction(kernels: Mapping[str, sp.Expr] | None = None) -> Verdict:
    """The emitted isotropic M^(1a) = -(8 pi/3) l(l+1)(Lambda_0 - Lambda_2/2) is MA19 (3.13), by brute force.

    At fixed k, tau and Omega = 0 (so Lambda_n -> j_n(k tau)), against (3.13) summed over lA (the plane
    wave e^{i k tau k^.p^}) and integrated over k^ and p^ on grids, l = 2, 3.  Also exact: the k^ tensor
    integrals are a delta_ij + b p_i p_j, and p^.L = 0 (with p^ to the left), so the b part drops.
    """
    expr = claimed(MIXING, "isotropic_m1a", kernels)
    p_dot_l_zero, tensor_ok = _isotropic_reduction_steps()
    worst = 0.0
    for n, x in ((2, 2.3), (3, 5.1)):
        lambdas = {lambda_symbol(k): float(mp_spherical_jn(k, x)) for k in range(5)}
        value = float(sp.re(expr.subs({ell: n, **lambdas})))
        brute = _ma19_313_line_spectrum(n, x)
        worst = max(worst, abs(value - brute) / abs(brute))
    ok = p_dot_l_zero and tensor_ok and worst < 1e-10
    return verdict(ok, f"brute force of (3.13): max relative deviation {worst:.1e}; tensor form {tensor_ok}; p^.L = 0: {p_dot_l_zero}")


@cache
def _dipole_source(n: int) -> tuple[sp.Expr, sp.Expr]:
    """((1/4pi) int int P_l(pA.pB)[(-pA.g)(fbar - 3 pB.K.g) + (A <-> B)], g.K.g), exact."""
    a = sp.symbols("a_x a_y a_z", real=True)
    b = sp.symbols("b_x b_y b_z", real=True)
    g = sp.Matrix(sp.symbols("g_x g_y g_z", real=True))
    K = sp.Matrix(3, 3, lambda i, j: sp.Symbol(f"K{min(i, j)}{max(i, j)}"))
    fbar = sp.Symbol("fbar", positive=True)
    pa, pb = sp.Matrix(a), sp.Matrix(b)
    integrand = (-(pa.dot(g))) * (fbar - 3 * pb.dot(K * g)) + (-(pb.dot(g))) * (fbar - 3 * pa.dot(K * g))
    body = sp.expand(sp.legendre(n, pa.dot(pb)) * integrand)
    total = sphere_polynomial_integral(sphere_polynomial_integral(body, *b), *a) / (4 * sp.pi)
    return sp.expand(total), sp.expand(g.dot(K * g))


@identity("source_term", "KPM+MA19", "KPM (18); MA19 (3.3)-(3.4)")
def source_term(coefficient: sp.Expr = sp.Rational(8, 3) * sp.pi) -> Verdict:
    """Dipole source: (1/4pi) int int P_l [(dr_A.grad f)<f_B> + (A<->B)]/dT = (8pi/3) grad f.K.grad f delta_l1.

    dr = -p^ dT, <f> = f - 3 p^.K.grad f, any symmetric K and gradient, l <= 3 (exact sphere
    integrals).  MA19 (3.4) prints 8pi/9.
    """
    failures = []
    for n in range(4):
        total, gkg = _dipole_source(n)
        target = coefficient * gkg if n == 1 else 0
        if sp.expand(total - target) != 0:
            failures.append(n)
    return verdict(not failures, f"coefficient {coefficient}: " + ("holds for l <= 3" if not failures else f"fails for l = {failures}"))


def _white_noise_lambda(alpha: float, n: int) -> mpmath.mpf:
    """Lambda_n/(g_out Delta T) for white noise, k_out -> 0, by quadrature (n = 0, 2).

    Lambda_n = g_out int_0^dT dT' int_0^T' dtau int_0^k_in dk j_n(k tau) (MA19 (3.14)) reduces with
    u = k_in tau, x = k tau to int_0^alpha du/u (1 - u/alpha) int_0^u dx j_n(x); exchanging the order,
    int_0^alpha dx j_n(x) [ln(alpha/x) - 1 + x/alpha].
    """
    with mpmath.workdps(20):
        a = mpmath.mpf(alpha)
        return mpmath.quad(lambda x: mp_spherical_jn(n, x) * (mpmath.log(a / x) - 1 + x / a), mpmath.linspace(0, a, int(a) // 3 + 2))


@cache
def _white_noise_lambdas(alpha: float) -> tuple[mpmath.mpf, mpmath.mpf]:
    return _white_noise_lambda(alpha, 0), _white_noise_lambda(alpha, 2)


def _ma19_braces(alpha: mpmath.mpf, sin_term: Callable[[mpmath.mpf], mpmath.mpf]) -> mpmath.mpf:
    """The braces of MA19 (3.16) with the given sin alpha term."""
    hyp = mpmath.hyp2f3(0.5, 0.5, 1.5, 1.5, 1.5, -((alpha / 2) ** 2))
    return -mpmath.cos(alpha) / alpha + 2 * alpha * hyp + sin_term(alpha) - mpmath.si(alpha)


@identity("m1a_white_noise", "MA19", "(3.16)", covers=("isotropic_m1a",))
def m1a_white_noise(
    prefactor: sp.Expr = sp.pi,
    sin_term: Callable[[mpmath.mpf], mpmath.mpf] = lambda a: mpmath.sin(a) / a**2,
    kernels: Mapping[str, sp.Expr] | None = None,
) -> Verdict:
    """White noise: M^(1a) = -pi g_out dT {-cos a/a + 2a 2F3(1/2,1/2;3/2,3/2,3/2;-a^2/4) + sin a/a^2 - Si a} l(l+1).

    a = k_in dT.  Against the emitted isotropic M^(1a) (MA19 (3.15)) with Lambda_0, Lambda_2 from the
    quadrature of (3.14), for a = 0.5, 2, 10.  MA19 (3.16) prints g_out/k_out r for g_out dT and
    alpha^2 sin alpha.
    """
    expr = claimed(MIXING, "isotropic_m1a", kernels)
    per_ll1 = sp.lambdify((lambda_symbol(0), lambda_symbol(2)), expr.subs(ell, 1) / 2, "mpmath")
    worst = mpmath.mpf(0)
    with mpmath.workdps(20):
        for a in (0.5, 2.0, 10.0):
            emitted_value = per_ll1(*_white_noise_lambdas(a))
            closed = -to_mp(prefactor).real * _ma19_braces(mpmath.mpf(a), sin_term)
            worst = max(worst, abs(emitted_value - closed) / abs(closed))
    return verdict(worst < 1e-14, f"max relative deviation from the quadrature of (3.14)-(3.15): {mpmath.nstr(worst, 3)}")
