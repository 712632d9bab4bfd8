"""Array-namespace helpers: every numerical kernel takes ``xp`` (NumPy or CuPy)."""

from __future__ import annotations

import contextlib
from types import ModuleType
from typing import Any

import numpy as np


def cupy_or_none() -> ModuleType | None:
    """Return the ``cupy`` module when CuPy imports *and* a CUDA device answers, else None."""
    try:
        import cupy  # type: ignore[import-not-found]

        cupy.cuda.runtime.getDeviceCount()
        cupy.zeros(1).sum().item()
    except Exception:
        return None
    return cupy


def array_namespace(*arrays: Any) -> ModuleType:
    """The namespace (numpy or cupy) that owns ``arrays``; NumPy for plain Python data."""
    for a in arrays:
        mod = type(a).__module__.split(".")[0]
        if mod == "cupy":
            import cupy  # type: ignore[import-not-found]

            return cupy
    return np


def to_numpy(a: Any) -> np.ndarray:
    """Bring an array to host memory as a NumPy array."""
    if type(a).__module__.split(".")[0] == "cupy":
        return a.get()
    return np.asarray(a)


def namespace_by_name(name: str) -> ModuleType:
    """``"numpy"`` or ``"cupy"`` to the module; a clear error when CuPy has no device."""
    if name == "numpy":
        return np
    if name == "cupy":
        cp = cupy_or_none()
        if cp is None:
            raise RuntimeError("backend='cupy' requested but CuPy or a CUDA device is not available")
        return cp
    raise ValueError(f"backend must be 'numpy' or 'cupy', got {name!r}")


def special(xp: ModuleType) -> ModuleType:
    """The special functions of the namespace ``xp``: scipy.special, or cupyx.scipy.special for CuPy."""
    if xp.__name__.split(".")[0] == "cupy":
        import cupyx.scipy.special  # type: ignore[import-not-found]

        return cupyx.scipy.special
    import scipy.special

    return scipy.special


def quiet_errors(xp: ModuleType) -> contextlib.AbstractContextManager:
    """A context that silences floating-point warnings of ``xp`` (NumPy warns; CuPy does not)."""
    return np.errstate(all="ignore") if xp.__name__.split(".")[0] == "numpy" else contextlib.nullcontext()
