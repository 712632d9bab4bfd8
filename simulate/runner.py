"""An ensemble of realisations, each written atomically to its own file; killed runs resume.

Layout of an output folder::

    run.json                       what the realisations depend on (checked on resume)
    realisation_00003.fits         the six component maps (r, p-hat at t0) of realisation 3 per T
    realisation_00003.npz          its K- and gradient-independent observables (ensemble.RealisationResult)
    ensemble.npz                   the ensemble statistics (arrays) under the run's Liouville mapping
    ensemble_cl.ecsv               <C_l>^num, N_l, <C_l>^sub with errors, C_l/C_1 with errors, per T
    ensemble_transport.ecsv        K_zz, K_perp with errors, N_l and C_1 three ways per T
    ensemble_realisations.ecsv     C_l^sub of every realisation and T (for covariances: crmix fit)

A realisation is finished when its ``.npz`` exists (written last, by an atomic rename, so a kill
never leaves a partial one) and checks: readable (the zip's CRC-32 of every array), of these
parameters and this index, and the ``.fits`` beside it the one whose SHA-256 it records.  A
truncated, corrupt, foreign or unmatched file is recomputed, never used.  Realisation i depends on
(seed, i) and run.json alone, so a resumed run reproduces exactly what an uninterrupted one writes.

The realisation files hold no choice of the Liouville mapping KPM (3): the gradient, the ONE
diffusion tensor K used for every T, the noise estimator and the multipole range are the
:class:`Analysis` of the ensemble step, stated in the tables' metadata; changing them re-reduces
the same realisations.  Maps in the FITS files are indexed by ARRIVAL direction (pixel n-hat holds
the particle seen with momentum -n-hat) in the frame z = B0; the relative intensity is
``w . components`` (crmix.simulate.skymap), :func:`sky_maps` returns it.  Their headers hold every
column's unit (TUNITn), the frame (COORDSYS = CRFRAME = B0: the local frame of the regular field,
which HEALPix's G, E and C cannot name), the run parameters and the provenance (crmix.provenance).
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import healpy as hp
import numpy as np
from astropy.table import Table

from crmix.io import atomic_write
from crmix.model import TurbulenceModel
from crmix.provenance import provenance
from crmix.simulate import skymap, synthesis
from crmix.simulate.backtrack import BACKENDS, backtrack, record_steps, validate_nside
from crmix.simulate.boris import StepRule
from crmix.simulate.ensemble import (
    EnsembleSummary,
    LiouvilleMapping,
    RealisationResult,
    ensemble_statistics,
    local_mean_field,
)
from crmix.simulate.fields import Field
from crmix.simulate.tensor_synthesis import tensor_field
from crmix.validation import integer

if TYPE_CHECKING:
    from crmix.simulate.cluster import Engine

__all__ = [
    "FIELD_METHODS",
    "PARAMETER_OPTIONS",
    "SYNTHESISERS",
    "Analysis",
    "SimulationConfig",
    "compute_realisation",
    "finished_realisations",
    "liouville_mapping",
    "prepare_folder",
    "read_finished_realisation",
    "recorded_time",
    "reduce_ensemble",
    "run_ensemble",
    "simulate_realisation",
    "sky_maps",
    "summary_lines",
    "synthesiser",
    "synthesize_field",
]

FIELD_METHODS = ("grid", "waves")
_STEP_OPTIONS = "--step, --steps-per-gyration, --steps-per-wavelength"
#: the options of crmix simulate that set each parameter of run.json (named when a resume is refused)
PARAMETER_OPTIONS = {
    "model": "--geometry, --slab-fraction, --eta, --rigidity, --brms, --lc, --rg-over-lambda-min", "spectrum": "--spectrum, --rg-over-lambda-min",
    "nside": "--nside", "times": "--times", "recorded_times": f"--times, {_STEP_OPTIONS}", "seed": "--seed", "dt": _STEP_OPTIONS,
    "step_rule": _STEP_OPTIONS, "method": "--field", "l_avg": "--lc", "backend": "--backend", "dtype": "the precision",
}


@dataclass(frozen=True)
class SimulationConfig:
    """Everything the realisations depend on (and nothing else: the mapping is the :class:`Analysis`).

    method
        ``"grid"`` (slab table / nested grids / the tensor synthesis, as the geometry names it:
        crmix.geometry) or ``"waves"`` (plane-wave sum; slab and isotropic).
    l_avg
        Side of the cube for the local mean field; None means L_c / 30 (KPM Sec. 3.3).
    backend, dtype
        The pusher and its precision.  Backtracking is chaotic: different backends or precisions give
        trajectories that part after a few hundred gyro-times, so both belong to the run's identity.
    """

    model: TurbulenceModel
    nside: int = 8
    times: tuple[float, ...] = (10.0, 30.0, 100.0, 300.0)
    seed: int = 0
    step: StepRule = field(default_factory=StepRule)
    method: str = "grid"
    l_avg: float | None = None
    dtype: str = "float64"
    backend: str = "numba"
    synthesis_options: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        validate_nside(self.nside)
        record_steps(self.times, self.dt)
        integer("seed", self.seed, ge=0)
        if self.method not in FIELD_METHODS:
            raise ValueError(f"method must be one of {FIELD_METHODS}, got {self.method!r}")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {self.backend!r}")
        synthesiser(self.model, self.method)

    @property
    def dt(self) -> float:
        return self.step.dt(self.model)

    @property
    def l_avg_value(self) -> float:
        return self.l_avg if self.l_avg is not None else self.model.L_c / 30.0

    def parameters(self) -> dict[str, Any]:
        """A JSON-able dictionary that identifies the run (compared on resume)."""
        return {
            "model": self.model.describe(),
            "spectrum": asdict(self.model.spectrum),
            "nside": self.nside,
            "times": [float(t) for t in self.times],
            "recorded_times": [float(t) for t in record_steps(self.times, self.dt) * self.dt],
            "seed": int(self.seed),
            "dt": self.dt,
            "step_rule": asdict(self.step),
            "method": self.method,
            "l_avg": self.l_avg_value,
            "dtype": self.dtype,
            "backend": self.backend,
            "synthesis_options": dict(self.synthesis_options),
        }


@dataclass(frozen=True)
class Analysis:
    """How the realisations are reduced to ensemble statistics (none of it changes a realisation).

    gradient
        g = grad f-bar / f-bar in 1/Omega units; None means z-hat / L_c (along B0, KPM Sec. 3.3).
        Every C_l scales as |g|^2.
    diffusion
        The ONE diffusion tensor of the Liouville mapping KPM (3) for every T: ``"qlt"`` (K_zz of slab
        QLT, crmix.qlt), ``"ensemble"`` (the ensemble's <r r>/(2 T) at the largest T requested, so it
        depends on that T), or a 3x3 matrix in 1/Omega units (c = 1).  None: QLT where the model has
        it (slab with a regular field), else the ensemble estimate.
    noise
        The estimator of the shot noise N_l: ``"pixel"`` or ``"kpm"`` (crmix.simulate.skymap).
    lmax
        Largest multipole of the tables; None means 2 N_side (at most 3 N_side - 1).
    """

    gradient: tuple[float, float, float] | None = None
    diffusion: str | tuple[tuple[float, float, float], ...] | None = None
    noise: str = "pixel"
    lmax: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.diffusion, str) and self.diffusion not in ("ensemble", "qlt"):
            raise ValueError(f"diffusion must be 'ensemble', 'qlt' or a 3x3 matrix, got {self.diffusion!r}")
        if self.noise not in skymap.NOISE_ESTIMATORS:
            raise ValueError(f"noise estimator must be one of {skymap.NOISE_ESTIMATORS}, got {self.noise!r}")

    def lmax_for(self, nside: int) -> int:
        lmax = 2 * nside if self.lmax is None else int(self.lmax)
        if not 1 <= lmax <= 3 * nside - 1:
            raise ValueError(f"lmax must be between 1 and 3 nside - 1 = {3 * nside - 1}, got {lmax}")
        return lmax


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


def _tensor_field(model: TurbulenceModel, rng: np.random.Generator, *, method: str, **options: Any) -> Field:
    """The geometry's tensor drawn by crmix.simulate.tensor_synthesis (2D, composites)."""
    return tensor_field(model.turbulence.tensor(model), rng, method=method, **options)  # type: ignore[union-attr]


