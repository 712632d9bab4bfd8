"""Config of the numba pusher.

* ``BLOCK`` -- particles stepped together by one thread.  A step of one particle is a chain of ~60
  dependent operations (drift, lookup, rotation), so each thread (``prange`` over blocks) steps a
  block of particles in an inner loop, all steps of a call inside: independent particles fill the
  pipeline that one serial chain would leave idle (about 2x faster than one particle at a time).
* ``CACHE`` -- ``numba.njit(cache=True)``: every kernel refers only to module-level functions, so
  the compiled kernels are cached on disk and reused by later processes.
"""

from __future__ import annotations

__all__ = ["BLOCK", "CACHE", "CONFIG"]

BLOCK = 16
CACHE = True
#: the template's knobs
CONFIG = {"block": BLOCK, "cache": CACHE}
