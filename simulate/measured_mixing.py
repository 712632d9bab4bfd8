"""The mixing matrix M_{l l0}(Delta T) of KPM (17) measured by test particles: a resumable run and its reduction.

Each realisation of the turbulence (crmix.simulate.runner.synthesize_field: the same fields as
``crmix simulate`` for the same seed and index) backtracks two independent sets of particles, one
direction drawn inside every HEALPix pixel per set (crmix.simulate.pair_propagator), and at every
recorded time Delta T measures

* M(Delta T) by the two-set transfer-amplitude estimator (unbiased, exact at Delta T = 0 and for
  rotations; crmix.simulate.pair_propagator.cross_mixing),
* the cross spectra X^{jk}_l of the six component maps (r, p-hat at t0) between the two sets, from which
  the sky's C_l (KPM (3)-(4)) follows for any gradient and diffusion tensor without noise bias,
* <r_i r_j> (the running diffusion tensor, and K of the Liouville mapping when it is the ensemble's).

Layout of an output folder::

    run.json                 what the realisations depend on (crmix.simulate.runner.prepare_folder)
    mixing_00003.npz         realisation 3: M, X, <r r> per Delta T (written atomically, checked on resume)
    mixing.npz               the ensemble: mean and error of M and C_l per Delta T, every realisation's M
    mixing.ecsv              M_{l l0}(Delta T) with its error, long format (Delta T, l, l0)
    mixing_cl.ecsv           C_l(Delta T) with errors and C_l/C_1 with jackknife errors, K_zz(Delta T)

The tables state every number with its unit as those of ``crmix simulate`` do (crmix.records): Delta T
in yr beside Omega_dT, K_zz in cm^2/s beside Omega_K_zz, M and C_l dimensionless, the parameters and
the analysis with units; mixing.npz keeps the record in the model's units (times in 1/Omega).

A realisation's file is used on resume only when it is readable (the zip's CRC-32), belongs to these
parameters and this index and holds finite arrays of the right shapes; anything else is recomputed.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np
from astropy.table import QTable
from tqdm.auto import tqdm

from crmix.io import atomic_write, plain
from crmix.provenance import provenance
from crmix.records import column_pair, with_units
from crmix.resources import ResourceEstimate
from crmix.simulate import skymap
from crmix.simulate.backtrack import backtrack
from crmix.simulate.config import Analysis, SimulationConfig
from crmix.simulate.ensemble import SavedArrays
from crmix.simulate.fields import Field
from crmix.simulate.pair_propagator import (
    axial_cross_mixing,
    component_cross_spectra,
    cross_mixing,
    jittered_directions,
    real_harmonics,
    transfer_amplitudes,
)
from crmix.simulate.realisation import synthesize_field
from crmix.simulate.resources import simulation_estimate
from crmix.simulate.runner import liouville_mapping
from crmix.simulate.store import open_run, run_parameters
from crmix.simulate.tables import run_record
from crmix.units import ModelUnits, model_units
from crmix.validation import integer

__all__ = [
    "ESTIMATOR",
    "MixingConfig",
    "MixingEnsemble",
    "RealisationMixing",
    "jitter_rng",
    "matrix_columns",
    "measure_field",
    "measure_realisation",
    "mixing_estimate",
    "reduce_mixing",
    "run_mixing",
]

#: What the run measures M with (recorded in run.json).
ESTIMATOR = "two jittered particle sets, transfer amplitudes, identity-map control variate"
#: Floating-point operations per second of the transfer amplitudes' matrix products (one core, benchmarks/RESULTS.md).
MATMUL_FLOPS = 1e10
#: The stream of a realisation's random numbers that draws the jittered directions (the field uses [seed, index]).
_JITTER_STREAM = 1


@dataclass(frozen=True)
class MixingConfig:
    """A measured-mixing run: the simulation it backtracks (model, N_side, Delta T = ``times``, seed, step, field,
    backend) and the largest multipole ``lmax`` of M and of the spectra."""

    simulation: SimulationConfig
    lmax: int

    def __post_init__(self) -> None:
        integer("lmax", self.lmax, ge=1)
        if self.lmax > 3 * self.simulation.nside - 1:
            raise ValueError(f"lmax must be <= 3 nside - 1 = {3 * self.simulation.nside - 1} (the pixels resolve no more), "
                             f"got {self.lmax}")

    def parameters(self) -> dict[str, Any]:
        return {**run_parameters(self.simulation), "mixing_lmax": int(self.lmax), "estimator": ESTIMATOR}


def mixing_estimate(config: MixingConfig, realisations: int) -> ResourceEstimate:
    """Peak memory and time: the simulation's for twice the particles, plus the harmonics and transfer amplitudes."""
    sim = config.simulation
    base = simulation_estimate(sim, 2 * realisations)
    n, size = 12 * sim.nside**2, (config.lmax + 1) ** 2
    matmul = 2.0 * 2.0 * n * size * (size + 6) * (len(sim.times) + 1)
    memory = {**base.memory, "particles": 2.0 * base.memory["particles"], "harmonics": 8.0 * (2.0 * n * size + 4.0 * size * size)}
    return ResourceEstimate(memory=memory, seconds=base.seconds + realisations * matmul / MATMUL_FLOPS)


