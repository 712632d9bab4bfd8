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

``crmix.derive.mixing_weights`` hands these expressions to ``crmix codegen``; the checks of
``crmix.derive.reductions_m1a`` and ``crmix.derive.reductions_m1c`` verify the emitted expressions
(read through ``crmix.derive.expressions.claimed``) against brute force, exact sums and MA19's printed
(3.21)/(3.23), and ``crmix.derive.invariant`` against the exact invariant.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

import sympy as sp

from crmix.derive.exact import sphere_monomial_integral, sphere_polynomial_integral, wigner3j
from crmix.derive.harmonics import (
    PLANE_WAVE_PHASE,
    PLANE_WAVE_PREFACTOR,
    addition_prefactor,
    gaunt_normalisation,
    legendre_plane_wave_coefficient,
    unsold_second_moment_claim,
    unsold_zeroth_moment,
)
from crmix.derive.operators import (
    CONJUGATE_LADDER_SIGN,
    LIOUVILLE_COEFFICIENT,
    sigma,
    theta,
)
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