#: The synthesisers a geometry names per field method (crmix.geometry: ``geometry.synthesis``).  Slab and
#: isotropic keep their model-based synthesisers (bit-identical fields for a seed); the others draw their tensor.
SYNTHESISERS: dict[str, Callable[..., Field]] = {
    "slab_table": synthesis.slab_table,
    "nested_grids": synthesis.nested_grids,
    "plane_waves": synthesis.plane_waves,
    "tensor_grid": partial(_tensor_field, method="grid"),
    "tensor_waves": partial(_tensor_field, method="waves"),
}


def synthesiser(model: TurbulenceModel, method: str) -> str:
    """The name of the synthesiser of ``model``'s geometry for field ``method``; ValueError where there is none."""
    name = model.turbulence.synthesiser(method)
    if name is None:
        methods = ", ".join(m for m, _ in model.turbulence.synthesis)
        raise ValueError(f"--field {method} is not available for {model.geometry} turbulence (its field methods: {methods})")
    if name not in SYNTHESISERS:
        raise ValueError(f"the simulation of {model.geometry} turbulence needs the {name!r} synthesis, which this version "
                         "of crmix does not have yet (the theory, crmix spectrum, has it)")
    return name


def synthesize_field(config: SimulationConfig, index: int) -> Field:
    """Realisation ``index`` of the turbulent field (its random numbers from (seed, index) alone)."""
    rng = synthesis.realisation_rng(config.seed, index)
    return SYNTHESISERS[synthesiser(config.model, config.method)](config.model, rng, **dict(config.synthesis_options))


