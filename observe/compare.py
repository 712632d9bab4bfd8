"""One comparison: measured pseudo-spectra against the prediction through the detector (``crmix compare``).

For each tier (median energy E, rigidity R = E/Z) the slab model of crmix.solver at that rigidity is
evaluated at several Omega dT (crmix.observe.theory), passed through the coupling kernel of the
coverage and filter (crmix.observe.coupling) and fitted with a free amplitude and shot-noise level
(crmix.observe.fit); then one c of KPM (51) is fitted to all tiers at once.  The one-sky scatter at
the best fit comes from Gaussian skies through the same detector (crmix.observe.forward).

With simulated sky maps (a ``crmix simulate`` run) the shape is not the theory's but the simulated
ensemble's, rotated to the field direction: only the amplitude and the noise level are fitted.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import healpy as hp
import numpy as np
from tqdm.auto import tqdm

from crmix.io import atomic_write
from crmix.model import Spectrum, TurbulenceModel
from crmix.observe import budget, coupling, fit, forward, namaster, onesky, sky
from crmix.observe.choices import DEFAULT_FIELD, DEFAULT_LMAX
from crmix.observe.data import MeasuredSpectrum
from crmix.observe.report import TierComparison
from crmix.observe.simulated import SimulatedSky
from crmix.observe.theory import GRADIENT_LENGTH_PC, PredictionCache
from crmix.simulate.tables import run_record
from crmix.solver.timestep import KPM51_COEFFICIENT, crossing_time
from crmix.units import ModelUnits

__all__ = ["DEFAULT_FIELD", "DEFAULT_LMAX", "Comparison", "ComparisonResult", "Coverage", "default_omega_dt_range", "run_comparison"]



@dataclass(frozen=True)
class Coverage:
    """A declination band (exact kernel) or a weight map (kernel through healpy)."""

    dec_min: float = -90.0
    dec_max: float = -35.0
    weights: np.ndarray | None = None
    name: str = ""

    @property
    def is_band(self) -> bool:
        return self.weights is None

    def describe(self) -> str:
        return f"band {self.dec_min:g} <= Dec <= {self.dec_max:g} deg" if self.is_band else f"map {self.name}"

    def event_factor(self) -> float:
        """<w>^2 / <w^2>: the shot noise of N events, weighted by exposure, is N_w = 4 pi <w>^2 / (<w^2> N)."""
        if self.is_band:
            return 0.5 * (math.sin(math.radians(self.dec_max)) - math.sin(math.radians(self.dec_min)))
        return float(np.mean(self.weights) ** 2 / np.mean(self.weights**2))

    def weight_map(self, nside: int) -> np.ndarray:
        if self.is_band:
            return sky.band_weights(nside, self.dec_min, self.dec_max)
        w = self.weights
        return w if hp.npix2nside(w.size) == nside else hp.ud_grade(w, nside)


@dataclass
class Comparison:
    """Everything that defines one comparison (defaults: IceTop-like, slab Kolmogorov, eta = 0.5)."""

    data: list[MeasuredSpectrum]
    coverage: Coverage = field(default_factory=Coverage)
    filter: str = "m0"
    field_direction: tuple[float, float] = DEFAULT_FIELD
    dipole: str = "b0"
    noise_levels: dict[str, float] | None = None
    charge: int = 1
    eta: float = 0.5
    b_rms_uG: float = 4.0
    l_c_pc: float = 30.0
    spectrum: Spectrum = field(default_factory=Spectrum)
    lmax: int = DEFAULT_LMAX
    omega_dt_range: tuple[float, float] | None = None
    grid_points: int = 7
    refinements: int = 4
    realisations: int = 200
    nside: int = 64
    seed: int = 0
    one_sky_variance: bool = True
    maps: SimulatedSky | None = None
    mixing_runs: tuple[str, ...] | None = None
    cache: Path | None = None
    progress: bool = False

    def __post_init__(self) -> None:
        if not self.data:
            raise ValueError("no measured spectrum to compare with")
        if self.filter not in sky.FILTERS:
            raise ValueError(f"filter must be one of {sky.FILTERS}, got {self.filter!r}")
        if self.dipole not in ("b0", "isotropic"):
            raise ValueError(f"dipole must be 'b0' (along the field) or 'isotropic', got {self.dipole!r}")
        sky.field_axis(*self.field_direction)
        lmax_data = max(d.lmax for d in self.data)
        if self.maps is None and self.lmax < lmax_data:
            raise ValueError(f"lmax of the model must be >= the largest measured l = {lmax_data}, got {self.lmax}")
        if self.maps is None and any(d.energy_TeV is None for d in self.data):
            raise ValueError("every tier needs its median energy (--energy) to set its rigidity")
        if int(self.charge) != self.charge or self.charge < 1:
            raise ValueError(f"charge Z must be an integer >= 1, got {self.charge!r}")
        if self.grid_points < 3:
            raise ValueError(f"grid points must be >= 3, got {self.grid_points}")
        if self.realisations < 2:
            raise ValueError(f"realisations (Gaussian skies for the one-sky scatter) must be >= 2, got {self.realisations}")
        if self.nside < 1 or self.nside & (self.nside - 1) or 3 * self.nside - 1 < lmax_data:
            raise ValueError(f"nside must be a power of two with 3 nside - 1 >= {lmax_data}, got {self.nside}")
        if self.omega_dt_range is not None and not 0 < self.omega_dt_range[0] < self.omega_dt_range[1]:
            raise ValueError(f"Omega dT range must satisfy 0 < lo < hi, got {self.omega_dt_range}")
        for tier, level in (self.noise_levels or {}).items():
            if not (math.isfinite(level) and level >= 0):
                raise ValueError(f"noise level of tier {tier} must be >= 0, got {level!r}")

    @property
    def axis(self) -> np.ndarray:
        return sky.field_axis(*self.field_direction)

    def model(self, energy_TeV: float) -> TurbulenceModel:
        import astropy.units as u

        return TurbulenceModel.from_physical("slab", rigidity=energy_TeV / self.charge * u.TV, b_rms=self.b_rms_uG * u.uG,
                                             l_c=self.l_c_pc * u.pc, eta=self.eta, spectrum=self.spectrum)

    def describe(self) -> dict[str, Any]:
        return {"coverage": self.coverage.describe(), "filter": self.filter, "field_ra_deg": self.field_direction[0],
                "field_dec_deg": self.field_direction[1], "dipole": self.dipole, "charge": self.charge, "eta": self.eta,
                "b_rms_uG": self.b_rms_uG, "l_c_pc": self.l_c_pc, "spectrum_kind": self.spectrum.kind,
                "spectrum_index": self.spectrum.index, "lmax_model": self.lmax, "omega_dt_range": self.omega_dt_range,
                "grid_points": self.grid_points, "realisations": self.realisations, "nside": self.nside, "seed": self.seed,
                "noise_levels": self.noise_levels, "gradient_length_nominal_pc": GRADIENT_LENGTH_PC,
                "one_sky_variance_in_chi2": self.one_sky_variance,
                "model_source": ("simulated sky maps" if self.maps is not None else "theory, M measured by test particles"
                                 if self.mixing_runs else "theory"), "mixing_runs": list(self.mixing_runs or [])}


@dataclass
class ComparisonResult:
    """The tiers' comparisons, the fits and the record; ``units``: the simulated run's model's (``--maps``), else None."""

    tiers: list[TierComparison]
    fits: list[fit.TierFit]
    joint: fit.JointFit | None
    meta: dict[str, Any]
    units: ModelUnits | None = None


