"""Ensembles over rigidities x turbulence levels eta, as one Dask task graph (``crmix scan``).

:func:`run_scan` prepares one ordinary run folder per :class:`ScanPoint` (``point_NNN/``, exactly
what ``crmix simulate`` writes, numbered rigidity-major) under a ``scan.json`` of the points' run
parameters, submits every missing realisation of every point to one engine
(crmix.simulate.cluster), reduces each point on the client, and writes the summary of
:func:`summary_table` (``scan.ecsv``).  A killed scan resumes like a run.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np
from astropy.table import MaskedColumn, QTable

from crmix.checks import record_warnings, table_warnings
from crmix.inputs import read_json
from crmix.io import WriteFile, atomic_write, is_temporary, remove_stale_temporaries
from crmix.provenance import provenance
from crmix.records import column_pair, with_units
from crmix.simulate.cluster import Engine, RealisationTask, compute_realisations
from crmix.simulate.config import Analysis, SimulationConfig
from crmix.simulate.ensemble import EnsembleSummary
from crmix.simulate.runner import reduce_ensemble
from crmix.simulate.store import check_folder, finished_realisations, folder_lock, open_run, run_parameters
from crmix.units import model_units
from crmix.validation import integer

__all__ = ["SCAN_FILE", "SUMMARY_FILE", "ScanPoint", "folder_name", "run_scan", "summary_table"]

SCAN_FILE = "scan.json"
SUMMARY_FILE = "scan.ecsv"


@dataclass(frozen=True)
class ScanPoint:
    """One point of the grid: its rigidity (as given), the run's configuration and analysis."""

    rigidity: u.Quantity
    config: SimulationConfig
    analysis: Analysis


def folder_name(k: int) -> str:
    return f"point_{k:03d}"


def _check_scan(out: Path, params: list[dict[str, Any]]) -> None:
    """ValueError naming --out unless ``out`` is absent, empty, or a scan of the same points (reads only)."""
    scan_file = out / SCAN_FILE
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} exists and is not a folder")
    if scan_file.exists():
        old = read_json(scan_file, f"{SCAN_FILE} of --out", keys=("points",))["points"]
        if old != params:
            differ = [folder_name(k) for k in range(max(len(old), len(params))) if k >= len(old) or k >= len(params) or old[k] != params[k]]
            raise ValueError(f"out folder {out} holds a scan of other points (differing: {', '.join(differ)}); "
                             "choose another --out or remove it")
        return
    if out.exists() and any(not is_temporary(p) for p in out.iterdir()):
        raise ValueError(f"out folder {out} exists, is not empty and holds no {SCAN_FILE}; choose another --out")


def _prepare_scan(out: Path, params: list[dict[str, Any]]) -> None:
    """Create ``out`` with scan.json, or check that an existing one holds the same points."""
    _check_scan(out, params)
    out.mkdir(parents=True, exist_ok=True)
    if not (out / SCAN_FILE).exists():
        text = json.dumps({"points": params}, indent=1, sort_keys=True)
        atomic_write(out / SCAN_FILE, lambda tmp: tmp.write_text(text))


def _qlt_omega_tau_s(config: SimulationConfig) -> float:
    """Omega tau_s of slab QLT (crmix.qlt), NaN where QLT has none (isotropic, or no regular field)."""
    from crmix.qlt import scattering_time

    try:
        return float(scattering_time(config.model))
    except ValueError:
        return math.nan


