"""The array kernels backend: derive's ``KERNELS`` (crmix.derive.expressions) rendered as NumPy/CuPy functions.

Printer: :class:`~crmix.codegen.backends.kernels.printer.XpPrinter` (functions take an ``xp``
namespace); recurrences become vectorised loops (:mod:`~crmix.codegen.backends.kernels.loops`);
config: :mod:`~crmix.codegen.backends.kernels.config`; templates: ``templates/module.py.jinja``
with ``kernel.py.jinja`` and ``recurrence.py.jinja``.  Kernels are sorted by name, common
subexpressions become locals (``sp.cse``, as SymForce does), and each module is stamped with the
digest of its inputs: the kernels' names, arguments, ``srepr`` of the expressions and docs, the
templates, the printer's and the loop renderer's sources, and the SymPy version.
"""

from __future__ import annotations

import importlib
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sympy as sp

from crmix.codegen.backend import Backend
from crmix.codegen.backends.kernels import config, loops, printer
from crmix.codegen.backends.kernels.loops import render_recurrence
from crmix.codegen.backends.kernels.printer import print_expression
from crmix.codegen.digest import inputs_digest
from crmix.derive.expressions import KernelExpr, Recurrence

if TYPE_CHECKING:
    from crmix.codegen.config import Target

__all__ = ["KERNELS", "KernelsBackend", "load_kernels", "render_module"]

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


def kernels_digest(kernels: Sequence[KernelExpr | Recurrence]) -> str:
    """The digest (crmix.codegen.digest) of the kernels, the templates, the printer and the loop renderer."""
    parts = []
    for kernel in kernels:
        exprs = [f"{key}={sp.srepr(e)}" for key, e in kernel.expressions().items()]
        extra = [sp.srepr(kernel.index), repr(kernel.functions)] if isinstance(kernel, Recurrence) else []
        parts += [kernel.name, repr([sp.srepr(a) for a in kernel.args]), *exprs, *extra, kernel.doc]
    return inputs_digest(parts, templates=TEMPLATE_DIR.glob("*.jinja"), modules=(printer, loops))


def render_module(target: Target, kernels: Iterable[KernelExpr | Recurrence]) -> str:
    """Source text of the generated module for ``target`` from ``kernels`` (kernels and recurrences)."""
    ordered = sorted(kernels, key=lambda k: k.name)
    rendered = [_render_kernel(k) for k in ordered if isinstance(k, KernelExpr)]
    loops = [f for k in ordered if isinstance(k, Recurrence) for f in render_recurrence(k)]
    names = [k.name for k in rendered] + [f.name for f in loops]
    if len(set(names)) != len(names) or len({k.name for k in ordered}) != len(ordered):
        raise ValueError(f"{target.source}: duplicate kernel names in {names}")
    template = KERNELS.environment().get_template(config.MODULE_TEMPLATE)
    return template.render(
        digest=kernels_digest(ordered),
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
class KernelsBackend(Backend):
    """Renders a target from the ``KERNELS`` of its source module (module docstring)."""

    name: str = "kernels"
    template_dir: Path = TEMPLATE_DIR

    def render(self, target: Target) -> str:
        kernels = load_kernels(target)
        if kernels is None:
            raise ModuleNotFoundError(f"{target.source} does not exist yet", name=target.source)
        return render_module(target, kernels)


#: The array kernels backend (crmix.codegen.config's default).
KERNELS = KernelsBackend()
