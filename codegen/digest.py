"""The one digest of a generated module's inputs: the same inputs always give the same bytes, and a changed
input (an expression, a template, a printer's or renderer's source, SymPy's version) changes the stamp."""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

import sympy as sp

__all__ = ["inputs_digest"]


def inputs_digest(parts: Iterable[str], *, templates: Iterable[Path], modules: Iterable[ModuleType]) -> str:
    """SHA-256 of ``parts`` (the expressions as ``srepr`` and their metadata), the templates (name and text), the
    sources of ``modules`` (printer, renderer) and SymPy's version, each followed by a NUL."""
    h = hashlib.sha256()

    def add(data: bytes) -> None:
        h.update(data)
        h.update(b"\0")

    for part in parts:
        add(part.encode())
    for template in sorted(templates):
        add(template.name.encode())
        add(template.read_bytes())
    for module in modules:
        add(inspect.getsource(module).encode())
    add(sp.__version__.encode())
    return h.hexdigest()
