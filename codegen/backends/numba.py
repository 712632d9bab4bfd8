"""numba backend of the pusher: CPU threads, one compiled kernel per field kind.

Printer: SymPy's Python printer with the shared arithmetic spellings and ``math.`` functions, on
scalars.  Template: ``templates/pusher_numba.py.jinja``.  Config:

* ``BLOCK`` -- particles stepped together by one thread.  A step of one particle is a chain of ~60
  dependent operations (drift, lookup, rotation), so each thread (``prange`` over blocks) steps a
  block of particles in an inner loop, all steps of a call inside: independent particles fill the
  pipeline that one serial chain would leave idle (about 2x faster than one particle at a time).
* ``CACHE`` -- ``numba.njit(cache=True)``: every kernel refers only to module-level functions, so
  the compiled kernels are cached on disk and reused by later processes.
"""

from __future__ import annotations

from typing import ClassVar

import sympy as sp

from crmix.codegen.backends.common import PythonArithmeticPrinting
from crmix.codegen.backends.common import render as render_template
from crmix.codegen.config import Target

__all__ = ["BLOCK", "CACHE", "NumbaPrinter", "render"]

TEMPLATE = "pusher_numba.py.jinja"
BLOCK = 16
CACHE = True


class NumbaPrinter(PythonArithmeticPrinting):
    """Python source on float scalars, compiled by numba."""

    functions: ClassVar[dict[str, str]] = {"cos": "math.cos", "sin": "math.sin", "floor": "math.floor"}


def doprint(expr: sp.Expr) -> str:
    return NumbaPrinter().doprint(expr)


def render(target: Target) -> str:
    """Text of ``generated/pusher_numba.py``."""
    return render_template(target, TEMPLATE, __name__, doprint, block=BLOCK, cache=CACHE)
