"""The (1a) density of the generic mixing matrix in real space, and its uniform-field part.

docs/physics.md ("Axisymmetric turbulence on helical orbits", (1a)) writes M^(1a)_ll = -l(l+1) Lambda
with Lambda an integral over wave vectors.  Doing the wave-vector integral first, with the two-point
function R_ij(D) = int d^3k P_ij(k) e^{ik.D}, and using that the helix is the same at every time
(look-back s2 = 0, s1 = tau; D = r(0) - r(tau) = A(tau) p, Rot(tau) = R_z(Omega tau)) and symmetric
about B0 (azimuth phi = 0, p = (sqrt(1 - mu^2), 0, mu)),

    Lambda = (1/4) int_{-1}^{1} dmu int_0^dT dtau (dT - tau) F(mu, tau),
    F = Tr(R(D) Rot(tau)) - p.R(D).Rot(tau) p,
    D = (sin w sqrt(1-mu^2)/Omega, (1 - cos w) sqrt(1-mu^2)/Omega, mu tau),   w = Omega tau.

For the three polarisations of crmix.spectral_tensors R is fixed by one or two radial functions of
the spectrum E (int E dk = <omega^2>), and F is their sum with the weights emitted here:

* isotropic, MA19 (3.12): R = f(r) 1 + h(r) D^ D^,  f = (1/2) int dk E (j0 - j1/(kr)),  h = (1/2) int dk E j2,
  r = |D|; F = f a_iso(mu, w) + h b_iso(mu, w),
      a_iso = (1 - mu^2) + (1 + mu^2) cos w,
      b_iso = (1 - mu^2) [mu^2 (w - sin w)^2 - 4 sin^4(w/2)] / [4 (1 - mu^2) sin^2(w/2) + mu^2 w^2];
* slab, KPM (28): R = R_s(D_z) (x^ x^ + y^ y^),  R_s(z) = (1/2) int dk E cos(kz);  F = R_s a_tr,
  a_tr = (1 + mu^2) cos w;
* 2D: R = f2(r) 1_2 + g2(r) (2 r^ r^ - 1_2) on the x, y block, f2 = (1/2) int dk E J0(kr),
  g2 = (1/2) int dk E J2(kr), r = |D_perp|;  F = f2 a_tr + g2 b_2d,  b_2d = -(1 - mu^2).

The radii: r^2 = tau^2 [(1 - mu^2) sinc^2(w/2) + mu^2] (isotropic), tau^2 (1 - mu^2) sinc^2(w/2) (2D),
sinc x = sin x / x, so that Omega = 0 (straight lines, w = 0) is the same formula.

The uniform part.  A mode of wavelength much longer than the orbit is a uniform field there; it turns
every direction alike and changes no C_l, so its (1a) and (1c) parts cancel in M.  With
R(0) = diag(a0, a0, b0) (int d^3k P over the support), the (1a) part is

    Lambda_0 = dT^2 [(2/3) a0 (1 - cos W)/W^2 + b0/6],   W = Omega dT,

and the (1c) part sits in one Gram entry, J = 1, L = 0: the field seen is W_q = int_0^dT e^{-i q Omega s} ds
for every direction, w^q_00 = sqrt(4 pi) W_q, so K^1_{--} = 4 pi sum_q R~(0)_qq |W_q|^2,

    K^1_0 = dT^2 4 pi [4 a0 (1 - cos W)/W^2 + b0].

The checks (``realspace_lambda_weights``, ``uniform_field_cancels``) prove the weights against the
direct contraction on the orbit of crmix.derive.bourret and the cancellation 2 M^(1a) + M^(1c) = 0
with the generated coupling weights; ``realspace_lambda_reduction`` compares the reduced (mu, tau) form with
the direct double time integral over both insertion times of an isotropic R on the helix.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cache

import mpmath
import numpy as np
import sympy as sp
from sympy.physics.wigner import wigner_3j

from crmix.derive.bourret import Om, mu_s, orbit, ph0, u
from crmix.derive.expressions import KernelExpr, emitted
from crmix.derive.registry import Verdict, identity, verdict

__all__ = ["KERNELS", "UNIFORM_NAMES", "WEIGHT_NAMES"]  # noqa: F822 - KERNELS from __getattr__

mu, w, tau, big_w, a0, b0 = sp.symbols("mu w tau W a0 b0", real=True)

#: Radius and degree of the Taylor branches: the closed forms are stable down to w -> 0 but 0/0 there.
_SMALL = sp.Rational(1, 1000)
_DEGREE = 6


def _taylor(expr: sp.Expr, var: sp.Symbol, degree: int) -> sp.Expr:
    """Taylor polynomial of ``expr`` in ``var`` up to ``var**degree`` (Horner form in var**2 where even)."""
    series = sp.series(expr, var, 0, degree + 1).removeO()
    return sp.expand(series)


def _sinc2(x: sp.Expr) -> sp.Expr:
    """sinc^2(x) = sin^2 x / x^2 with its Taylor branch at small x."""
    closed = sp.sin(x) ** 2 / x**2
    return sp.Piecewise((_taylor(closed, x, _DEGREE), sp.Abs(x) < _SMALL), (closed, True))


def isotropic_h_weight_closed() -> sp.Expr:
    """b_iso(mu, w) in closed form (module docstring)."""
    st2 = 1 - mu**2
    return st2 * (mu**2 * (w - sp.sin(w)) ** 2 - 4 * sp.sin(w / 2) ** 4) / (4 * st2 * sp.sin(w / 2) ** 2 + mu**2 * w**2)


def _one_minus_cos_over_square(x: sp.Expr) -> sp.Expr:
    """(1 - cos x)/x^2 = 2 sin^2(x/2)/x^2 with its Taylor branch."""
    closed = 2 * sp.sin(x / 2) ** 2 / x**2
    return sp.Piecewise((_taylor(closed, x, _DEGREE), sp.Abs(x) < _SMALL), (closed, True))


@cache
def _kernels() -> tuple[KernelExpr, ...]:
    b_iso = isotropic_h_weight_closed()
    b_iso_small = _taylor(b_iso, w, _DEGREE)
    return (
        KernelExpr("realspace_isotropic_f", (mu, w), (1 - mu**2) + (1 + mu**2) * sp.cos(w),
                   "a_iso(mu, w): weight of the isotropic radial function f = (1/2) int dk E (j0 - j1/(kr)) in the real-space "
                   "(1a) density F = Tr(R Rot) - p.R.Rot p (MA19 (3.12) on the helix; docs/physics.md), w = Omega tau."),
        KernelExpr("realspace_isotropic_h", (mu, w), sp.Piecewise((b_iso_small, sp.Abs(w) < _SMALL), (b_iso, True)),
                   "b_iso(mu, w): weight of the isotropic radial function h = (1/2) int dk E j2(kr) in the real-space (1a) "
                   "density; 0 on straight lines (w = 0).  Taylor polynomial for |w| < 1/1000."),
        KernelExpr("realspace_transverse_f", (mu, w), (1 + mu**2) * sp.cos(w),
                   "a_tr(mu, w): weight of the slab R_s(mu tau) = (1/2) int dk E cos(k mu tau) (KPM (28)) and of the 2D "
                   "f2 = (1/2) int dk E J0(k r) in the real-space (1a) density (docs/physics.md)."),
        KernelExpr("realspace_two_d_g", (mu,), -(1 - mu**2),
                   "b_2d(mu): weight of the 2D radial function g2 = (1/2) int dk E J2(k r) in the real-space (1a) density."),
        KernelExpr("realspace_isotropic_radius2", (mu, tau, w), tau**2 * ((1 - mu**2) * _sinc2(w / 2) + mu**2),
                   "r^2 = |A(tau) p|^2: the squared distance between the positions at look-back 0 and tau on the helix "
                   "(straight lines: w = Omega tau = 0, r = tau)."),
        KernelExpr("realspace_two_d_radius2", (mu, tau, w), tau**2 * (1 - mu**2) * _sinc2(w / 2),
                   "r_perp^2: the squared distance perpendicular to B0 between the positions at look-back 0 and tau."),
        KernelExpr("uniform_lambda", (a0, b0, big_w), sp.Rational(2, 3) * a0 * _one_minus_cos_over_square(big_w) + b0 / 6,
                   "Lambda_0 / dT^2: the (1a) density of a uniform field with R(0) = diag(a0, a0, b0), W = Omega dT "
                   "(docs/physics.md); it cancels the uniform (1c) part K^1_0."),
        KernelExpr("uniform_gram", (a0, b0, big_w), 4 * sp.pi * (4 * a0 * _one_minus_cos_over_square(big_w) + b0),
                   "K^1_0 / dT^2: the Gram entry K^J_{--} at J = 1 (L = 0) of a uniform field with R(0) = diag(a0, a0, b0), "
                   "W = Omega dT: 4 pi sum_q R~(0)_qq |int_0^dT e^{-i q Omega s} ds|^2 (docs/physics.md)."),
    )


#: The weights of F by polarisation, and the uniform-field kernels.
WEIGHT_NAMES = ("realspace_isotropic_f", "realspace_isotropic_h", "realspace_transverse_f", "realspace_two_d_g",
                "realspace_isotropic_radius2", "realspace_two_d_radius2")
UNIFORM_NAMES = ("uniform_lambda", "uniform_gram")


def __getattr__(name: str):  # derived on first use (the series take a moment)
    if name == "KERNELS":
        return list(_kernels())
    raise AttributeError(name)


_SOURCE = "crmix.derive.axisymmetric_realspace"


def _weights(overrides: Mapping[str, sp.Expr] | None, names: tuple[str, ...]) -> dict[str, sp.Expr]:
    """The emitted expressions ``names`` (read at every call), with ``overrides`` (broken claims) in their place."""
    return {n: sp.sympify(overrides[n]) if overrides and n in overrides else emitted(_SOURCE, n).expr for n in names}


def _value(expr: sp.Expr, **values: float) -> mpmath.mpf:
    subs = {sp.Symbol(k, real=True): sp.Float(str(v) if isinstance(v, mpmath.mpf) else v, 30) for k, v in values.items()}
    return mpmath.mpf(sp.N(expr.subs(subs), 30))


#: (mu, Omega, tau): the Taylor branch (w < 1/1000), generic helices
_POINTS = ((0.3, 1.0, 0.0005), (-0.55, 1.3, 2.7), (0.8, 0.7, 9.1), (0.05, 2.0, 4.4))


@identity("realspace_lambda_weights", "KPM+MA19", "KPM (28), (30), (38); MA19 (3.12), (3.15); docs/physics.md",
          covers=WEIGHT_NAMES)
def realspace_lambda_weights(weights: Mapping[str, sp.Expr] | None = None) -> Verdict:
    """F = Tr(R(D) Rot) - p.R(D).Rot p on the helix equals the emitted weights times the radial functions.

    R = f 1 + h D^ D^ (isotropic), R_s (x^ x^ + y^ y^) (slab), f2 1_2 + g2 (2 r^ r^ - 1_2) (2D) with
    arbitrary values of f, h, R_s, f2, g2; D = r(0) - r(tau) on the orbit of crmix.derive.bourret at
    azimuth 0, Rot = R_z(Omega tau).  Also |D|^2 and |D_perp|^2 against the emitted radii.  30 digits.
    """
    k = _weights(weights, WEIGHT_NAMES)
    p_sym, r_sym = orbit(u)
    f, h = mpmath.mpf("0.37"), mpmath.mpf("-0.21")
    worst = mpmath.mpf(0)
    with mpmath.workdps(30):
        for muv, omv, tv in _POINTS:
            muv, omv, tv = (sp.Float(v, 30) for v in (muv, omv, tv))
            subs = {mu_s: muv, ph0: 0, Om: omv}
            p = [mpmath.mpf(sp.N(c.subs(subs).subs(u, 0), 30)) for c in p_sym]
            d = [-mpmath.mpf(sp.N(c.subs(subs).subs(u, tv), 30)) for c in r_sym]
            wv = mpmath.mpf(sp.N(omv * tv, 30))
            rot = mpmath.matrix([[mpmath.cos(wv), -mpmath.sin(wv), 0], [mpmath.sin(wv), mpmath.cos(wv), 0], [0, 0, 1]])
            r2 = sum(c * c for c in d)
            rp2 = d[0] ** 2 + d[1] ** 2
            dh = [c / mpmath.sqrt(r2) for c in d]
            rh = [d[0] / mpmath.sqrt(rp2), d[1] / mpmath.sqrt(rp2)]

            def contraction(tensor):
                t = mpmath.matrix(3, 3)
                for i in range(3):
                    for j in range(3):
                        t[i, j] = tensor(i, j)
                rp = t * rot
                return sum(rp[i, i] for i in range(3)) - sum(p[i] * rp[i, j] * p[j] for i in range(3) for j in range(3))

            iso = contraction(lambda i, j: f * (i == j) + h * dh[i] * dh[j])
            slab = contraction(lambda i, j: f * (i == j and i < 2))
            two_d = contraction(lambda i, j: 0 if max(i, j) == 2 else f * (i == j) + h * (2 * rh[i] * rh[j] - (i == j)))
            args = {"mu": muv, "w": wv}
            a_iso, b_iso = _value(k["realspace_isotropic_f"], **args), _value(k["realspace_isotropic_h"], **args)
            a_tr, b_2d = _value(k["realspace_transverse_f"], **args), _value(k["realspace_two_d_g"], mu=muv)
            radii = (_value(k["realspace_isotropic_radius2"], mu=muv, tau=tv, w=wv), _value(k["realspace_two_d_radius2"], mu=muv, tau=tv, w=wv))
            worst = max(worst, abs(iso - f * a_iso - h * b_iso), abs(slab - f * a_tr), abs(two_d - f * a_tr - h * b_2d),
                        abs(radii[0] - r2) / r2, abs(radii[1] - rp2) / rp2)
    return verdict(worst < 1e-20, f"max deviation from the direct contraction: {mpmath.nstr(worst, 3)}")


def _reduced_lambda(f_of_r, h_of_r, k: dict[str, sp.Expr], omega: float, dt: float) -> float:
    """(1/4) int dmu int_0^dT dtau (dT - tau) [a_iso f + b_iso h] with the emitted weights (numpy, Gauss)."""
    names = ("realspace_isotropic_f", "realspace_isotropic_h", "realspace_isotropic_radius2")
    fa, fb, fr = (sp.lambdify((sp.Symbol("mu", real=True), sp.Symbol("tau", real=True), sp.Symbol("w", real=True)), k[n], "numpy")
                  for n in names)
    x, wx = np.polynomial.legendre.leggauss(48)
    y, wy = np.polynomial.legendre.leggauss(96)
    muv, tv = np.meshgrid(x, 0.5 * dt * (y + 1), indexing="ij")
    weight = np.outer(wx, 0.5 * dt * wy) * (dt - tv)
    r = np.sqrt(fr(muv, tv, omega * tv) + 0 * muv)
    return float(0.25 * np.sum(weight * (fa(muv, tv, omega * tv) * f_of_r(r) + fb(muv, tv, omega * tv) * h_of_r(r))))


@identity("realspace_lambda_reduction", "KPM+MA19", "KPM (30), (38)-(39); MA19 (3.13)-(3.15); docs/physics.md",
          covers=("realspace_isotropic_f", "realspace_isotropic_h", "realspace_isotropic_radius2"))
def realspace_lambda_reduction(weights: Mapping[str, sp.Expr] | None = None, time_weight: int = 1) -> Verdict:
    """(1/8 pi) int dp int_0^dT dT' int_0^T' dtau [Tr(R Rot) - p(s2).R.p(s1)] = the reduced (mu, tau) form.

    The left side integrates both insertion times (s1 = T', s2 = T' - tau) at an azimuth phi = 0.7 of an
    isotropic R = f 1 + h D^ D^ with smooth f(r) = e^{-r^2/4}, h(r) = r^2 e^{-r^2/9}/3 (Gauss rules in
    mu, phi, T', tau); the right side is the emitted weights' (1/4) int dmu int dtau (dT - tau) F.
    ``time_weight`` multiplies the (dT - tau) of the reduction (2: the ordered triangle counted twice).
    """
    k = _weights(weights, WEIGHT_NAMES)
    omega, dt, phi0 = 1.3, 3.0, 0.7
    f_of_r = lambda r: np.exp(-r * r / 4)  # noqa: E731
    h_of_r = lambda r: r * r * np.exp(-r * r / 9) / 3  # noqa: E731
    xm, wm = np.polynomial.legendre.leggauss(40)
    xt, wt = np.polynomial.legendre.leggauss(40)
    big_t = 0.5 * dt * (xt + 1)
    total = 0.0
    for mv, mw in zip(xm, wm):
        st = math.sqrt(1 - mv * mv)
        for tv, tw in zip(big_t, 0.5 * dt * wt):
            taus = 0.5 * tv * (xt + 1)
            for tau, tauw in zip(taus, 0.5 * tv * wt):
                s1, s2 = tv, tv - tau
                def helix(s):  # p(s) and r(s) at the azimuth phi0 (crmix.derive.bourret.orbit)
                    a = phi0 + omega * s
                    return (np.array([st * math.cos(a), st * math.sin(a), mv]),
                            np.array([st / omega * (math.sin(phi0) - math.sin(a)), st / omega * (math.cos(a) - math.cos(phi0)), -mv * s]))
                (p1, r1), (p2, r2) = helix(s1), helix(s2)
                d = r2 - r1
                r = float(np.linalg.norm(d))
                tensor = f_of_r(r) * np.eye(3) + h_of_r(r) * np.outer(d, d) / (r * r)
                c, sn = math.cos(omega * tau), math.sin(omega * tau)
                rot = np.array([[c, -sn, 0], [sn, c, 0], [0, 0, 1]])
                total += mw * tw * tauw * (np.trace(tensor @ rot) - p2 @ tensor @ p1)
    lhs = 2 * math.pi * total / (8 * math.pi)  # the azimuth: the integrand does not depend on it
    rhs = _reduced_lambda(f_of_r, h_of_r, k, omega, dt) if time_weight == 1 else time_weight * _reduced_lambda(f_of_r, h_of_r, k, omega, dt)
    return verdict(abs(lhs - rhs) < 1e-10 * abs(lhs), f"direct {lhs:.15g}, reduced {rhs:.15g}")


@identity("uniform_field_cancels", "KPM+MA19", "KPM (17), (30), (47); MA19 (3.6); docs/physics.md",
          covers=UNIFORM_NAMES + ("coupling_below",))
def uniform_field_cancels(kernels: Mapping[str, sp.Expr] | None = None) -> Verdict:
    """A uniform field turns all directions alike: 2 M^(1a) + M^(1c) = 0 for it, l, l0 <= 5.

    Lambda_0 against (1/4) int dmu int dtau (dT - tau) [a0 (1 + mu^2) cos Omega tau + b0 (1 - mu^2)] (the
    real-space density with R = R(0)); K^1_0 against 4 pi sum_q R~(0)_qq |int_0^dT e^{-i q Omega s} ds|^2;
    then M^(1c)_{l l0} = rho(l, l0, J=1, L=0)^2 K^1_0 with the generated coupling weight equals
    2 l(l+1) Lambda_0 delta_{l l0}.  Symbolic in a0, b0, Omega dT, at W = Omega dT = 3/10000 (Taylor) and 2.
    """
    k = _weights(kernels, UNIFORM_NAMES)
    entry = emitted("crmix.derive.axisymmetric_weights", "coupling_below")
    args, chi = entry.args, sp.sympify(kernels["coupling_below"]) if kernels and "coupling_below" in kernels else entry.expr
    t, s = sp.symbols("t s", positive=True)
    problems = []
    for wv in (sp.Rational(3, 10000), sp.Integer(2)):  # dT = 1, Omega = W
        direct_lam = sp.Rational(1, 4) * sp.integrate(sp.integrate(
            (1 - t) * (a0 * (1 + mu**2) * sp.cos(wv * t) + b0 * (1 - mu**2)), (mu, -1, 1)), (t, 0, 1))
        moduli = []
        for q in (-1, 0, 1):
            field = sp.integrate(sp.cos(q * wv * s), (s, 0, 1)) - sp.I * sp.integrate(sp.sin(q * wv * s), (s, 0, 1))
            moduli.append(sp.expand(field * sp.conjugate(field)))
        direct_gram = 4 * sp.pi * (a0 * (moduli[0] + moduli[2]) + b0 * moduli[1])
        lam0 = k["uniform_lambda"].subs(big_w, wv)
        gram0 = k["uniform_gram"].subs(big_w, wv)
        for name, claim, direct in (("uniform_lambda", lam0, direct_lam), ("uniform_gram", gram0, direct_gram)):
            for av, bv in ((1, 0), (0, 1)):
                diff = sp.N((claim - direct).subs({a0: av, b0: bv}), 30)
                if abs(diff) > 1e-25:
                    problems.append(f"{name} at W = {wv}: off by {sp.N(diff, 3)}")
        for ell in range(1, 6):
            for ell0 in range(1, 6):
                rho = chi.subs(dict(zip(args, (ell, ell0, 1)))) * wigner_3j(ell, 0, ell0, 0, 0, 0)
                m1c = rho**2 * gram0
                m1a2 = 2 * ell * (ell + 1) * lam0 if ell == ell0 else 0
                for av, bv in ((1, 0), (0, 1)):
                    diff = sp.N((m1c - m1a2).subs({a0: av, b0: bv}), 30)
                    if abs(diff) > 1e-25:
                        problems.append(f"2 M1a + M1c = {sp.N(diff, 3)} at l = {ell}, l0 = {ell0}, W = {wv}")
    return verdict(not problems, "; ".join(problems[:3]) or "Lambda_0, K^1_0 from their definitions; 2 M^(1a) + M^(1c) = 0, l, l0 <= 5")
