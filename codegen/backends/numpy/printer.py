"""The printer of the NumPy/CuPy pusher: Python over arrays of the namespace ``xp``."""

from __future__ import annotations

from typing import ClassVar

from crmix.codegen.backends.pusher import PythonArithmeticPrinting

__all__ = ["NumpyPrinter"]


class NumpyPrinter(PythonArithmeticPrinting):
    """Python source over arrays of the namespace ``xp``."""

    functions: ClassVar[dict[str, str]] = {"cos": "xp.cos", "sin": "xp.sin", "floor": "xp.floor"}