def jitter_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of realisation ``index``'s jittered directions: a function of (seed, index) alone."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(index), _JITTER_STREAM]))


@dataclass(frozen=True)
class RealisationMixing(SavedArrays):
    """What one realisation measured, per recorded Delta T (first axis).

    mixing   (n_T, lmax+1, lmax+1)   M_{l l0}
    axial    (n_T, lmax+1, lmax+1)   M^ax_{l l0}: the same for states axisymmetric about B0 (m0 = 0)
    cross    (n_T, lmax+1, 6, 6)     cross spectra of the component maps between the two sets
    moments  (n_T, 3, 3)             <r_i r_j> over both sets
    """

    index: int
    times: np.ndarray
    mixing: np.ndarray
    axial: np.ndarray
    cross: np.ndarray
    moments: np.ndarray


def measure_realisation(config: MixingConfig, index: int, *, progress: Any = None) -> RealisationMixing:
    """Synthesise realisation ``index``, backtrack both particle sets, measure M, X and <r r> at every Delta T."""
    sim = config.simulation
    return measure_field(config, synthesize_field(sim, index), jitter_rng(sim.seed, index), index=index, progress=progress)


def measure_field(config: MixingConfig, field: Field, rng: np.random.Generator, *, index: int = 0,
                  progress: Any = None) -> RealisationMixing:
    """M, X and <r r> at every Delta T of ``config`` in the turbulent ``field``, the two sets drawn from ``rng``."""
    sim, lmax = config.simulation, config.lmax
    sets = [jittered_directions(sim.nside, rng) for _ in range(2)]
    n = sets[0].shape[1]
    bt = backtrack(field, sim.model.Omega, sim.nside, sim.times, sim.dt, backend=sim.backend, dtype=np.dtype(sim.dtype),
                   progress=progress, steps=sim.steps, directions=np.concatenate(sets, axis=1))
    weighted = [real_harmonics(s, lmax) * (4.0 * math.pi / n) for s in sets]
    identity = [transfer_amplitudes(w, s, lmax) for w, s in zip(weighted, sets)]
    halves = (slice(0, n), slice(n, 2 * n))
    mixing, axial, cross = [], [], []
    for position, momentum in zip(bt.position, bt.momentum):
        t_a, t_b = (transfer_amplitudes(w, momentum[:, h], lmax) for w, h in zip(weighted, halves))
        mixing.append(cross_mixing(t_a, t_b, *identity, lmax))
        axial.append(axial_cross_mixing(t_a, t_b, *identity, lmax))
        comps = skymap.component_maps(position, momentum)
        a_a, a_b = (w.T @ comps[:, h].T for w, h in zip(weighted, halves))
        cross.append(component_cross_spectra(a_a, a_b, lmax))
    return RealisationMixing(index=index, times=bt.times, mixing=np.stack(mixing), axial=np.stack(axial), cross=np.stack(cross),
                             moments=skymap.displacement_moments(bt.position))


def _path(out: Path, index: int) -> Path:
    return out / f"mixing_{index:05d}.npz"


