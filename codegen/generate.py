"""Render derive's ``KERNELS`` into generated modules, deterministically, and compare with generated/.

Each module is rendered from ``templates/module.py.jinja`` (jinja2 with ``StrictUndefined``,
``trim_blocks``, ``lstrip_blocks``), kernels sorted by name, and stamped with the SHA-256 of its
inputs: the kernels' names, argument lists, ``srepr`` of the expressions and docs, the templates,
the sources of the printer and of the loop renderer, and the SymPy version.  The same inputs always
give the same bytes.

A :class:`~crmix.derive.expressions.Recurrence` becomes loop functions (``crmix.codegen.loops``,
``templates/recurrence.py.jinja``).
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

from crmix.codegen import loops as loops_module
from crmix.codegen import printer as printer_module
from crmix.codegen.config import MODULE_TEMPLATE, TARGETS, Target
from crmix.codegen.loops import render_recurrence
from crmix.codegen.printer import print_expression
from crmix.derive.expressions import KernelExpr, Recurrence

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


def generated_dir() -> Path:
    """The folder of the ``crmix.generated`` package."""
    return Path(importlib.import_module("crmix.generated").__file__).parent


def environment(template_dir: Path = TEMPLATE_DIR) -> jinja2.Environment:
    """The jinja2 environment of every generated module (module docstring), templates from ``template_dir``."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir)),
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
    h.update(inspect.getsource(loops_module).encode())
    h.update(sp.__version__.encode())
    return h.hexdigest()


def render_module(target: Target, kernels: Iterable[KernelExpr | Recurrence]) -> str:
    """Source text of the generated module for ``target`` from ``kernels`` (kernels and recurrences)."""
    ordered = sorted(kernels, key=lambda k: k.name)
    rendered = [_render_kernel(k) for k in ordered if isinstance(k, KernelExpr)]
    loops = [f for k in ordered if isinstance(k, Recurrence) for f in render_recurrence(k)]
    names = [k.name for k in rendered] + [f.name for f in loops]
    if len(set(names)) != len(names) or len({k.name for k in ordered}) != len(ordered):
        raise ValueError(f"{target.source}: duplicate kernel names in {names}")
    template = environment().get_template(MODULE_TEMPLATE)
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
        if target.renderer is not None:  # a backend of its own (codegen/backends/)
            text = importlib.import_module(target.renderer).render(target)
        else:
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
