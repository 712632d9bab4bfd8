"""The one exit-code convention of every command, and SIGTERM as an interruption.

=====  ==================================================================================
code   meaning
=====  ==================================================================================
0      done
2      the user's input or a file given is at fault: a ValueError of a check (it names the
       option or the file), a path the system cannot take (too long, not a folder, not
       permitted, read-only), a file that does not exist, a module of an optional extra
       that is not installed (crmix.extras names the extra)
1      a failure while working: a full disk or another I/O error (naming the file), a
       worker lost repeatedly (naming the realisation), memory exhausted, an internal error
130    interrupted by SIGINT (Ctrl-C) or SIGTERM: what was finished is kept; a rerun resumes
=====  ==================================================================================
"""

from __future__ import annotations

import contextlib
import errno
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["INPUT_ERRNOS", "Interrupted", "exit_code", "interruptible"]

#: OSErrors whose cause is the path the user gave, not the work
INPUT_ERRNOS = frozenset({errno.ENAMETOOLONG, errno.ENOTDIR, errno.EISDIR, errno.EACCES, errno.EPERM, errno.EROFS,
                          errno.ELOOP, errno.ENOENT, errno.EEXIST})


class Interrupted(KeyboardInterrupt):
    """SIGTERM, raised like SIGINT's KeyboardInterrupt so that every clean-up on the way out runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_interrupted(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """SIGTERM raises :class:`Interrupted` inside the block (in the main thread; elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _path_error(exc: OSError) -> str:
    where = exc.filename if exc.filename is not None else ""
    text = exc.strerror or str(exc)
    return f"{text}: {str(where)!r}" if where else text


def exit_code(exc: BaseException) -> tuple[int, str]:
    """(exit code, message) of an exception that ended a command (module docstring)."""
    if isinstance(exc, KeyboardInterrupt):
        name = exc.args[0] if isinstance(exc, Interrupted) else "SIGINT"
        return 130, f"interrupted ({name}); finished work is kept: rerun the same command to resume"
    if isinstance(exc, ValueError):
        return 2, str(exc)
    if isinstance(exc, ModuleNotFoundError):
        from crmix.extras import missing_extra

        missing = missing_extra(exc)
        if missing is not None:  # a module of an optional extra that is not installed: the extra named
            return 2, missing
    if isinstance(exc, OSError):
        if exc.errno in INPUT_ERRNOS or isinstance(exc, (FileExistsError, PermissionError, NotADirectoryError, IsADirectoryError)):
            return 2, _path_error(exc)
        return 1, str(exc)
    if isinstance(exc, MemoryError):
        return 1, f"out of memory ({exc}); reduce the size of the run (its estimate is printed at the start)"
    if isinstance(exc, RuntimeError) and type(exc).__module__.startswith("crmix."):  # crmix's own failures name what failed
        return 1, str(exc)
    return 1, f"internal error ({type(exc).__name__}: {exc}); rerun with --debug for the traceback"