def _write(out: Path, result: RealisationMixing, params: dict[str, Any]) -> None:
    def npz(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            np.savez(fh, parameters=json.dumps(params, sort_keys=True), **result.arrays())

    atomic_write(_path(out, result.index), npz)


def _read(out: Path, params: dict[str, Any], index: int) -> RealisationMixing | None:
    """The stored realisation, or None when unreadable, corrupt, foreign or of the wrong shape (module docstring)."""
    path = _path(out, index)
    if not path.exists():
        return None
    try:
        with np.load(path) as data:
            if json.loads(str(data["parameters"])) != params:
                return None
            result = RealisationMixing.from_arrays({k: data[k] for k in data.files})
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    n_t, size = len(params["recorded_times"]), params["mixing_lmax"] + 1
    shapes_ok = result.mixing.shape == result.axial.shape == (n_t, size, size) and result.cross.shape == (n_t, size, 6, 6)
    finite = all(np.all(np.isfinite(a)) for a in (result.mixing, result.axial, result.cross, result.moments))
    return result if result.index == index and shapes_ok and finite else None


@dataclass(frozen=True)
class MixingEnsemble:
    """The ensemble of a measured-mixing run; arrays per recorded Delta T first.

    mixing, mixing_error        (n_T, lmax+1, lmax+1)  mean M and its standard error (scatter / sqrt N)
    mixing_realisations         (N, n_T, lmax+1, lmax+1)
    axial, axial_error          (n_T, lmax+1, lmax+1)  the same for states axisymmetric about B0 (RealisationMixing)
    cl, cl_error                (n_T, lmax+1)          the sky's C_l (two-set cross spectrum, no noise bias)
    ratio, ratio_error          (n_T, lmax+1)          mean C_l / mean C_1 with jackknife errors
    cl_realisations             (N, n_T, lmax+1)
    K_zz                        (n_T,)                 <z^2>/(2 T), mean over realisations
    """

    times: np.ndarray
    n_realisations: int
    lmax: int
    mapping: dict[str, Any]
    mixing: np.ndarray
    mixing_error: np.ndarray
    mixing_realisations: np.ndarray
    axial: np.ndarray
    axial_error: np.ndarray
    cl: np.ndarray
    cl_error: np.ndarray
    ratio: np.ndarray
    ratio_error: np.ndarray
    cl_realisations: np.ndarray
    K_zz: np.ndarray


def _standard_error(samples: np.ndarray) -> np.ndarray:
    n = samples.shape[0]
    return samples.std(axis=0, ddof=1) / math.sqrt(n) if n > 1 else np.full(samples.shape[1:], np.nan)


def _jackknife_ratio_error(cl: np.ndarray) -> np.ndarray:
    """Jackknife error of mean C_l / mean C_1 over realisations; cl (N, n_T, L)."""
    n = cl.shape[0]
    if n < 2:
        return np.full(cl.shape[1:], np.nan)
    leave_one_out = (cl.sum(axis=0)[None] - cl) / (n - 1)
    r = leave_one_out / leave_one_out[..., 1:2]
    return np.sqrt((n - 1) / n * np.sum((r - r.mean(axis=0)) ** 2, axis=0))


def reduce_mixing(config: MixingConfig, analysis: Analysis, results: list[RealisationMixing]) -> MixingEnsemble:
    """Means and errors of M and of C_l (under the Liouville mapping of ``analysis``) over ``results``."""
    if not results:
        raise ValueError("an ensemble needs at least one realisation")
    mapping = liouville_mapping(config.simulation, analysis)
    K = mapping.tensor(results)  # type: ignore[arg-type]  # reads .moments and .times, as of RealisationResult
    w = skymap.liouville_weights(np.asarray(mapping.gradient, dtype=float), K)
    m = np.stack([r.mixing for r in results])
    ax = np.stack([r.axial for r in results])
    cl = np.stack([skymap.quadratic_form(w, r.cross) for r in results])
    times = results[0].times
    mean_cl = cl.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = mean_cl / mean_cl[:, 1:2]
    k_zz = np.mean([r.moments[:, 2, 2] for r in results], axis=0) / (2.0 * times)
    return MixingEnsemble(times=times, n_realisations=len(results), lmax=config.lmax, mapping=mapping.describe(K),
                          mixing=m.mean(axis=0), mixing_error=_standard_error(m), mixing_realisations=m, axial=ax.mean(axis=0), axial_error=_standard_error(ax),
                          cl=mean_cl, cl_error=_standard_error(cl), ratio=ratio, ratio_error=_jackknife_ratio_error(cl),
                          cl_realisations=cl, K_zz=k_zz)


def matrix_columns(times: np.ndarray, lmax: int, units: ModelUnits) -> dict[str, Any]:
    """The columns of a table of M_{l l0}(Delta T), one row per (Delta T, l, l0): Delta T in yr beside Omega_dT =
    Omega Delta T (crmix.records.column_pair), l and l0."""
    size = lmax + 1
    ell, ell0 = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    return {**column_pair("dT", np.repeat(times, size * size), "time", units),
            "ell": np.tile(ell.ravel(), len(times)), "ell0": np.tile(ell0.ravel(), len(times))}


def _tables(ensemble: MixingEnsemble, units: ModelUnits) -> tuple[QTable, QTable]:
    """mixing.ecsv and mixing_cl.ecsv: every column with its unit (crmix.records), M and C_l dimensionless."""
    n_t, size = len(ensemble.times), ensemble.lmax + 1
    mixing = QTable({**matrix_columns(ensemble.times, ensemble.lmax, units),
                     **{name: np.asarray(values).reshape(-1) * u.one for name, values in (
                         ("M", ensemble.mixing), ("M_err", ensemble.mixing_error), ("M_axial", ensemble.axial),
                         ("M_axial_err", ensemble.axial_error))}})
    mixing.meta["description"] = ("mixing matrix M_{l l0}(Delta T) of KPM (17) measured by backtracking (pair average of "
                                  "(2 l0 + 1) P_l(p_A.p_B) P_l0(p'_A.p'_B)), mean over realisations and its standard error; "
                                  "M_axial: the same for the initial states axisymmetric about B0 (m0 = 0 alone); all M "
                                  "dimensionless; dT in yr and Omega_dT = Omega Delta T")
    spectra = QTable({
        **column_pair("dT", np.repeat(ensemble.times, size), "time", units), "ell": np.tile(np.arange(size), n_t),
        **{name: np.asarray(values).reshape(-1) * u.one for name, values in (
            ("C", ensemble.cl), ("C_err", ensemble.cl_error), ("ratio", ensemble.ratio), ("ratio_err", ensemble.ratio_error))},
        **column_pair("K_zz", np.repeat(ensemble.K_zz, size), "diffusion", units),
    })
    spectra.meta["description"] = ("angular power spectrum of the relative intensity at backtracking time T = dT (KPM (3)-(4)), "
                                   "cross spectrum of the two particle sets (no noise bias), ratio = C_l/C_1 with jackknife "
                                   "errors, all dimensionless; dT in yr and Omega_dT = Omega Delta T; K_zz = <z^2>/(2T) in "
                                   "cm^2/s and Omega_K_zz = Omega K_zz/c^2")
    return mixing, spectra


def _write_ensemble(out: Path, config: MixingConfig, ensemble: MixingEnsemble) -> None:
    """mixing.npz with its record in the model's units (what crmix.fit.mixing.MeasuredMixing reads), and the tables
    with the same record stated with units (crmix.records), as the tables of a crmix simulate run."""
    meta = plain({"parameters": config.parameters(), "analysis": ensemble.mapping, "realisations": ensemble.n_realisations,
                  "provenance": provenance(config.simulation.backend, config.simulation.dtype)})
    arrays = {k: np.asarray(v) for k, v in asdict(ensemble).items() if isinstance(v, np.ndarray)}
    npz_meta = {**meta, "time_unit": "1/Omega"}
    atomic_write(out / "mixing.npz", lambda tmp: np.savez(tmp, metadata=json.dumps(npz_meta, sort_keys=True), **arrays))
    units = model_units(config.simulation.model)
    table_meta = {**meta, "parameters": run_record(meta["parameters"]), "analysis": with_units(meta["analysis"], units)}
    for name, table in zip(("mixing.ecsv", "mixing_cl.ecsv"), _tables(ensemble, units)):
        table.meta.update(table_meta)
        atomic_write(out / name, lambda tmp, t=table: t.write(tmp, format="ascii.ecsv", overwrite=True))


def run_mixing(config: MixingConfig, out: str | os.PathLike[str], realisations: int, *, analysis: Analysis | None = None,
               progress: bool = True) -> MixingEnsemble:
    """Run (or resume) realisations 0..realisations-1 into ``out``, reduce and write the ensemble (module docstring)."""
    integer("realisations", realisations, ge=1)
    analysis = analysis or Analysis()
    liouville_mapping(config.simulation, analysis)
    out = Path(out)
    params = json.loads(json.dumps(config.parameters(), sort_keys=True))
    with open_run(out, params):  # held by this process until the ensemble is written, as crmix simulate holds its run
        stored = {i: _read(out, params, i) for i in range(realisations)}
        results = {i: r for i, r in stored.items() if r is not None}
        todo = [i for i in range(realisations) if i not in results]
        per_realisation = 2 * config.simulation.particle_steps
        with tqdm(total=per_realisation * len(todo), unit="particle-step", unit_scale=True, disable=not progress,
                  desc=f"{len(todo)} of {realisations} realisations") as bar:
            for i in todo:
                results[i] = measure_realisation(config, i, progress=bar)
                _write(out, results[i], params)
        ensemble = reduce_mixing(config, analysis, [results[i] for i in range(realisations)])
        _write_ensemble(out, config, ensemble)
    return ensemble
