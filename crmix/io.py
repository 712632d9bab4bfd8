"""Writing result files: one atomic-write helper for every layer, a set of files published together, and
the output-folder check (and :func:`plain` for table metadata).

A result file appears complete under its final name or not at all: it is written to a temporary
file with a unique name in the same folder (``.NAME.XXXX.tmpSUFFIX``, so that parallel writers of
the same path never share a temporary file) and renamed over the target.  A writer that fails
leaves no temporary file behind, and the final file keeps the permissions the umask gives an
ordinary new file.  An OSError of the writer (a full disk, say) is raised naming the final file
when it names none.  A process killed while writing leaves its temporary file, which the next run
in that folder removes (:func:`remove_stale_temporaries`).

Several files that belong together (a command's tables and plot, a run's reduction) are written
through one :func:`published_together`: every file is first written to its temporary, and only
when all are written are they renamed, one after another; a failure before that leaves none of
them and no temporary.

Fault injection (tests only): when the environment variable ``CRMIX_FAULT`` is set to
``ACTION@NAME``, the write of the file named NAME fails after its temporary has been written --
ACTION ``enospc`` raises OSError(ENOSPC), ``kill`` sends SIGKILL to the process, ``interrupt``
SIGINT, ``term`` SIGTERM -- or, with ACTION ``kill-publish``, the process is killed just before a
publication renames NAME (the files before it in the set are renamed, the others are not).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "FAULT_VARIABLE",
    "Publication",
    "WriteFile",
    "Writer",
    "atomic_write",
    "check_output_folder",
    "is_temporary",
    "plain",
    "published_together",
    "remove_stale_temporaries",
]

#: writes a file at the path it is given
Writer = Callable[[Path], None]
#: writes ``path`` through a Writer: :func:`atomic_write` or :meth:`Publication.write`
WriteFile = Callable[[Any, Writer], Path]
#: the environment variable of the fault-injection hook (module docstring)
FAULT_VARIABLE = "CRMIX_FAULT"
_SIGNALS = {"kill": signal.SIGKILL, "interrupt": signal.SIGINT, "term": signal.SIGTERM}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fault(stage: str, path: Path) -> None:
    """The injected fault of ``CRMIX_FAULT`` for ``path`` at ``stage`` ("write" or "publish"), if any."""
    spec = os.environ.get(FAULT_VARIABLE)
    if not spec or "@" not in spec:
        return
    action, name = spec.split("@", 1)
    if name != path.name:
        return
    if stage == "publish":
        if action == "kill-publish":
            os.kill(os.getpid(), signal.SIGKILL)
        return
    if action == "enospc":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    if action in _SIGNALS:
        os.kill(os.getpid(), _SIGNALS[action])


def _write_temporary(path: Path, write: Writer) -> Path:
    """``write`` into a new temporary file beside ``path``; removed again (OSError naming ``path``) when it fails."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=f".tmp{path.suffix}")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 would survive the rename
        _fault("write", path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.filename is None:
            exc.filename = str(path)
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def atomic_write(path: str | os.PathLike[str], write: Writer) -> Path:
    """Write ``path`` through ``write(tmp_path)`` and rename: the final name appears complete or not at all.

    ``write`` receives the temporary path (same folder, unique name, same suffix as ``path``, so that
    libraries choosing a format by suffix behave) and must create the file there.
    """
    path = Path(path)
    tmp = _write_temporary(path, write)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


class Publication:
    """Files written now and renamed together by :meth:`publish` (module docstring); :meth:`write` is a WriteFile."""

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []

    def write(self, path: str | os.PathLike[str], write: Writer) -> Path:
        """Write ``path``'s content to a temporary now; it takes its name at :meth:`publish`."""
        path = Path(path)
        self._staged.append((_write_temporary(path, write), path))
        return path

    def publish(self) -> list[Path]:
        """Rename every staged file to its name, in the order written."""
        done = []
        for tmp, path in self._staged:
            _fault("publish", path)
            os.replace(tmp, path)
            done.append(path)
        self._staged = []
        return done

    def discard(self) -> None:
        for tmp, _ in self._staged:
            tmp.unlink(missing_ok=True)
        self._staged = []


@contextlib.contextmanager
def published_together() -> Iterator[Publication]:
    """A :class:`Publication` whose files are published when the block ends without an exception, else discarded."""
    publication = Publication()
    try:
        yield publication
    except BaseException:
        publication.discard()
        raise
    try:
        publication.publish()
    finally:
        publication.discard()


def is_temporary(path: Path) -> bool:
    """Whether ``path`` is the temporary file of a write (``.NAME.XXXX.tmpSUFFIX``)."""
    return path.name.startswith(".") and ".tmp" in path.name


def remove_stale_temporaries(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files that killed writes left in ``folder`` (call it holding the folder's lock)."""
    removed = []
    for path in Path(folder).glob(".*.tmp*"):
        if path.is_file() and is_temporary(path):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _name_limits(path: Path, option: str, display: str) -> None:
    """ValueError naming ``option`` when a component of ``path`` or the whole is longer than the system allows."""
    try:
        name_max = os.pathconf("/", "PC_NAME_MAX")
        path_max = os.pathconf("/", "PC_PATH_MAX")
    except (OSError, ValueError):  # pragma: no cover - systems without pathconf
        name_max, path_max = 255, 4096
    if len(os.fsencode(str(path.absolute()))) >= path_max:
        raise ValueError(f"output folder {option} {display}: the path is longer than the system allows ({path_max} bytes)")
    for part in path.parts:
        if len(os.fsencode(part)) > name_max:
            raise ValueError(f"output folder {option} {display}: the name {part[:20]}... is longer than the system "
                             f"allows ({name_max} bytes)")


def check_output_folder(out: str | os.PathLike[str], option: str = "--out") -> Path:
    """``out`` as a Path, or ValueError naming ``option`` unless it is (or can be made) a writable folder.

    Creates nothing: the nearest existing ancestor is probed with a temporary file (permission bits
    do not tell for privileged users or special file systems).
    """
    out = Path(out)
    display = repr(str(out)) if len(str(out)) <= 120 else repr(str(out)[:60] + "..." + str(out)[-40:])
    _name_limits(out, option, display)
    try:
        probe = out
        while not probe.exists():
            if probe.parent == probe:
                break
            probe = probe.parent
        if probe != out and not probe.is_dir():
            raise ValueError(f"output folder {option} {display}: {str(probe)!r} is not a folder")
        if probe == out and not out.is_dir():
            raise ValueError(f"output folder {option} {display} exists and is not a folder")
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as exc:
        raise ValueError(f"output folder {option} {display} is not writable: {exc.strerror}") from exc
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
