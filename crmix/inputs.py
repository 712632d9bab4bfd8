"""Files a command reads, checked for their structure before any work: one reader per format, naming the file.

:func:`read_table` reads an ECSV table and checks that it exists, parses, has the columns and the
metadata the reader needs, and finite values where it needs them; :func:`read_json` does the same for
a JSON record.  Every failure is a ValueError (exit code 2: the file given is at fault) whose message
names the file and, where one is at fault, the column or the metadata key.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["metadata_value", "read_json", "read_table"]


def _exists(path: Path, what: str) -> None:
    if not path.exists():
        raise ValueError(f"{what} {str(path)!r} does not exist")
    if not path.is_file():
        raise ValueError(f"{what} {str(path)!r} is not a file")


def metadata_value(meta: Mapping[str, Any], key: str, path: str | os.PathLike[str], *, number: bool = False) -> Any:
    """``meta[a][b]...`` for ``key = "a.b..."``; ValueError naming the file and the key when it is absent (or, with
    ``number``, not a finite number)."""
    value: Any = meta
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            raise ValueError(f"{str(path)!r}: the metadata has no {key!r} (not a file crmix wrote, or cut short)")
        value = value[part]
    if number:
        try:
            ok = value is not None and not isinstance(value, bool) and math.isfinite(float(value))
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError(f"{str(path)!r}: the metadata {key!r} must be a finite number, got {value!r}")
    return value


def read_table(path: str | os.PathLike[str], what: str, *, columns: Sequence[str] = (), meta: Sequence[str] = (),
               finite: Sequence[str] = ()) -> Any:
    """The ECSV table at ``path`` (``what`` names it in messages), with ``columns``, the metadata keys ``meta``
    (dotted for nested keys) and finite values in the columns ``finite``; ValueError naming the file otherwise."""
    from astropy.table import Table

    path = Path(path)
    _exists(path, what)
    try:
        table = Table.read(path, format="ascii.ecsv")
    except Exception as exc:  # astropy and YAML raise many kinds for a malformed file
        raise ValueError(f"{what} {str(path)!r} cannot be read as ECSV ({type(exc).__name__}: {exc}); was it cut short?") from exc
    missing = [c for c in columns if c not in table.colnames]
    if missing:
        raise ValueError(f"{what} {str(path)!r} has no column {', '.join(missing)} (it has {', '.join(table.colnames[:8])})")
    for key in meta:
        metadata_value(table.meta, key, path)
    for column in finite:
        try:
            values = np.asarray(table[column], dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{what} {str(path)!r}: column {column} is not numeric") from exc
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            rows = ", ".join(str(int(i)) for i in bad[:5]) + (" ..." if bad.size > 5 else "")
            raise ValueError(f"{what} {str(path)!r}: column {column} holds {bad.size} non-finite value(s) (rows {rows})")
    return table


def read_json(path: str | os.PathLike[str], what: str, *, keys: Sequence[str] = ()) -> dict[str, Any]:
    """The JSON object at ``path`` with ``keys``; ValueError naming the file otherwise."""
    path = Path(path)
    _exists(path, what)
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{what} {str(path)!r} cannot be read as JSON ({exc}); was it cut short?") from exc
    if not isinstance(record, dict):
        raise ValueError(f"{what} {str(path)!r} is not a JSON object")
    for key in keys:
        metadata_value(record, key, path)
    return record
