"""Exact comparison helpers shared by the checks: zero tests, sphere integrals, matrix algebra.

Everything here is exact (SymPy rationals, radicals, pi); nothing compares floats.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp
from sympy.functions.elementary.trigonometric import TrigonometricFunction

__all__ = [
    "vanishes",
    "matrix_vanishes",
    "sphere_monomial_integral",
    "sphere_polynomial_integral",
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


_c, _s = sp.symbols("c s")


def vanishes_on_sphere(expr: sp.Expr, theta: sp.Symbol, phi: sp.Symbol, *angles: sp.Symbol) -> bool:
    """True when a function of the direction (theta, phi) (and further angles) vanishes identically.

    Trigonometric functions of phi and of the further angles are written as exponentials and each
    angle a becomes a variable w_a = exp(i a); cos, sin, cot of theta become c, s, c/s.  The
    numerator of the resulting rational function must reduce to zero modulo s^2 + c^2 - 1.
    Exact and fast, unlike ``simplify`` on nested trigonometric expressions.
    """
    e = sp.sympify(expr)
    azimuthal = (phi, *angles)
    e = e.replace(
        lambda q: isinstance(q, TrigonometricFunction) and not q.args[0].has(theta),
        lambda q: q.rewrite(sp.exp),
    )
    ws = sp.symbols(f"w0:{len(azimuthal)}")
    e = e.subs({a: -sp.I * sp.log(w) for a, w in zip(azimuthal, ws)})
    e = sp.expand(e, power_exp=True, log=False)
    e = e.subs({sp.cot(theta): _c / _s, sp.tan(theta): _s / _c}).subs({sp.sin(theta): _s, sp.cos(theta): _c})
    e = sp.powsimp(sp.expand(e))
    if e.has(theta) or any(e.has(a) for a in azimuthal) or e.has(sp.log):
        raise ValueError(f"expression is not a trigonometric polynomial in {theta}, {azimuthal}: {expr}")
    num, _ = sp.fraction(sp.together(e))
    num = sp.expand(num)
    if num == 0:
        return True
    _, rem = sp.reduced(num, [_s**2 + _c**2 - 1], _s, _c, *ws)
    return sp.expand(rem) == 0


def matrix_vanishes(m: sp.Matrix) -> bool:
    """True when every entry of ``m`` vanishes identically."""
    return all(vanishes(entry) for entry in m)


@lru_cache(maxsize=None)
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


@lru_cache(maxsize=None)
def wigner3j(j1: int, j2: int, j3: int, m1: int, m2: int, m3: int) -> sp.Expr:
    """Exact Wigner 3j symbol (SymPy's Racah formula), cached."""
    from sympy.physics.wigner import wigner_3j

    return wigner_3j(j1, j2, j3, m1, m2, m3)
