"""An ensemble of realisations, each written atomically to its own file; killed runs resume.

Layout of an output folder::

    run.json                       the parameters that define the run (checked on resume)
    realisation_00003.fits         the relative-intensity sky maps of realisation 3, one column per T
    realisation_00003.npz          its observables (ensemble.RealisationResult) and the parameters
    ensemble.npz                   the ensemble averages over every finished realisation (arrays)
    ensemble_cl.ecsv               <C_l>^num, <C_l>^sub, noise variance and scatter per T (a table)
    ensemble_transport.ecsv        K_zz, K_perp, N_l and C_1 per T, <cos alpha>, Omega tau_s (a table)

A realisation is finished when its ``.npz`` exists (it is written last, by rename from a temporary
file, so a kill never leaves a partial one).  Realisation i depends on (seed, i) alone, so a resumed
run reproduces exactly what an uninterrupted one would have written.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import healpy as hp
import numpy as np
from astropy.table import Table

from crmix.io import atomic_write
from crmix.model import TurbulenceModel
from crmix.simulate import skymap, synthesis
from crmix.simulate.backtrack import BACKENDS, backtrack, record_steps, total_particle_steps, validate_nside
from crmix.simulate.boris import StepRule
from crmix.simulate.ensemble import EnsembleSummary, RealisationResult, local_mean_field
from crmix.simulate.fields import Field

__all__ = [
    "FIELD_METHODS",
    "SimulationConfig",
    "prepare_folder",
    "run_ensemble",
    "simulate_realisation",
    "summary_lines",
    "synthesize_field",
]

FIELD_METHODS = ("grid", "waves")


@dataclass(frozen=True)
class SimulationConfig:
    """Everything that defines a run (the realisation count and the backend do not change results).

    gradient
        g = grad f-bar / f-bar in 1/Omega units; None means z-hat / L_c (along B0, KPM Sec. 3.3).
        Every C_l scales as |g|^2.
    K
        The diffusion tensor of the Liouville mapping KPM (3); None means measured: <r r>/(2 T) of the
        realisation's particles at the largest T.
    method
        ``"grid"`` (slab table / nested grids) or ``"waves"`` (plane-wave sum).
    l_avg
        Side of the cube for the local mean field; None means L_c / 30 (KPM Sec. 3.3).
    """

    model: TurbulenceModel
    nside: int = 8
    times: tuple[float, ...] = (10.0, 30.0, 100.0, 300.0)
    seed: int = 0
    step: StepRule = field(default_factory=StepRule)
    method: str = "grid"
    gradient: tuple[float, float, float] | None = None
    K: tuple[tuple[float, ...], ...] | None = None
    lmax: int | None = None
    l_avg: float | None = None
    dtype: str = "float64"
    synthesis_options: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        validate_nside(self.nside)
        record_steps(self.times, self.dt)
        if int(self.seed) != self.seed or self.seed < 0:
            raise ValueError(f"seed must be an integer >= 0, got {self.seed!r}")
        if self.method not in FIELD_METHODS:
            raise ValueError(f"method must be one of {FIELD_METHODS}, got {self.method!r}")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")
        if self.lmax is not None and not 1 <= self.lmax <= 3 * self.nside - 1:
            raise ValueError(f"lmax must be between 1 and 3 nside - 1 = {3 * self.nside - 1}, got {self.lmax}")
        g = self.gradient_vector
        if g.shape != (3,) or not np.all(np.isfinite(g)):
            raise ValueError(f"gradient must be three finite numbers, got {self.gradient!r}")
        if self.K is not None and np.asarray(self.K, dtype=float).shape != (3, 3):
            raise ValueError(f"K must be a 3x3 matrix (or None: measured), got {self.K!r}")

    @property
    def dt(self) -> float:
        return self.step.dt(self.model)

    @property
    def gradient_vector(self) -> np.ndarray:
        if self.gradient is None:
            return np.array([0.0, 0.0, 1.0 / self.model.L_c])
        return np.asarray(self.gradient, dtype=float)

    @property
    def lmax_value(self) -> int:
        return self.lmax if self.lmax is not None else 3 * self.nside - 1

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
            "gradient": [float(g) for g in self.gradient_vector],
            "K": None if self.K is None else np.asarray(self.K, dtype=float).tolist(),
            "lmax": self.lmax_value,
            "l_avg": self.l_avg_value,
            "dtype": self.dtype,
            "synthesis_options": {k: v for k, v in self.synthesis_options},
        }


def synthesize_field(config: SimulationConfig, index: int) -> Field:
    """Realisation ``index`` of the turbulent field (its random numbers from (seed, index) alone)."""
    rng = synthesis.realisation_rng(config.seed, index)
    opts = dict(config.synthesis_options)
    model = config.model
    if config.method == "waves":
        return synthesis.plane_waves(model, rng, **opts)
    if model.geometry == "slab":
        return synthesis.slab_table(model, rng, **opts)
    return synthesis.nested_grids(model, rng, **opts)


def simulate_realisation(config: SimulationConfig, index: int, *, backend: str = "numba", progress: Any = None) -> tuple[RealisationResult, np.ndarray]:
    """Synthesise, backtrack, map: (observables, relative-intensity maps of shape (n_T, N_pix))."""
    model = config.model
    fld = synthesize_field(config, index)
    bt = backtrack(fld, model.Omega, config.nside, config.times, config.dt, backend=backend,
                   dtype=np.dtype(config.dtype), progress=progress)
    moments = skymap.displacement_moments(bt.position)
    K = np.asarray(config.K, dtype=float) if config.K is not None else moments[-1] / (2.0 * bt.times[-1])
    g = config.gradient_vector
    delta = skymap.relative_intensity(bt.position, bt.momentum, g, K)
    result = RealisationResult(
        index=index,
        times=bt.times,
        cl=skymap.angular_power(delta, config.lmax_value),
        noise=skymap.noise_level(moments, g, delta.shape[-1]),
        dipole=skymap.dipole_vector(delta, bt.observed),
        moments=moments,
        local_field=local_mean_field(fld, model.Omega, config.l_avg_value),
        K=K,
    )
    return result, delta


# ---- files ------------------------------------------------------------------------------------
def _realisation_path(out: Path, index: int, suffix: str) -> Path:
    return out / f"realisation_{index:05d}{suffix}"


def _write_realisation(out: Path, result: RealisationResult, maps: np.ndarray, params: dict[str, Any]) -> None:
    def fits(tmp: Path) -> None:
        header = [("CRMIXSED", params["seed"]), ("CRMIXIDX", result.index), ("ORDERING", "RING"),
                  ("COMMENT", "relative intensity f/fbar - 1, pixel = momentum direction at the observer")]
        names = [f"T{t:.6g}" for t in result.times]
        hp.write_map(str(tmp), list(maps), column_names=names, extra_header=header, overwrite=True, dtype=np.float64)

    def npz(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            np.savez(fh, parameters=json.dumps(params, sort_keys=True), **result.arrays())

    atomic_write(_realisation_path(out, result.index, ".fits"), fits)
    atomic_write(_realisation_path(out, result.index, ".npz"), npz)


def _read_realisation(path: Path, params: dict[str, Any]) -> RealisationResult | None:
    """The stored result, or None when the file is unreadable or belongs to other parameters."""
    try:
        with np.load(path) as data:
            if json.loads(str(data["parameters"])) != params:
                return None
            return RealisationResult.from_arrays({k: data[k] for k in data.files})
    except (OSError, ValueError, KeyError):
        return None


def _json_roundtrip(obj: Any) -> Any:
    return json.loads(json.dumps(obj, sort_keys=True))


def prepare_folder(out: Path, params: dict[str, Any]) -> None:
    """Create ``out`` with run.json, or check that an existing one holds the same parameters."""
    run_file = out / "run.json"
    if run_file.exists():
        old = json.loads(run_file.read_text())
        if old != params:
            diff = sorted(k for k in set(old) | set(params) if old.get(k) != params.get(k))
            raise ValueError(
                f"out folder {out} holds a run with other parameters (differing: {', '.join(diff)}); "
                "choose another --out or remove it"
            )
        return
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"out folder {out} exists, is not empty and holds no run.json; choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(run_file, lambda tmp: tmp.write_text(json.dumps(params, indent=1, sort_keys=True)))


def run_ensemble(
    config: SimulationConfig,
    out: str | os.PathLike[str],
    realisations: int,
    *,
    backend: str = "numba",
    progress: bool = True,
) -> EnsembleSummary:
    """Run (or resume) realisations 0..realisations-1 into ``out`` and write the ensemble average.

    All parameters are checked before any work.  Finished realisations (a readable ``.npz`` with the
    same parameters) are skipped.
    """
    if int(realisations) != realisations or realisations < 1:
        raise ValueError(f"realisations must be an integer >= 1, got {realisations!r}")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    out = Path(out)
    params = _json_roundtrip(config.parameters())
    prepare_folder(out, params)
    results: dict[int, RealisationResult] = {}
    for i in range(realisations):
        path = _realisation_path(out, i, ".npz")
        if path.exists():
            stored = _read_realisation(path, params)
            if stored is not None:
                results[i] = stored
    todo = [i for i in range(realisations) if i not in results]
    per = total_particle_steps(config.nside, config.times, config.dt)
    from tqdm.auto import tqdm

    with tqdm(total=per * len(todo), unit="step", unit_scale=True, disable=not progress or not todo,
              desc=f"{len(todo)} of {realisations} realisations", smoothing=0.1) as bar:
        for i in todo:
            result, maps = simulate_realisation(config, i, backend=backend, progress=bar)
            _write_realisation(out, result, maps, params)
            results[i] = result
    summary = EnsembleSummary.from_results([results[i] for i in range(realisations)])
    atomic_write(out / "ensemble.npz", lambda tmp: np.savez(tmp, parameters=json.dumps(params, sort_keys=True), **summary.arrays()))
    atomic_write(out / "ensemble_transport.ecsv", lambda tmp: _transport_table(summary, params).write(
        tmp, format="ascii.ecsv", overwrite=True))
    atomic_write(out / "ensemble_cl.ecsv", lambda tmp: _cl_table(summary, params).write(
        tmp, format="ascii.ecsv", overwrite=True))
    return summary


def _transport_table(summary: EnsembleSummary, params: dict[str, Any]) -> Table:
    """One row per backtracking time T: K_zz, K_perp, N_l (KPM (7)), C_1 three ways (KPM (55), (57))."""
    table = Table(
        {
            "T": summary.times,
            "K_zz": summary.K_zz,
            "K_perp": summary.K_perp,
            "noise_N_l": summary.noise,
            "C1_sub": summary.cl_sub[:, 1],
            "C1_dipole": summary.c1_dipole,
            "C1_QLT": summary.c1_qlt,
        }
    )
    table.meta.update({"description": "ensemble transport diagnostics per backtracking time T (units 1/Omega)",
                       "realisations": summary.n_realisations, "cos_alpha": summary.cos_alpha,
                       "Omega_tau_s": summary.omega_tau_s, "parameters": params})
    return table


def _cl_table(summary: EnsembleSummary, params: dict[str, Any]) -> Table:
    """One row per multipole: <C_l>^num, <C_l>^sub, KPM's 2 N_l^2/(2l+1) and the measured scatter, per T."""
    columns: dict[str, Any] = {"ell": np.arange(summary.cl_num.shape[1])}
    for k, t in enumerate(summary.times):
        tag = f"T{t:.6g}"
        columns[f"C_num_{tag}"] = summary.cl_num[k]
        columns[f"C_sub_{tag}"] = summary.cl_sub[k]
        columns[f"var_noise_{tag}"] = summary.cl_sub_variance[k]
        columns[f"scatter_{tag}"] = summary.cl_scatter[k]
    table = Table(columns)
    table.meta.update({"description": "ensemble-averaged angular power spectra per backtracking time T "
                       "(relative intensity, KPM (4), (7))", "realisations": summary.n_realisations,
                       "times": summary.times.tolist(), "parameters": params})
    return table


