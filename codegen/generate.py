"""Render derive's ``KERNELS`` into generated modules, deterministically, and compare with generated/.

Each module is rendered from ``templates/module.py.jinja`` (jinja2 with ``StrictUndefined``,
``trim_blocks``, ``lstrip_blocks``), kernels sorted by name, and stamped with the SHA-256 of its
inputs: the kernels' names, argument lists, ``srepr`` of the expressions and docs, the templates,
the printer's source and the SymPy version.  The same inputs always give the same bytes.

A :class:`~crmix.derive.expressions.Recurrence` becomes one loop function per entry of its
``functions`` (``templates/recurrence.py.jinja``): the terms the outputs need, their start values
(common subexpressions shared), and a loop over the index whose body holds the steps; common
subexpressions of the steps are shared and every subexpression free of the index and of the terms
is computed once before the loop.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import inspect
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2
import sympy as sp

from crmix.codegen import printer as printer_module
from crmix.codegen.config import MODULE_TEMPLATE, TARGETS, Target
from crmix.codegen.printer import print_expression
from crmix.derive.expressions import KernelExpr, Recurrence, RecurrenceTerm

TEMPLATE_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class RenderedKernel:
    """What the kernel template needs for one function."""

    name: str
    args: tuple[str, ...]
    doc_lines: tuple[str, ...]
    sympy_text: str
    assignments: tuple[tuple[str, str], ...]
    body: str
    needs_where: bool
    needs_special: bool


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


def generated_dir() -> Path:
    """The folder of the ``crmix.generated`` package."""
    return Path(importlib.import_module("crmix.generated").__file__).parent


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def _render_kernel(kernel: KernelExpr) -> RenderedKernel:
    # Common subexpressions become local variables _t0, _t1, ... (as SymForce does).
    replacements, (reduced,) = sp.cse(kernel.expr, symbols=sp.numbered_symbols("_t"), order="canonical")
    assignments = []
    needs_where = needs_special = False
    for symbol, sub in [*replacements, (None, reduced)]:
        text, printer = print_expression(sub)
        needs_where |= printer.needs_where
        needs_special |= printer.needs_special
        if symbol is not None:
            assignments.append((str(symbol), text))
    body = text
    sympy_text = sp.sstr(kernel.expr)
    if len(sympy_text) > 400:
        sympy_text = sympy_text[:400] + " ..."
    doc = textwrap.wrap(" ".join(kernel.doc.split()), width=96) or [kernel.name]
    return RenderedKernel(
        name=kernel.name,
        args=tuple(str(a) for a in kernel.args),
        doc_lines=tuple(doc),
        sympy_text=sympy_text.replace("\\", "\\\\"),
        assignments=tuple(assignments),
        body=body,
        needs_where=needs_where,
        needs_special=needs_special,
    )


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


def _render_recurrence(rec: Recurrence) -> list[RenderedRecurrence]:
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


def inputs_digest(kernels: Sequence[KernelExpr | Recurrence]) -> str:
    """SHA-256 of everything the output depends on (module docstring)."""
    h = hashlib.sha256()
    for kernel in kernels:
        exprs = [f"{key}={sp.srepr(e)}" for key, e in kernel.expressions().items()]
        extra = [sp.srepr(kernel.index), repr(kernel.functions)] if isinstance(kernel, Recurrence) else []
        for part in (kernel.name, repr([sp.srepr(a) for a in kernel.args]), *exprs, *extra, kernel.doc):
            h.update(part.encode())
            h.update(b"\0")
    for template in sorted(TEMPLATE_DIR.glob("*.jinja")):
        h.update(template.name.encode() + b"\0" + template.read_bytes())
    h.update(inspect.getsource(printer_module).encode())
    h.update(sp.__version__.encode())
    return h.hexdigest()


def render_module(target: Target, kernels: Iterable[KernelExpr | Recurrence]) -> str:
    """Source text of the generated module for ``target`` from ``kernels`` (kernels and recurrences)."""
    ordered = sorted(kernels, key=lambda k: k.name)
    rendered = [_render_kernel(k) for k in ordered if isinstance(k, KernelExpr)]
    loops = [f for k in ordered if isinstance(k, Recurrence) for f in _render_recurrence(k)]
    names = [k.name for k in rendered] + [f.name for f in loops]
    if len(set(names)) != len(names) or len({k.name for k in ordered}) != len(ordered):
        raise ValueError(f"{target.source}: duplicate kernel names in {names}")
    template = _environment().get_template(MODULE_TEMPLATE)
    return template.render(
        digest=inputs_digest(ordered),
        title=target.title,
        source=target.source,
        sympy_version=sp.__version__,
        names=sorted(names),
        kernels=rendered,
        recurrences=loops,
        backend_imports=[name for name, used in (("quiet_errors", any(k.needs_where for k in rendered)),
                                                 ("special", any(k.needs_special for k in [*rendered, *loops]))) if used],
    )


def load_kernels(target: Target) -> list[KernelExpr | Recurrence] | None:
    """``KERNELS`` of the target's source module, or None when that module does not exist yet."""
    try:
        module = importlib.import_module(target.source)
    except ModuleNotFoundError as exc:
        if exc.name == target.source:
            return None
        raise
    return list(module.KERNELS)


@dataclass(frozen=True)
class Outcome:
    """Result of generating one target: its path, whether it changed, and the diff."""

    target: Target
    path: Path
    status: str  # "unchanged", "written", "stale", "skipped"
    diff: str = ""


def generate(targets: Sequence[Target] = TARGETS, *, out_dir: Path | None = None, check: bool = False) -> list[Outcome]:
    """Render every target; write it (or, with ``check``, only compare and report the diff)."""
    out_dir = generated_dir() if out_dir is None else Path(out_dir)
    outcomes = []
    for target in targets:
        path = out_dir / target.output
        kernels = load_kernels(target)
        if kernels is None:
            outcomes.append(Outcome(target, path, "skipped"))
            continue
        text = render_module(target, kernels)
        current = path.read_text() if path.exists() else ""
        if current == text:
            outcomes.append(Outcome(target, path, "unchanged"))
            continue
        diff = "".join(
            difflib.unified_diff(
                current.splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"{path} (committed)",
                tofile=f"{path} (crmix codegen)",
            )
        )
        if check:
            outcomes.append(Outcome(target, path, "stale", diff))
        else:
            path.write_text(text)
            outcomes.append(Outcome(target, path, "written", diff))
    return outcomes
