"""The generic reduction for axisymmetric turbulence on helical orbits, and its identities as checks.

docs/physics.md ("Axisymmetric turbulence on helical orbits") states the reduction that
``crmix.solver.axisymmetric`` implements; each step is a registered check here, with the claimed
form as a parameter whose default is the proved (and, where emitted, the generated) form:

* ``axisymmetric_tensor_normalisation`` -- the symbolic polarisations of every registered geometry
  (crmix.geometry: slab, isotropic, 2D and the composite's parts) carry unit power, are
  divergence-free, equal the numeric ones the solver integrates, and 2D means
  P = delta(k_par) E/(2 pi k_perp) e1 e1;
* ``two_d_azimuthal_average`` -- int dpsi e1 e1 e^{ik.r} = pi [J_0 delta + J_2 (2 r^ r^ - delta)],
  the real-space 2D correlation of the brute force;
* ``helix_jacobi_anger`` -- the field phase along the helix as a double Bessel series;
* ``straight_line_multipoles`` -- the plane-wave expansion on straight lines, w_LN = 4 pi (-i)^L a_L Y*;
* ``transverse_unsold`` -- sum_m Y_l^m* L_a L_b Y_l^m = l(l+1)(2l+1)/(8 pi)(delta_ab - p_a p_b), so
  M^(1a)_ll = -l(l+1) Lambda for any tensor and orbit;
* ``m1a_gyrophase_average`` -- the phi average of the (1a) integrand on the helix;
* ``rank_one_clebsch_gordan``, ``axisymmetric_sixj_couplings`` -- the generated recoupling
  coefficients against SymPy's Racah formulas;
* ``coupled_m_sum`` -- the whole (1c) m, m0 sum for random field multipoles against the
  coupled form with the generated kernels (exact algebra, 40 digits);
* ``qlt_gyrophase_weights`` -- the gyrophase average behind the generic QLT rate (crmix.qlt_axisymmetric).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from functools import cache

import mpmath
import numpy as np
import sympy as sp
from sympy.physics.wigner import clebsch_gordan, gaunt, wigner_3j, wigner_6j

from crmix.derive import axisymmetric_weights as aw
from crmix.derive.bourret import Om, mu_s, orbit, ph0, u
from crmix.derive.exact import vanishes_on_sphere
from crmix.derive.expressions import emitted
from crmix.derive.harmonics import to_mp
from crmix.derive.operators import phi, spherical_L, theta, ynm
from crmix.derive.registry import Verdict, identity, verdict
from crmix.geometry import GEOMETRIES
from crmix.spectral_tensors import SUPPORTS

__all__ = ["symbolic_polarisations"]

MP_DIGITS = 30
_c = sp.Symbol("c", real=True)


def _triangle(a: int, b: int, c: int) -> bool:
    return abs(a - b) <= c <= a + b


@cache
def symbolic_polarisations() -> dict[str, tuple[str, sp.Matrix]]:
    """(support, pol(c)) of every component of the registered geometries (crmix.geometry's symbolic
    tensors), by component name, k^ = (sqrt(1 - c^2), 0, c)."""
    return {s.name: (s.support, s.polarisation) for g in GEOMETRIES.values() for s in g.symbolic(_c)}


def _numeric_polarisation(name: str):
    """The numeric polarisation of the registered elementary geometry ``name`` (what the solver integrates)."""
    return next(e.polarisation for g in GEOMETRIES.values() for e in g.elementary() if e.name == name)


def _over_support(support: str, expr: sp.Expr) -> sp.Expr:
    """sum over the support's directions c, or int_{-1}^{1} dc for full support (crmix.spectral_tensors)."""
    directions = SUPPORTS[support].directions
    if directions is None:
        return sp.integrate(expr, (_c, -1, 1))
    return sum(expr.subs(_c, sp.nsimplify(c)) for c in directions)


