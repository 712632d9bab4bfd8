"""NumPy/CuPy backend of the pusher: vectorised over particles, every array function from ``xp``.

Printer: SymPy's Python printer with the shared arithmetic spellings and ``xp.`` functions
(:mod:`.printer`).  Template: ``templates/pusher_numpy.py.jinja`` (lookups as functions of arrays of
points, the step in place on (3, N) arrays).  The module it writes is the NumPy reference of the
compiled backends and the ``numpy`` pusher.
"""

from __future__ import annotations

from pathlib import Path

from crmix.codegen.backends.numpy import config
from crmix.codegen.backends.numpy.printer import NumpyPrinter
from crmix.codegen.backends.pusher import PusherBackend

__all__ = ["BACKEND"]

#: the renderer of ``generated/pusher_numpy.py``
BACKEND = PusherBackend(name="numpy", template_dir=Path(__file__).parent / "templates", template="pusher_numpy.py.jinja",
                        printer=NumpyPrinter, config=config.CONFIG, config_module=config)