def default_omega_dt_range(omega_tau_s: float) -> tuple[float, float]:
    """The validity range of the mixing equation, 2 pi <= Omega dT <= Omega tau_s (KPM Sec. 2.2.1); [2 pi, 3 pi] if tau_s < 3 pi."""
    return 2.0 * math.pi, max(omega_tau_s, 3.0 * math.pi)


def _kernel(cmp: Comparison) -> coupling.Coupling:
    lmax_data = max(d.lmax for d in cmp.data)
    axis = cmp.axis if cmp.dipole == "b0" else None
    if cmp.coverage.is_band:
        return coupling.band_coupling(lmax_data, cmp.lmax, cmp.coverage.dec_min, cmp.coverage.dec_max, cmp.filter, axis)
    nside = hp.npix2nside(cmp.coverage.weights.size)
    while 3 * nside - 1 < cmp.lmax:
        nside *= 2
    w = cmp.coverage.weight_map(nside)
    key = hashlib.sha256(w.tobytes() + repr((lmax_data, cmp.lmax, cmp.filter, None if axis is None else axis.tolist())).encode())
    path = None if cmp.cache is None else cmp.cache / f"coupling-{key.hexdigest()[:20]}.npz"
    if path is not None and path.is_file():
        with np.load(path) as stored:
            return coupling.Coupling(stored["matrix"], stored["noise"], json.loads(str(stored["description"])))
    K = (namaster.namaster_coupling(w, lmax_data, cmp.lmax, axis) if cmp.filter == "none"  # NaMaster has no filter
         else coupling.harmonic_coupling(w, lmax_data, cmp.lmax, cmp.filter, axis, progress=cmp.progress))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda tmp: np.savez(tmp, matrix=K.matrix, noise=K.noise, description=json.dumps(K.description)))
    return K