def _check_points(support: str) -> list[sp.Expr]:
    directions = SUPPORTS[support].directions
    return [sp.Rational(1, 3), sp.Rational(-4, 5)] if directions is None else [sp.nsimplify(c) for c in directions]


@identity("axisymmetric_tensor_normalisation", "KPM+MA19", "KPM (28); MA19 (3.12); docs/physics.md")
def axisymmetric_tensor_normalisation(polarisations: dict[str, tuple[str, sp.Matrix]] | None = None) -> Verdict:
    """Each polarisation has unit trace over its support and k^.pol = 0; the numeric ones match; 2D is
    P = delta(k_par) E/(2 pi k_perp) e1 e1 (int d^3k Tr P = int E dk)."""
    claimed = symbolic_polarisations() if polarisations is None else polarisations
    kh = sp.Matrix([sp.sqrt(1 - _c**2), 0, _c])
    problems = []
    for name, (support, pol) in claimed.items():
        trace = sp.simplify(pol.trace())
        total = _over_support(support, trace)
        if sp.simplify(total - 1) != 0:
            problems.append(f"{name}: power {total}")
        for cv in _check_points(support):
            if any(sp.simplify(e) != 0 for e in (pol * kh).subs(_c, cv)):
                problems.append(f"{name}: not divergence-free at c = {cv}")
            num = _numeric_polarisation(name)(np.array(1.5), np.array(float(cv)), np)
            if np.max(np.abs(np.asarray(sp.N(pol.subs(_c, cv)), dtype=complex) - num)) > 1e-14:
                problems.append(f"{name}: the numeric polarisation differs at c = {cv}")
    # 2D: int d^3k delta(k_par) E/(2 pi k_perp) Tr(e1 e1) = int 2 pi k_perp dk_perp E/(2 pi k_perp) = int E
    k = sp.Symbol("k", positive=True)
    e = sp.Function("E")(k)
    two_d_density = 2 * sp.pi * k * e / (2 * sp.pi * k)
    if sp.simplify(two_d_density - e * claimed["2d"][1].trace()) != 0:
        problems.append("2d: the line density is not E (y^ y^) for P = delta(k_par) E/(2 pi k_perp) e1 e1")
    return verdict(not problems, "; ".join(problems) or "unit power, divergence-free, numeric = symbolic, 2D line density E")


@identity("two_d_azimuthal_average", "MA19", "(3.12) for 2D turbulence; docs/physics.md")
def two_d_azimuthal_average(prefactor: sp.Expr = sp.pi, j2_sign: int = 1) -> Verdict:
    """int_0^2pi dpsi e1 e1^T e^{i x cos(psi - th)} = pi [J_0 1 + J_2 (2 r^ r^ - 1)], e1 = (sin psi, -cos psi)."""
    worst = mpmath.mpf(0)
    with mpmath.workdps(25):
        for x, th in ((0.7, 0.3), (3.2, 2.1), (11.0, -1.2)):
            rh = (mpmath.cos(th), mpmath.sin(th))
            for a, b in itertools.product(range(2), repeat=2):
                e = lambda ps, i: (mpmath.sin(ps), -mpmath.cos(ps))[i]  # noqa: E731
                lhs = mpmath.quad(lambda ps: e(ps, a) * e(ps, b) * mpmath.expj(x * mpmath.cos(ps - th)),
                                  mpmath.linspace(0, 2 * mpmath.pi, 9))
                rhs = mpmath.mpf(sp.N(prefactor, 30)) * (mpmath.besselj(0, x) * (a == b)
                                                         + j2_sign * mpmath.besselj(2, x) * (2 * rh[a] * rh[b] - (a == b)))
                worst = max(worst, abs(lhs - rhs))
    return verdict(worst < 1e-18, f"max deviation {mpmath.nstr(worst, 3)}")


