"""An ensemble: run (or resume) its realisations on an engine, and reduce them under the Liouville mapping.

:func:`run_ensemble` checks everything before any work, keeps the finished realisations of the
output folder (crmix.simulate.store: files, run.json, hashes), has the engine compute the others
(crmix.simulate.cluster: serial or Dask, one task per realisation, crmix.simulate.realisation), and
reduces them (:func:`reduce_ensemble`) under the :class:`crmix.simulate.config.Analysis` -- the
gradient, the ONE diffusion tensor K for every T, the noise estimator, l_max -- into ensemble.npz
and the tables of crmix.simulate.tables.  Changing the analysis re-reduces the same realisations.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

from crmix.checks import dipole_amplitude, ell_ranges, record_warnings, table_warnings
from crmix.io import WriteFile, published_together, remove_stale_temporaries
from crmix.model import TurbulenceModel
from crmix.provenance import provenance, reproducible
from crmix.records import with_units
from crmix.simulate.boris import StepRule
from crmix.simulate.cluster import Engine, RealisationTask, compute_realisations
from crmix.simulate.config import Analysis, SimulationConfig
from crmix.simulate.ensemble import EnsembleSummary, LiouvilleMapping, RealisationResult, ensemble_statistics
from crmix.simulate.store import check_folder, finished_realisations, folder_lock, open_run, reduction_record, run_parameters
from crmix.simulate.tables import cl_table, realisation_table, run_record, transport_table
from crmix.units import model_units
from crmix.validation import integer

__all__ = ["liouville_mapping", "reduce_ensemble", "rereduce", "result_warnings", "run_ensemble"]


def liouville_mapping(config: SimulationConfig, analysis: Analysis) -> LiouvilleMapping:
    """The gradient and the diffusion tensor of KPM (3) for this run (ValueError when QLT has no K_zz)."""
    model = config.model
    gradient = analysis.gradient if analysis.gradient is not None else (0.0, 0.0, 1.0 / model.L_c)
    diffusion = analysis.diffusion
    if diffusion is None:
        diffusion = "qlt" if model.turbulence.slab_qlt and model.Omega > 0 else "ensemble"
    if diffusion == "ensemble":
        symmetry = "axial" if model.Omega > 0 else "isotropic"
        return LiouvilleMapping(gradient=tuple(gradient), source="ensemble", symmetry=symmetry)
    if diffusion == "qlt":
        qlt = model.turbulence.qlt(model)
        if qlt is None:
            raise ValueError(f"--diffusion qlt needs a QLT scattering time, and {model.geometry} turbulence with eta = {model.eta} "
                             "has none (no regular field, or no resonant scattering as for 2D): use ensemble or given values")
        k_zz = qlt.K_zz
        K = ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0), (0.0, 0.0, k_zz))
        return LiouvilleMapping(gradient=tuple(gradient), source="qlt", K=K)
    K = tuple(tuple(float(x) for x in row) for row in np.asarray(diffusion, dtype=float))
    return LiouvilleMapping(gradient=tuple(gradient), source="given", K=K)



def result_warnings(summary: EnsembleSummary, tables: dict[str, Any]) -> list[str]:
    """The result checks of a reduction (crmix.checks): non-finite table entries, a negative <C_l>^num (a power of
    maps), a dipole amplitude >= 1 at T_max; warnings to record, never silent."""
    found = [w for name, table in tables.items() for w in table_warnings(table, name, index="ell" if "ell" in table.colnames
                                                                            and "realisation" not in table.colnames else None)]
    negative = np.argwhere(summary.cl_num[:, 1:] < 0)
    if negative.size:
        found.append(f"<C_l>^num < 0 at l = {ell_ranges(negative[:, 1] + 1)}: the power of a map cannot be negative")
    c1 = float(summary.cl_sub[-1, 1])
    if math.isfinite(c1) and dipole_amplitude(c1) >= 1.0:
        found.append(f"dipole amplitude 3 sqrt(<C_1>^sub/4 pi) = {dipole_amplitude(c1):.3g} >= 1 at T_max: the relative intensity "
                     "of KPM (3) is negative somewhere, the gradient (--gradient-length) is too steep for the linear mapping")
    return found


def _digest(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> str:
    """The reduction's identity, recorded in every file of it: the same inputs and analysis give the same digest
    (the provenance's date and command line aside, crmix.provenance.reproducible)."""
    same = {**meta, "provenance": reproducible(meta["provenance"])} if "provenance" in meta else meta
    h = hashlib.sha256(json.dumps(same, sort_keys=True).encode())
    for key in sorted(arrays):
        h.update(key.encode() + np.ascontiguousarray(arrays[key]).tobytes())
    return h.hexdigest()[:16]


def reduce_ensemble(config: SimulationConfig, analysis: Analysis, out: Path, results: list[RealisationResult], *,
                    extra: Callable[[Path, EnsembleSummary, WriteFile], Any] | None = None) -> EnsembleSummary:
    """Ensemble statistics of ``results`` under ``analysis``; writes ensemble.npz and the three tables as one set
    (crmix.io.published_together), each with the ``reduction`` digest and the result checks' warnings in its metadata.

    ensemble.npz keeps the record of the reduction in the model's units (JSON, ``metadata``: what
    :func:`rereduce` and the readers of the maps take); the tables state it with units (crmix.records).
    ``extra(out, summary, write)``: more files of the same set (the command's plot), written with ``write``.
    """
    out = Path(out)
    mapping = liouville_mapping(config, analysis)
    summary = ensemble_statistics(results, mapping, lmax=analysis.lmax_for(config.nside), noise=analysis.noise)
    params = run_parameters(config)
    meta: dict[str, Any] = {"parameters": params, "analysis": {**summary.mapping, "noise_estimator": summary.noise_estimator,
                                                               "lmax": summary.lmax}, "realisations": summary.n_realisations,
                            "warnings": list(summary.warnings), "provenance": provenance(config.backend, config.dtype)}
    arrays = {k: np.asarray(v) for k, v in asdict(summary).items() if isinstance(v, np.ndarray)}
    arrays.update({f"K_zz_{k}": np.asarray(v) for k, v in asdict(summary.K_zz).items()})
    arrays.update({f"K_perp_{k}": np.asarray(v) for k, v in asdict(summary.K_perp).items()})
    units = model_units(config.model)
    tables = {"ensemble_cl.ecsv": cl_table(summary, units), "ensemble_transport.ecsv": transport_table(summary, units),
              "ensemble_realisations.ecsv": realisation_table(summary, results, units)}
    record_warnings(meta, result_warnings(summary, tables))
    meta["reduction"] = _digest(meta, arrays)
    table_meta = {**meta, "parameters": run_record(params), "analysis": with_units(meta["analysis"], units)}
    with published_together() as files:
        files.write(out / "ensemble.npz", lambda tmp: np.savez(tmp, metadata=json.dumps(meta, sort_keys=True), **arrays))
        for name, table in tables.items():
            table.meta.update(table_meta)
            files.write(out / name, lambda tmp, t=table: t.write(tmp, format="ascii.ecsv", overwrite=True))
        if extra is not None:
            extra(out, summary, files.write)
    return replace(summary, warnings=tuple(meta["warnings"]))


def rereduce(out: str | os.PathLike[str]) -> EnsembleSummary:
    """Reduce a run folder again from its realisation files, under the analysis it was reduced with, and rewrite its
    ensemble.npz and tables (in the current layout; a folder written by an earlier crmix is read the same way).

    The folder is held as a run holds it (crmix.simulate.store.folder_lock; the temporary files of killed writes
    removed first): one in use by another crmix process is refused, naming it.
    """
    out = Path(out)
    if not out.is_dir():
        raise ValueError(f"run folder {str(out)!r} is not a folder: give the --out folder of a finished crmix simulate run")
    with folder_lock(out):
        remove_stale_temporaries(out)
        return _rereduce_held(out)


def _rereduce_held(out: Path) -> EnsembleSummary:
    """:func:`rereduce` of a folder this process holds."""
    record = reduction_record(out)
    params = json.loads((out / "run.json").read_text())
    params.pop("provenance", None)
    config = SimulationConfig(
        model=TurbulenceModel.from_description(params["model"], params["spectrum"]), nside=int(params["nside"]),
        times=tuple(params["times"]), seed=int(params["seed"]), step=StepRule(**params["step_rule"]), method=params["method"],
        l_avg=params["l_avg"], dtype=params["dtype"], backend=params["backend"],
        synthesis_options=tuple(params["synthesis_options"].items()))
    if run_parameters(config) != params:
        raise ValueError(f"{out / 'run.json'}: the run's parameters cannot be rebuilt by this crmix; rerun crmix simulate")
    done = record["analysis"]
    source = done["diffusion_source"]
    diffusion = tuple(tuple(row) for row in done["K_liouville"]) if source == "given" else source
    analysis = Analysis(gradient=tuple(done["gradient"]), diffusion=diffusion, noise=done["noise_estimator"], lmax=int(done["lmax"]))
    realisations = int(record["realisations"])
    results = finished_realisations(out, params, realisations)
    missing = sorted(set(range(realisations)) - set(results))
    if missing:
        raise ValueError(f"run folder {out}: realisations {missing} are missing or fail their checks; rerun crmix simulate to compute them")
    return reduce_ensemble(config, analysis, out, [results[i] for i in range(realisations)])


def run_ensemble(
    config: SimulationConfig,
    out: str | os.PathLike[str],
    realisations: int,
    *,
    analysis: Analysis | None = None,
    progress: bool = True,
    engine: Engine | None = None,
    extra: Callable[[Path, EnsembleSummary, WriteFile], Any] | None = None,
) -> EnsembleSummary:
    """Run (or resume) realisations 0..realisations-1 into ``out`` and reduce the ensemble.

    Everything is checked before any work, and nothing is written before the engine is up; the folder
    is then held by this process (crmix.simulate.store.open_run: a lock, run.json, stale temporary
    files removed) until the reduction is written.  Finished realisations (a readable ``.npz`` of the
    same parameters) are kept.  ``engine`` (crmix.simulate.cluster) runs the others: serial or on Dask
    (default: ``Engine()``, a LocalCluster when more than one worker helps).  ``extra``: as
    :func:`reduce_ensemble`.
    """
    integer("realisations", realisations, ge=1)
    analysis = analysis or Analysis()
    analysis.lmax_for(config.nside)
    liouville_mapping(config, analysis)
    out = Path(out)
    params = run_parameters(config)
    check_folder(out, params)
    results = finished_realisations(out, params, realisations) if out.is_dir() else {}
    tasks = [RealisationTask(config, out, i) for i in range(realisations) if i not in results]
    with contextlib.ExitStack() as held:
        def start() -> None:
            held.enter_context(open_run(out, params))

        for task, result in zip(tasks, compute_realisations(engine or Engine(), tasks, progress=progress, on_start=start)):
            results[task.index] = result
        return reduce_ensemble(config, analysis, out, [results[i] for i in range(realisations)], extra=extra)