def simulate_realisation(config: SimulationConfig, index: int, *, progress: Any = None) -> tuple[RealisationResult, np.ndarray, Field]:
    """Synthesise, backtrack, measure: (observables, component maps (n_T, 6, N_pix) by momentum pixel, field)."""
    model = config.model
    fld = synthesize_field(config, index)
    bt = backtrack(fld, model.Omega, config.nside, config.times, config.dt, backend=config.backend,
                   dtype=np.dtype(config.dtype), progress=progress)
    comps = skymap.component_maps(bt.position, bt.momentum)  # (n_T, 6, N_pix)
    lmax = 3 * config.nside - 1
    result = RealisationResult(
        index=index,
        times=bt.times,
        cross=np.stack([skymap.cross_spectra(c, lmax) for c in comps]),
        neighbour=np.stack([skymap.neighbour_difference_matrix(c, config.nside) for c in comps]),
        dipole=skymap.dipole_response(comps, bt.observed),
        moments=skymap.displacement_moments(bt.position),
        extent=np.max(np.abs(bt.position), axis=-1),
        period=np.asarray(fld.period, dtype=float),
        local_field=local_mean_field(fld, model.Omega, config.l_avg_value),
    )
    return result, comps, fld


# ---- files ------------------------------------------------------------------------------------
def _realisation_path(out: Path, index: int, suffix: str) -> Path:
    return out / f"realisation_{index:05d}{suffix}"


def _time_tag(t: float) -> str:
    return f"T{t:.6g}"