def _orbit_numeric() -> tuple[Callable, Callable]:
    """p^(s), r(s) of the free helix (crmix.derive.bourret.orbit) as mpmath functions of (mu, phi, Omega, s)."""
    p, r = orbit(u)
    args = (mu_s, ph0, Om, u)
    return sp.lambdify(args, p, "mpmath"), sp.lambdify(args, r, "mpmath")


def _mp_bessel(n: int, z: mpmath.mpf) -> mpmath.mpf:
    return mpmath.besselj(n, z)


@identity("helix_jacobi_anger", "KPM", "(29); docs/physics.md")
def helix_jacobi_anger(gyro_sign: int = 1, index_shift: int = 1) -> Verdict:
    """e^{i k.r(s)} e^{-i q Omega s} = sum_N e^{i N phi} sum_n J_n(z) J_{n+N}(z) e^{-i (k_par mu + (n+q) Omega) s}.

    k = (k_perp, 0, k_par), z = k_perp sqrt(1 - mu^2)/Omega, r(s) the helix traced back by s
    (crmix.derive.bourret).  ``gyro_sign`` multiplies (n + q) Omega, ``index_shift`` the N in J_{n+N}.
    """
    _, r_fn = _orbit_numeric()
    worst = mpmath.mpf(0)
    with mpmath.workdps(25):
        for k_par, k_perp, muv, phv, om, s, q in ((0.7, 1.3, 0.4, 0.9, 1.0, 2.3, 1), (-1.1, 2.5, -0.7, 2.8, 1.7, 0.8, -1),
                                                  (0.3, 4.0, 0.1, -1.4, 0.6, 3.1, 0)):
            k_par, k_perp, muv, phv, om, s = (mpmath.mpf(v) for v in (k_par, k_perp, muv, phv, om, s))
            rv = r_fn(muv, phv, om, s)
            lhs = mpmath.expj(k_perp * rv[0] + k_par * rv[2]) * mpmath.expj(-q * om * s)
            z = k_perp * mpmath.sqrt(1 - muv**2) / om
            nmax = int(float(z)) + 30
            rhs = mpmath.mpf(0)
            for big_n in range(-2 * nmax, 2 * nmax + 1):
                inner = mpmath.fsum(_mp_bessel(n, z) * _mp_bessel(n + index_shift * big_n, z)
                                    * mpmath.expj(-(k_par * muv + gyro_sign * (n + q) * om) * s)
                                    for n in range(-nmax, nmax + 1) if abs(n + big_n) <= nmax)
                rhs += mpmath.expj(big_n * phv) * inner
            worst = max(worst, abs(lhs - rhs))
    return verdict(worst < 1e-18, f"max deviation from the direct phase: {mpmath.nstr(worst, 3)}")


@identity("straight_line_multipoles", "MA19", "(3.13)-(3.14); KPM (36)")
def straight_line_multipoles(phase_base: sp.Expr = -sp.I) -> Verdict:
    """On straight lines r(s) = -s p: e^{i k.r(s)} = 4 pi sum_LN b^L j_L(ks) Y_L^N*(k^) Y_L^N(p) with b = -i."""
    worst = mpmath.mpf(0)
    base = complex(sp.N(phase_base))
    with mpmath.workdps(25):
        for ks, (tk, pk), (tp, pp) in ((1.7, (0.4, 0.0), (1.1, 2.0)), (4.3, (2.2, 0.0), (0.3, -1.0))):
            khat = (mpmath.sin(tk) * mpmath.cos(pk), mpmath.sin(tk) * mpmath.sin(pk), mpmath.cos(tk))
            p = (mpmath.sin(tp) * mpmath.cos(pp), mpmath.sin(tp) * mpmath.sin(pp), mpmath.cos(tp))
            lhs = mpmath.expj(-ks * sum(a * b for a, b in zip(khat, p)))
            rhs = mpmath.mpf(0)
            for ell in range(40):
                jl = mpmath.sqrt(mpmath.pi / (2 * ks)) * mpmath.besselj(ell + mpmath.mpf(1) / 2, ks)
                ysum = mpmath.fsum(mpmath.conj(mpmath.spherharm(ell, n, tk, pk)) * mpmath.spherharm(ell, n, tp, pp)
                                   for n in range(-ell, ell + 1))
                rhs += 4 * mpmath.pi * mpmath.mpc(base) ** ell * jl * ysum
            worst = max(worst, abs(lhs - rhs))
    return verdict(worst < 1e-18, f"max deviation (l <= 39): {mpmath.nstr(worst, 3)}")


