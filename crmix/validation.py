"""Validation of scalar inputs: one place that turns bad numbers into clear errors.

Every message names the parameter and the allowed range, and is raised before any heavy work.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["integer", "real"]


def real(name: str, value: Any, *, gt: float | None = None, ge: float | None = None,
         lt: float | None = None, le: float | None = None, unit: str = "") -> float:
    """``value`` as a finite float inside the given bounds, else ValueError naming ``name``."""
    bounds = [f"> {gt:g}" if gt is not None else "", f">= {ge:g}" if ge is not None else "",
              f"< {lt:g}" if lt is not None else "", f"<= {le:g}" if le is not None else ""]
    allowed = " and ".join(b for b in bounds if b) or "finite"
    suffix = f" ({unit})" if unit else ""
    try:
        x = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}{suffix} must be a real number ({allowed}), got {value!r}") from exc
    inside = (math.isfinite(x) and (gt is None or x > gt) and (ge is None or x >= ge)
              and (lt is None or x < lt) and (le is None or x <= le))
    if not inside:
        raise ValueError(f"{name}{suffix} must be finite and {allowed}, got {value!r}")
    return x


def integer(name: str, value: Any, *, ge: int = 0) -> int:
    """``value`` as an int >= ``ge`` (booleans and non-integral floats rejected)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)) \
            or float(value) != math.floor(float(value)) or value < ge:
        raise ValueError(f"{name} must be an integer >= {ge}, got {value!r}")
    return value.__index__() if isinstance(value, numbers.Integral) else int(float(value))
