"""CUDA backend of the pusher: one GPU thread per particle, one kernel per field kind.

Printer: SymPy's C99 printer with the shared arithmetic spellings; ``floor`` and ``cos`` are the
C++ overloads, so one source serves ``-DREAL=float`` and ``-DREAL=double``.  Template:
``templates/pusher_cuda.py.jinja``, a Python module holding the source (CuPy compiles it with
NVRTC).  Defining ``CRMIX_HOST`` turns the same source into C++ for the host, one emulated thread
per particle, with an entry ``host_<kernel>`` per kernel: the parity test compiles it with the
host's C++ compiler.  Config: ``THREADS`` per block.
"""

from __future__ import annotations

from typing import ClassVar

import sympy as sp
from sympy.printing.c import C99CodePrinter

from crmix.codegen.backends.common import ArithmeticPrinting
from crmix.codegen.backends.common import render as render_template
from crmix.codegen.config import Target

__all__ = ["THREADS", "CudaPrinter", "render"]

TEMPLATE = "pusher_cuda.py.jinja"
THREADS = 128


class CudaPrinter(ArithmeticPrinting, C99CodePrinter):
    """CUDA C++ on the kernel's ``real`` type."""

    functions: ClassVar[dict[str, str]] = {"cos": "cos", "sin": "sin", "floor": "floor"}


def doprint(expr: sp.Expr) -> str:
    return CudaPrinter().doprint(expr)


def render(target: Target) -> str:
    """Text of ``generated/pusher_cuda.py``."""
    return render_template(target, TEMPLATE, __name__, doprint, threads=THREADS)