@identity("transverse_unsold", "KPM", "(32)-(35); docs/physics.md")
def transverse_unsold(coefficient: sp.Expr = 1 / (8 * sp.pi)) -> Verdict:
    """sum_m Y_l^m* (L_a L_b Y_l^m) = c l(l+1)(2l+1) (delta_ab - p_a p_b) with c = 1/(8 pi), exact for l <= 3.

    Hence M^(1a)_ll = -l(l+1) (1/8 pi) int dp (Tr C - p.C.p) for any correlation C_ab(p) (docs/physics.md).
    """
    p = (sp.sin(theta) * sp.cos(phi), sp.sin(theta) * sp.sin(phi), sp.cos(theta))
    failures = []
    for ell in range(4):
        total = [[0] * 3 for _ in range(3)]
        for m in range(-ell, ell + 1):
            y = ynm(ell, m)
            first = spherical_L(y)
            for b in range(3):
                second = spherical_L(first[b])
                for a in range(3):
                    total[a][b] += sp.conjugate(y) * second[a]
        for a, b in itertools.product(range(3), repeat=2):
            target = coefficient * ell * (ell + 1) * (2 * ell + 1) * (int(a == b) - p[a] * p[b])
            if not vanishes_on_sphere(total[a][b] - target, theta, phi):
                failures.append((ell, a, b))
    return verdict(not failures, "exact for l <= 3" if not failures else f"fails at (l, a, b) = {failures[:4]}")


def _random_hermitian(rng: random.Random) -> np.ndarray:
    a = np.array([[complex(rng.uniform(-1, 1), rng.uniform(-1, 1)) for _ in range(3)] for _ in range(3)])
    return a + a.conj().T


