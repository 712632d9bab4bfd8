"""NumPy/CuPy backend of the pusher: vectorised over particles, every array function from ``xp``.

Printer: SymPy's Python printer with the shared arithmetic spellings and ``xp.`` functions.
Template: ``templates/pusher_numpy.py.jinja`` (lookups as functions of arrays of points, the step
in place on (3, N) arrays).  The module it writes is the NumPy reference of the compiled backends
and the ``numpy`` pusher.
"""

from __future__ import annotations

from typing import ClassVar

import sympy as sp

from crmix.codegen.backends.common import PythonArithmeticPrinting
from crmix.codegen.backends.common import render as render_template
from crmix.codegen.config import Target

__all__ = ["NumpyPrinter", "render"]

TEMPLATE = "pusher_numpy.py.jinja"


class NumpyPrinter(PythonArithmeticPrinting):
    """Python source over arrays of the namespace ``xp``."""

    functions: ClassVar[dict[str, str]] = {"cos": "xp.cos", "sin": "xp.sin", "floor": "xp.floor"}


def doprint(expr: sp.Expr) -> str:
    return NumpyPrinter().doprint(expr)


def render(target: Target) -> str:
    """Text of ``generated/pusher_numpy.py``."""
    return render_template(target, TEMPLATE, __name__, doprint)
