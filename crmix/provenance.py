"""Provenance of every result file: what produced it, from which code, when, and by which command.

One function, :func:`provenance`, builds the record that run.json and every table's metadata carry
(``meta["provenance"]`` of each ECSV table, the FITS headers' CRVERSN, CRBACKND and CRPREC):

* ``crmix``: the version, read from the one place the package defines it (``crmix.__version__``);
* ``commit``: the git commit of the checkout crmix runs from, with ``+dirty`` appended when tracked
  files differ from it, and ``dirty`` (True/False); "unknown" and None for an installed wheel or
  wherever git cannot say (never an error);
* ``date``: when the record was made, UTC, ISO 8601 to the second;
* ``command_line``: the program and its arguments as a shell would take them (``sys.argv``);
* ``backend``, ``precision`` and ``versions`` (Python's and :data:`LIBRARIES`').

Versions come from the installed distributions' metadata: nothing is imported to read them.  The
date and the command line differ between two runs of the same computation; :func:`reproducible`
drops them for comparing the origin of two results.
"""

from __future__ import annotations

import functools
import platform
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from crmix import __version__

__all__ = ["LIBRARIES", "PER_INVOCATION", "git_commit", "provenance", "reproducible", "versions"]

#: the distributions whose versions a result records
LIBRARIES = ("numpy", "scipy", "astropy", "healpy", "sympy", "mpmath", "numba", "pywigxjpf", "matplotlib", "pymaster")
#: the keys of a record that name the invocation rather than the code (:func:`reproducible` drops them)
PER_INVOCATION = ("date", "command_line")
#: seconds git may take to answer before the commit is recorded as unknown
GIT_TIMEOUT_S = 10.0


def versions() -> dict[str, str]:
    """Versions of crmix, Python and :data:`LIBRARIES` ("not installed" for a missing one)."""
    found = {"crmix": __version__, "python": platform.python_version()}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=GIT_TIMEOUT_S, check=True)
    return done.stdout.strip()


@functools.cache
def git_commit() -> tuple[str, bool | None]:
    """(commit, dirty) of the checkout crmix is imported from; ("unknown", None) when it is not one.

    A checkout is a git work tree whose top holds crmix's pyproject.toml; an installed copy in a
    site-packages folder (even one inside some other repository) is not.  Dirty means that tracked
    files differ from the commit (untracked files are not counted).  Read once per process.
    """
    package = Path(__file__).resolve().parent
    try:
        root = Path(_git(package, "rev-parse", "--show-toplevel"))
        pyproject = root / "pyproject.toml"
        if not (pyproject.is_file() and 'name = "crmix"' in pyproject.read_text()) or not package.is_relative_to(root):
            return "unknown", None
        commit = _git(root, "rev-parse", "HEAD")
        dirty = bool(_git(root, "status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError, ValueError):  # no git, not a work tree, a hung or failing git
        return "unknown", None
    return commit + ("+dirty" if dirty else ""), dirty


def provenance(backend: str, precision: str) -> dict[str, Any]:
    """The record of what produced a result (module docstring).

    ``backend`` is where the numbers were computed (``numpy``, ``numba`` or ``cupy``); ``precision``
    the floating-point type of that computation (``float64`` or ``float32``).
    """
    found = versions()
    if backend == "cupy":  # its distribution's name names the CUDA version; the module is loaded already
        import cupy

        found["cupy"] = cupy.__version__
    commit, dirty = git_commit()
    return {
        "crmix": __version__, "commit": commit, "dirty": dirty,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command_line": shlex.join([Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python", *sys.argv[1:]]),
        "backend": str(backend), "precision": str(precision), "versions": found,
    }


def reproducible(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` without :data:`PER_INVOCATION`: equal for two results of the same code, backend and precision."""
    return {k: v for k, v in record.items() if k not in PER_INVOCATION}