@identity("m1a_gyrophase_average", "KPM", "(30), (38)-(39); docs/physics.md")
def m1a_gyrophase_average(pair_shift: int = -1) -> Verdict:
    """<[Tr(S R_z(Omega tau)) - p(s2).S.p(s1)] e^{i k.(r(s2) - r(s1))}>_phi as the Bessel series of the (1a) density.

    = sum_n J_n^2 sum_b T_b e^{i(k_par mu + (n+b) Omega) tau} - sum_ab Pi_ab sum_n J_n J_{n-a-b} e^{i(k_par mu + (n + s a) Omega) tau},
    s = ``pair_shift`` = -1, tau = s1 - s2 (crmix.solver.axisymmetric_orbits); random complex Hermitian S.
    """
    p_fn, r_fn = _orbit_numeric()
    rng = random.Random(7)
    worst = mpmath.mpf(0)
    with mpmath.workdps(20):
        for values in ((0.8, 1.6, 0.35, 1.0, 2.2, 0.9), (-0.5, 2.9, -0.6, 1.4, 1.3, 0.2)):
            k_par, k_perp, muv, om, s1, s2 = (mpmath.mpf(v) for v in values)
            s = _random_hermitian(rng)
            sm = mpmath.matrix([[mpmath.mpc(v) for v in row] for row in s])
            tau = s1 - s2
            rot = mpmath.matrix([[mpmath.cos(om * tau), -mpmath.sin(om * tau), 0], [mpmath.sin(om * tau), mpmath.cos(om * tau), 0], [0, 0, 1]])
            trace_term = sum(sm[i, j] * rot[j, i] for i in range(3) for j in range(3))

            def integrand(phv: mpmath.mpf) -> mpmath.mpc:
                args1 = (muv, phv, om)
                p1, r1 = p_fn(*args1, s1), r_fn(*args1, s1)
                p2, r2 = p_fn(*args1, s2), r_fn(*args1, s2)
                pair = sum(p2[i] * sm[i, j] * p1[j] for i in range(3) for j in range(3))
                phase = mpmath.expj(k_perp * (r2[0] - r1[0]) + k_par * (r2[2] - r1[2]))
                return (trace_term - pair) * phase

            lhs = mpmath.quad(integrand, mpmath.linspace(0, 2 * mpmath.pi, 7)) / (2 * mpmath.pi)
            st = mpmath.sqrt(1 - muv**2)
            z = k_perp * st / om
            t = {1: (sm[0, 0] + sm[1, 1]) / 2 + (sm[0, 1] - sm[1, 0]) / (2j), -1: (sm[0, 0] + sm[1, 1]) / 2 - (sm[0, 1] - sm[1, 0]) / (2j),
                 0: sm[2, 2]}
            pi_vec = {1: (st / 2, -1j * st / 2, 0), -1: (st / 2, 1j * st / 2, 0), 0: (0, 0, muv)}
            nmax = int(float(z)) + 25
            rhs = mpmath.mpf(0)
            for n in range(-nmax, nmax + 1):
                jn = mpmath.besselj(n, z)
                for b in (-1, 0, 1):
                    rhs += jn * jn * t[b] * mpmath.expj((k_par * muv + (n + b) * om) * tau)
                for a, b in itertools.product((-1, 0, 1), repeat=2):
                    pab = sum(pi_vec[a][i] * sm[i, j] * pi_vec[b][j] for i in range(3) for j in range(3))
                    rhs -= pab * jn * mpmath.besselj(n - a - b, z) * mpmath.expj((k_par * muv + (n + pair_shift * a) * om) * tau)
            worst = max(worst, abs(lhs - rhs))
    return verdict(worst < 1e-15, f"max deviation from the phi quadrature: {mpmath.nstr(worst, 3)}")


_AW = "crmix.derive.axisymmetric_weights"
_CLEBSCH_NAMES = tuple(aw.clebsch_kernel_name(case, m2) for case in aw.COUPLING_CASES for m2 in (-1, 0, 1))
_COUPLING_NAMES = tuple(aw.coupling_kernel_name(case) for case in aw.COUPLING_CASES)


def _emitted_clebsch() -> dict[tuple[str, int], sp.Expr]:
    """The rank-one Clebsch-Gordan table as codegen emits it (read at every call: a patched KERNELS reaches it)."""
    return {(case, m2): emitted(_AW, aw.clebsch_kernel_name(case, m2)).expr for case in aw.COUPLING_CASES for m2 in (-1, 0, 1)}


def _emitted_couplings() -> dict[str, tuple[tuple[sp.Symbol, ...], sp.Expr]]:
    """The coupling weights as codegen emits them, (args, expr) per case."""
    out = {}
    for case in aw.COUPLING_CASES:
        entry = emitted(_AW, aw.coupling_kernel_name(case))
        out[case] = (entry.args, entry.expr)
    return out