def _fits_header(params: dict[str, Any], index: int) -> list[tuple[str, Any, str] | tuple[str, str]]:
    """The keywords of a realisation's FITS maps: the frame, the pixel convention, the run parameters, provenance.

    COORDSYS is not one of HEALPix's G, E, C: the maps are in the local frame of the regular field
    (z along B0, x and y fixed by the synthesis), which has no orientation on the sky until B0's
    direction is given.  The value B0 says so (healpy reads any value); G, E or C would claim an
    orientation the maps do not have.
    """
    model = params["model"]
    origin = provenance(params["backend"], params["dtype"])
    return [
        ("ORDERING", "RING", "HEALPix pixel ordering"),
        ("COORDSYS", "B0", "local frame of the regular field, not G/E/C"),
        ("CRFRAME", "B0", "local frame, z along the regular field B0"),
        ("PIXDIR", "ARRIVAL", "pixel n: particle seen with momentum -n"),
        ("CRSEED", params["seed"], "random seed of the run"),
        ("CRINDEX", index, "realisation index"),
        ("CRGEOM", model["geometry"], "turbulence geometry"),
        ("CRSPEC", model["spectrum_kind"], "turbulence spectrum"),
        ("CRSLOPE", model["spectrum_index"], "spectral index of the turbulence"),
        ("CRKMIN", model["kmin_Lc"], "k_min L_c"),
        ("CRKMAX", model["kmax_Lc"], "k_max L_c"),
        ("CRETA", model["eta"], "turbulence level dB^2/(B0^2+dB^2)"),
        ("CRRHO", model["rho"], "reduced rigidity r_g/L_c"),
        ("CRLC", model["L_c"], "correlation length L_c in 1/Omega (c = 1)"),
        ("CRDT", params["dt"], "Boris step in 1/Omega"),
        ("CRFIELD", params["method"], "field synthesis: grid or waves"),
        ("CRNTIME", len(params["recorded_times"]), "number of backtracking times T"),
        ("TIMEUNIT", "1/Omega", "unit of the backtracking times T"),
        ("CRVERSN", origin["crmix"], "crmix version"),
        ("CRBACKND", origin["backend"], "pusher backend"),
        ("CRPREC", origin["precision"], "precision of the backtracking"),
        ("COMMENT", "column C_Tt: component C of (r, p-hat) at t0 = t - T,"),
        ("COMMENT", "r in 1/Omega (c = 1), p-hat dimensionless; relative"),
        ("COMMENT", "intensity = g.r - 3 (K g).p-hat (KPM (3)); g and K:"),
        ("COMMENT", "metadata of ensemble_cl.ecsv; frame z = B0 (CRFRAME)"),
    ]


