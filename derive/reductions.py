"""Reduction of the diagrams to mixing-matrix elements: the weights of M^(1a) (KPM (30)-(40), MA19
(3.13)-(3.15)) and M^(1c) (KPM (44)-(47), MA19 (3.18)-(3.23)), derived here from the checked identities,
and the dipole source (KPM (18), MA19 (3.4)).

Conventions (docs/physics.md): L = -i p x d_p, dL = LIOUVILLE_COEFFICIENT w.L with coefficient -i;
slab: int d^3k delta(k_perp)/k_perp F(k_par) = 2 pi int_{-inf}^{inf} dk_par F(k_par) and G = 4 pi g;
isotropic: weight g, straight lines.  What is derived, and from what:

* (1a), slab: the m sum of KPM (32) by Unsoeld (33)-(35) leaves l(l+1) w(mu)/(4 pi) with
  w = (1 + mu^2)/2 (``pitch_angle_weight``); its plane-wave projection (36) gives the j_n
  coefficients 2/3, -1/3; the k measure gives k_measure/(4 pi) = 1 in G; (-i)^2 gives the sign:
  M^(1a) = -l(l+1)[(2/3) Lambda_0 - (1/3) Lambda_2].
* (1a), isotropic: the k^ integrals of P_lA(k^.p^)(delta_ij - k_i k_j) of MA19 (3.13), whose
  p_i p_j part drops by p^.L = 0: M^(1a) = -(8 pi/3) l(l+1)(Lambda_0 - Lambda_2/2).
* (1c): the normalisations of KPM (17), the addition theorem (31), the plane wave (36) on the
  wave-vector axis and the Gaunt integral give (2 l0 + 1)(2lA+1) i^lA (2lB+1) i^-lB, i.e. the l0
  weight 2 l0 + 1 and the index weight c_l = (2l+1)(-1)^floor(l/2) for lA, lB of one parity
  (``harmonic_weights``).  The operator part at equal times is sum_ij Q_ij <l0 m0|L_i L_j|l0 m0>
  for the correlation tensor Q in the frame k^ = z (``operator_weight``): the slab projector
  delta_ij - z_i z_j gives l0(l0+1) - m0^2; MA19's split (3.20) into (2/3) delta_ij and the
  quadrupole (1/3) delta_ij - k_i k_j, each times the measure 4 pi of wave-vector directions,
  gives the isotropic (1c,0) and (1c,2) weights.

``crmix.derive.mixing_weights`` hands these expressions to ``crmix codegen``; the checks below
verify the emitted expressions (read through ``crmix.derive.expressions.claimed``) against brute
force, exact sums and MA19's printed (3.21)/(3.23), and ``crmix.derive.invariant`` against the
exact invariant.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from functools import cache

import mpmath
import numpy as np
import sympy as sp

from crmix.derive.exact import sphere_monomial_integral, sphere_polynomial_integral, vanishes, vanishes_on_spheres, wigner3j
from crmix.derive.expressions import claimed
from crmix.derive.harmonics import (
    PLANE_WAVE_PHASE,
    PLANE_WAVE_PREFACTOR,
    addition_prefactor,
    gaunt_normalisation,
    legendre_plane_wave_coefficient,
    mp_spherical_jn,
    to_mp,
    unsold_second_moment_claim,
    unsold_zeroth_moment,
)
from crmix.derive.operators import (
    CONJUGATE_LADDER_SIGN,
    LIOUVILLE_COEFFICIENT,
    angular_momentum_matrices,
    phi,
    sigma,
    spherical_L,
    theta,
    ynm,
)
from crmix.derive.registry import Verdict, identity, verdict
from crmix.derive.threej import m0_moment_0

__all__ = [
    "DIRECTION_MEASURE",
    "ISOTROPIC_SPLIT",
    "SLAB_PROJECTOR",
    "harmonic_weights",
    "isotropic_m1a",
    "k_measure",
    "lambda_symbol",
    "operator_weight",
    "pitch_angle_weight",
    "plane_wave_coefficients",
    "slab_m1a",
]

MIXING = "crmix.derive.mixing_weights"

ell, ell0, ellA = sp.symbols("ell ell0 ellA", integer=True, nonnegative=True)
m0 = sp.Symbol("m0", integer=True)
mu = sp.Symbol("mu", real=True)

#: G = G_PER_G g: the slab weight of docs/physics.md in KPM's g.
G_PER_G = 4 * sp.pi
#: int dk^ over the directions of the wave vector (isotropic turbulence).
DIRECTION_MEASURE = sphere_monomial_integral(0, 0, 0)
#: Correlation tensors in the frame k^ = z: the slab projector delta_ij - z_i z_j (KPM (28)) and
#: MA19 (3.20)'s split of delta_ij - k_i k_j into (2/3) delta_ij and the quadrupole part.
SLAB_PROJECTOR = sp.ImmutableMatrix(sp.diag(1, 1, 0))
ISOTROPIC_SPLIT = (sp.ImmutableMatrix(sp.Rational(2, 3) * sp.eye(3)), sp.ImmutableMatrix(sp.eye(3) / 3 - sp.diag(0, 0, 1)))


def lambda_symbol(n: int) -> sp.Symbol:
    """The symbol of Lambda_n (KPM (39), MA19 (3.14)) in the (1a) weights."""
    return sp.Symbol(f"Lambda{n}", real=True)


# ---- the pieces of the derivation ----------------------------------------------------------------
@cache
def k_measure() -> sp.Expr:
    """int d^3k delta(k_perp)/k_perp F / int_0^inf F for an even F: 2 pi x 2 = 4 pi (docs/physics.md).

    Computed for F = e^{-k^2} e^{iks} (its even part is e^{-k^2} cos ks), exactly.
    """
    k, s = sp.Symbol("k", real=True), sp.Symbol("s", positive=True)
    full_line = 2 * sp.pi * sp.integrate(sp.exp(-(k**2)) * sp.exp(sp.I * k * s), (k, -sp.oo, sp.oo))
    half_line = sp.integrate(sp.exp(-(k**2)) * sp.cos(k * s), (k, 0, sp.oo))
    return sp.simplify(full_line / half_line)


@cache
def pitch_angle_weight() -> sp.Expr:
    """w(mu) in (1/(2l+1)) sum_m |Y_l^m|^2 [l(l+1) - m^2] = l(l+1) w(mu)/(4 pi), from Unsoeld (33), (35).

    (The i m sin term of KPM (32) drops by (34).)  w = (1 + mu^2)/2 for every l.
    """
    n = sp.Symbol("n", integer=True, positive=True)
    summed = n * (n + 1) * unsold_zeroth_moment(n) - unsold_second_moment_claim(n)
    w = sp.cancel(summed * 4 * sp.pi / ((2 * n + 1) * n * (n + 1)))
    return sp.expand(w.subs(sp.sin(theta) ** 2, 1 - mu**2))


def plane_wave_coefficients(f: sp.Expr) -> dict[int, sp.Expr]:
    """{n: c_n} with (1/2) int_{-1}^{1} e^{i x mu} f(mu) dmu = sum_n c_n j_n(x), f a polynomial in mu.

    e^{i x mu} = (PLANE_WAVE_PREFACTOR/(4 pi)) sum_n (2n+1) PLANE_WAVE_PHASE^n j_n(x) P_n(mu) (KPM (36), (31)).
    """
    out = {}
    for n in range(sp.Poly(f, mu).degree() + 1):
        projection = sp.integrate(sp.legendre(n, mu) * f, (mu, -1, 1)) / 2
        c = sp.simplify(legendre_plane_wave_coefficient(n) * projection)
        if c != 0:
            out[n] = c
    return out


@cache
def slab_m1a() -> sp.Expr:
    """M^(1a)_{ll} for slab turbulence in G (KPM (30)-(38)), derived (module docstring)."""
    angular = plane_wave_coefficients(pitch_angle_weight())
    k_factor = k_measure() / G_PER_G
    return LIOUVILLE_COEFFICIENT**2 * k_factor * ell * (ell + 1) * sum(c * lambda_symbol(n) for n, c in angular.items())


@cache
def isotropic_tensor_coefficients() -> dict[int, sp.Expr]:
    """{lA: a_lA}: int dk^ P_lA(k^.p^)(delta_ij - k_i k_j) = a_lA delta_ij + b_lA p_i p_j, lA <= 4 (exact).

    Computed at p^ = z; a ValueError if a tensor is not of that form.
    """
    kx, ky, kz = sp.symbols("k_x k_y k_z", real=True)
    kv = (kx, ky, kz)
    out = {}
    for la in range(5):
        T = [[sphere_polynomial_integral(sp.legendre(la, kz) * (int(i == j) - kv[i] * kv[j]), kx, ky, kz) for j in range(3)] for i in range(3)]
        if any(T[i][j] != 0 for i in range(3) for j in range(3) if i != j) or sp.simplify(T[0][0] - T[1][1]) != 0:
            raise ValueError(f"the k^ tensor for lA = {la} is not of the form a delta_ij + b p_i p_j")
        if T[0][0] != 0:
            out[la] = T[0][0]
    return out


@cache
def isotropic_m1a() -> sp.Expr:
    """M^(1a)_{ll} for isotropic turbulence in g (MA19 (3.13)-(3.15)), derived (module docstring)."""
    terms = sum(legendre_plane_wave_coefficient(la) * a * lambda_symbol(la) for la, a in isotropic_tensor_coefficients().items())
    return LIOUVILLE_COEFFICIENT**2 * ell * (ell + 1) * sp.expand(terms)


def _l_element(axis: int, row: sp.Expr, col: sp.Expr) -> sp.Expr:
    """<l0, row| L_axis |l0, col> for symbolic l0 from the ladder coefficients (KPM, text after (45))."""
    up = sigma(ell0, col, +1) if row == col + 1 else 0
    down = sigma(ell0, col, -1) if row == col - 1 else 0
    if axis == 2:
        return col if row == col else sp.Integer(0)
    return (up + down) / 2 if axis == 0 else (up - down) / (2 * sp.I)


@cache
def operator_weight(tensor: sp.ImmutableMatrix) -> sp.Expr:
    """The (1c) operator part at equal times for the correlation tensor Q (frame k^ = z), as a weight of m0.

    dL^A dL^B* = LIOUVILLE_COEFFICIENT^2 Q_ij L^A_i L^B_j with L^B on conjugate harmonics equal to
    CONJUGATE_LADDER_SIGN x the conjugate matrix, on sum_m0 Y^m0(pA) Y^m0*(pB): the weight of m0 is
    LIOUVILLE_COEFFICIENT^2 CONJUGATE_LADDER_SIGN sum_ij Q_ij <l0 m0|L_i L_j|l0 m0> (Q real symmetric).
    """
    diagonal = sum(
        tensor[i, j] * sum(_l_element(i, m0, m) * _l_element(j, m, m0) for m in (m0 - 1, m0, m0 + 1))
        for i in range(3)
        for j in range(3)
        if tensor[i, j] != 0
    )
    return sp.expand(LIOUVILLE_COEFFICIENT**2 * CONJUGATE_LADDER_SIGN * diagonal)


@cache
def harmonic_weights() -> tuple[sp.Expr, sp.Expr]:
    """(l0 weight, index weight c_lA) of the (1c) coefficient (2l0+1)(2lA+1)(2lB+1) i^(lA-lB).

    KPM (17) has (1/(4 pi)) ((2l0+1)/(4 pi)) and the Legendre polynomials P_l, P_l0, each expanded by
    the addition theorem (31); each insertion carries the plane wave (36) on the wave-vector axis,
    PLANE_WAVE_PREFACTOR PLANE_WAVE_PHASE^lA Y_lA^0(z^), and the Gaunt integral's normalisation
    (after (46)) for (l, l0, lA).  The lA factor (2lA+1) i^lA enters as c_lA c_lB^*; for lA, lB of one
    parity (the only ones with non-zero (l l0 lA; 0 0 0)) i^(lA - lB) = (-1)^(floor(lA/2) - floor(lB/2)), so the
    real c_l = (2l+1)(PLANE_WAVE_PHASE^2)^floor(l/2) gives the same products.
    """
    n, l0, la = ell, ell0, ellA
    common = (1 / (4 * sp.pi)) * ((2 * l0 + 1) / (4 * sp.pi)) * addition_prefactor(n) * addition_prefactor(l0)
    y_axis = sp.sqrt((2 * la + 1) / (4 * sp.pi)) * sp.legendre(la, 1)
    side = sp.powsimp(PLANE_WAVE_PREFACTOR * PLANE_WAVE_PHASE**la * y_axis * gaunt_normalisation(n, l0, la))
    index_part = sp.Mul(*[f for f in sp.Mul.make_args(side) if f.free_symbols <= {la}])
    rest = sp.cancel(side / index_part)
    if rest.has(la) or sp.simplify(index_part - (2 * la + 1) * PLANE_WAVE_PHASE**la) != 0:
        raise ValueError(f"unexpected form of the insertion factor {side}")
    l0_weight = sp.factor(sp.simplify(common * rest * sp.conjugate(rest)))
    if l0_weight.has(n):
        raise ValueError(f"the (1c) normalisation depends on l: {l0_weight}")
    return l0_weight, (2 * la + 1) * (PLANE_WAVE_PHASE**2) ** sp.floor(la / 2)


@cache
def slab_m1c_m0_weight() -> sp.Expr:
    """Weight of m0 in the slab M^(1c) (in G): (k_measure/(4 pi)) x the operator part of the slab projector."""
    return sp.expand(k_measure() / G_PER_G * operator_weight(SLAB_PROJECTOR))


@cache
def isotropic_m1c_weights() -> tuple[sp.Expr, sp.Expr]:
    """(weight of kappa_AA (l lA l0; 0 0 0)^2 in M^(1c,0), m0 weight of M^(1c,2)), MA19 (3.20)-(3.23) in g.

    (1c,0): the m0-independent operator part of (2/3) delta_ij, whose m0 sum is the zeroth moment
    1/(2A+1), with the l0 and index weights c_A^2.  (1c,2): the quadrupole part's m0 weight.  Both
    times the measure of wave-vector directions (isotropic = slab modes along k^, averaged).
    """
    isotropic_part, quadrupole = ISOTROPIC_SPLIT
    l0_weight, index_weight = harmonic_weights()
    w_iso = sp.factor(operator_weight(isotropic_part))  # a polynomial in l0 alone (factor is deterministic there)
    if w_iso.free_symbols != {ell0}:
        raise ValueError(f"the operator part of (2/3) delta_ij must depend on l0 alone: {w_iso}")
    m1c0 = DIRECTION_MEASURE * l0_weight * sp.simplify(index_weight**2) * w_iso * m0_moment_0()
    return m1c0, sp.expand(DIRECTION_MEASURE * operator_weight(quadrupole))


# ---- registered checks ---------------------------------------------------------------------------
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


@cache
def _slab_operator_matrices(l0: int) -> sp.Matrix:
    """The (1c) operators on sum_m0 Y^m0(pA) Y^m0*(pB) as a matrix in (mA, mB), Omega = 1 (exact)."""
    sa, sb, T = sp.symbols("t_A t_B DeltaT", real=True)
    M = angular_momentum_matrices(l0)
    n = 2 * l0 + 1
    rot = lambda angle: sp.diag(*[sp.exp(sp.I * angle * m) for m in range(-l0, l0 + 1)])  # noqa: E731
    rot_conj = lambda angle: sp.diag(*[sp.exp(-sp.I * angle * m) for m in range(-l0, l0 + 1)])  # noqa: E731
    total = sp.zeros(n, n)
    for i in ("x", "y"):
        opA = rot(T - sa) * M[i] * rot(sa)
        opB = rot_conj(T - sb) * (CONJUGATE_LADDER_SIGN * M[i].conjugate()) * rot_conj(sb)
        total += LIOUVILLE_COEFFICIENT**2 * (opA * opB.T)  # <w_i w_j> = R delta_ij; Psi = identity in (mA, mB)
    return total


@identity("m1c_operator_part", "KPM", "(44)-(47), (C35)-(C36)", covers=("slab_m1c_m0_weight_c0", "slab_m1c_m0_weight_c2"))
def m1c_operator_part(sin_sign: int = 1, kernels: Mapping[str, sp.Expr] | None = None) -> Verdict:
    """(1c) operators on sum_m0 Y^m0(pA) Y^m0*(pB): weight (w_0 + w_2 m0^2) cos D + i m0 sin D, w the emitted slab weight.

    D = Omega(s_A - s_B) with s = t - t_insertion the look-back times (as in a_l(k) of docs/physics.md).
    Exact on matrices, l0 <= 3 (Omega = 1): the B line acts on conjugate harmonics, on which L_i has
    the matrix -conj(L_i) (``ladder_on_conjugate``); the free propagators are the real rotations
    exp(i Omega t L_z); insertion times t_A, t_B are measured from t0.
    """
    w0, w2 = (claimed(MIXING, name, kernels) for name in ("slab_m1c_m0_weight_c0", "slab_m1c_m0_weight_c2"))
    D, sa, sb = sp.symbols("D t_A t_B", real=True)
    failures = []
    for l0 in range(4):
        weight = [(w0 + w2 * m**2).subs(ell0, l0) for m in range(-l0, l0 + 1)]
        claimed_matrix = sp.diag(*[wm * sp.cos(D) + sin_sign * sp.I * m * sp.sin(D) for wm, m in zip(weight, range(-l0, l0 + 1))])
        diff = (_slab_operator_matrices(l0) - claimed_matrix).subs(sa, sb - D)  # look-back: s_A - s_B = t_B - t_A
        if not all(vanishes(e) for e in diff):
            failures.append(l0)
    return verdict(not failures, f"sin sign {sin_sign}: " + ("exact for l0 <= 3" if not failures else f"fails for l0 = {failures}"))


@identity("m1c_index_weight", "KPM", "(36), (47)", covers=("slab_m1c_index_weight",))
def m1c_index_weight(kernels: Mapping[str, sp.Expr] | None = None) -> Verdict:
    """The emitted index weight c_l is the plane-wave coefficient (2l+1) i^l of (36) made real: c_l = (2l+1) i^l
    for even l, and c_lA c_lB = (2lA+1)(2lB+1) i^(lA - lB) for lA, lB <= 9 of one parity (exact)."""
    c = claimed(MIXING, "slab_m1c_index_weight", kernels)
    plane = legendre_plane_wave_coefficient
    values = {n: sp.sympify(c.subs(ellA, n)) for n in range(10)}
    even_ok = all(sp.expand(values[n] - plane(n)) == 0 for n in range(0, 10, 2))
    pairs = [(a, b) for a, b in itertools.product(range(10), repeat=2) if (a + b) % 2 == 0]
    bad = [(a, b) for a, b in pairs if sp.expand(values[a] * values[b] - plane(a) * sp.conjugate(plane(b))) != 0]
    return verdict(even_ok and not bad, f"c_l = (2l+1) i^l for even l: {even_ok}; products failing: {bad[:5]}")


@cache
def _ma19_323_coefficient(n: int, l0: int, la: int, lb: int) -> sp.Expr:
    """Coefficient of kappa_{lA lB} in MA19 (3.21) + (3.23) as printed (l0 >= 1), exact."""
    from sympy.physics.wigner import wigner_6j

    t = lambda a, b, c: wigner3j(a, b, c, 0, 0, 0)  # noqa: E731
    total = sp.Integer(0)
    if la == lb:
        total += sp.Rational(8, 3) * sp.pi * (2 * la + 1) * t(n, la, l0) ** 2 * (2 * l0 + 1) * l0 * (l0 + 1)
    total += (
        sp.Rational(4, 3) * sp.pi * l0 * (l0 + 1) * (2 * l0 + 1) / t(l0, 2, l0) * (-1) ** l0 * sp.I ** (la + lb) * (2 * la + 1) * (2 * lb + 1)
        * wigner_6j(2, l0, l0, n, la, lb) * t(2, la, lb) * t(n, la, l0) * t(n, lb, l0)
    )
    return sp.radsimp(sp.expand(total))


#: The prefix of each closed form's m0 weights of M^(1c) (KPM (47); MA19 (3.23)).
M1C_WEIGHT_PREFIX = {"slab": "slab_m1c", "isotropic": "isotropic_m1c2"}


def m1c_coefficient(weights: Mapping[str, sp.Expr], geometry: str, n: int, l0: int, la: int, lb: int) -> sp.Expr:
    """Coefficient of kappa_{lA lB} in the M^(1c)_{l l0} of ``geometry`` from the weights the solver contracts, exact.

    c_l0 c_A c_B (l l0 A;000)(l l0 B;000) sum_m0 (w0 + w2 m0^2) T_A T_B, plus for isotropic turbulence
    delta_AB w_(1c,0)(l0, A) (l l0 A;000)^2; zero for lA + lB odd (one of the (l l0 .;000) vanishes).
    """
    t0 = wigner3j(n, l0, la, 0, 0, 0) * wigner3j(n, l0, lb, 0, 0, 0)
    if t0 == 0:
        return sp.Integer(0)
    lo = min(n, l0)
    prefix = M1C_WEIGHT_PREFIX[geometry]
    w0, w2 = (weights[f"{prefix}_m0_weight_{c}"].subs(ell0, l0) for c in ("c0", "c2"))
    msum = sum((w0 + w2 * m**2) * wigner3j(n, l0, la, -m, m, 0) * wigner3j(n, l0, lb, -m, m, 0) for m in range(-lo, lo + 1))
    index = weights["slab_m1c_index_weight"]
    total = weights["slab_m1c_l0_weight"].subs(ell0, l0) * index.subs(ellA, la) * index.subs(ellA, lb) * t0 * msum
    diagonal = weights.get(f"{geometry}_m1c0_weight")  # MA19 (3.21)'s lA = lB term (isotropic only)
    if diagonal is not None and la == lb:
        total += diagonal.subs({ell0: l0, ellA: la}) * t0
    return sp.radsimp(sp.expand(total))


#: the kernels the isotropic M^(1c) contracts.
ISOTROPIC_M1C_KERNELS = ("isotropic_m1c0_weight", "isotropic_m1c2_m0_weight_c0", "isotropic_m1c2_m0_weight_c2", "slab_m1c_l0_weight", "slab_m1c_index_weight")


@identity("isotropic_m1c_ma19", "MA19", "(3.20)-(3.23)", covers=ISOTROPIC_M1C_KERNELS)
def isotropic_m1c_ma19(kernels: Mapping[str, sp.Expr] | None = None) -> Verdict:
    """The isotropic M^(1c) from the emitted weights equals MA19 (3.21) + (3.23) as printed, for l0 >= 1.

    Coefficient by coefficient of kappa_{lA lB}, exact (SymPy's 3j and 6j), for l <= 3, l0 = 1, 2.  At
    l0 = 0 (3.23) reads 0/0; there the emitted weights give 0 (docs/errata.md).
    """
    weights = {name: claimed(MIXING, name, kernels) for name in ISOTROPIC_M1C_KERNELS}
    failures = []
    for n, l0 in itertools.product(range(4), (1, 2)):
        for la, lb in itertools.product(range(abs(n - l0), n + l0 + 1), repeat=2):
            if (la + lb) % 2 or (n + l0 + la) % 2:
                continue
            diff = m1c_coefficient(weights, "isotropic", n, l0, la, lb) - _ma19_323_coefficient(n, l0, la, lb)
            if sp.radsimp(sp.expand(diff)) != 0:
                failures.append((n, l0, la, lb))
    zero_row = all(m1c_coefficient(weights, "isotropic", n, 0, n, n) == 0 for n in range(4))
    ok = not failures and zero_row
    return verdict(ok, f"l <= 3, l0 = 1, 2: failures (l, l0, lA, lB) {failures[:5]}; l0 = 0 column vanishes: {zero_row}")


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