@identity("rank_one_clebsch_gordan", "KPM", "(44)-(47) recoupled to rank J; docs/physics.md", covers=_CLEBSCH_NAMES)
def rank_one_clebsch_gordan(table: dict[tuple[str, int], sp.Expr] | None = None) -> Verdict:
    """The generated <L M; 1 m2 | J M+m2>, J = L - 1, L, L + 1, equal SymPy's Clebsch-Gordan for L <= 6."""
    claimed = _emitted_clebsch() if table is None else table
    bad = []
    for (case, m2), expr in claimed.items():
        j_of_l = {"below": 1, "equal": 0, "above": -1}[case]  # case names L relative to J
        for big_l in range(0, 7):
            big_j = big_l + j_of_l
            for big_m in range(-big_l, big_l + 1):
                if big_j < 0 or abs(big_m + m2) > big_j or not _triangle(big_l, 1, big_j):
                    continue
                ref = clebsch_gordan(big_l, 1, big_j, big_m, m2, big_m + m2)
                if sp.simplify(expr.subs({aw.L: big_l, aw.M: big_m}) - ref) != 0:
                    bad.append((case, m2, big_l, big_m))
    return verdict(not bad, f"L <= 6: {len(bad)} mismatches {bad[:3]}")


@identity("axisymmetric_sixj_couplings", "KPM+MA19", "KPM (47); MA19 (3.23) (its 6j); Edmonds Table 5", covers=_COUPLING_NAMES)
def axisymmetric_sixj_couplings(couplings: dict[str, tuple[tuple[sp.Symbol, ...], sp.Expr]] | None = None) -> Verdict:
    """The generated (-1)^(J+l+l0) chi = (-1)^(J+l+l0) (2l0+1) sqrt((2L+1) l0(l0+1)/4pi) {L 1 J; l0 l l0} for l, l0 <= 6."""
    claimed = _emitted_couplings() if couplings is None else couplings
    bad = []
    checked = 0
    for case, (args, expr) in claimed.items():
        delta = aw.DELTAS[case]
        for ell, ell0 in itertools.product(range(7), range(1, 7)):
            for big_j in range(abs(ell - ell0), ell + ell0 + 1):
                big_l = big_j + delta
                if big_l < 0 or not (_triangle(big_l, ell, ell0) and _triangle(big_l, 1, big_j)):
                    continue
                ref = ((-1) ** (big_j + ell + ell0) * (2 * ell0 + 1) * sp.sqrt(sp.Integer((2 * big_l + 1) * ell0 * (ell0 + 1)) / (4 * sp.pi))
                       * wigner_6j(big_l, 1, big_j, ell0, ell, ell0))
                third = big_l if case == "equal" else big_j
                value = expr.subs(dict(zip(args, (ell, ell0, third))))
                checked += 1
                if sp.simplify(value - ref) != 0:
                    bad.append((case, ell, ell0, big_j))
    return verdict(not bad, f"{checked} values: {len(bad)} mismatches {bad[:3]}")


def _gaunt_element(ell: int, m: int, big_l: int, big_n: int, ell0: int, m0: int) -> sp.Expr:
    """<l m| Y_L^N |l0 m0> = int Y_l^m* Y_L^N Y_l0^m0 = (-1)^m Gaunt(l, L, l0; -m, N, m0)."""
    return sp.Integer(-1) ** m * gaunt(ell, big_l, ell0, -m, big_n, m0)


def _spherical_l(ell0: int) -> dict[int, sp.Matrix]:
    """Matrices of the spherical components L_{+1} = -(L_+)/sqrt 2, L_0 = L_z, L_{-1} = L_-/sqrt 2."""
    from crmix.derive.operators import angular_momentum_matrices

    mats = angular_momentum_matrices(ell0)
    return {1: -mats["+"] / sp.sqrt(2), 0: mats["z"], -1: mats["-"] / sp.sqrt(2)}


