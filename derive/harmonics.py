"""Spherical-harmonic identities of both seeds: addition theorem, Unsoeld, plane waves, Gaunt, (C35)-(C36).

Each identity is proved exactly (SymPy) for every l up to a bound, and beyond that bound checked to
high precision with mpmath, whose spherical harmonics and Bessel functions are an implementation
independent of SymPy's.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from functools import cache

import mpmath
import sympy as sp

from crmix.derive.exact import sphere_integral, vanishes, vanishes_on_spheres, wigner3j
from crmix.derive.operators import phi, sigma, theta, ynm
from crmix.derive.registry import Verdict, identity, verdict
from crmix.wigxjpf import ensure_tables

__all__ = [
    "EXACT_LMAX",
    "NUMERIC_LMAX",
    "PLANE_WAVE_PHASE",
    "PLANE_WAVE_PREFACTOR",
    "addition_prefactor",
    "gaunt_integral_exact",
    "gaunt_normalisation",
    "legendre_plane_wave_coefficient",
    "mp_spherical_jn",
    "to_mp",
    "unsold_second_moment_claim",
    "unsold_sum",
    "unsold_zeroth_moment",
]

#: largest l proved exactly (SymPy) and largest l checked with mpmath at 30 digits.
EXACT_LMAX = 4
NUMERIC_LMAX = 14
MP_DIGITS = 30
#: fixed test directions (theta, phi) for the high-precision checks.
_POINTS = ((0.3, 1.1), (1.2, -2.5), (2.7, 0.4), (1.5707, 3.0))

#: e^{i k.r} = PLANE_WAVE_PREFACTOR sum_l PLANE_WAVE_PHASE^l j_l(kr) sum_m Y_l^m(k^) Y_l^m*(r^) (KPM (36)).
PLANE_WAVE_PREFACTOR = 4 * sp.pi
PLANE_WAVE_PHASE = sp.I


def legendre_plane_wave_coefficient(n: int | sp.Expr) -> sp.Expr:
    """c_n of e^{i x mu} = sum_n c_n j_n(x) P_n(mu): (PLANE_WAVE_PREFACTOR/(4 pi)) (2n+1) PLANE_WAVE_PHASE^n (KPM (36), (31))."""
    return PLANE_WAVE_PREFACTOR / (4 * sp.pi) * (2 * n + 1) * PLANE_WAVE_PHASE**n

thetaB = sp.Symbol("theta_B", positive=True)
phiB = sp.Symbol("phi_B", real=True)


def _mp_y(ell: int, m: int, th: float, ph: float) -> mpmath.mpc:
    return mpmath.spherharm(ell, m, mpmath.mpf(th), mpmath.mpf(ph))


def to_mp(expr: sp.Expr) -> mpmath.mpc:
    """A SymPy number as an mpmath number at the working precision (no detour through doubles)."""
    v = sp.N(expr, MP_DIGITS + 5)
    return mpmath.mpc(mpmath.mpf(str(sp.re(v))), mpmath.mpf(str(sp.im(v))))


def mp_spherical_jn(ell: int, x: float) -> mpmath.mpf:
    """j_l(x) = sqrt(pi/(2x)) J_{l+1/2}(x) in mpmath (which has no spherical Bessel function)."""
    x = mpmath.mpf(x)
    return mpmath.sqrt(mpmath.pi / (2 * x)) * mpmath.besselj(ell + mpmath.mpf(1) / 2, x)


@identity("condon_shortley", "KPM", "(31)-(36) conventions")
def condon_shortley(phase: int = -1) -> Verdict:
    """SymPy's Y_l^m carries the Condon-Shortley phase and agrees with mpmath's at 30 digits, l <= 6."""
    exact_y11 = phase * sp.sqrt(sp.Rational(3, 8) / sp.pi) * sp.sin(theta) * sp.exp(sp.I * phi)
    ok = vanishes(ynm(1, 1) - exact_y11)
    worst = mpmath.mpf(0)
    with mpmath.workdps(MP_DIGITS):
        for ell in range(7):
            for m in range(-ell, ell + 1):
                for th, ph in _POINTS[:2]:
                    ours = sp.N(ynm(ell, m).subs({theta: th, phi: ph}), MP_DIGITS)
                    worst = max(worst, abs(mpmath.mpc(complex(ours)) - _mp_y(ell, m, th, ph)))
    ok = ok and worst < 1e-14
    return verdict(ok, f"Y_1^1 = {phase} sqrt(3/8pi) sin e^(i phi): {ok}; max |SymPy - mpmath| = {mpmath.nstr(worst, 3)}")


# ------------------------------------------------------------------------------------------------
# Addition theorem (31)
# ------------------------------------------------------------------------------------------------
@cache
def _addition_sum(ell: int) -> sp.Expr:
    """sum_m Y_l^m(theta, phi) Y_l^m*(theta_B, phi_B)."""
    return sum(ynm(ell, m) * sp.conjugate(ynm(ell, m)).subs({theta: thetaB, phi: phiB}, simultaneous=True) for m in range(-ell, ell + 1))


def addition_prefactor(ell: int | sp.Expr) -> sp.Expr:
    """4 pi/(2l+1): P_l(pA.pB) = addition_prefactor(l) sum_m Y_l^m(pA) Y_l^m*(pB) (KPM (31))."""
    return 4 * sp.pi / (2 * ell + 1)


@identity("addition_theorem", "KPM", "(31)")
def addition_theorem(prefactor: Callable[[int], sp.Expr] = addition_prefactor) -> Verdict:
    """P_l(pA.pB) = 4 pi/(2l+1) sum_m Y_l^m(pA) Y_l^m*(pB): exact for l <= 4, 30 digits to l = 14."""
    cos_gamma = sp.cos(theta) * sp.cos(thetaB) + sp.sin(theta) * sp.sin(thetaB) * sp.cos(phi - phiB)
    failures = []
    for ell in range(EXACT_LMAX + 1):
        rhs = prefactor(ell) * _addition_sum(ell)
        if not vanishes_on_spheres(sp.legendre(ell, cos_gamma) - rhs, (theta, thetaB), (phi, phiB)):
            failures.append(ell)
    worst = mpmath.mpf(0)
    with mpmath.workdps(MP_DIGITS):
        (ta, pa), (tb, pb) = _POINTS[0], _POINTS[1]
        cg = mpmath.cos(ta) * mpmath.cos(tb) + mpmath.sin(ta) * mpmath.sin(tb) * mpmath.cos(pa - pb)
        for ell in range(EXACT_LMAX + 1, NUMERIC_LMAX + 1):
            s = sum(_mp_y(ell, m, ta, pa) * mpmath.conj(_mp_y(ell, m, tb, pb)) for m in range(-ell, ell + 1))
            pre = to_mp(prefactor(ell))
            worst = max(worst, abs(mpmath.legendre(ell, cg) - pre * s))
    ok = not failures and worst < mpmath.mpf(10) ** (-MP_DIGITS + 5)
    return verdict(ok, f"exact l <= {EXACT_LMAX}: failures {failures}; mpmath l <= {NUMERIC_LMAX}: max error {mpmath.nstr(worst, 3)}")


# ------------------------------------------------------------------------------------------------
# Unsoeld's theorem (33) and its extensions (34)-(35)
# ------------------------------------------------------------------------------------------------
@cache
def unsold_sum(ell: int, power: int) -> sp.Expr:
    """sum_m m^power |Y_l^m(theta, phi)|^2 (exact)."""
    return sum(sp.Integer(m) ** power * ynm(ell, m) * sp.conjugate(ynm(ell, m)) for m in range(-ell, ell + 1))


def _unsold(power: int, claim: Callable[[int], sp.Expr]) -> Verdict:
    failures = [ell for ell in range(EXACT_LMAX + 1) if not vanishes_on_spheres(unsold_sum(ell, power) - claim(ell), (theta,), (phi,))]
    worst = mpmath.mpf(0)
    with mpmath.workdps(MP_DIGITS):
        for ell in range(EXACT_LMAX + 1, NUMERIC_LMAX + 1):
            claimed = sp.lambdify((theta, phi), claim(ell), "mpmath")
            for th, ph in _POINTS:
                s = sum(mpmath.mpf(m) ** power * abs(_mp_y(ell, m, th, ph)) ** 2 for m in range(-ell, ell + 1))
                worst = max(worst, abs(s - claimed(mpmath.mpf(th), mpmath.mpf(ph))))
    ok = not failures and worst < mpmath.mpf(10) ** (-MP_DIGITS + 5)
    return verdict(ok, f"exact l <= {EXACT_LMAX}: failures {failures}; mpmath l <= {NUMERIC_LMAX}: max error {mpmath.nstr(worst, 3)}")


def unsold_zeroth_moment(ell: int | sp.Expr) -> sp.Expr:
    """sum_m |Y_l^m|^2 = (2l+1)/(4 pi) (KPM (33))."""
    return sp.sympify(2 * ell + 1) / (4 * sp.pi)


def unsold_second_moment_claim(ell: int | sp.Expr) -> sp.Expr:
    """sum_m m^2 |Y_l^m|^2 = l(l+1)(2l+1)/(8 pi) sin^2 theta (KPM (35))."""
    return sp.sympify(ell * (ell + 1) * (2 * ell + 1)) / (8 * sp.pi) * sp.sin(theta) ** 2


@identity("unsold", "KPM", "(33)")
def unsold(claim: Callable[[int], sp.Expr] = unsold_zeroth_moment) -> Verdict:
    """sum_m |Y_l^m|^2 = (2l+1)/(4 pi)."""
    return _unsold(0, claim)


@identity("unsold_first_moment", "KPM", "(34)")
def unsold_first_moment(claim: Callable[[int], sp.Expr] = lambda ell: sp.Integer(0)) -> Verdict:
    """sum_m m |Y_l^m|^2 = 0."""
    return _unsold(1, claim)


@identity("unsold_second_moment", "KPM", "(35)")
def unsold_second_moment(claim: Callable[[int], sp.Expr] = unsold_second_moment_claim) -> Verdict:
    """sum_m m^2 |Y_l^m|^2 = l(l+1)(2l+1)/(8 pi) sin^2 theta."""
    return _unsold(2, claim)


# ------------------------------------------------------------------------------------------------
# Plane-wave expansion (36)
# ------------------------------------------------------------------------------------------------
_X, _U = sp.Symbol("x", positive=True), sp.Symbol("u", real=True)


@cache
def _legendre_projection(ell: int) -> sp.Expr:
    """int_{-1}^{1} e^{i x u} P_l(u) du (exact)."""
    return sp.integrate(sp.expand(sp.exp(sp.I * _X * _U) * sp.legendre(ell, _U)), (_U, -1, 1))


@identity("plane_wave_expansion", "KPM", "(36)")
def plane_wave_expansion(phase_base: sp.Expr = PLANE_WAVE_PHASE, prefactor: sp.Expr = PLANE_WAVE_PREFACTOR) -> Verdict:
    """e^{i k.r} = 4 pi sum_l i^l j_l(kr) sum_m Y_l^m(k^) Y_l^m*(r^).

    With (31) this is e^{i x u} = sum_l (2l+1) i^l j_l(x) P_l(u); proved exactly through the Legendre
    projection int_{-1}^{1} e^{ixu} P_l(u) du = 2 i^l j_l(x) for l <= 5, and summed with mpmath to
    30 digits (x up to 12, 80 terms).
    """
    x = _X
    legendre_coeff = prefactor / (4 * sp.pi)  # coefficient of (2l+1) i^l j_l P_l after (31)
    failures = []
    for ell in range(6):
        proj = _legendre_projection(ell)
        target = 2 * legendre_coeff * phase_base**ell * sp.expand_func(sp.jn(ell, x))
        if not vanishes(proj - target):
            failures.append(ell)
    worst = mpmath.mpf(0)
    with mpmath.workdps(MP_DIGITS):
        pb, lc = to_mp(phase_base), to_mp(legendre_coeff)
        for xv, uv in ((0.7, 0.3), (5.0, -0.8), (12.0, 0.55)):
            s = sum(lc * (2 * ell + 1) * pb**ell * mp_spherical_jn(ell, xv) * mpmath.legendre(ell, uv) for ell in range(80))
            worst = max(worst, abs(s - mpmath.exp(1j * mpmath.mpf(xv) * mpmath.mpf(uv))))
    ok = not failures and worst < 1e-25
    return verdict(ok, f"Legendre projection exact for l <= 5: failures {failures}; mpmath series max error {mpmath.nstr(worst, 3)}")


# ------------------------------------------------------------------------------------------------
# Gaunt integral (after KPM (46))
# ------------------------------------------------------------------------------------------------
@cache
def gaunt_integral_exact(l1: int, m1: int, l2: int, m2: int, l3: int, m3: int) -> sp.Expr:
    """int dp^ Y_l1^m1 Y_l2^m2 Y_l3^m3, by exact integration over the sphere."""
    return sphere_integral(sp.expand(ynm(l1, m1) * ynm(l2, m2) * ynm(l3, m3)), theta, phi)


def gaunt_normalisation(l1: int | sp.Expr, l2: int | sp.Expr, l3: int | sp.Expr) -> sp.Expr:
    """sqrt((2l1+1)(2l2+1)(2l3+1)/(4 pi)), the prefactor of the Gaunt integral (KPM after (46))."""
    return sp.sqrt(sp.sympify((2 * l1 + 1) * (2 * l2 + 1) * (2 * l3 + 1)) / (4 * sp.pi))


@cache
def _gaunt_quadratures() -> tuple[tuple[tuple[int, int, int], complex, float], ...]:
    """((l1, l2, l3), int Y Y Y by mpmath quadrature, product of the two 3j symbols by pywigxjpf)."""
    import pywigxjpf as wig

    out = []
    ensure_tables(2 * 40, 3)
    for (l1, m1), (l2, m2), l3 in (((5, 2), (4, -1), 7), ((12, 3), (9, -5), 11), ((6, 0), (6, 0), 12)):
        m3 = -m1 - m2
        with mpmath.workdps(20):
            integrand = lambda t: _mp_y(l1, m1, t, 0) * _mp_y(l2, m2, t, 0) * _mp_y(l3, m3, t, 0) * mpmath.sin(t)  # noqa: E731
            quad = complex(2 * mpmath.pi * mpmath.quad(integrand, [0, mpmath.pi / 2, mpmath.pi]))
        w = wig.wig3jj(2 * l1, 2 * l2, 2 * l3, 0, 0, 0) * wig.wig3jj(2 * l1, 2 * l2, 2 * l3, 2 * m1, 2 * m2, 2 * m3)
        out.append(((l1, l2, l3), quad, w))
    return tuple(out)


@identity("gaunt_integral", "KPM", "after (46)")
def gaunt_integral(normalisation: Callable[[int, int, int], sp.Expr] = gaunt_normalisation) -> Verdict:
    """int Y1 Y2 Y3 = sqrt((2l1+1)(2l2+1)(2l3+1)/4pi) (l1 l2 l3;0 0 0)(l1 l2 l3;m1 m2 m3).

    Exact for all l1, l2 <= 2, l3 <= 3 and all m; to 1e-12 against pywigxjpf (the library the solver
    uses) for l up to 12 by mpmath quadrature.
    """
    failures = []
    for l1, l2, l3 in itertools.product(range(3), range(3), range(4)):
        for m1, m2 in itertools.product(range(-l1, l1 + 1), range(-l2, l2 + 1)):
            m3 = -m1 - m2
            if abs(m3) > l3:
                continue
            formula = normalisation(l1, l2, l3) * wigner3j(l1, l2, l3, 0, 0, 0) * wigner3j(l1, l2, l3, m1, m2, m3)
            if not vanishes(gaunt_integral_exact(l1, m1, l2, m2, l3, m3) - formula):
                failures.append((l1, m1, l2, m2, l3, m3))
    worst = max(abs(quad - complex(sp.N(normalisation(l1, l2, l3))) * w) for (l1, l2, l3), quad, w in _gaunt_quadratures())
    ok = not failures and worst < 1e-12
    return verdict(ok, f"exact l <= 3: failures {failures[:4]}; quadrature vs pywigxjpf (l <= 12): max error {worst:.2e}")


# ------------------------------------------------------------------------------------------------
# Index shifts (C35)-(C36)
# ------------------------------------------------------------------------------------------------
def _shifted_sums(la: int, lb: int, ell: int, l0: int, sign: int) -> sp.Expr:
    """sum_{m, m0} [sigma_+^2 (..m0+1)(..m0+1) + sign sigma_-^2 (..m0-1)(..m0-1)] of (C35)/(C36)."""
    total = sp.Integer(0)
    for m0 in range(-l0, l0 + 1):
        for shift, weight in ((1, sigma(l0, m0, 1) ** 2), (-1, sign * sigma(l0, m0, -1) ** 2)):
            mm = m0 + shift
            m = -mm
            if abs(mm) <= l0 and abs(m) <= ell:
                total += weight * wigner3j(la, ell, l0, 0, m, mm) * wigner3j(lb, ell, l0, 0, m, mm)
    return total


def _claimed_sums(la: int, lb: int, ell: int, l0: int, weight: Callable[[int, int], sp.Expr]) -> sp.Expr:
    return sum(
        (weight(l0, m0) * wigner3j(la, ell, l0, 0, -m0, m0) * wigner3j(lb, ell, l0, 0, -m0, m0) for m0 in range(-l0, l0 + 1) if abs(m0) <= ell),
        sp.Integer(0),
    )


def _index_shift(sign: int, weight: Callable[[int, int], sp.Expr]) -> Verdict:
    failures = []
    for la, lb, ell, l0 in itertools.product(range(5), range(5), range(4), range(4)):
        if not vanishes(_shifted_sums(la, lb, ell, l0, sign) - _claimed_sums(la, lb, ell, l0, weight)):
            failures.append((la, lb, ell, l0))
    return verdict(not failures, "exact for lA, lB <= 4, l, l0 <= 3" if not failures else f"fails at (lA, lB, l, l0) = {failures[:5]}")


@identity("index_shift_c35", "KPM", "(C35)")
def index_shift_c35(weight: Callable[[int, int], sp.Expr] = lambda l0, m0: 2 * l0 * (l0 + 1) - 2 * m0**2) -> Verdict:
    """sum sigma_+^2 (..m0+1)^2-type + sigma_-^2 (..m0-1)^2-type = sum (2 l0(l0+1) - 2 m0^2)(..m0)(..m0)."""
    return _index_shift(+1, weight)


@identity("index_shift_c36", "KPM", "(C36)")
def index_shift_c36(weight: Callable[[int, int], sp.Expr] = lambda l0, m0: 2 * m0) -> Verdict:
    """sum sigma_+^2 (..m0+1)-type - sigma_-^2 (..m0-1)-type = sum 2 m0 (..m0)(..m0).

    For lA + lB even both sides vanish identically (the 3j product is even in m0): the sine part
    of the (1c) operator drops out of M^(1c); the odd-parity cases test the shift itself.
    """
    return _index_shift(-1, weight)
