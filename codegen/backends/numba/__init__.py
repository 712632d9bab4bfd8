"""numba backend of the pusher: CPU threads, one compiled kernel per field kind.

Printer: SymPy's Python printer with the shared arithmetic spellings and ``math.`` functions, on
scalars (:mod:`.printer`).  Template: ``templates/pusher_numba.py.jinja``.  Config (:mod:`.config`):
``BLOCK`` particles per thread, ``CACHE`` the compiled kernels on disk.
"""

from __future__ import annotations

from pathlib import Path

from crmix.codegen.backends.numba import config
from crmix.codegen.backends.numba.printer import NumbaPrinter
from crmix.codegen.backends.pusher import PusherBackend

__all__ = ["BACKEND"]

#: the renderer of ``generated/pusher_numba.py``
BACKEND = PusherBackend(name="numba", template_dir=Path(__file__).parent / "templates", template="pusher_numba.py.jinja",
                        printer=NumbaPrinter, config=config.CONFIG, config_module=config)
