"""The backend-neutral description of the pusher that every backend template renders.

From ``crmix.derive.boris`` (the step) and ``crmix.derive.lookups`` (the lookups and the field
kinds) it builds plain data for jinja2: the step's assignments printed in their order, each lookup's
loads, its common subexpressions (``sp.cse``, as for the other generated kernels) and its value per
component, and each field kind with its parameters.  The arithmetic text is printed by the
backend's printer, which shares :class:`ArithmeticPrinting` with the others: every backend spells
(and so rounds) each expression alike, which is what makes NumPy and numba agree bit for bit.  The
index arithmetic (floor, modulo n, the gathers) is written in each backend's template.

The output is stamped with the digest (crmix.codegen.digest) of every input: the step and lookups
(``srepr``), the field kinds, the template, this module's and the backend's printer and config
sources, and the SymPy version.  :class:`PusherBackend` is the renderer object of each pusher
backend (crmix.codegen.backends.numpy, .numba, .cuda: ``BACKEND``).
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import sympy as sp
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.pycode import PythonCodePrinter

from crmix.codegen.backend import Backend
from crmix.codegen.digest import inputs_digest
from crmix.codegen.printer import FunctionTable
from crmix.derive import boris, lookups
from crmix.derive.lookups import AXES, PeriodicGrid, PlaneWaveSum

if TYPE_CHECKING:
    from crmix.codegen.config import Target

__all__ = ["ArithmeticPrinting", "PusherBackend", "PythonArithmeticPrinting", "context"]

SOURCES = (boris.__name__, lookups.__name__)


class ArithmeticPrinting(FunctionTable):
    """Spellings shared by the pusher backends' printers (a mixin placed before SymPy's printer class).

    x**2 becomes x*x and x**-1 becomes 1/x in every language, integers stay integers (an integer
    literal takes the kernel's real type in C), and a non-integer number is refused: the step and the
    lookups need none, and a float literal would silently be double precision in a float kernel.
    ``functions`` (crmix.codegen.printer.FunctionTable) maps SymPy function names to the backend's spelling.
    """

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        base = self.parenthesize(expr.base, PRECEDENCE["Mul"], strict=True)
        if expr.exp == 2:
            return f"{base}*{base}"
        if expr.exp == -1:
            return f"1/{base}"
        raise ValueError(f"only squares and reciprocals are printed, got {expr}")

    def _print_Rational(self, expr: sp.Rational) -> str:
        raise ValueError(f"non-integer constant {expr} in a pusher expression")

    _print_Float = _print_Half = _print_Rational


class PythonArithmeticPrinting(ArithmeticPrinting, PythonCodePrinter):
    """SymPy's Python 3 printer with the shared spellings (the numba and NumPy backends set ``functions``)."""

    def __init__(self) -> None:
        super().__init__({"fully_qualified_modules": False, "standard": "python3"})


def _print_values(values: dict[str, sp.Expr], doprint: Callable[[sp.Expr], str]) -> dict[str, Any]:
    """Common subexpressions and the value of every component (None where it is identically zero)."""
    present = [c for c in AXES if c in values]
    replacements, reduced = sp.cse([values[c] for c in present], symbols=sp.numbered_symbols("_t"), order="canonical")
    printed = dict(zip(present, (doprint(e) for e in reduced)))
    return {
        "assignments": [(str(s), doprint(e)) for s, e in replacements],
        "values": [(c, printed.get(c)) for c in AXES],
        "nonzero": present,
    }


def _grid_context(lookup: PeriodicGrid, doprint: Callable[[sp.Expr], str]) -> dict[str, Any]:
    corners = []
    for corner in lookup.corners:
        bits = "".join(map(str, corner))
        corners.append({"bits": bits, "index": [("j_" if k else "i_") + a for k, a in zip(corner, lookup.axes)]})
    loads = [(lookup.node(corner, c).name, "".join(map(str, corner)), k) for corner in lookup.corners for k, c in enumerate(lookup.components)]
    return {
        "family": "grid",
        "name": lookup.name,
        "doc": textwrap.wrap(lookup.doc, 92),
        "params": list(zip(lookup.parameters, lookup.ranks)),
        "values_name": lookup.parameters[0],
        "inv_name": lookup.parameters[1],
        "levels": lookup.levels,
        "axes": [{"axis": a, "dim": int(lookup.levels) + k} for k, a in enumerate(lookup.axes)],
        "rank": lookup.ranks[0],
        "corners": corners,
        "loads": loads,
        **_print_values(lookup.interpolant(), doprint),
    }


def _waves_context(lookup: PlaneWaveSum, doprint: Callable[[sp.Expr], str]) -> dict[str, Any]:
    k_name, a_name, phase_name = lookup.parameters
    loads = [(s.name, k_name, i) for i, s in enumerate(lookup.wave_vector())]
    loads += [(lookup.amplitude(c).name, a_name, i) for i, c in enumerate(AXES)]
    loads.append((lookup.phase_offset().name, phase_name, None))
    return {
        "family": "waves",
        "name": lookup.name,
        "doc": textwrap.wrap(lookup.doc, 92),
        "params": list(zip(lookup.parameters, lookup.ranks)),
        "modes_name": k_name,
        "loads": loads,
        **_print_values(lookup.term(), doprint),
    }


def _fields_context(by_name: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    fields = []
    for kind in lookups.FIELD_KINDS:
        unknown = [name for name in kind if name not in by_name]
        if unknown:
            raise ValueError(f"FIELD_KINDS {kind}: no lookup named {unknown}; lookups: {sorted(by_name)}")
        single = len(kind) == 1
        parts = []
        for p, name in enumerate(kind):
            prefix = "" if single else f"p{p}_"
            parts.append({"lookup": name, "params": [(prefix + n, r) for n, r in by_name[name]["params"]]})
        fields.append({
            "key": "+".join(kind),
            "ident": "_plus_".join(kind),
            "single": single,
            "parts": parts,
            "params": [p for part in parts for p in part["params"]],
            "ranks": tuple(r for part in parts for _, r in part["params"]),
        })
    return fields


def _step_context(doprint: Callable[[sp.Expr], str]) -> dict[str, Any]:
    step = boris.BORIS_STEP
    names = lambda symbols: [s.name for s in symbols]  # noqa: E731
    return {
        "state": names(step.state),
        "new_state": names(step.new_state),
        "parameters": names(step.parameters),
        "drift": [(s.name, doprint(e)) for s, e in step.drift],
        "field_point": names(step.field_point),
        "field": names(step.field),
        "kick": [(s.name, doprint(e)) for s, e in step.kick],
        "updates": list(zip(names(step.state), names(step.new_state))),
    }


def context(doprint: Callable[[sp.Expr], str]) -> dict[str, Any]:
    """Step, lookups and field kinds, their arithmetic printed by ``doprint``."""
    lookups_ctx = [_grid_context(lk, doprint) if isinstance(lk, PeriodicGrid) else _waves_context(lk, doprint) for lk in lookups.LOOKUPS]
    return {
        "step": _step_context(doprint),
        "lookups": lookups_ctx,
        "fields": _fields_context({lk["name"]: lk for lk in lookups_ctx}),
    }


def pusher_parts() -> list[str]:
    """The step and the lookups as text (``srepr``), read when rendering (a changed derive changes the digest)."""
    parts = []
    step = boris.BORIS_STEP
    for part in (step.state, step.new_state, step.parameters, step.field_point, step.field):
        parts.append(repr([sp.srepr(s) for s in part]))
    for symbol, expr in step.assignments:
        parts.append(sp.srepr(symbol) + "=" + sp.srepr(expr))
    for lookup in lookups.LOOKUPS:
        parts.append(repr(lookup))
        values = lookup.interpolant() if isinstance(lookup, PeriodicGrid) else lookup.term()
        parts.append(repr({c: sp.srepr(e) for c, e in values.items()}))
    parts.append(repr(lookups.FIELD_KINDS))
    return parts


@dataclass(frozen=True)
class PusherBackend(Backend):
    """A pusher backend: its template, its printer class (a SymPy printer with :class:`ArithmeticPrinting`), its config."""

    name: str
    template_dir: Path
    template: str
    printer: type
    config: Mapping[str, Any] = field(default_factory=dict)
    config_module: ModuleType | None = None

    def doprint(self, expr: sp.Expr) -> str:
        return str(self.printer().doprint(expr))

    def render(self, target: Target) -> str:
        """The text of ``target`` from the backend's template, with its config."""
        modules = [sys.modules[__name__], sys.modules[self.printer.__module__]]
        if self.config_module is not None:
            modules.append(self.config_module)
        digest = inputs_digest(pusher_parts(), templates=[self.template_dir / self.template], modules=modules)
        return self.environment().get_template(self.template).render(
            digest=digest, title=target.title, sources=SOURCES, sympy_version=sp.__version__, **context(self.doprint), **self.config,
        )
