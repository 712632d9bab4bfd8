"""The pusher backends, chosen through one registry: NumPy/CuPy arrays, CPU threads (numba), a GPU (CUDA).

Every backend runs code that ``crmix codegen`` emits from one definition: the Boris step of
``crmix.derive.boris`` and the field lookups of ``crmix.derive.lookups``
(``crmix.generated.pusher_numpy``, ``pusher_numba``, ``pusher_cuda``).  A field's ``kind`` picks the
generated lookup or kernel; its ``kernel_data()`` are the arrays it takes.

* ``numpy`` -- :func:`crmix.simulate.boris.advance`, vectorised over particles (any ``xp``).
* ``numba`` -- :func:`advance_numba`: ``prange`` over blocks of particles, all steps of a call
  inside, one compiled (and disk-cached) kernel per field kind.
* ``cupy`` -- :func:`advance_cupy`: one GPU thread per particle, all steps of a call inside, state
  in registers; the source is compiled by CuPy (NVRTC) once per precision.

:func:`pusher` returns the :class:`Pusher` of a backend name (``PUSHERS`` lists them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

import numpy as np

from crmix.backend import array_namespace
from crmix.generated import pusher_cuda, pusher_numba
from crmix.simulate import boris
from crmix.simulate.fields import Field, generated_for

__all__ = ["PUSHERS", "Pusher", "advance_cupy", "advance_numba", "advance_numpy", "cuda_arguments", "pusher"]


def advance_numpy(field: Field, omega0: float, x: Any, v: Any, charge_sign: int, dt: float, n_steps: int) -> None:
    """``n_steps`` Boris steps in place, vectorised over particles, in the namespace of x (NumPy or CuPy)."""
    boris.advance(field, omega0, x, v, charge_sign, dt, n_steps, array_namespace(x))


def advance_numba(field: Field, omega0: float, x: np.ndarray, v: np.ndarray, charge_sign: int, dt: float, n_steps: int) -> None:
    """``n_steps`` Boris steps in place on CPU threads (numba); x, v: C-contiguous (3, N) arrays."""
    if not (x.flags.c_contiguous and v.flags.c_contiguous):
        raise ValueError("x and v must be C-contiguous (3, N) arrays")
    kernel = generated_for(pusher_numba.ADVANCE, field, "numba")
    kernel(*field.kernel_data(), *boris.step_scalars(omega0, charge_sign, dt), x, v, int(n_steps))


def cuda_arguments(field: Field, xp: ModuleType, dtype: Any) -> tuple[str, list[Any]]:
    """(kernel name, the field's kernel arguments) of the generated CUDA source, arrays in ``xp``.

    Each entry of ``field.kernel_data()`` becomes a scalar of ``dtype`` or a C-contiguous array of
    ``dtype`` followed by its shape (int64), as ``pusher_cuda.KERNELS`` lists them.
    """
    name, ranks = generated_for(pusher_cuda.KERNELS, field, "cuda")
    scalar = np.dtype(dtype).type
    args: list[Any] = []
    for value, rank in zip(field.kernel_data(), ranks, strict=True):
        if rank == 0:
            args.append(scalar(value))
            continue
        a = xp.ascontiguousarray(xp.asarray(value, dtype=dtype))
        if a.ndim != rank:
            raise ValueError(f"{field.kind}: kernel array of rank {rank} expected, got shape {a.shape}")
        args.append(a)
        args.extend(np.int64(s) for s in a.shape)
    return name, args


@cache
def _cuda_module(real: str) -> Any:
    import cupy  # type: ignore[import-not-found]

    return cupy.RawModule(code=pusher_cuda.SOURCE, options=(f"-DREAL={real}",))


def advance_cupy(field: Field, omega0: float, x: Any, v: Any, charge_sign: int, dt: float, n_steps: int) -> None:
    """``n_steps`` Boris steps in place on the GPU; x, v: C-contiguous (3, N) CuPy arrays of float32/64."""
    import cupy as cp  # type: ignore[import-not-found]

    dtype = np.dtype(x.dtype)
    reals = {np.dtype(np.float32): "float", np.dtype(np.float64): "double"}
    if dtype not in reals or v.dtype != dtype or not (x.flags.c_contiguous and v.flags.c_contiguous):
        raise ValueError(f"x and v must be C-contiguous (3, N) arrays of one of float32, float64, got {x.dtype}, {v.dtype}")
    name, args = cuda_arguments(field, cp, dtype)
    kernel = _cuda_module(reals[dtype]).get_function(name)
    n = x.shape[1]
    threads = pusher_cuda.THREADS
    scalar = dtype.type
    kernel(((n + threads - 1) // threads,), (threads,),
           (*args, *(scalar(a) for a in boris.step_scalars(omega0, charge_sign, dt)), x, v, np.int64(n_steps), np.int64(n)))


@dataclass(frozen=True)
class Pusher:
    """One backend of the Boris pusher.

    ``namespace`` is where the state x, v lives (``crmix.backend.namespace_by_name``);
    ``field_to_namespace`` says whether the field must be moved there (``field.to``) first;
    ``advance(field, omega0, x, v, charge_sign, dt, n_steps)`` steps the state in place.
    """

    name: str
    namespace: str
    field_to_namespace: bool
    advance: Callable[[Field, float, Any, Any, int, float, int], None]

    def place(self, field: Field, xp: ModuleType, dtype: Any) -> Field:
        """The field as this backend takes it."""
        return field.to(xp, dtype=dtype) if self.field_to_namespace else field


PUSHERS: dict[str, Pusher] = {
    p.name: p
    for p in (
        Pusher("numpy", "numpy", False, advance_numpy),
        Pusher("numba", "numpy", False, advance_numba),
        Pusher("cupy", "cupy", True, advance_cupy),
    )
}


def pusher(name: str) -> Pusher:
    """The registered backend ``name``; ValueError naming the allowed ones."""
    try:
        return PUSHERS[name]
    except KeyError:
        raise ValueError(f"backend must be one of {tuple(PUSHERS)}, got {name!r}") from None
