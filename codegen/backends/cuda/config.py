"""Config of the CUDA pusher: ``THREADS`` per block."""

from __future__ import annotations

__all__ = ["CONFIG", "THREADS"]

THREADS = 128
#: the template's knobs
CONFIG = {"threads": THREADS}
