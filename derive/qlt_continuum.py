"""The straight-line continuum of the QLT harmonic sum (crmix.qlt_resonances), as a check.

Where k |mu| >> Omega the harmonic resonances of a full-support tensor crowd, and
sum_N C_N delta(k_par mu + N Omega) tends to the gyrophase average of delta(k.v) with e_a fixed:
with x = k_par mu/(k_perp sin theta), the weights of S_xx and S_yy are sqrt(1 - x^2) and
x^2/sqrt(1 - x^2), over (pi k_perp sin theta), on the resonant cone |c| < sin theta.  The
substitution c = sin(theta) sin(phi) makes the cone's edge regular:

    nu_cont = int dk/k int_{-pi/2}^{pi/2} dphi [S_xx cos^2 phi + mu^2 sin^2 phi S_yy] / (1 - c^2),

and for the isotropic polarisation (crmix.geometry's symbolic form) the bracket over (1 - c^2) is
sin^2 phi E/4 at every mu, so nu_cont = (pi/8) int E/k dk: the straight-line rate, independent of mu.
``qlt_straight_line_continuum`` proves the substitution and the isotropic reduction symbolically and
checks numerically (mpmath Bessel functions) that the exact shell sum at k |mu| = 120 Omega is within
1e-3 of the continuum at mu = 0.6 and 0.9.  (There the shell sum converges like (Omega/k mu)^2; for
mu^2/(1 - mu^2) < 0.217, i.e. |mu| < 0.42, the helix comes back near itself -- the chord |r(s)| has
minima at s > 0 -- and a single shell's sum oscillates about the continuum with an amplitude falling
only like (Omega/k mu)^(1/2); the oscillations cancel in the k integral against a smooth spectrum.)
"""

from __future__ import annotations

import mpmath
import sympy as sp

from crmix.derive.axisymmetric import symbolic_polarisations
from crmix.derive.registry import Verdict, identity, verdict

__all__ = ["continuum_bracket", "shell_response"]

_c, _phi, _mu, _x = sp.symbols("c phi mu x", real=True)
_st = sp.sqrt(1 - _mu**2)


def continuum_bracket(weight_x: sp.Expr, weight_y: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """The S_xx and S_yy weights of nu_cont per dk/k dphi, from the cone weights per dk/k dc, at c = sin(theta) sin(phi)."""
    k_perp_hat = sp.sqrt(1 - _c**2)  # k_perp / k
    x_of_c = _c * _mu / (k_perp_hat * _st)
    jac = sp.diff(_st * sp.sin(_phi), _phi)
    out = []
    for w in (weight_x, weight_y):
        per_c = w.subs(_x, x_of_c) / (k_perp_hat * _st)
        out.append(sp.simplify((per_c * jac).subs(_c, _st * sp.sin(_phi))))
    return out[0], out[1]


def shell_response(k: float, mu: float, digits: int = 20) -> mpmath.mpf:
    """(8/pi) k nu_shell / E of one isotropic shell |k| = k (Omega = 1): the exact harmonic sum over the continuum.

    nu_shell = (pi/|mu|) sum_N (E/(4k)) [c_N^2 J_N'(z_N)^2 + (N J_N(z_N)/z_N)^2], c_N = N/(k|mu|).
    """
    with mpmath.workdps(digits):
        k, amu = mpmath.mpf(k), abs(mpmath.mpf(mu))
        st = mpmath.sqrt(1 - amu**2)
        total = mpmath.mpf(0)
        for big_n in range(1, int(mpmath.floor(k * amu)) + 1):
            c = big_n / (k * amu)
            z = k * mpmath.sqrt(1 - c * c) * st
            jm, jp = mpmath.besselj(big_n - 1, z), mpmath.besselj(big_n + 1, z)
            total += c * c * ((jm - jp) / 2) ** 2 + ((jm + jp) / 2) ** 2
        return 2 * 2 * total / amu  # N and -N; (8/pi) k (pi/|mu|)/(4k) = 2/|mu|


@identity("qlt_straight_line_continuum", "KPM", "(A22)-(A28); docs/physics.md")
def qlt_straight_line_continuum(weight_x: sp.Expr | None = None, weight_y: sp.Expr | None = None,
                                coefficient: sp.Expr = sp.pi / 8) -> Verdict:
    """nu_cont = int dk/k int dphi [S_xx cos^2 phi + mu^2 sin^2 phi S_yy]/(1 - c^2) -> (pi/8) int E/k dk (isotropic).

    ``weight_x``, ``weight_y``: the straight-line cone weights of S_xx, S_yy per dk/k dc times pi k_perp
    sin(theta) (defaults sqrt(1 - x^2) and x^2/sqrt(1 - x^2)); ``coefficient``: the isotropic rate over int E/k dk.
    """
    weight_x = sp.sqrt(1 - _x**2) if weight_x is None else weight_x
    weight_y = _x**2 / sp.sqrt(1 - _x**2) if weight_y is None else weight_y
    bx, by = continuum_bracket(weight_x, weight_y)
    mu_values = (sp.Rational(1, 5), sp.Rational(7, 10))
    phi_values = (sp.Rational(-6, 5), sp.Rational(1, 3), sp.Rational(9, 10))
    c_phi = _st * sp.sin(_phi)
    claimed = ((sp.cos(_phi) ** 2 / (1 - c_phi**2)), _mu**2 * sp.sin(_phi) ** 2 / (1 - c_phi**2))
    worst = max(abs(float((b - want).subs({_mu: m, _phi: p}).evalf(30)))
                for m in mu_values for p in phi_values for b, want in zip((bx, by), claimed))
    pol = symbolic_polarisations()["isotropic"][1]  # E = 1
    bracket = (pol[0, 0] * claimed[0] + pol[1, 1] * claimed[1]).subs(_c, c_phi)
    reduced = sp.simplify(bracket - sp.sin(_phi) ** 2 / 4)
    total = sp.integrate(sp.sin(_phi) ** 2 / 4, (_phi, -sp.pi / 2, sp.pi / 2))
    symbolic_ok = reduced == 0 and sp.simplify(total - coefficient) == 0
    # the harmonic sum tends to it: one shell at k |mu| = 120 Omega
    response = max(abs(float(shell_response(120.0 / mu, mu)) - float(coefficient / (sp.pi / 8))) for mu in (0.6, 0.9))
    return verdict(worst < 1e-20 and symbolic_ok and response < 1e-3,
                   f"substitution: {worst:.1e}; isotropic bracket - sin^2(phi)/4 = {reduced}, "
                   f"int = {total} (claimed {coefficient}); |shell sum / continuum - 1| at k|mu| = 120: {response:.1e}")