def summary_table(points: list[ScanPoint], summaries: list[EnsembleSummary]) -> QTable:
    """One row per point (module docstring); the common parameters in the metadata.  Times in yr beside Omega T
    (each point's Omega is its own: crmix.records)."""
    c1_qlt = np.array([s.c1_qlt[-1] for s in summaries])
    c1_sub = np.array([s.cl_sub[-1, 1] for s in summaries])
    c1_err = np.array([s.cl_sub_error[-1, 1] for s in summaries])
    converged = [s.K_zz.converged for s in summaries]
    units = [model_units(p.config.model) for p in points]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio, ratio_err = c1_sub / c1_qlt, c1_err / c1_qlt
    table = QTable({
        "rigidity": u.Quantity([p.rigidity.to(u.TV) for p in points]),
        "rho": [p.config.model.rho for p in points] * u.one,
        "eta": [p.config.model.eta for p in points] * u.one,
        "realisations": [s.n_realisations for s in summaries],
        **column_pair("T_max", [float(s.times[-1]) for s in summaries], "time", units),
        **column_pair("tau_s_QLT", [_qlt_omega_tau_s(p.config) for p in points], "time", units),
        **column_pair("tau_s", [s.omega_tau_s for s in summaries], "time", units),
        **column_pair("tau_s_err", [s.omega_tau_s_error for s in summaries], "time", units),
        "C1_sub_over_C1_QLT": ratio * u.one,
        "C1_sub_over_C1_QLT_err": ratio_err * u.one,
        "cos_alpha": [s.cos_alpha for s in summaries] * u.one,
        "converged": MaskedColumn([bool(c) for c in converged], mask=[c is None for c in converged]),
        "folder": [folder_name(k) for k in range(len(points))],
    })
    first = points[0].config
    table.meta.update({
        "description": (
            "one ensemble per (rigidity, eta): the scattering time tau_s from slab QLT (crmix.qlt; NaN where QLT has none) and "
            "simulated as 3 K_zz(T_max)/c^2 with its error, in yr beside Omega tau_s; C1_sub_over_C1_QLT = <C_1>^sub / "
            "<C_1>^QLT at T_max (KPM (55), (57)) with the error of <C_1>^sub; converged: whether K_zz(T) converged (masked "
            "with one T); folder: the point's run folder (ensemble tables for crmix fit)"
        ),
        "geometry": first.model.geometry,
        "nside": first.nside,
        **with_units({"times": [float(t) for t in first.times]}),
        "seed": int(first.seed),
        "method": first.method,
        "backend": first.backend,
        "provenance": provenance(first.backend, first.dtype),
    })
    return table


def run_scan(
    points: list[ScanPoint],
    out: str | Path,
    realisations: int,
    *,
    engine: Engine | None = None,
    progress: bool = True,
    extra: Callable[[Path, EnsembleSummary, WriteFile], Any] | None = None,
) -> tuple[QTable, list[EnsembleSummary]]:
    """Run (or resume) every point's realisations 0..realisations-1 as one task graph; reduce; write scan.ecsv.

    Nothing is written before the engine is up; then the scan folder and every point's folder are held by this
    process (crmix.simulate.store.folder_lock) until scan.ecsv is written.  ``extra``: more files of each point's
    reduction (crmix.simulate.runner.reduce_ensemble).
    """
    integer("--realisations", realisations, ge=1)
    if not points:
        raise ValueError("a scan needs at least one point (--rigidity, --eta)")
    out = Path(out)
    params = [run_parameters(p.config) for p in points]
    _check_scan(out, params)
    folders = [out / folder_name(k) for k in range(len(points))]
    for folder, p in zip(folders, params):
        check_folder(folder, p)
    results = [finished_realisations(folder, p, realisations) if folder.is_dir() else {} for folder, p in zip(folders, params)]
    tasks = [(k, RealisationTask(point.config, folders[k], i))
             for k, point in enumerate(points) for i in range(realisations) if i not in results[k]]
    with contextlib.ExitStack() as held:
        def start() -> None:  # once the engine is up: the scan's folder, then every point's, held by this process
            out.mkdir(parents=True, exist_ok=True)
            held.enter_context(folder_lock(out))
            remove_stale_temporaries(out)
            _prepare_scan(out, params)
            for folder, p in zip(folders, params):
                held.enter_context(open_run(folder, p))

        engine = engine or Engine()
        for (k, task), result in zip(tasks, compute_realisations(engine, [t for _, t in tasks], progress=progress, on_start=start)):
            results[k][task.index] = result
        summaries = [reduce_ensemble(p.config, p.analysis, folder, [res[i] for i in range(realisations)], extra=extra)
                     for p, folder, res in zip(points, folders, results)]
        table = summary_table(points, summaries)
        record_warnings(table.meta, table_warnings(table, SUMMARY_FILE, explained=("Omega_tau_s_QLT",)))
        atomic_write(out / SUMMARY_FILE, lambda tmp: table.write(tmp, format="ascii.ecsv", overwrite=True))
    return table, summaries
