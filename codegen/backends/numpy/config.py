"""Config of the NumPy/CuPy pusher: none (vectorised over particles, every array function from ``xp``)."""

from __future__ import annotations

from typing import Any

__all__ = ["CONFIG"]

#: the template's knobs
CONFIG: dict[str, Any] = {}
