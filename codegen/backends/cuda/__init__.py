"""CUDA backend of the pusher: one GPU thread per particle, one kernel per field kind.

Printer: SymPy's C99 printer with the shared arithmetic spellings (:mod:`.printer`).  Template:
``templates/pusher_cuda.py.jinja``, a Python module holding the source (CuPy compiles it with
NVRTC).  Defining ``CRMIX_HOST`` turns the same source into C++ for the host, one emulated thread
per particle, with an entry ``host_<kernel>`` per kernel: the parity test compiles it with the
host's C++ compiler.  Config (:mod:`.config`): ``THREADS`` per block.
"""

from __future__ import annotations

from pathlib import Path

from crmix.codegen.backends.cuda import config
from crmix.codegen.backends.cuda.printer import CudaPrinter
from crmix.codegen.backends.pusher import PusherBackend

__all__ = ["BACKEND"]

#: the renderer of ``generated/pusher_cuda.py``
BACKEND = PusherBackend(name="cuda", template_dir=Path(__file__).parent / "templates", template="pusher_cuda.py.jinja",
                        printer=CudaPrinter, config=config.CONFIG, config_module=config)