def _write_realisation(out: Path, result: RealisationResult, comps: np.ndarray, params: dict[str, Any]) -> None:
    order = skymap.arrival_order(params["nside"])
    names = [f"{c.upper().replace('_', '')}_{_time_tag(t)}" for t in result.times for c in skymap.COMPONENTS]
    maps = comps[..., order].reshape(-1, comps.shape[-1])

    def fits(tmp: Path) -> None:
        units = ["1/Omega" if n.startswith("R") else "" for n in names]
        dimensionless = [(f"TUNIT{k}", "", "p-hat component: dimensionless") for k, unit in enumerate(units, 1) if not unit]
        hp.write_map(str(tmp), list(maps), column_names=names, column_units=units,
                     extra_header=_fits_header(params, result.index) + dimensionless, overwrite=True, dtype=np.float32)

    maps_file = atomic_write(_realisation_path(out, result.index, ".fits"), fits)
    digest = _sha256(maps_file)

    def npz(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            np.savez(fh, parameters=json.dumps(params, sort_keys=True), fits_sha256=digest, **result.arrays())

    atomic_write(_realisation_path(out, result.index, ".npz"), npz)


def _sha256(path: Path) -> str:
    """The SHA-256 of the file at ``path``, hexadecimal (read in blocks: a realisation's maps may be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_realisation(path: Path, params: dict[str, Any], index: int) -> RealisationResult | None:
    """The stored result, or None when the file is unreadable, truncated, corrupt, foreign or unmatched (module docstring)."""
    try:
        with np.load(path) as data:
            if json.loads(str(data["parameters"])) != params:
                return None
            fits_sha256 = str(data["fits_sha256"])
            result = RealisationResult.from_arrays({k: data[k] for k in data.files})
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # unreadable, truncated, corrupt, foreign
        return None
    n_t = len(params["recorded_times"])
    if result.index != index or result.cross.shape != (n_t, 3 * params["nside"], 6, 6) or not np.all(np.isfinite(result.cross)):
        return None
    try:  # the maps are hashed last: the largest read, done only for a result that passes the rest
        maps_sha256 = _sha256(path.with_suffix(".fits"))
    except OSError:
        return None
    return result if maps_sha256 == fits_sha256 else None


def _json_roundtrip(obj: Any) -> Any:
    return json.loads(json.dumps(obj, sort_keys=True))


def prepare_folder(out: Path, params: dict[str, Any]) -> None:
    """Create ``out`` with run.json, or check that an existing one holds the same parameters."""
    run_file = out / "run.json"
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} exists and is not a folder")
    if run_file.exists():
        try:
            old = json.loads(run_file.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"out folder {out}: run.json is unreadable ({exc}); choose another --out") from exc
        old.pop("provenance", None)
        if old != params:
            diff = sorted(k for k in set(old) | set(params) if old.get(k) != params.get(k))
            named = [f"{k} ({PARAMETER_OPTIONS[k]})" if k in PARAMETER_OPTIONS else k for k in diff]
            raise ValueError(
                f"out folder {out} holds a run with other parameters (differing: {', '.join(named)}); "
                "choose another --out or remove it"
            )
        return
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"out folder {out} exists, is not empty and holds no run.json; choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps({**params, "provenance": provenance(params["backend"], params["dtype"])}, indent=1, sort_keys=True)
    atomic_write(run_file, lambda tmp: tmp.write_text(text))


def run_parameters(config: SimulationConfig) -> dict[str, Any]:
    """run.json's parameters, as JSON reads them back."""
    return _json_roundtrip(config.parameters())


def read_finished_realisation(out: Path, params: dict[str, Any], index: int) -> RealisationResult | None:
    """Realisation ``index`` when ``out`` holds it and it passes the checks (module docstring), else None."""
    path = _realisation_path(out, index, ".npz")
    return _read_realisation(path, params, index) if path.exists() else None


def finished_realisations(out: Path, params: dict[str, Any], realisations: int) -> dict[int, RealisationResult]:
    """The realisations 0..realisations-1 already in ``out`` that pass the checks (module docstring)."""
    stored = {i: read_finished_realisation(out, params, i) for i in range(realisations)}
    return {i: r for i, r in stored.items() if r is not None}


def compute_realisation(config: SimulationConfig, out: Path, index: int, *, progress: Any = None) -> RealisationResult:
    """Simulate realisation ``index`` and write its files atomically (the unit of work of a run)."""
    result, comps, _ = simulate_realisation(config, index, progress=progress)
    _write_realisation(Path(out), result, comps, run_parameters(config))
    return result


def reduce_ensemble(config: SimulationConfig, analysis: Analysis, out: Path, results: list[RealisationResult]) -> EnsembleSummary:
    """Ensemble statistics of ``results`` under ``analysis``; writes ensemble.npz and the three tables."""
    out = Path(out)
    mapping = liouville_mapping(config, analysis)
    summary = ensemble_statistics(results, mapping, lmax=analysis.lmax_for(config.nside), noise=analysis.noise)
    params = run_parameters(config)
    meta = {"parameters": params, "analysis": {**summary.mapping, "noise_estimator": summary.noise_estimator,
                                               "lmax": summary.lmax}, "realisations": summary.n_realisations,
            "warnings": list(summary.warnings), "time_unit": "1/Omega", "length_unit": "1/Omega (c = 1)",
            "provenance": provenance(config.backend, config.dtype)}
    arrays = {k: np.asarray(v) for k, v in asdict(summary).items() if isinstance(v, np.ndarray)}
    arrays.update({f"K_zz_{k}": np.asarray(v) for k, v in asdict(summary.K_zz).items()})
    arrays.update({f"K_perp_{k}": np.asarray(v) for k, v in asdict(summary.K_perp).items()})
    atomic_write(out / "ensemble.npz", lambda tmp: np.savez(tmp, metadata=json.dumps(meta, sort_keys=True), **arrays))
    for name, table in (("ensemble_cl.ecsv", _cl_table(summary)), ("ensemble_transport.ecsv", _transport_table(summary)),
                        ("ensemble_realisations.ecsv", _realisation_table(summary, results))):
        table.meta.update(meta)
        atomic_write(out / name, lambda tmp, t=table: t.write(tmp, format="ascii.ecsv", overwrite=True))
    return summary


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
    from crmix.simulate.cluster import Engine, RealisationTask, compute_realisations

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


def recorded_time(params: dict[str, Any], time: float | None = None) -> float:
    """The recorded backtracking time of a run (its run.json ``params``) nearest ``time`` (default: the largest).

    ValueError when ``time`` is farther than one step dt from every recorded time.
    """
    times = params["recorded_times"]
    t = times[-1] if time is None else min(times, key=lambda x: abs(x - time))
    if time is not None and abs(t - time) > params["dt"]:  # requested times are rounded to steps
        raise ValueError(f"time {time} is not a backtracking time of the run; recorded: {times}")
    return t


def sky_maps(out: str | os.PathLike[str], time: float | None = None, *,
             realisations: Sequence[int] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """Relative-intensity maps (N_real, N_pix) of a reduced run at backtracking time ``time`` (default: the largest).

    Pixels are ARRIVAL directions (RING) in the frame z = B0; the mapping (g, K) is the one of the
    run's ensemble tables.  ``realisations``: the indices whose maps are read (default: every
    realisation of the run).  Returns the maps and the tables' metadata.
    """
    out = Path(out)
    meta = Table.read(out / "ensemble_cl.ecsv").meta
    t = recorded_time(meta["parameters"], time)
    K = np.asarray(meta["analysis"]["K_liouville"], dtype=float)
    w = skymap.liouville_weights(np.asarray(meta["analysis"]["gradient"], dtype=float), K)
    names = [f"{c.upper().replace('_', '')}_{_time_tag(t)}" for c in skymap.COMPONENTS]
    from astropy.io import fits

    maps = []
    for i in range(meta["realisations"]) if realisations is None else realisations:
        with fits.open(_realisation_path(out, i, ".fits")) as hdul:
            data = hdul[1].data
            maps.append(np.einsum("j,jn->n", w, np.stack([np.asarray(data[n], dtype=float).ravel() for n in names])))
    return np.stack(maps), dict(meta)


# ---- tables -----------------------------------------------------------------------------------
def _cl_table(summary: EnsembleSummary) -> Table:
    """One row per multipole; per T: <C_l>^num, <C_l>^sub and its errors, C_l/C_1 and its error."""
    columns: dict[str, Any] = {"ell": np.arange(summary.lmax + 1)}
    for k, t in enumerate(summary.times):
        tag = _time_tag(t)
        columns[f"C_num_{tag}"] = summary.cl_num[k]
        columns[f"N_{tag}"] = summary.noise[k]
        columns[f"C_sub_{tag}"] = summary.cl_sub[k]
        columns[f"C_sub_err_{tag}"] = summary.cl_sub_error[k]
        columns[f"C_noise_err_{tag}"] = summary.cl_noise_error[k]
        columns[f"ratio_{tag}"] = summary.ratio[k]
        columns[f"ratio_err_{tag}"] = summary.ratio_error[k]
    table = Table(columns)
    table.meta["description"] = (
        "ensemble-averaged angular power spectra of the relative intensity per backtracking time T (KPM (4), (7)): "
        "C_num, the shot noise N, the noise-subtracted C_sub with its error (scatter of the realisations / sqrt N) and "
        "its shot-noise part, ratio = C_sub/C_sub(l=1) with a jackknife error; all C_l are dimensionless (relative "
        "intensity)"
    )
    table.meta["times"] = [float(t) for t in summary.times]
    return table


def _transport_table(summary: EnsembleSummary) -> Table:
    """One row per backtracking time T: K_zz, K_perp with errors, N_l (KPM (7)), C_1 three ways (KPM (55), (57))."""
    n = summary.n_realisations
    c1_err = summary.cl_sub_error[:, 1]
    table = Table(
        {
            "T": summary.times,
            "K_zz": summary.K_zz.value,
            "K_zz_err": summary.K_zz.error,
            "K_perp": summary.K_perp.value,
            "K_perp_err": summary.K_perp.error,
            "noise_variance": summary.noise_variance,
            "N_1": summary.noise[:, 1],
            "C1_sub": summary.cl_sub[:, 1],
            "C1_sub_err": c1_err,
            "C1_dipole": summary.c1_dipole,
            "C1_QLT": summary.c1_qlt,
        }
    )
    for name in ("T",):
        table[name].unit = "1/Omega"
    for name in ("K_zz", "K_zz_err", "K_perp", "K_perp_err"):
        table[name].unit = "1/Omega"  # c^2/Omega with c = 1
    table.meta.update({
        "description": "transport diagnostics per backtracking time T; T and K in units of 1/Omega (c = 1)",
        "cos_alpha": summary.cos_alpha, "Omega_tau_s": summary.omega_tau_s, "Omega_tau_s_err": summary.omega_tau_s_error,
        "K_zz_inf_fit": summary.K_zz.K_inf, "K_zz_tau_fit": summary.K_zz.tau,
        "K_zz_converged": summary.K_zz.converged, "realisations": n,
    })
    return table


def _realisation_table(summary: EnsembleSummary, results: list[RealisationResult]) -> Table:
    """C_l^sub of every realisation and T, long format (realisation, T, ell)."""
    sub = summary.cl_sub_realisations  # (N, n_T, L)
    n, n_t, n_l = sub.shape
    table = Table({
        "realisation": np.repeat([r.index for r in results], n_t * n_l),
        "T": np.tile(np.repeat(summary.times, n_l), n),
        "ell": np.tile(np.arange(n_l), n * n_t),
        "C_sub": sub.reshape(-1),
    })
    table["T"].unit = "1/Omega"
    table.meta["description"] = "noise-subtracted C_l of each realisation (relative intensity) per backtracking time T"
    return table


def summary_lines(summary: EnsembleSummary, lmax_print: int = 10) -> list[str]:
    """Human-readable table of the ensemble (K_zz, Omega tau_s, <C_l>^sub / <C_1>^sub with errors)."""
    K = np.asarray(summary.mapping["K_liouville"])
    lines = [f"realisations: {summary.n_realisations}   <cos alpha> = {summary.cos_alpha:.4f}   "
             f"Liouville K ({summary.mapping['diffusion_source']}): K_zz = {K[2, 2]:.4g}, K_xx = {K[0, 0]:.4g}   "
             f"noise: {summary.noise_estimator}"]
    lines.append(f"{'T':>10} {'K_zz':>18} {'K_perp':>18} {'N_1':>10} {'C1_sub':>20} {'C1_QLT':>10}")
    for k, t in enumerate(summary.times):
        kzz = f"{summary.K_zz.value[k]:.4g}+-{summary.K_zz.error[k]:.2g}"
        kp = f"{summary.K_perp.value[k]:.4g}+-{summary.K_perp.error[k]:.2g}"
        c1 = f"{summary.cl_sub[k, 1]:.3g}+-{summary.cl_sub_error[k, 1]:.2g}"
        lines.append(f"{t:10.4g} {kzz:>18} {kp:>18} {summary.noise[k, 1]:10.3g} {c1:>20} {summary.c1_qlt[k]:10.3g}")
    state = {True: "converged", False: "NOT converged", None: "convergence unknown (one T)"}[summary.K_zz.converged]
    lines.append(f"Omega tau_s = 3 K_zz(T_max) = {summary.omega_tau_s:.4g} +- {summary.omega_tau_s_error:.2g} ({state}; "
                 f"fit K_zz(inf) = {summary.K_zz.K_inf:.4g})")
    lmax = min(lmax_print, summary.lmax)
    lines.append("<C_l>^sub / <C_1>^sub at T_max: " + " ".join(
        f"l={ell}:{summary.ratio[-1, ell]:.3g}+-{summary.ratio_error[-1, ell]:.2g}" for ell in range(2, lmax + 1)))
    lines.extend(f"WARNING: {w}" for w in summary.warnings)
    return lines
