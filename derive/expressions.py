"""The hand-over format from derive/ to codegen/: named SymPy expressions with their arguments.

A derive module that feeds code generation defines ``KERNELS``, a list of :class:`KernelExpr` (one
vectorised function ``name(*args, xp)``) and :class:`Recurrence` (a forward recurrence in an index,
emitted as one vectorised loop).  codegen/ renders exactly these objects, and the registered checks
that verify them read the same list through :func:`emitted` when they run: there is one copy of
every expression, and a change to it reaches both the generated code and the checks.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Mapping
from dataclasses import dataclass

import sympy as sp

__all__ = ["KernelExpr", "Recurrence", "RecurrenceTerm", "claimed", "emitted"]


def _check_symbols(name: str, expr: sp.Expr, allowed: set[sp.Symbol]) -> None:
    free = sp.sympify(expr).free_symbols - allowed
    if free:
        raise ValueError(f"{name}: expression uses symbols not in its arguments: {sorted(map(str, free))}")


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
        _check_symbols(f"kernel {self.name}", self.expr, set(self.args))

    def expressions(self) -> dict[str, sp.Expr]:
        """Every expression this entry emits, by key (here the one ``expr``)."""
        return {"expr": self.expr}

    def with_expression(self, key: str, expr: sp.Expr) -> KernelExpr:
        """A copy with the expression ``key`` (see :meth:`expressions`) replaced."""
        if key != "expr":
            raise ValueError(f"kernel {self.name} has only the expression 'expr', got {key!r}")
        return dataclasses.replace(self, expr=expr)


@dataclass(frozen=True)
class RecurrenceTerm:
    """One sequence T_l of a :class:`Recurrence`.

    current, previous
        Symbols standing for T_l and T_{l-1} in the step expressions (of this and other terms).
    before, start
        T_{-1} and T_0, in the recurrence's arguments.
    step
        T_{l+1} in the index, the arguments, and the ``current``/``previous`` symbols of the terms.
    """

    current: sp.Symbol
    previous: sp.Symbol
    before: sp.Expr
    start: sp.Expr
    step: sp.Expr

    @property
    def name(self) -> str:
        return str(self.current)


@dataclass(frozen=True)
class Recurrence:
    """A forward recurrence in ``index`` = 0, 1, ..., lmax - 1, emitted as vectorised loops.

    Each entry of ``functions`` (function name, returned terms) becomes ``name(lmax, *args, xp)``,
    which returns the listed terms for l = 0..lmax as arrays of shape (lmax + 1, *args[0].shape)
    and evaluates only the terms they depend on.
    """

    name: str
    index: sp.Symbol
    args: tuple[sp.Symbol, ...]
    terms: tuple[RecurrenceTerm, ...]
    functions: tuple[tuple[str, tuple[str, ...]], ...]
    doc: str

    def __post_init__(self) -> None:
        names = [t.name for t in self.terms]
        for fname, outputs in self.functions:
            if not fname.isidentifier():
                raise ValueError(f"recurrence {self.name}: function name must be an identifier, got {fname!r}")
            unknown = set(outputs) - set(names)
            if unknown or not outputs:
                raise ValueError(f"recurrence {self.name}: {fname} returns unknown or no terms {sorted(unknown)}")
        state = {s for t in self.terms for s in (t.current, t.previous)}
        for t in self.terms:
            _check_symbols(f"recurrence {self.name}, {t.name} start", t.start, set(self.args))
            _check_symbols(f"recurrence {self.name}, {t.name} before", t.before, set(self.args))
            _check_symbols(f"recurrence {self.name}, {t.name} step", t.step, {*self.args, self.index, *state})

    def term(self, name: str) -> RecurrenceTerm:
        """The term whose ``current`` symbol is called ``name``."""
        for t in self.terms:
            if t.name == name:
                return t
        raise ValueError(f"recurrence {self.name} has no term {name!r}; terms: {[t.name for t in self.terms]}")

    def expressions(self) -> dict[str, sp.Expr]:
        """Every expression this entry emits: '<term>.before', '<term>.start', '<term>.step'."""
        return {f"{t.name}.{part}": getattr(t, part) for t in self.terms for part in ("before", "start", "step")}

    def with_expression(self, key: str, expr: sp.Expr) -> Recurrence:
        """A copy with the expression ``key`` (see :meth:`expressions`) replaced."""
        term_name, _, part = key.partition(".")
        if part not in ("before", "start", "step"):
            raise ValueError(f"recurrence {self.name}: key must be '<term>.before|start|step', got {key!r}")
        old = self.term(term_name)
        new = dataclasses.replace(old, **{part: expr})
        return dataclasses.replace(self, terms=tuple(new if t is old else t for t in self.terms))


def emitted(source: str, name: str) -> KernelExpr | Recurrence:
    """The entry ``name`` of the ``KERNELS`` of derive module ``source``, looked up at every call.

    This is what codegen renders; a check that verifies an emitted expression reads it here, so
    that a change to ``KERNELS`` (in the source, or patched by a test) reaches the check.
    """
    entries = importlib.import_module(source).KERNELS
    for entry in entries:
        if entry.name == name:
            return entry
    raise ValueError(f"{source} emits no {name!r}; it emits {[e.name for e in entries]}")


def claimed(source: str, name: str, overrides: Mapping[str, sp.Expr] | None = None) -> sp.Expr:
    """The expression a check verifies for kernel ``name``: ``overrides[name]`` when given (a claim
    under test, e.g. a seed's printed form), else the emitted one (:func:`emitted`)."""
    if overrides and name in overrides:
        return sp.sympify(overrides[name])
    entry = emitted(source, name)
    if not isinstance(entry, KernelExpr):
        raise ValueError(f"{source}.{name} is a {type(entry).__name__}, not a KernelExpr")
    return entry.expr
