"""The hand-over format from derive/ to codegen/: named SymPy expressions with their arguments.

A derive module that feeds code generation defines ``KERNELS: list[KernelExpr]``; codegen/ turns
each entry into one vectorised function ``name(*args, xp)`` in a generated module.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp


@dataclass(frozen=True)
class KernelExpr:
    """One kernel: ``name(*args, xp) = expr``.

    name
        Python identifier of the generated function.
    args
        The SymPy symbols the expression depends on, in call order (arrays broadcast).
    expr
        The SymPy expression (``Piecewise`` allowed; it becomes ``xp.where``).
    doc
        One paragraph for the generated docstring; cites the seed equation it implements.
    """

    name: str
    args: tuple[sp.Symbol, ...]
    expr: sp.Expr
    doc: str

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"kernel name must be a Python identifier, got {self.name!r}")
        free = self.expr.free_symbols - set(self.args)
        if free:
            raise ValueError(f"kernel {self.name}: expression uses symbols not in args: {sorted(map(str, free))}")
