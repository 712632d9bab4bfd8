"""The printer of the numba pusher: Python on float scalars with ``math.`` functions."""

from __future__ import annotations

from typing import ClassVar

from crmix.codegen.backends.pusher import PythonArithmeticPrinting

__all__ = ["NumbaPrinter"]


class NumbaPrinter(PythonArithmeticPrinting):
    """Python source on float scalars, compiled by numba."""

    functions: ClassVar[dict[str, str]] = {"cos": "math.cos", "sin": "math.sin", "floor": "math.floor"}