def summary_lines(summary: EnsembleSummary, lmax_print: int = 10) -> list[str]:
    """Human-readable table of the ensemble (K_zz, Omega tau_s, <C_l>^sub / <C_1>^sub)."""
    lines = [f"realisations: {summary.n_realisations}   <cos alpha> = {summary.cos_alpha:.4f}"]
    lines.append(f"{'T':>10} {'K_zz':>10} {'K_perp':>10} {'N_l':>10} {'C1_sub':>10} {'C1_QLT':>10}")
    for k, t in enumerate(summary.times):
        lines.append(f"{t:10.4g} {summary.K_zz[k]:10.4g} {summary.K_perp[k]:10.4g} {summary.noise[k]:10.3g} "
                     f"{summary.cl_sub[k, 1]:10.3g} {summary.c1_qlt[k]:10.3g}")
    lines.append(f"Omega tau_s = 3 K_zz(T_max) = {summary.omega_tau_s:.4g}")
    lmax = min(lmax_print, summary.cl_sub.shape[1] - 1)
    lines.append("<C_l>^sub / <C_1>^sub at T_max: " + " ".join(
        f"l={ell}:{summary.cl_sub[-1, ell] / summary.cl_sub[-1, 1]:.3g}" for ell in range(1, lmax + 1)))
    return lines
