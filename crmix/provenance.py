"""Provenance of every result file: crmix's version, the libraries' versions, the backend and the precision.

One function, :func:`provenance`, builds the record that run.json and every table's metadata carry
(``meta["provenance"]`` of each ECSV table, the FITS headers' CRVERSN, CRBACKND and CRPREC), so that
a result says what produced it.  Versions come from the installed distributions' metadata: nothing
is imported to read them.
"""

from __future__ import annotations

import platform
from importlib import metadata
from typing import Any

from crmix import __version__

__all__ = ["LIBRARIES", "provenance", "versions"]

#: the distributions whose versions a result records
LIBRARIES = ("numpy", "scipy", "astropy", "healpy", "sympy", "mpmath", "numba", "pywigxjpf", "matplotlib")


def versions() -> dict[str, str]:
    """Versions of crmix, Python and :data:`LIBRARIES` ("not installed" for a missing one)."""
    found = {"crmix": __version__, "python": platform.python_version()}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def provenance(backend: str, precision: str) -> dict[str, Any]:
    """The record of what produced a result: crmix's version, the versions, the backend and the precision.

    ``backend`` is where the numbers were computed (``numpy``, ``numba`` or ``cupy``); ``precision``
    the floating-point type of that computation (``float64`` or ``float32``).
    """
    found = versions()
    if backend == "cupy":  # its distribution's name names the CUDA version; the module is loaded already
        import cupy  # type: ignore[import-not-found]

        found["cupy"] = cupy.__version__
    return {"crmix": __version__, "backend": str(backend), "precision": str(precision), "versions": found}
