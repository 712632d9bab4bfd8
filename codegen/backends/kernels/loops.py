"""Recurrences as vectorised loops: what the kernels backend's ``templates/recurrence.py.jinja`` renders for a
:class:`~crmix.derive.expressions.Recurrence`.

Each entry of the recurrence's ``functions`` becomes one function ``name(lmax, *args, xp)`` that
evaluates only the terms its outputs depend on: their values at l = -1 and 0 (common subexpressions
shared), then a loop over the index whose body holds the steps.  Common subexpressions of the start
values and steps are shared; every subexpression free of the index and of the terms (and every
group of such factors in a product) is computed once before the loop; sums are printed starting
with a positive term, so that no array is negated.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from dataclasses import dataclass

import sympy as sp

from crmix.codegen.backends.kernels.printer import print_expression
from crmix.derive.expressions import Recurrence, RecurrenceTerm

__all__ = ["RenderedRecurrence", "render_recurrence"]


@dataclass(frozen=True)
class RenderedRecurrence:
    """What the recurrence template needs for one loop function."""

    name: str
    args: tuple[str, ...]
    index: str
    doc_lines: tuple[str, ...]
    step_lines: tuple[str, ...]
    setup: tuple[tuple[str, str], ...]
    outputs: tuple[tuple[str, str], ...]
    body: tuple[tuple[str, str], ...]
    shifts: tuple[tuple[str, str, str], ...]
    needs_special: bool


def _needed_terms(rec: Recurrence, outputs: tuple[str, ...]) -> list:
    """The terms of ``rec`` that the ``outputs`` depend on through the steps, in the recurrence's order."""
    needed = set(outputs)
    while True:
        grown = needed | {t.name for t in rec.terms for n in needed
                          if {t.current, t.previous} & rec.term(n).step.free_symbols}
        if grown == needed:
            return [t for t in rec.terms if t.name in needed]
        needed = grown


def _hoist(expr: sp.Expr, invariant: set, names: Iterable[sp.Symbol], hoisted: dict) -> sp.Expr:
    """``expr`` with its maximal subexpressions free of all but ``invariant`` symbols replaced by new
    symbols (``hoisted``: expression -> symbol); invariant factors of a product are grouped."""
    if expr.is_Atom:
        return expr
    if expr.free_symbols <= invariant:
        if expr not in hoisted:
            hoisted[expr] = next(names)
        return hoisted[expr]
    if isinstance(expr, sp.Mul):  # numbers stay (a sign prints as a subtraction)
        fixed = [a for a in expr.args if a.free_symbols <= invariant and not a.is_Number]
        if len(fixed) > 1 or (fixed and not fixed[0].is_Atom):
            rest = [_hoist(a, invariant, names, hoisted) for a in expr.args if a not in fixed]
            return sp.Mul(_hoist(sp.Mul(*fixed), invariant, names, hoisted), *rest)
    return expr.func(*[_hoist(a, invariant, names, hoisted) for a in expr.args])


def _print_all(pairs: Iterable[tuple[sp.Symbol, sp.Expr]], flags: list[bool]) -> tuple[tuple[str, str], ...]:
    out = []
    for symbol, expr in pairs:
        text, printer = print_expression(expr, positive_first=True)
        if printer.needs_where:
            raise ValueError(f"a recurrence cannot hold a Piecewise ({symbol} = {expr})")
        flags.append(printer.needs_special)
        out.append((str(symbol), text))
    return tuple(out)


def _parts(term: RecurrenceTerm) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    return term.before, term.start, term.step


def render_recurrence(rec: Recurrence) -> list[RenderedRecurrence]:
    """One :class:`RenderedRecurrence` per entry of ``rec.functions`` (module docstring)."""
    rendered = []
    for fname, outputs in rec.functions:
        terms = _needed_terms(rec, outputs)
        starts = [e for t in terms for e in (t.before, t.start)]
        # common subexpressions of the start values and the steps together; those free of the index
        # and the terms (and every such part of the rest) are computed before the loop
        reps, reduced = sp.cse([*starts, *(t.step for t in terms)], symbols=sp.numbered_symbols("_t"), order="canonical")
        invariant = set(rec.args)
        setup, inlined = [], {}
        for symbol, expr in reps:
            if expr.free_symbols <= invariant:
                setup.append((symbol, expr))
                invariant.add(symbol)
            else:
                inlined[symbol] = expr.xreplace(inlined)
        names = sp.numbered_symbols("_c")
        hoisted: dict = {}
        steps = [_hoist(step.xreplace(inlined), invariant, names, hoisted) for step in reduced[len(starts) :]]
        setup += [(sym, e) for e, sym in hoisted.items()]
        for t, before, start in zip(terms, reduced[: len(starts) : 2], reduced[1 : len(starts) : 2]):
            setup += [(t.previous, before), (t.current, start)]
        # the loop body: the steps with the invariant factors grouped, and their common subexpressions
        loop_reps, loop_steps = sp.cse(steps, symbols=sp.numbered_symbols("_u"), order="canonical")
        body = [*loop_reps, *((sp.Symbol(f"_next_{t.name}"), step) for t, step in zip(terms, loop_steps))]
        flags: list[bool] = []
        rendered.append(RenderedRecurrence(
            name=fname,
            args=tuple(str(a) for a in rec.args),
            index=str(rec.index),
            doc_lines=tuple(textwrap.wrap(" ".join(rec.doc.split()), width=96)),
            step_lines=tuple(f"{t.name}_(l+1) = {sp.sstr(t.step)}".replace("\\", "\\\\") for t in terms),
            setup=_print_all(setup, flags),
            outputs=tuple((name, "complex" if any(sp.sympify(e).has(sp.I) for e in _parts(rec.term(name))) else "float")
                          for name in outputs),
            body=_print_all(body, flags),
            shifts=tuple((str(t.previous), str(t.current), f"_next_{t.name}") for t in terms),
            needs_special=any(flags),
        ))
    return rendered
