"""The printer of the CUDA pusher: SymPy's C99 printer; ``floor`` and ``cos`` are the C++ overloads, so one source
serves ``-DREAL=float`` and ``-DREAL=double``."""

from __future__ import annotations

from typing import ClassVar

from sympy.printing.c import C99CodePrinter

from crmix.codegen.backends.pusher import ArithmeticPrinting

__all__ = ["CudaPrinter"]


class CudaPrinter(ArithmeticPrinting, C99CodePrinter):
    """CUDA C++ on the kernel's ``real`` type."""

    functions: ClassVar[dict[str, str]] = {"cos": "cos", "sin": "sin", "floor": "floor"}
