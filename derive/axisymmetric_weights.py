"""SymPy expressions of the generic (axisymmetric) mixing-matrix contraction, handed to codegen.

The reduction is stated in docs/physics.md ("Axisymmetric turbulence on helical orbits") and its
identities are checked in :mod:`crmix.derive.axisymmetric`.  In short: for one wave vector the
(1c) insertion on a particle is the operator O = sum_q (-1)^q W_q(p) L_{-q}, with W_q the field
seen along the backward orbit.  Expanding W_q in Y_L^N and recoupling Y_L (rank L) with L (rank 1)
to rank J,

    Y_L^N L_{-q} = sum_J <L N; 1 -q | J N-q> [Y_L x L]^J_{N-q},

the m, m0 sums of M^(1c) close by Wigner-Eckart and 3j orthogonality; what is left per
(l, l0, J) is the reduced matrix element of [Y_L x L]^J (Edmonds (7.1.1)),

    <l||[Y_L x L]^J||l0> ~ sqrt(2J+1) {L 1 J; l0 l l0} <l||Y_L||l0> <l0||L||l0>,

so that M^(1c)_{l l0} = sum_J sum_{LA, LB} rho(LA) rho(LB) Re K^J_{LA LB} with
rho(L) = chi(l, l0, L, J) (l L l0; 0 0 0) and L = J - 1, J, J + 1 only.  The coupling weight

    chi(l, l0, L, J) = (2 l0 + 1) sqrt((2L+1) l0 (l0+1) / (4 pi)) {L 1 J; l0 l l0}

is derived here from the closed forms of 6j symbols with one argument 1 (Edmonds, Table 5), in the
form {l l0 C; 1 C-1 l0} (L = J +- 1, C = max(L, J)) and {l l0 L; 1 L l0} (L = J).  The kernels
emit chi (-1)^(J + l + l0): that phase is common to every term of one J (the LA = J - 1, J + 1
pair shares it, the LA = LB = J term is a square), so it cancels in M and the kernels need no parity.  The rank-one
Clebsch-Gordan coefficients <L M; 1 m2 | J M+m2> (J = L - 1, L, L + 1) of the recoupling are the
standard table.  Both are valid where the triangle conditions hold (the solver evaluates them
only there); ``crmix.derive.axisymmetric`` checks every one against SymPy's Racah formulas.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from crmix.derive.expressions import KernelExpr

__all__ = ["CLEBSCH_RANK_ONE", "COUPLINGS", "COUPLING_CASES", "DELTAS", "KERNELS", "clebsch_kernel_name", "coupling_kernel_name"]  # noqa: F822 - from __getattr__

ell, ell0, L, J, M = sp.symbols("ell ell0 L J M", integer=True)
_a, _b, _c = sp.symbols("a b c", integer=True, positive=True)

#: The three recouplings, named by L relative to J: L = J - 1, L = J, L = J + 1.
COUPLING_CASES = ("below", "equal", "above")
#: L - J per case.
DELTAS = {"below": -1, "equal": 0, "above": 1}
_M2_NAMES = {-1: "minus", 0: "zero", 1: "plus"}


def _sixj_lower_pair(a: sp.Expr, b: sp.Expr, c: sp.Expr) -> sp.Expr:
    """{a b c; 1 c-1 b} (Edmonds, Table 5), s = a + b + c."""
    s = a + b + c
    return (-1) ** s * sp.sqrt(2 * (s + 1) * (s - 2 * a) * (s - 2 * b) * (s - 2 * c + 1)
                               / (2 * b * (2 * b + 1) * (2 * b + 2) * (2 * c - 1) * 2 * c * (2 * c + 1)))


def _sixj_equal_pair(a: sp.Expr, b: sp.Expr, c: sp.Expr) -> sp.Expr:
    """{a b c; 1 c b} (Edmonds, Table 5), s = a + b + c."""
    s = a + b + c
    return (-1) ** (s + 1) * 2 * (b * (b + 1) + c * (c + 1) - a * (a + 1)) / sp.sqrt(
        2 * b * (2 * b + 1) * (2 * b + 2) * 2 * c * (2 * c + 1) * (2 * c + 2))


def _normalisation(big_l: sp.Expr) -> sp.Expr:
    """(2 l0 + 1) sqrt((2L+1) l0 (l0+1) / (4 pi)): <l0||L||l0>, <l||Y_L||l0> and the (2l+1) of M."""
    return (2 * ell0 + 1) * sp.sqrt((2 * big_l + 1) * ell0 * (ell0 + 1) / (4 * sp.pi))


def _tidy(expr: sp.Expr) -> sp.Expr:
    """One compact form (valid where every factor under a root is >= 0, i.e. on the triangles)."""
    pos = {s: sp.Symbol(s.name, positive=True, integer=True) for s in (ell, ell0, L, J)}
    back = {v: k for k, v in pos.items()}
    return sp.powsimp(sp.factor(expr.subs(pos)), force=True).subs(back)


@cache
def _couplings() -> dict[str, tuple[tuple[sp.Symbol, ...], sp.Expr]]:
    """(-1)^(J+l+l0) chi for L = J - 1 (args l, l0, J), L = J (args l, l0, L), L = J + 1 (args l, l0, J)."""
    sub = lambda e, c: e.subs({_a: ell, _b: ell0, _c: c})  # noqa: E731
    phase = lambda j: (-1) ** (j + ell + ell0)  # noqa: E731
    return {
        "below": ((ell, ell0, J), _tidy(phase(J) * _normalisation(J - 1) * sub(_sixj_lower_pair(_a, _b, _c), J))),
        "equal": ((ell, ell0, L), _tidy(phase(L) * _normalisation(L) * sub(_sixj_equal_pair(_a, _b, _c), L))),
        "above": ((ell, ell0, J), _tidy(phase(J) * _normalisation(J + 1) * sub(_sixj_lower_pair(_a, _b, _c), J + 1))),
    }


def _clebsch_table() -> dict[tuple[str, int], sp.Expr]:
    """<L M; 1 m2 | J M+m2> per (case, m2); the case names L relative to J (Condon-Shortley phases)."""
    up = {1: sp.sqrt((L + M + 1) * (L + M + 2) / ((2 * L + 1) * (2 * L + 2))),
          0: sp.sqrt((L - M + 1) * (L + M + 1) / ((2 * L + 1) * (L + 1))),
          -1: sp.sqrt((L - M + 1) * (L - M + 2) / ((2 * L + 1) * (2 * L + 2)))}
    same = {1: -sp.sqrt((L + M + 1) * (L - M) / (2 * L * (L + 1))),
            0: M / sp.sqrt(L * (L + 1)),
            -1: sp.sqrt((L - M + 1) * (L + M) / (2 * L * (L + 1)))}
    down = {1: sp.sqrt((L - M - 1) * (L - M) / (2 * L * (2 * L + 1))),
            0: -sp.sqrt((L - M) * (L + M) / (L * (2 * L + 1))),
            -1: sp.sqrt((L + M) * (L + M - 1) / (2 * L * (2 * L + 1)))}
    table = {}
    for case, entries in (("below", up), ("equal", same), ("above", down)):
        # "below": L = J - 1, i.e. J = L + 1 (the "up" column); "above": J = L - 1
        for m2, expr in entries.items():
            table[(case, m2)] = expr
    return table


def clebsch_kernel_name(case: str, m2: int) -> str:
    """Name of the generated kernel <L M; 1 m2 | J M+m2> for ``case`` in COUPLING_CASES (L vs J)."""
    return f"clebsch_rank_one_{case}_{_M2_NAMES[m2]}"


def coupling_kernel_name(case: str) -> str:
    """Name of the generated coupling weight chi for ``case`` in COUPLING_CASES."""
    return f"coupling_{case}"


@cache
def _kernels() -> tuple[KernelExpr, ...]:
    out = []
    for case, (args, expr) in _couplings().items():
        rel = {"below": "L = J - 1", "equal": "L = J", "above": "L = J + 1"}[case]
        out.append(KernelExpr(
            name=coupling_kernel_name(case), args=args, expr=expr,
            doc=f"Coupling weight (-1)^(J+l+l0) chi(l, l0, L, J), chi = (2l0+1) sqrt((2L+1) l0(l0+1)/(4 pi)) {{L 1 J; l0 l l0}}, for {rel} "
                "(Edmonds Table 5): with the zero-m 3j symbol (l L l0; 0 0 0) it weights Re K^J_{LA LB} in the generic "
                "M^(1c)_{l l0} (docs/physics.md, axisymmetric turbulence).  Valid on the triangles (l, l0, J), (l, l0, L).",
        ))
    for (case, m2), expr in _clebsch_table().items():
        rel = {"below": "J = L + 1", "equal": "J = L", "above": "J = L - 1"}[case]
        out.append(KernelExpr(
            name=clebsch_kernel_name(case, m2), args=(L, M), expr=expr,
            doc=f"Clebsch-Gordan coefficient <L M; 1 {m2} | J M{m2:+d}> for {rel}, which recouples Y_L^M L_q to rank J "
                "in the generic M^(1c) (docs/physics.md, axisymmetric turbulence).  Valid for |M| <= L, |M + m2| <= J.",
        ))
    return tuple(out)


def __getattr__(name: str):  # derived on first use (the simplification takes a moment)
    if name == "KERNELS":
        return list(_kernels())
    if name == "COUPLINGS":
        return dict(_couplings())
    if name == "CLEBSCH_RANK_ONE":
        return dict(_clebsch_table())
    raise AttributeError(name)