def _noise_template(cmp: Comparison, lmax: int) -> np.ndarray:
    """n_l of the coverage and filter (crmix.observe.coupling)."""
    if cmp.coverage.is_band:
        return coupling.band_coupling(lmax, lmax, cmp.coverage.dec_min, cmp.coverage.dec_max, cmp.filter).noise
    return coupling.noise_template(cmp.coverage.weights, lmax, cmp.filter)


def _one_sky(cmp: Comparison, C: np.ndarray, noise_level: float, lmax: int, seed: int) -> forward.PseudoSpectra:
    maps = forward.gaussian_skies(C, cmp.nside, cmp.realisations, seed=seed,
                                  dipole_axis=cmp.axis if cmp.dipole == "b0" else None, noise_level=noise_level)
    return forward.pseudo_spectra(maps, cmp.coverage.weight_map(cmp.nside), cmp.filter, lmax)


def _derived(cmp: Comparison, tf: fit.TierFit, model: TurbulenceModel, C1_nominal: float, tau_s: float,
             event_factor: float) -> dict[str, Any]:
    A = tf.amplitude.value
    n = tf.noise_level.value if tf.noise_level is not None else (cmp.noise_levels or {}).get(tf.tier, math.nan)
    return {
        "rigidity_TV": model.physical.rigidity_V / 1e12, "rho": model.rho, "omega_tau_s_qlt": tau_s,
        "omega_dt_kpm51": KPM51_COEFFICIENT * tau_s ** (1.0 / 3.0),
        "omega_dt_crossing": model.Omega * crossing_time(model, tau_s),
        "omega_tau_s_from_fit_kpm51": (tf.omega_dt.value / KPM51_COEFFICIENT) ** 3,
        "c_kpm51_from_fit": tf.omega_dt.value / tau_s ** (1.0 / 3.0),
        "dipole_amplitude": 3.0 * math.sqrt(A / (4.0 * math.pi)),
        "gradient_length_pc": GRADIENT_LENGTH_PC * math.sqrt(C1_nominal / A) if A > 0 else math.inf,
        "events_implied": 4.0 * math.pi * event_factor / n if n > 0 else math.inf,
    }


def _theory_tiers(cmp: Comparison, cache: PredictionCache) -> tuple[list[fit.TierProblem], list[dict[str, Any]]]:
    from crmix.fit.mixing import measured_sources

    K = _kernel(cmp)
    problems, info = [], []
    models = [cmp.model(d.energy_TeV) for d in cmp.data]
    sources = measured_sources(cmp.mixing_runs, models, cmp.lmax)
    for d, model, source in zip(cmp.data, models, sources):
        tau_s = model.turbulence.qlt(model).tau_s  # cached per model: the predictions read it again
        rng = cmp.omega_dt_range or default_omega_dt_range(tau_s)
        if source is not None:
            rng = source.omega_dt_range(rng)
        ell = d.ell

        def template(x: float, model: TurbulenceModel = model, ell: np.ndarray = ell, source: Any = source) -> np.ndarray:
            return K.apply(cache(model, x, cmp.lmax, source).ratio)[ell]

        noise_n = K.noise[ell]
        problems.append(fit.TierProblem(d, template, noise_n, rng, (cmp.noise_levels or {}).get(d.tier)))
        info.append({"model": model, "tau_s": tau_s, "mixing": source})
    return problems, [dict(i, kernel=K) for i in info]


def _band(problem: fit.TierProblem, tf: fit.TierFit) -> tuple[np.ndarray, np.ndarray]:
    """Envelope of the best-fit models for Omega dT across its 1-sigma interval."""
    lo = tf.omega_dt.lo if math.isfinite(tf.omega_dt.lo) else problem.range[0]
    hi = tf.omega_dt.hi if math.isfinite(tf.omega_dt.hi) else problem.range[1]
    models = np.array([problem.solve(x).model for x in np.geomspace(lo, hi, 9)] + [tf.model])
    return models.min(axis=0), models.max(axis=0)


