"""A reduced run folder read back (``crmix fit``, ``crmix compare --maps``), its structure checked before any work.

A ``crmix simulate`` folder's reduction is ensemble.npz and three tables written as one set
(crmix.simulate.runner): ``ensemble_cl.ecsv``, ``ensemble_transport.ecsv`` and
``ensemble_realisations.ecsv``, one row per backtracking time Omega_T (and multipole, and
realisation; crmix.simulate.tables).  :func:`read_reduced_run` reads them through
crmix.inputs.read_table and checks what the readers use: the columns, the metadata (the run's
parameters, its analysis, the number of realisations), finite values, the tables' sizes against one
another, and that all three come from ONE reduction (the ``reduction`` digest of their metadata: a
reduction cut short between its files leaves tables of two analyses, which are refused).  Every
refusal is a ValueError naming the file and the column or key (exit code 2).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from crmix.inputs import metadata_value, read_table

__all__ = ["REDUCTION_TABLES", "ReducedRun", "read_reduced_run"]

#: the tables of a reduction, in the order they are written
REDUCTION_TABLES = ("ensemble_cl.ecsv", "ensemble_transport.ecsv", "ensemble_realisations.ecsv")
_CL_META = ("realisations", "analysis", "parameters.model", "parameters.spectrum")
#: the column of the backtracking time in every table (crmix.simulate.tables.TIME_COLUMN)
_TIME = "Omega_T"


@dataclass(frozen=True)
class ReducedRun:
    """The checked tables of a reduced run (astropy Tables) and the metadata they share."""

    folder: Path
    cl: Any
    transport: Any
    realisations: Any

    @property
    def meta(self) -> dict[str, Any]:
        return dict(self.cl.meta)

    @property
    def times(self) -> np.ndarray:
        """The backtracking times Omega T of the tables."""
        return np.unique(np.asarray(self.cl[_TIME], dtype=float))


def _count(meta: dict[str, Any], path: Path) -> int:
    n = metadata_value(meta, "realisations", path, number=True)
    if int(n) != n or n < 1:
        raise ValueError(f"{str(path)!r}: the metadata 'realisations' must be an integer >= 1, got {n!r}")
    return int(n)


def read_reduced_run(run: str | os.PathLike[str]) -> ReducedRun:
    """The three tables of the reduced run folder ``run``, checked (module docstring)."""
    folder = Path(run)
    if not folder.is_dir():
        raise ValueError(f"run folder {str(folder)!r} {'is not a folder' if folder.exists() else 'does not exist'}: "
                         "give the --out folder of a crmix simulate run")
    cl_path = folder / REDUCTION_TABLES[0]
    if not cl_path.is_file():
        raise ValueError(f"run folder {str(folder)!r} holds no {REDUCTION_TABLES[0]}: give the --out folder of a crmix simulate "
                         "run (a killed run has none until it is resumed to the end)")
    what = f"{REDUCTION_TABLES[0]} of the run"
    per_row = (_TIME, "ell", "C_sub", "ratio", "ratio_err")
    for name in reversed(REDUCTION_TABLES):  # a run reduced by an earlier crmix: refused with how to re-reduce it
        path = folder / name
        if path.is_file() and _TIME not in read_table(path, f"{name} of the run").colnames:
            from crmix.simulate.tables import read_table as read_current_layout

            read_current_layout(path)
    cl = read_table(cl_path, what, columns=per_row, meta=_CL_META, finite=per_row)
    times = np.unique(np.asarray(cl[_TIME], dtype=float))
    if times.size == 0 or not np.all(times > 0):
        raise ValueError(f"{str(cl_path)!r}: column {_TIME} must hold backtracking times > 0")
    n_real = _count(cl.meta, cl_path)
    lmax = int(np.max(np.asarray(cl["ell"], dtype=int)))
    if len(cl) != times.size * (lmax + 1):
        raise ValueError(f"{str(cl_path)!r} has {len(cl)} rows, not {times.size} times x {lmax + 1} multipoles: the file is cut short")
    transport_path = folder / REDUCTION_TABLES[1]
    transport = read_table(transport_path, f"{REDUCTION_TABLES[1]} of the run", columns=(_TIME, "Omega_K_zz", "C1_sub", "C1_QLT"),
                           finite=(_TIME, "C1_sub"))
    if len(transport) != times.size:
        raise ValueError(f"{str(transport_path)!r} has {len(transport)} rows for the {times.size} backtracking times of "
                         f"{REDUCTION_TABLES[0]}: the tables come from different reductions")
    per_path = folder / REDUCTION_TABLES[2]
    per = read_table(per_path, f"{REDUCTION_TABLES[2]} of the run", columns=("realisation", _TIME, "ell", "C_sub"),
                     finite=("realisation", _TIME, "ell", "C_sub"))
    if len(per) != n_real * times.size * (lmax + 1):
        raise ValueError(f"{str(per_path)!r} has {len(per)} rows, not {n_real} realisations x {times.size} times x "
                         f"{lmax + 1} multipoles: the tables come from different reductions, or the file is cut short")
    digests = {name: table.meta.get("reduction") for name, table in zip(REDUCTION_TABLES, (cl, transport, per))}
    if len(set(digests.values())) != 1:
        raise ValueError(f"run folder {str(folder)!r}: its tables come from different reductions "
                         f"({', '.join(f'{k}: {v}' for k, v in digests.items())}), as a reduction cut short leaves them; "
                         "rerun the crmix simulate command of the folder to reduce it again")
    return ReducedRun(folder=folder, cl=cl, transport=transport, realisations=per)
