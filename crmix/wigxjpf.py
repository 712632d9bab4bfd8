"""One owner of pywigxjpf's tables: the Wigner-symbol library keeps them in process-global state.

pywigxjpf holds one table (sized for the largest 2j and the symbol kind: 3j, 6j or 9j) and one
temporary array per thread.  Code that initialises and frees them for itself breaks any other code
in the same process that still uses them (a test's symbols read freed memory).  So every user asks
:func:`ensure_tables` for what it needs: the tables grow when a larger 2j or kind is asked for and
are never freed before the process ends.
"""

from __future__ import annotations

__all__ = ["ensure_tables"]

_current = {"two_j": -1, "kind": 0}


def ensure_tables(max_two_j: int, kind: int = 3) -> None:
    """Make pywigxjpf's tables cover 2j <= ``max_two_j`` for symbols of ``kind`` (3, 6 or 9)."""
    import pywigxjpf

    if kind not in (3, 6, 9):
        raise ValueError(f"wigner symbol kind must be 3, 6 or 9, got {kind!r}")
    two_j, k = max(int(max_two_j), _current["two_j"]), max(int(kind), _current["kind"])
    if (two_j, k) == (_current["two_j"], _current["kind"]):
        return
    pywigxjpf.wig_table_init(two_j, k)
    pywigxjpf.wig_temp_init(two_j)
    _current.update(two_j=two_j, kind=k)
