"""Writing result files: one atomic-write helper for every layer (and :func:`plain` for table metadata).

A result file appears complete under its final name or not at all: it is written to a temporary
file with a unique name in the same folder (so that parallel writers of the same path never share a
temporary file) and renamed over the target.  A writer that fails leaves no temporary file behind,
and the final file keeps the permissions the umask gives an ordinary new file.  An OSError of the
writer (a full disk, say) is raised naming the final file when it names none.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["atomic_write", "check_output_folder", "plain"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], None]) -> Path:
    """Write ``path`` through ``write(tmp_path)`` and rename: the final name appears complete or not at all.

    ``write`` receives the temporary path (same folder, unique name, same suffix as ``path``, so that
    libraries choosing a format by suffix behave) and must create the file there.
    """
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=f".tmp{path.suffix}")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 would survive the rename
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.filename is None:
            exc.filename = str(path)
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def check_output_folder(out: str | os.PathLike[str], option: str = "--out") -> Path:
    """``out`` as a Path, or ValueError naming ``option`` unless it is (or can be made) a writable folder.

    Creates nothing: the nearest existing ancestor is probed with a temporary file (permission bits
    do not tell for privileged users or special file systems).
    """
    out = Path(out)
    probe = out
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe != out and not probe.is_dir():
        raise ValueError(f"output folder {option} {str(out)!r}: {str(probe)!r} is not a folder")
    if probe == out and not out.is_dir():
        raise ValueError(f"output folder {option} {str(out)!r} exists and is not a folder")
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as exc:
        raise ValueError(f"output folder {option} {str(out)!r} is not writable: {exc.strerror}") from exc
    return out


def plain(value: Any) -> Any:
    """Metadata as plain Python (ECSV metadata is YAML): NumPy scalars and arrays become floats, ints and lists;
    astropy Quantities stay as they are (ECSV writes them with their units)."""
    if hasattr(value, "unit"):
        return value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if hasattr(value, "item"):
        return value.item()
    return value
