"""The one printer base of every backend: SymPy functions spelled through the backend's table.

Each backend's printer (crmix.codegen.backends.<name>.printer) combines :class:`FunctionTable` with
one of SymPy's language printers (Python, C99) and adds its own spellings: the array kernels print
``xp.`` functions, Piecewise as ``xp.where`` and Si/Ci through ``special(xp)``; the pushers print
squares as products and refuse non-integer constants (crmix.codegen.backends.pusher).
"""

from __future__ import annotations

from typing import Any, ClassVar

import sympy as sp

__all__ = ["FunctionTable"]


class FunctionTable:
    """A printer mixin (placed before SymPy's printer class): ``functions`` maps a SymPy function name to its spelling."""

    functions: ClassVar[dict[str, str]] = {}
    _print: Any

    def _print_Function(self, expr: sp.Function) -> str:
        name = type(expr).__name__
        if name not in self.functions:
            raise ValueError(f"{type(self).__name__} cannot print the function {name}; add it to its functions")
        return f"{self.functions[name]}({', '.join(self._print(a) for a in expr.args)})"


def _by_table(self: FunctionTable, expr: sp.Function) -> str:
    return self._print_Function(expr)  # dispatched late: a backend's own _print_Function (e.g. Si, Ci) applies


for _name in ("sin", "cos", "tan", "exp", "log", "Abs", "floor", "ceiling", "sinh", "cosh", "atan2", "Si", "Ci"):
    setattr(FunctionTable, f"_print_{_name}", _by_table)