@identity("coupled_m_sum", "KPM+MA19", "KPM (44)-(47); MA19 (3.18)-(3.23); Edmonds (7.1.1)", covers=_CLEBSCH_NAMES + _COUPLING_NAMES)
def coupled_m_sum(couplings: dict[str, tuple[tuple[sp.Symbol, ...], sp.Expr]] | None = None,
                  clebsch: dict[tuple[str, int], sp.Expr] | None = None) -> Verdict:
    """(1/(2l+1)) sum_{m m0} sum_{q q'} S~_qq' <lm|O_q|l0m0><lm|O_q'|l0m0>^* = sum_J sum rho rho K^J, l, l0 <= 2.

    O_q = (-1)^q sum_{L N} w^q_{LN} Y_L^N L_{-q} with random w (L <= 4) and a random Hermitian S~;
    the right side is the solver's coupled form with the generated couplings and Clebsch-Gordan
    coefficients (crmix.solver.axisymmetric_coupling), the 3j symbols from SymPy.  30 digits.
    """
    chi = _emitted_couplings() if couplings is None else couplings
    cg = _emitted_clebsch() if clebsch is None else clebsch
    rng = random.Random(11)
    lmax_field = 4
    w = {(q, big_l, big_n): complex(rng.uniform(-1, 1), rng.uniform(-1, 1))
         for q in (-1, 0, 1) for big_l in range(lmax_field + 1) for big_n in range(-big_l, big_l + 1)}
    st = _random_hermitian(rng)
    worst = 0.0
    with mpmath.workdps(MP_DIGITS):
        for ell, ell0 in itertools.product(range(3), range(1, 3)):
            lmat = _spherical_l(ell0)
            lhs = mpmath.mpf(0)
            for m, m0 in itertools.product(range(-ell, ell + 1), range(-ell0, ell0 + 1)):
                amp = {}
                for q in (-1, 0, 1):
                    total = mpmath.mpf(0)
                    for mid in range(-ell0, ell0 + 1):  # L_{-q} |l0 m0> = sum_mid |l0 mid> (matrix column m0)
                        lq = lmat[-q][mid + ell0, m0 + ell0]
                        if lq == 0:
                            continue
                        for big_l in range(lmax_field + 1):
                            big_n = m - mid
                            if abs(big_n) > big_l:
                                continue
                            g = _gaunt_element(ell, m, big_l, big_n, ell0, mid)
                            if g != 0:
                                total += (-1) ** q * w[(q, big_l, big_n)] * to_mp(g * lq)
                    amp[q] = total
                lhs += sum(mpmath.mpc(st[qi, ri]) * amp[q] * mpmath.conj(amp[r])
                           for qi, q in enumerate((-1, 0, 1)) for ri, r in enumerate((-1, 0, 1)))
            lhs /= 2 * ell + 1
            rhs = mpmath.mpf(0)
            for big_j in range(abs(ell - ell0), ell + ell0 + 1):
                rho, t = {}, {}
                for case, delta in aw.DELTAS.items():
                    big_l = big_j + delta
                    if big_l < 0 or big_l > lmax_field or (ell + big_l + ell0) % 2 or not _triangle(big_l, ell, ell0) \
                            or not _triangle(big_l, 1, big_j):
                        continue
                    args, expr = chi[case]
                    third = big_l if case == "equal" else big_j
                    rho[case] = to_mp(expr.subs(dict(zip(args, (ell, ell0, third)))) * wigner_3j(ell, big_l, ell0, 0, 0, 0))
                    coeffs = {}
                    for big_q in range(-big_j, big_j + 1):
                        for qi, q in enumerate((-1, 0, 1)):
                            big_n = big_q + q
                            if abs(big_n) > big_l:
                                continue
                            c = cg[(case, -q)].subs({aw.L: big_l, aw.M: big_n})
                            coeffs[(big_q, qi)] = (-1) ** q * w[(q, big_l, big_n)] * to_mp(c)
                    t[case] = coeffs
                for ca, cb in itertools.product(rho, repeat=2):
                    k = mpmath.mpf(0)
                    for big_q in range(-big_j, big_j + 1):
                        for qi, ri in itertools.product(range(3), repeat=2):
                            a = t[ca].get((big_q, qi), 0)
                            b = t[cb].get((big_q, ri), 0)
                            k += mpmath.mpc(st[qi, ri]) * a * mpmath.conj(b)
                    rhs += rho[ca] * rho[cb] * k
            worst = max(worst, float(abs(lhs - rhs)))
    return verdict(worst < 1e-25, f"max |m-sum - coupled form| over l, l0 <= 2: {worst:.1e}")


