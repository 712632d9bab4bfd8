"""The printer of the array kernels: SymPy expressions to Python source over an ``xp`` namespace (NumPy or CuPy).

Following SymForce's per-backend printers, :class:`XpPrinter` (the one printer base
crmix.codegen.printer.FunctionTable with SymPy's ``PythonCodePrinter``) decides every spelling: elementary functions become ``xp.sin`` etc.,
``Piecewise`` becomes nested ``xp.where`` (both branches are evaluated, so generated functions that
use it silence floating-point warnings), ``I`` becomes ``1j`` (complex arithmetic is Python's), Si and
Ci come from ``scipy.special`` / ``cupyx.scipy.special`` through ``crmix.backend.special(xp)``, and
``KroneckerDelta`` of the loop index of a recurrence becomes a Python conditional.
"""

from __future__ import annotations

from typing import ClassVar

import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from crmix.codegen.printer import FunctionTable

__all__ = ["SICI_INDEX", "XP_FUNCTIONS", "XpPrinter", "print_expression"]

#: SymPy function -> name in the xp namespace.
XP_FUNCTIONS = {
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "exp": "exp",
    "log": "log",
    "sqrt": "sqrt",
    "Abs": "abs",
    "floor": "floor",
    "ceiling": "ceil",
    "sinh": "sinh",
    "cosh": "cosh",
    "atan2": "arctan2",
}

#: SymPy function -> index into ``special(xp).sici(x)``.
SICI_INDEX = {"Si": 0, "Ci": 1}


class XpPrinter(FunctionTable, PythonCodePrinter):
    """Print one expression as array code; records which module-level helpers it needs."""

    functions: ClassVar[dict[str, str]] = {name: f"xp.{spelling}" for name, spelling in XP_FUNCTIONS.items()}

    def __init__(self, positive_first: bool = False) -> None:
        super().__init__({"fully_qualified_modules": False, "standard": "python3"})
        self.needs_special = False
        self.needs_where = False
        self.positive_first = positive_first

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:
        """With ``positive_first``, a sum starts with a positive term (a - b, not -b + a: no negation)."""
        terms = self._as_ordered_terms(expr, order=order)
        if self.positive_first and terms[0].could_extract_minus_sign():
            first = next((t for t in terms if not t.could_extract_minus_sign()), None)
            if first is not None:
                terms = [first, *(t for t in terms if t is not first)]
                return super()._print_Add(sp.Add(*terms, evaluate=False), order="none")
        return super()._print_Add(expr, order=order)

    # -- functions --------------------------------------------------------------------------------
    def _print_Function(self, expr: sp.Function) -> str:
        name = type(expr).__name__
        if name in SICI_INDEX:
            self.needs_special = True
            return f"special(xp).sici({', '.join(self._print(a) for a in expr.args)})[{SICI_INDEX[name]}]"
        return super()._print_Function(expr)

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        if expr.exp == sp.Rational(1, 2):
            return f"xp.sqrt({self._print(expr.base)})"
        if expr.base == -1:  # (-1)**n for an integer-valued array n: its parity, without float powers
            return f"(1 - 2 * (({self._print(expr.exp)}) % 2))"
        return super()._print_Pow(expr, rational=rational)

    # -- constants --------------------------------------------------------------------------------
    def _print_ImaginaryUnit(self, expr: sp.Expr) -> str:
        return "1j"

    def _print_Pi(self, expr: sp.Expr) -> str:
        return repr(float(sp.pi))

    def _print_EulerGamma(self, expr: sp.Expr) -> str:
        return repr(float(sp.EulerGamma))

    def _print_Rational(self, expr: sp.Rational) -> str:
        return f"({expr.p}/{expr.q})"

    def _print_Half(self, expr: sp.Rational) -> str:
        return "0.5"

    # -- branches ---------------------------------------------------------------------------------
    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        if expr.args[-1].cond != sp.true:
            raise ValueError("Piecewise without a final True branch cannot become xp.where")
        self.needs_where = True
        text = self._print(expr.args[-1].expr)
        for branch in reversed(expr.args[:-1]):
            text = f"xp.where({self._print(branch.cond)}, {self._print(branch.expr)}, {text})"
        return text

    def _print_Relational(self, expr: sp.core.relational.Relational) -> str:
        op = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}[expr.rel_op]
        return f"({self._print(expr.lhs)} {op} {self._print(expr.rhs)})"


def print_expression(expr: sp.Expr, positive_first: bool = False) -> tuple[str, XpPrinter]:
    """Source text of ``expr`` and the printer (whose flags say which helpers the text uses)."""
    printer = XpPrinter(positive_first)
    return printer.doprint(expr), printer
