"""The m0 moments of Wigner 3j symbols (l l0 lA; -m0 m0 0) that the (1c) contraction needs (KPM (47)).

Both geometries need S_{lA lB} = sum_{m0} w(m0) T_{lA}(m0) T_{lB}(m0) with T_{lA}(m0) = (l l0 lA; -m0 m0 0)
and an even weight w = w_0 + w_2 m0^2.  Two relations give S in closed form:

* orthogonality, sum_{m0} T_A T_B = delta_AB/(2A+1) (the zeroth moment);
* the Schulten-Gordon three-term recursion in lA, read as an eigen-relation for m0.  Written for the
  first column of (lA l l0; 0 -m0 m0) (a cyclic permutation of T), with
  A(j) = sqrt((j^2 - (l-l0)^2)((l+l0+1)^2 - j^2)(j^2 - m_1^2)) and
  B(j) = -(2j+1)[l(l+1) m_1 - l0(l0+1) m_1 - j(j+1)(m_3 - m_2)], it reads

      j A(j+1) T_{j+1} + B(j) T_j + (j+1) A(j) T_{j-1} = 0.

  With m_1 = 0 the coefficient B(j) = 2 m0 j(j+1)(2j+1) is linear in m0, so

      m0 T_A = alpha_A T_{A+1} + beta_A T_{A-1},     alpha_A = -A A(A+1)/b(A),  beta_A = -(A+1) A(A)/b(A),

  b = B/m0, and the second moments follow from orthogonality:

      sum_{m0} m0^2 T_A T_A     = alpha_A^2/(2A+3) + beta_A^2/(2A-1),
      sum_{m0} m0^2 T_A T_{A+2} = alpha_A beta_{A+2}/(2A+3),           all other pairs 0.

The derived moments are emitted by ``crmix codegen`` (``crmix.derive.mixing_weights``) and verified
by ``threej_m0_moments`` against exact sums of SymPy's 3j symbols.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from functools import cache

import sympy as sp

from crmix.derive.exact import wigner3j
from crmix.derive.expressions import claimed
from crmix.derive.registry import Verdict, identity, verdict

__all__ = ["m0_moment_0", "m0_moment_2_diagonal", "m0_moment_2_offdiagonal", "recursion_coefficients"]

MIXING = "crmix.derive.mixing_weights"

ell, ell0, ellA = sp.symbols("ell ell0 ellA", integer=True, nonnegative=True)
m0 = sp.Symbol("m0", integer=True)

#: largest l, l0 of the exact sums in ``threej_m0_moments``.
CHECK_LMAX = 3


def recursion_coefficients(j: sp.Expr, m1: sp.Expr, m2: sp.Expr, m3: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """(A(j), B(j)) of the Schulten-Gordon recursion for (j l l0; m1 m2 m3) in j (module docstring)."""
    a = sp.sqrt((j**2 - (ell - ell0) ** 2) * ((ell + ell0 + 1) ** 2 - j**2) * (j**2 - m1**2))
    b = -(2 * j + 1) * (ell * (ell + 1) * m1 - ell0 * (ell0 + 1) * m1 - j * (j + 1) * (m3 - m2))
    return a, b


def _eigen_coefficients(j: sp.Expr) -> tuple[tuple[sp.Expr, sp.Expr], tuple[sp.Expr, sp.Expr]]:
    """alpha_j, beta_j of m0 T_j = alpha_j T_{j+1} + beta_j T_{j-1} (m1 = 0, m2 = -m0, m3 = m0), each as
    (rational factor in j, radicand): the factors j, j+1 of A(j), A(j+1) cancel against b = B/m0."""
    a_next, _ = recursion_coefficients(j + 1, 0, -m0, m0)
    a_here, b_here = recursion_coefficients(j, 0, -m0, m0)
    b_per_m0 = b_here / m0
    if b_per_m0.has(m0):
        raise ValueError(f"B(j) is not linear in m0: {b_here}")
    return _split_root(-j * a_next / b_per_m0), _split_root(-(j + 1) * a_here / b_per_m0)


def _split_root(expr: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """(c, P) with expr = c sqrt(P), c a rational function of lA alone (cancelled), P as constructed."""
    factors = sp.Mul.make_args(expr)
    roots = [f for f in factors if isinstance(f, sp.Pow) and f.exp == sp.Rational(1, 2)]
    rational = sp.cancel(sp.Mul(*[f for f in factors if f not in roots]))
    if len(roots) != 1 or not rational.free_symbols <= {ellA}:
        raise ValueError(f"expected c(lA) sqrt(P), got {expr}")
    return rational, roots[0].base


@cache
def m0_moment_0() -> sp.Expr:
    """sum_{m0} T_A T_A = 1/(2A+1) (orthogonality of the 3j symbols in their third column)."""
    return 1 / (2 * ellA + 1)


@cache
def m0_moment_2_diagonal() -> sp.Expr:
    """sum_{m0} m0^2 T_A^2 = alpha_A^2/(2A+3) + beta_A^2/(2A-1), for |l - l0| <= A <= l + l0."""
    (c_alpha, p_alpha), (c_beta, p_beta) = _eigen_coefficients(ellA)
    return c_alpha**2 * p_alpha * m0_moment_0().subs(ellA, ellA + 1) + c_beta**2 * p_beta * m0_moment_0().subs(ellA, ellA - 1)


@cache
def m0_moment_2_offdiagonal() -> sp.Expr:
    """sum_{m0} m0^2 T_A T_{A+2} = alpha_A beta_{A+2}/(2A+3) where A + 2 <= l + l0, else 0 (A >= |l - l0|)."""
    (c_alpha, p_alpha), _ = _eigen_coefficients(ellA)
    _, (c_beta, p_beta) = _eigen_coefficients(ellA + 2)
    moment = c_alpha * c_beta * sp.sqrt(p_alpha) * sp.sqrt(p_beta) * m0_moment_0().subs(ellA, ellA + 1)
    return sp.Piecewise((moment, ellA + 2 <= ell + ell0), (0, True))


# ---- registered check ----------------------------------------------------------------------------
def _t(n: int, l0: int, la: int, m: int) -> sp.Expr:
    return wigner3j(n, l0, la, -m, m, 0)


@cache
def _exact_moments(n: int, l0: int) -> dict[tuple[int, int, int], sp.Expr]:
    """{(power, lA, lB): sum_{m0} m0^power T_lA T_lB} for l = n, power 0, 2 and lA <= lB in the triangle, exact."""
    lo, hi = abs(n - l0), n + l0
    out = {}
    for la, lb in itertools.combinations_with_replacement(range(lo, hi + 1), 2):
        for power in (0, 2):
            total = sum(sp.Integer(m) ** power * _t(n, l0, la, m) * _t(n, l0, lb, m) for m in range(-min(n, l0), min(n, l0) + 1))
            out[(power, la, lb)] = sp.radsimp(sp.expand(total))
    return out


@cache
def _recursion_holds(n: int, l0: int) -> bool:
    """j A(j+1) T_{j+1} + B(j) T_j + (j+1) A(j) T_{j-1} = 0 for l = n, every j and m0 (exact)."""
    for j, m in itertools.product(range(abs(n - l0), n + l0 + 1), range(-min(n, l0), min(n, l0) + 1)):
        a_next, _ = recursion_coefficients(sp.Integer(j + 1), 0, -m, m)
        a_here, b_here = recursion_coefficients(sp.Integer(j), 0, -m, m)
        values = {ell: n, ell0: l0}
        lhs = j * a_next.subs(values) * _t(n, l0, j + 1, m) + b_here.subs(values) * _t(n, l0, j, m)
        if j > 0:
            lhs += (j + 1) * a_here.subs(values) * _t(n, l0, j - 1, m)
        if sp.radsimp(sp.expand(lhs)) != 0:
            return False
    return True


@identity("threej_m0_moments", "KPM", "(47); Schulten-Gordon recursion", covers=("m0_moment_0", "m0_moment_2_diagonal", "m0_moment_2_offdiagonal"))
def threej_m0_moments(kernels: Mapping[str, sp.Expr] | None = None) -> Verdict:
    """The emitted m0 moments equal exact sums of m0^0, m0^2 times (l l0 lA; -m0 m0 0)(l l0 lB; -m0 m0 0).

    l, l0 <= 3, every lA <= lB of the triangle: the zeroth moment (delta_AB/(2A+1)), the diagonal and
    the lB = lA + 2 second moments, and that all other second moments vanish (the tridiagonal form);
    also the Schulten-Gordon recursion itself, exactly.
    """
    m_zero, m_diag, m_off = (claimed(MIXING, name, kernels) for name in ("m0_moment_0", "m0_moment_2_diagonal", "m0_moment_2_offdiagonal"))
    failures = []
    recursion_ok = all(_recursion_holds(n, l0) for n, l0 in itertools.product(range(CHECK_LMAX + 1), repeat=2))
    for n, l0 in itertools.product(range(CHECK_LMAX + 1), repeat=2):
        for (power, la, lb), exact in _exact_moments(n, l0).items():
            values = {ell: n, ell0: l0, ellA: la}
            if power == 0:
                claim = m_zero.subs(values) if la == lb else 0
            elif lb == la:
                claim = m_diag.subs(values)
            elif lb == la + 2:
                claim = m_off.subs(values)
            else:
                continue
            if sp.radsimp(sp.expand(sp.sympify(claim) - exact)) != 0:
                failures.append((power, n, l0, la, lb))
            elif power == 2 and lb == la and la + 2 > n + l0 and sp.sympify(m_off.subs(values)) != 0:
                failures.append(("off beyond the triangle", n, l0, la))
        others = [key for key, value in _exact_moments(n, l0).items() if key[0] == 2 and key[2] - key[1] not in (0, 2) and value != 0]
        failures += [("tridiagonal", n, l0, *key[1:]) for key in others]
    ok = recursion_ok and not failures
    return verdict(ok, f"recursion exact: {recursion_ok}; l, l0 <= {CHECK_LMAX}: failures (power, l, l0, lA, lB) {failures[:5]}")