def run_comparison(cmp: Comparison) -> ComparisonResult:
    """Fit every tier, then the joint KPM (51) fit; the one-sky scatter at each best fit."""
    if cmp.maps is not None:
        return _run_simulated(cmp)
    cache = PredictionCache(cmp.cache)
    problems, info = _theory_tiers(cmp, cache)
    grid = np.geomspace(*problems[0].range, cmp.grid_points)  # the first tier's grid: made anyway
    started = time.process_time()
    problems[0].add_exact(float(grid[cmp.grid_points // 2]))
    measured = time.process_time() - started if cache.evaluations else None  # None: it was stored already
    for x in grid:
        problems[0].add_exact(float(x))
    started = time.process_time()
    fit.fit_tier(problems[0], cmp.grid_points, cmp.refinements)  # one fit, timed: fitting costs as much as predicting
    count, estimate = budget.comparison_estimate(cmp, [p.range for p in problems], measured, time.process_time() - started)
    if cmp.progress:
        print(f"crmix compare: {len(problems)} tier(s) at l_max = {cmp.lmax}: {budget.describe(count, estimate)}", flush=True)
    bar = tqdm(total=count, initial=cache.evaluations, desc="predictions", unit="eval", disable=not cmp.progress)
    K = info[0]["kernel"]
    event_factor = cmp.coverage.event_factor()
    if cmp.one_sky_variance:
        fits, fits_made, settled = onesky.fit_with_one_sky(
            problems, lambda k, tf: tf.amplitude.value * cache(info[k]["model"], tf.omega_dt.value, cmp.lmax, info[k]["mixing"]).ratio,
            lambda C, ell: onesky.sky_covariance(C, ell, band=(cmp.coverage.dec_min, cmp.coverage.dec_max) if cmp.coverage.is_band
                                                 else None, weights=cmp.coverage.weights, filter=cmp.filter,
                                                 dipole_axis=cmp.axis if cmp.dipole == "b0" else None),
            cmp.grid_points, cmp.refinements, progress=bar.update)
    else:
        fits, fits_made, settled = [fit.fit_tier(p, cmp.grid_points, cmp.refinements, progress=bar.update) for p in problems], 1, True
    joint = None
    if len(problems) > 1:
        joint = fit.fit_joint(problems, [i["tau_s"] for i in info], refinements=cmp.refinements, progress=bar.update)
    bar.close()
    tiers = []
    for k, (p, tf, i) in enumerate(zip(problems, fits, info)):
        d = p.data
        prediction = cache(i["model"], tf.omega_dt.value, cmp.lmax, i["mixing"])
        C = tf.amplitude.value * prediction.ratio
        noise_level = tf.noise_level.value if tf.noise_level is not None else (cmp.noise_levels or {}).get(d.tier, 0.0)
        sims = _one_sky(cmp, C, noise_level, d.lmax, cmp.seed + k)
        expected = K.apply(C) + noise_level * K.noise
        check = float(np.max(np.abs(sims.mean[d.ell] - expected[d.ell]) / np.maximum(sims.sem[d.ell], 1e-300)))
        tf.extra.update(_derived(cmp, tf, i["model"], prediction.C1, i["tau_s"], event_factor))
        tf.extra.update({"one_sky_mean_minus_kernel_max_sigma": check, "prediction_lmax_drift": prediction.lmax_drift,
                         "prediction_warnings": list(prediction.warnings)})
        for rule in ("kpm51", "crossing"):  # NaN where the rule's Omega dT lies outside the searched range (every tier has the column)
            at = tf.extra[f"omega_dt_{rule}"]
            tf.extra[f"delta_chi2_at_{rule}"] = p.profile(at) - tf.chi2 if p.range[0] <= at <= p.range[1] else math.nan
        band_lo, band_hi = _band(p, tf)
        joint_model = None
        if joint is not None:
            joint_model = joint.per_tier[d.tier].model
            tf.extra.update({"omega_dt_joint": joint.omega_dt[d.tier], "chi2_joint": joint.per_tier[d.tier].chi2})
        row = {"tier": d.tier, "energy_TeV": d.energy_TeV, **_row(tf)}
        label = (f"tier {d.tier}, {d.energy_TeV:g} TeV (R = {tf.extra['rigidity_TV']:.3g} TV): ΩΔT = {tf.omega_dt.text()}, "
                 f"χ²/dof = {tf.chi2:.1f}/{tf.dof}")
        tiers.append(TierComparison(d, tf.model, tf.signal, tf.noise_part, band_lo, band_hi, sims.mean[d.ell],
                                    sims.std[d.ell], joint_model, row, label))
    if joint is not None:
        scale = [i["tau_s"] ** (1.0 / 3.0) for i in info]
        if all(q.range[0] <= KPM51_COEFFICIENT * s <= q.range[1] for q, s in zip(problems, scale)):
            joint.extra["delta_chi2_at_c4"] = sum(q.profile(KPM51_COEFFICIENT * s) for q, s in zip(problems, scale)) - joint.chi2
    meta = {"parameters": cmp.describe(), "coupling": K.description,
            "fits": {tf.tier: tf.describe() for tf in fits}, "joint_fit": None if joint is None else joint.describe(),
            "predictions_evaluated": cache.evaluations, "fits_per_tier": fits_made, "one_sky_fits_settled": settled,
            "estimate": {"predictions": count, "seconds": estimate.seconds},
            "chi2_errors": "published errors + one-sky covariance at the best fit" if cmp.one_sky_variance else "published errors",
            "warnings": onesky.edge_warnings(fits, problems, joint) + ([] if settled else [
                f"the fits with the one-sky covariance still moved by more than {onesky.TOLERANCE:g} after {fits_made - 1} refits"])}
    return ComparisonResult(tiers, fits, joint, meta)


def _row(tf: fit.TierFit) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, est in (("omega_dt", tf.omega_dt), ("amplitude_C1", tf.amplitude), ("noise_level", tf.noise_level)):
        if est is None:
            continue
        row.update({name: est.value, f"{name}_lo": est.lo, f"{name}_hi": est.hi})
    row.update({"chi2": tf.chi2, "dof": tf.dof, "chi2_per_dof": tf.chi2 / tf.dof})
    row.update({k: v for k, v in tf.extra.items() if isinstance(v, (int, float)) and not isinstance(v, bool)})
    return row


def _run_simulated(cmp: Comparison) -> ComparisonResult:
    """The simulated ensemble's pseudo-spectra as the model shape: amplitude and noise fitted per tier."""
    sim = cmp.maps
    lmax_sim = 3 * sim.nside - 1
    weights = cmp.coverage.weight_map(cmp.nside)
    eq = forward.equatorial_maps(sim.maps, *cmp.field_direction, cmp.nside)
    pseudo = forward.pseudo_spectra(eq, weights, cmp.filter, lmax_sim)
    full_c1 = float(np.mean([hp.anafast(m, lmax=1)[1] for m in sim.maps]))
    noise_n, event_factor = _noise_template(cmp, lmax_sim), cmp.coverage.event_factor()
    tiers, fits = [], []
    for d in cmp.data:
        keep = d.ell <= lmax_sim
        if not np.any(keep):
            raise ValueError(f"the simulated maps (Nside {sim.nside}) resolve l <= {lmax_sim}: no measured multipole of tier {d.tier}")
        dk = MeasuredSpectrum(d.tier, d.ell[keep], d.cl[keep], d.err_lo[keep], d.err_hi[keep], d.energy_TeV)
        template = pseudo.mean[dk.ell] / full_c1
        tf = fit.fit_shape(dk, template, noise_n[dk.ell], (cmp.noise_levels or {}).get(d.tier))
        A = tf.amplitude.value
        n = tf.noise_level.value if tf.noise_level is not None else (cmp.noise_levels or {}).get(d.tier, 0.0)
        std = A * pseudo.std[dk.ell] / full_c1
        a_lo = tf.amplitude.lo if math.isfinite(tf.amplitude.lo) else A
        a_hi = tf.amplitude.hi if math.isfinite(tf.amplitude.hi) else A
        tf.extra.update({"dipole_amplitude": 3.0 * math.sqrt(A / (4.0 * math.pi)),
                         "events_implied": 4.0 * math.pi * event_factor / n if n > 0 else math.inf,
                         "simulated_realisations": len(sim.maps), "simulated_time": sim.time})
        row = {"tier": d.tier, "energy_TeV": d.energy_TeV if d.energy_TeV is not None else math.nan, **_row(tf)}
        label = f"tier {d.tier}: simulated sky maps (T = {sim.time:g}), χ²/dof = {tf.chi2:.1f}/{tf.dof}"
        tiers.append(TierComparison(dk, tf.model, tf.signal, tf.noise_part, tf.noise_part + a_lo * template,
                                    tf.noise_part + a_hi * template, tf.model, std, None, row, label,
                                    band_label="simulated shape, amplitude over its 1σ interval",
                                    one_sky_label="one sky: 1σ scatter of the simulated skies"))
        fits.append(tf)
    meta = {"parameters": cmp.describe(), "simulation": run_record(sim.parameters), "simulated_time": sim.time,
            "simulated_realisations": list(sim.realisations), "fits": {tf.tier: tf.describe() for tf in fits}}
    return ComparisonResult(tiers, fits, None, meta, sim.units)