@identity("qlt_gyrophase_weights", "KPM", "(A22)-(A28); docs/physics.md")
def qlt_gyrophase_weights(swap: bool = False) -> Verdict:
    """<e_a(0).S.e_a(s) e^{-i k.r(s)}>_phi = sum_N C_N e^{i(k_par mu + N Omega) s},
    C_N = S_xx J_N'^2 + S_yy (N J_N/z)^2 + 2 Im S_xy J_N' N J_N/z; at z -> 0 only N = +-1 survive
    with C = (S_xx + S_yy)/4 +- Im S_xy / 2 (the slab rate of docs/physics.md).

    e_a = (-sin a, cos a, 0) at the gyrophase a of the direction at look-back s; ``swap`` exchanges
    the J_N'^2 and (N J_N/z)^2 weights (a broken claim).
    """
    p_fn, r_fn = _orbit_numeric()
    rng = random.Random(5)
    worst = mpmath.mpf(0)
    with mpmath.workdps(20):
        for values in ((0.6, 1.9, 0.45, 1.0, 1.7), (-1.2, 3.3, -0.3, 0.8, 2.6)):
            k_par, k_perp, muv, om, sv = (mpmath.mpf(v) for v in values)
            s = _random_hermitian(rng)
            sm = [[mpmath.mpc(v) for v in row] for row in s]

            def integrand(phv: mpmath.mpf) -> mpmath.mpc:
                args = (muv, phv, om)
                p0, ps, rs = p_fn(*args, 0), p_fn(*args, sv), r_fn(*args, sv)
                e0 = (-p0[1], p0[0], 0)  # (-sin a, cos a) times sqrt(1 - mu^2)
                es = (-ps[1], ps[0], 0)
                norm = 1 - muv**2
                pair = sum(e0[i] * sm[i][j] * es[j] for i in range(3) for j in range(3)) / norm
                return pair * mpmath.expj(-(k_perp * rs[0] + k_par * rs[2]))

            lhs = mpmath.quad(integrand, mpmath.linspace(0, 2 * mpmath.pi, 7)) / (2 * mpmath.pi)
            z = k_perp * mpmath.sqrt(1 - muv**2) / om
            rhs = mpmath.mpf(0)
            for big_n in range(-int(float(z)) - 25, int(float(z)) + 26):
                jn, jd = mpmath.besselj(big_n, z), mpmath.besselj(big_n, z, derivative=1)
                wx, wy = (jd**2, (big_n * jn / z) ** 2)
                if swap:
                    wx, wy = wy, wx
                cn = sm[0][0].real * wx + sm[1][1].real * wy + 2 * sm[0][1].imag * jd * big_n * jn / z
                rhs += cn * mpmath.expj((k_par * muv + big_n * om) * sv)
            worst = max(worst, abs(lhs - rhs))
        # slab limit z -> 0: C_{+-1} = (S_xx + S_yy)/4 +- Im S_xy / 2
        z = mpmath.mpf("1e-12")
        for big_n, sign in ((1, 1), (-1, -1)):
            jn, jd = mpmath.besselj(big_n, z), mpmath.besselj(big_n, z, derivative=1)
            wx, wy = (jd**2, (big_n * jn / z) ** 2)
            if swap:
                wx, wy = wy, wx
            for sxx, syy, im in ((1.0, 0.0, 0.0), (0.0, 1.0, 0.3)):
                cn = sxx * wx + syy * wy + 2 * im * jd * big_n * jn / z
                worst = max(worst, abs(cn - ((sxx + syy) / 4 + sign * im / 2)))
    return verdict(worst < 1e-15, f"max deviation from the phi quadrature: {mpmath.nstr(worst, 3)}")

