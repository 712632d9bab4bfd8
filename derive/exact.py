"""Exact comparison helpers shared by the checks: zero tests, sphere integrals, matrix algebra.

Everything here is exact (SymPy rationals, radicals, pi); nothing compares floats.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import sympy as sp
from sympy.functions.elementary.trigonometric import TrigonometricFunction

__all__ = [
    "matrix_vanishes",
    "sphere_monomial_integral",
    "sphere_polynomial_integral",
    "vanishes",
    "wigner3j",
]


def vanishes(expr: sp.Expr) -> bool:
    """True when the commutative expression ``expr`` is identically zero.

    Trigonometric and exponential forms are brought to one exponential form before simplifying,
    so that e.g. ``exp(I*x) - cos(x) - I*sin(x)`` is recognised.  (Never used on non-commuting
    symbols: operator identities are checked on matrix representations or on explicit functions.)
    """
    e = sp.expand(sp.sympify(expr).rewrite(sp.exp))
    if e == 0:
        return True
    return sp.simplify(e) == 0


def trig_to_polynomial(
    expr: sp.Expr, polar: Sequence[sp.Symbol], azimuthal: Sequence[sp.Symbol]
) -> tuple[sp.Expr, sp.Expr, list[sp.Symbol], list[sp.Symbol], list[sp.Symbol]]:
    """Map a trigonometric expression of angles to a rational function, reduced on the circles.

    Each polar angle t becomes c_t = cos t, s_t = sin t (cot, tan as ratios); trigonometric
    functions of the azimuthal angles a are written as exponentials and each a becomes
    w_a = exp(i a).  Returns (numerator reduced modulo s_t^2 + c_t^2 - 1, denominator, cs, ss, ws).
    """
    e = sp.sympify(expr)
    e = e.replace(
        lambda q: isinstance(q, TrigonometricFunction) and not any(q.args[0].has(t) for t in polar),
        lambda q: q.rewrite(sp.exp),
    )
    ws = list(sp.symbols(f"w0:{len(azimuthal)}"))
    cs = list(sp.symbols(f"c0:{len(polar)}"))
    ss = list(sp.symbols(f"s0:{len(polar)}"))
    e = e.subs({a: -sp.I * sp.log(w) for a, w in zip(azimuthal, ws)})
    e = sp.expand(e, power_exp=True, log=False)
    for t, c, s in zip(polar, cs, ss):
        e = e.subs({sp.cot(t): c / s, sp.tan(t): s / c}).subs({sp.sin(t): s, sp.cos(t): c})
    e = sp.powsimp(sp.expand(e))
    if any(e.has(t) for t in (*polar, *azimuthal)) or e.has(sp.log):
        raise ValueError(f"not a trigonometric rational function of {polar}, {azimuthal}: {expr}")
    num, den = sp.fraction(sp.together(e))
    num = sp.expand(num)
    if num != 0:
        circles = [s**2 + c**2 - 1 for c, s in zip(cs, ss)]
        _, num = sp.reduced(num, circles, *ss, *cs, *ws)
    return sp.expand(num), den, cs, ss, ws


def vanishes_on_sphere(expr: sp.Expr, theta: sp.Symbol, phi: sp.Symbol, *angles: sp.Symbol) -> bool:
    """True when a function of the direction (theta, phi) (and further azimuth-like angles) is zero.

    Exact and fast (see :func:`trig_to_polynomial`), unlike ``simplify`` on nested trigonometry.
    """
    num, *_ = trig_to_polynomial(expr, (theta,), (phi, *angles))
    return num == 0


def vanishes_on_spheres(expr: sp.Expr, polar: Sequence[sp.Symbol], azimuthal: Sequence[sp.Symbol]) -> bool:
    """True when a function of several directions vanishes identically (exact)."""
    num, *_ = trig_to_polynomial(expr, polar, azimuthal)
    return num == 0


def sphere_integral(expr: sp.Expr, theta: sp.Symbol, phi: sp.Symbol) -> sp.Expr:
    """Exact integral over the unit sphere (d cos(theta) d phi) of a trigonometric polynomial."""
    num, den, (c,), (s,), (w,) = trig_to_polynomial(expr, (theta,), (phi,))
    dterms = sp.Poly(den, s, c, w).terms()
    if len(dterms) != 1 or dterms[0][0][:2] != (0, 0):
        raise ValueError("sphere_integral needs a polynomial in cos, sin of theta and exp(+-i phi)")
    (_, _, shift), dcoeff = dterms[0]
    total = sp.Integer(0)
    for (ps, pc, pw), coeff in sp.Poly(num, s, c, w).terms():
        if pw != shift or pc % 2:
            continue
        # int_{-1}^{1} c^pc (1 - c^2)^(ps/2) dc = B((pc+1)/2, ps/2 + 1)
        total += coeff * sp.beta(sp.Rational(pc + 1, 2), sp.Rational(ps, 2) + 1)
    return sp.simplify(2 * sp.pi * total / dcoeff)


def matrix_vanishes(m: sp.Matrix) -> bool:
    """True when every entry of ``m`` vanishes identically."""
    return all(vanishes(entry) for entry in m)


@cache
def sphere_monomial_integral(a: int, b: int, c: int) -> sp.Expr:
    """Exact integral of x^a y^b z^c over the unit sphere.

    Closed form 2 Gamma(A) Gamma(B) Gamma(C) / Gamma(A + B + C) with A = (a+1)/2 etc. (zero when an
    exponent is odd); written out here because SymPy's surface integration of trigonometric
    polynomials is slow, and checked against direct integration in tests/derive.
    """
    if min(a, b, c) < 0:
        raise ValueError(f"monomial exponents must be >= 0, got {(a, b, c)}")
    if a % 2 or b % 2 or c % 2:
        return sp.Integer(0)
    A, B, C = (sp.Rational(n + 1, 2) for n in (a, b, c))
    return sp.simplify(2 * sp.gamma(A) * sp.gamma(B) * sp.gamma(C) / sp.gamma(A + B + C))


def sphere_polynomial_integral(poly: sp.Expr, x: sp.Symbol, y: sp.Symbol, z: sp.Symbol) -> sp.Expr:
    """Exact integral over the unit sphere of a polynomial in the direction components x, y, z."""
    p = sp.Poly(sp.expand(poly), x, y, z)
    total = sp.Integer(0)
    for (a, b, c), coeff in p.terms():
        total += coeff * sphere_monomial_integral(a, b, c)
    return sp.expand(total)


@cache
def wigner3j(j1: int, j2: int, j3: int, m1: int, m2: int, m3: int) -> sp.Expr:
    """Exact Wigner 3j symbol (SymPy's Racah formula), cached."""
    from sympy.physics.wigner import wigner_3j

    return wigner_3j(j1, j2, j3, m1, m2, m3)
