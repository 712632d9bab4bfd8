"""An ensemble: run (or resume) its realisations on an engine, and reduce them under the Liouville mapping.

:func:`run_ensemble` checks everything before any work, keeps the finished realisations of the
output folder (crmix.simulate.store: files, run.json, hashes), has the engine compute the others
(crmix.simulate.cluster: serial or Dask, one task per realisation, crmix.simulate.realisation), and
reduces them (:func:`reduce_ensemble`) under the :class:`crmix.simulate.config.Analysis` -- the
gradient, the ONE diffusion tensor K for every T, the noise estimator, l_max -- into ensemble.npz
and the tables of crmix.simulate.tables.  Changing the analysis re-reduces the same realisations.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

import numpy as np

from crmix.io import atomic_write
from crmix.model import TurbulenceModel
from crmix.provenance import provenance
from crmix.records import with_units
from crmix.simulate.boris import StepRule
from crmix.simulate.cluster import Engine, RealisationTask, compute_realisations
from crmix.simulate.config import Analysis, SimulationConfig
from crmix.simulate.ensemble import EnsembleSummary, LiouvilleMapping, RealisationResult, ensemble_statistics
from crmix.simulate.store import finished_realisations, prepare_folder, reduction_record, run_parameters
from crmix.simulate.tables import cl_table, realisation_table, run_record, transport_table
from crmix.units import model_units
from crmix.validation import integer

__all__ = ["liouville_mapping", "reduce_ensemble", "rereduce", "run_ensemble"]


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



def reduce_ensemble(config: SimulationConfig, analysis: Analysis, out: Path, results: list[RealisationResult]) -> EnsembleSummary:
    """Ensemble statistics of ``results`` under ``analysis``; writes ensemble.npz and the three tables.

    ensemble.npz keeps the record of the reduction in the model's units (JSON, ``metadata``: what
    :func:`rereduce` and the readers of the maps take); the tables state it with units (crmix.records).
    """
    out = Path(out)
    mapping = liouville_mapping(config, analysis)
    summary = ensemble_statistics(results, mapping, lmax=analysis.lmax_for(config.nside), noise=analysis.noise)
    params = run_parameters(config)
    meta = {"parameters": params, "analysis": {**summary.mapping, "noise_estimator": summary.noise_estimator,
                                               "lmax": summary.lmax}, "realisations": summary.n_realisations,
            "warnings": list(summary.warnings), "provenance": provenance(config.backend, config.dtype)}
    arrays = {k: np.asarray(v) for k, v in asdict(summary).items() if isinstance(v, np.ndarray)}
    arrays.update({f"K_zz_{k}": np.asarray(v) for k, v in asdict(summary.K_zz).items()})
    arrays.update({f"K_perp_{k}": np.asarray(v) for k, v in asdict(summary.K_perp).items()})
    atomic_write(out / "ensemble.npz", lambda tmp: np.savez(tmp, metadata=json.dumps(meta, sort_keys=True), **arrays))
    units = model_units(config.model)
    table_meta = {**meta, "parameters": run_record(params), "analysis": with_units(meta["analysis"], units)}
    for name, table in (("ensemble_cl.ecsv", cl_table(summary, units)), ("ensemble_transport.ecsv", transport_table(summary, units)),
                        ("ensemble_realisations.ecsv", realisation_table(summary, results, units))):
        table.meta.update(table_meta)
        atomic_write(out / name, lambda tmp, t=table: t.write(tmp, format="ascii.ecsv", overwrite=True))
    return summary


def rereduce(out: str | os.PathLike[str]) -> EnsembleSummary:
    """Reduce a run folder again from its realisation files, under the analysis it was reduced with, and rewrite its
    ensemble.npz and tables (in the current layout; a folder written by an earlier crmix is read the same way)."""
    out = Path(out)
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
) -> EnsembleSummary:
    """Run (or resume) realisations 0..realisations-1 into ``out`` and reduce the ensemble.

    Everything is checked before any work; finished realisations (a readable ``.npz`` of the same
    parameters) are kept.  ``engine`` (crmix.simulate.cluster) runs the others: serial or on Dask
    (default: ``Engine()``, a LocalCluster when more than one worker helps).
    """
    integer("realisations", realisations, ge=1)
    analysis = analysis or Analysis()
    analysis.lmax_for(config.nside)
    liouville_mapping(config, analysis)
    out = Path(out)
    params = run_parameters(config)
    prepare_folder(out, params)
    results = finished_realisations(out, params, realisations)
    tasks = [RealisationTask(config, out, i) for i in range(realisations) if i not in results]
    for task, result in zip(tasks, compute_realisations(engine or Engine(), tasks, progress=progress)):
        results[task.index] = result
    return reduce_ensemble(config, analysis, out, [results[i] for i in range(realisations)])
