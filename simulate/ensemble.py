"""Per-realisation observables and their ensemble statistics (KPM Secs. 2.1.2, 3.1-3.3).

A realisation stores only what does not depend on the Liouville mapping's K or on the gradient
(:class:`RealisationResult`; :mod:`crmix.simulate.skymap`): the cross spectra of the six component
maps, their neighbour-difference matrix and dipole response, <r r>, the largest excursion and the
local mean field.  The ensemble (:func:`ensemble_statistics`) then fixes one mapping for the whole
run -- the gradient g and ONE diffusion tensor K for every backtracking time and realisation
(:class:`LiouvilleMapping`) -- and gives, per backtracking time T,

    C_l^(i) = w^T X_l^(i) w,  w = (g, -3 K g)           (KPM (3), (4)),
    <C_l>^num = mean_i C_l^(i),   N_l = mean_i N_l^(i)    (KPM (7); the estimator: ``noise``),
    <C_l>^sub = mean_i (C_l^(i) - N^(i)),   its error = sample std / sqrt(N_real),
    R_l = <C_l>^sub / <C_1>^sub with a jackknife error over realisations,
    <C_1>^QLT = 4 pi |<Phi>|^2 (KPM (57)),  4 pi <|Phi|^2> (KPM (55)),  <cos alpha> = mean_i B_i.z/|B_i|,
    K_zz(T) = <z^2>/(2T), K_perp(T) = <x^2 + y^2>/(4T) with errors (scatter over realisations),
    tau_s = 3 K_zz / v^2 (docs/physics.md) with a convergence diagnostic (:func:`running_diffusion`).

KPM after (7) give 2 N_l^2/(2l+1) as the variance of <C_l>^sub: that is the shot-noise variance of
one map; the error reported here is the measured scatter of the realisations (cosmic variance of
the field and shot noise together) divided by sqrt(N_real) (docs/errata.md), and the shot-noise part
alone, 2 N_l^2 / ((2l+1) N_real), is reported beside it.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, fields
from typing import Any, Literal, Self

import numpy as np
from scipy import optimize

from crmix.simulate import skymap
from crmix.simulate.fields import Field

__all__ = [
    "DIFFUSION_SOURCES",
    "EnsembleSummary",
    "LiouvilleMapping",
    "RealisationResult",
    "RunningDiffusion",
    "ensemble_statistics",
    "local_mean_field",
    "running_diffusion",
]

DIFFUSION_SOURCES = ("ensemble", "qlt", "given")
#: K_zz(T_max) within this fraction of the fitted K_zz(inf) counts as converged.
CONVERGED_FRACTION = 0.9


def local_mean_field(field: Field, omega0: float, l_avg: float, n_avg: int = 16) -> np.ndarray:
    """Mean of Omega0 z-hat + omega(r) over the cube of side ``l_avg`` centred on the observer.

    Midpoint rule on n_avg^3 points (for slab only the z average matters).  KPM Sec. 3.3 uses
    L_avg = L_c / 30.
    """
    if not (math.isfinite(l_avg) and l_avg > 0):
        raise ValueError(f"l_avg must be finite and > 0, got {l_avg}")
    s = (np.arange(n_avg) + 0.5) / n_avg * l_avg - 0.5 * l_avg
    x, y, z = (a.ravel() for a in np.meshgrid(s, s, s, indexing="ij"))
    w = field.evaluate(x, y, z, np)
    return np.array([w[0].mean(), w[1].mean(), w[2].mean() + omega0])


class SavedArrays:
    """A realisation's record as the arrays of its dataclass fields (one npz file), and back; ``index`` an int."""

    def arrays(self) -> dict[str, np.ndarray]:
        return {f.name: np.asarray(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_arrays(cls, data: dict[str, np.ndarray]) -> Self:
        kw: dict[str, Any] = {f.name: np.asarray(data[f.name]) for f in fields(cls)}  # type: ignore[arg-type]
        kw["index"] = int(kw["index"])
        return cls(**kw)


@dataclass(frozen=True)
class RealisationResult(SavedArrays):
    """Observables of one realisation that do not depend on K or g; arrays indexed by T first.

    cross        (n_T, 3 N_side, 6, 6)  cross spectra X^{jk}_l of the component maps, l <= 3 N_side - 1
    neighbour    (n_T, 6, 6)            neighbour-difference matrix Q_jk
    dipole       (n_T, 6, 3)            dipole response D_ja
    moments      (n_T, 3, 3)            <r_i r_j> over the particles
    extent       (n_T, 3)               max_i |r_a| (the largest excursion along each axis)
    period       (3,)                   the field repeats after this distance along x, y, z (inf: never)
    local_field  (3,)                   Omega0 z + <omega> over the cube of side L_avg (KPM Sec. 3.3)
    """

    index: int
    times: np.ndarray
    cross: np.ndarray
    neighbour: np.ndarray
    dipole: np.ndarray
    moments: np.ndarray
    extent: np.ndarray
    period: np.ndarray
    local_field: np.ndarray

    @property
    def nside(self) -> int:
        return self.cross.shape[1] // 3


@dataclass(frozen=True)
class LiouvilleMapping:
    """The one gradient and diffusion tensor of KPM (3) used for every T and realisation of a run.

    source
        ``"ensemble"``: K from the mean over realisations of <r r>/(2 T) at the largest T, projected on
        the symmetry of the ensemble (``axial``: diag(K_perp, K_perp, K_zz) about B0 = z;
        ``isotropic``: (tr/3) 1); it depends on the largest T requested.
        ``"qlt"``: K = diag(0, 0, K_zz^QLT) (slab QLT has no perpendicular diffusion);
        ``"given"``: ``K`` as given.
    """

    gradient: tuple[float, float, float]
    source: Literal["ensemble", "qlt", "given"] = "ensemble"
    K: tuple[tuple[float, float, float], ...] | None = None
    symmetry: Literal["axial", "isotropic"] = "axial"

    def __post_init__(self) -> None:
        g = np.asarray(self.gradient, dtype=float)
        if g.shape != (3,) or not np.all(np.isfinite(g)):
            raise ValueError(f"gradient must be three finite numbers, got {self.gradient!r}")
        if self.source not in DIFFUSION_SOURCES:
            raise ValueError(f"diffusion source must be one of {DIFFUSION_SOURCES}, got {self.source!r}")
        if (self.source == "ensemble") != (self.K is None):
            raise ValueError("K is given exactly when the diffusion source is 'qlt' or 'given'")
        if self.K is not None:
            K = np.asarray(self.K, dtype=float)
            if K.shape != (3, 3) or not np.all(np.isfinite(K)):
                raise ValueError(f"K must be a finite 3x3 matrix, got {self.K!r}")
        if self.symmetry not in ("axial", "isotropic"):
            raise ValueError(f"symmetry must be 'axial' or 'isotropic', got {self.symmetry!r}")

    def tensor(self, results: list[RealisationResult]) -> np.ndarray:
        """K for this ensemble (3, 3)."""
        if self.K is not None:
            return np.asarray(self.K, dtype=float)
        K = np.mean([r.moments[-1] for r in results], axis=0) / (2.0 * results[0].times[-1])
        if self.symmetry == "isotropic":
            return np.trace(K) / 3.0 * np.eye(3)
        k_perp = 0.5 * (K[0, 0] + K[1, 1])
        return np.diag([k_perp, k_perp, K[2, 2]])

    def describe(self, K: np.ndarray) -> dict[str, Any]:
        return {"gradient": [float(x) for x in self.gradient], "diffusion_source": self.source,
                "K_liouville": np.asarray(K, dtype=float).tolist(),
                "K_symmetry": self.symmetry if self.source == "ensemble" else "as given"}


@dataclass(frozen=True)
class RunningDiffusion:
    """K(T) with errors, and its fit K(T) = K_inf [1 - (tau/T)(1 - e^{-T/tau})] (exponential decorrelation).

    ``converged``: K(T_max) >= CONVERGED_FRACTION K_inf, the fit does not fall short of K(T_max), and
    the last step in T raised K by less than 1 - CONVERGED_FRACTION of it (within 3 sigma); None when
    the fit is not possible (one T).
    """

    value: np.ndarray
    error: np.ndarray
    K_inf: float
    tau: float
    converged: bool | None


def _decorrelation_model(T: np.ndarray, k_inf: float, log_tau: float) -> np.ndarray:
    tau = math.exp(log_tau)
    return k_inf * (1.0 - (tau / T) * -np.expm1(-T / tau))


def running_diffusion(times: np.ndarray, samples: np.ndarray) -> RunningDiffusion:
    """Mean and standard error of per-realisation K(T) (samples (N_real, n_T)) and the convergence fit."""
    n = samples.shape[0]
    value = samples.mean(axis=0)
    error = samples.std(axis=0, ddof=1) / math.sqrt(n) if n > 1 else np.full_like(value, np.nan)
    if len(times) < 2 or not np.all(value > 0):
        return RunningDiffusion(value, error, math.nan, math.nan, None)
    sigma = np.where(np.isfinite(error) & (error > 0), error, 0.05 * value)
    guess = (float(value[-1]), math.log(max(float(times[0]), 3.0 * float(value[-1]))))
    try:
        with warnings.catch_warnings():  # two times determine the two parameters: no covariance, no matter
            warnings.simplefilter("ignore", optimize.OptimizeWarning)
            (k_inf, log_tau), _ = optimize.curve_fit(_decorrelation_model, times, value, p0=guess, sigma=sigma, maxfev=20000)
    except (RuntimeError, ValueError):
        return RunningDiffusion(value, error, math.nan, math.nan, False)
    sig = float(error[-1]) if math.isfinite(error[-1]) else 0.0
    reached = k_inf > 0 and value[-1] >= CONVERGED_FRACTION * k_inf  # T_max >~ 10 tau under the model
    consistent = value[-1] <= 1.05 * k_inf + 3.0 * sig  # a fit that falls short of the data proves nothing
    step = value[-1] - value[-2]
    settled = step <= (1.0 - CONVERGED_FRACTION) * value[-1] + 3.0 * math.hypot(sig, float(np.nan_to_num(error[-2])))
    return RunningDiffusion(value, error, float(k_inf), math.exp(log_tau), bool(reached and consistent and settled))


@dataclass(frozen=True)
class EnsembleSummary:
    """Ensemble statistics of a run (module docstring); spectra (n_T, l_max + 1), per T first."""

    times: np.ndarray
    n_realisations: int
    lmax: int
    noise_estimator: str
    mapping: dict[str, Any]
    cl_num: np.ndarray
    noise: np.ndarray  # (n_T, l_max + 1) N_l
    noise_variance: np.ndarray  # (n_T,) sigma^2 per pixel (mean over realisations)
    cl_sub: np.ndarray
    cl_sub_error: np.ndarray
    cl_noise_error: np.ndarray  # shot-noise part alone, sqrt(2 N^2 / ((2l+1) N_real))
    ratio: np.ndarray  # <C_l>^sub / <C_1>^sub
    ratio_error: np.ndarray  # jackknife over realisations
    cl_sub_realisations: np.ndarray  # (N_real, n_T, l_max + 1)
    c1_qlt: np.ndarray
    c1_dipole: np.ndarray
    mean_dipole: np.ndarray  # (n_T, 3)
    cos_alpha: float
    K_zz: RunningDiffusion
    K_perp: RunningDiffusion
    warnings: tuple[str, ...]

    @property
    def omega_tau_s(self) -> float:
        """Omega tau_s = 3 K_zz / v^2 at the largest T (v = 1; docs/physics.md, not KPM's K_zz/3)."""
        return float(3.0 * self.K_zz.value[-1])

    @property
    def omega_tau_s_error(self) -> float:
        return float(3.0 * self.K_zz.error[-1])


def _jackknife_ratio(cl_sub: np.ndarray) -> np.ndarray:
    """Jackknife standard error of mean(C_l)/mean(C_1) over realisations; cl_sub (N, n_T, L)."""
    n = cl_sub.shape[0]
    if n < 2:
        return np.full(cl_sub.shape[1:], np.nan)
    total = cl_sub.sum(axis=0)
    loo = (total[None] - cl_sub) / (n - 1)
    r = loo / loo[..., 1:2]
    return np.sqrt((n - 1) / n * np.sum((r - r.mean(axis=0)) ** 2, axis=0))


def _period_warnings(results: list[RealisationResult]) -> list[str]:
    extent = np.max([r.extent[-1] for r in results], axis=0)
    period = np.min([r.period for r in results], axis=0)
    out = []
    for axis, name in enumerate("xyz"):
        if math.isfinite(period[axis]) and extent[axis] > 0.5 * period[axis]:
            out.append(
                f"particles reach |{name}| = {extent[axis]:.4g} > half the field's period {period[axis]:.4g} along {name}: "
                "they meet the periodic copy of the field they started in (enlarge the box or shorten T)"
            )
    return out


def ensemble_statistics(
    results: list[RealisationResult],
    mapping: LiouvilleMapping,
    *,
    lmax: int,
    noise: str = "pixel",
) -> EnsembleSummary:
    """The ensemble statistics of ``results`` under one Liouville mapping (module docstring).

    ``noise``: ``"pixel"`` or ``"kpm"`` (:mod:`crmix.simulate.skymap`).  A warning is raised when the
    particles get further than half the field's period from the observer.
    """
    if not results:
        raise ValueError("an ensemble needs at least one realisation")
    if noise not in skymap.NOISE_ESTIMATORS:
        raise ValueError(f"noise estimator must be one of {skymap.NOISE_ESTIMATORS}, got {noise!r}")
    nside = results[0].nside
    if not 1 <= lmax <= 3 * nside - 1:
        raise ValueError(f"lmax must be between 1 and 3 nside - 1 = {3 * nside - 1}, got {lmax}")
    times = results[0].times
    K = mapping.tensor(results)
    w = skymap.liouville_weights(np.asarray(mapping.gradient, dtype=float), K)
    cl = np.stack([skymap.quadratic_form(w, r.cross) for r in results])  # (N, n_T, 3 nside)
    if noise == "pixel":
        neighbour = np.stack([skymap.quadratic_form(w, r.neighbour) for r in results])
        variance = skymap.pixel_noise_variance(neighbour, cl, nside)
    else:
        variance = np.stack([skymap.kpm_noise_variance(r.moments, mapping.gradient) for r in results])
    noise_i = skymap.noise_level(variance, nside, lmax)  # (N, n_T, lmax + 1)
    cl = cl[..., : lmax + 1]
    sub = cl - noise_i
    n = len(results)
    ell = np.arange(lmax + 1)
    dip = np.stack([np.einsum("j,...ja->...a", w, r.dipole) for r in results])  # (N, n_T, 3)
    mean_dip = dip.mean(axis=0)
    b = np.stack([r.local_field for r in results])
    bnorm = np.linalg.norm(b, axis=1)
    moments = np.stack([r.moments for r in results])  # (N, n_T, 3, 3)
    noise_mean = noise_i.mean(axis=0)
    mean_sub = sub.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = mean_sub / mean_sub[:, 1:2]
    warns = _period_warnings(results)
    k_zz = running_diffusion(times, moments[..., 2, 2] / (2.0 * times))
    k_perp = running_diffusion(times, (moments[..., 0, 0] + moments[..., 1, 1]) / (4.0 * times))
    if k_zz.converged is False:
        warns.append(f"K_zz(T) has not converged at T_max = {times[-1]:.4g}: K_zz(T_max) = {k_zz.value[-1]:.4g} "
                     f"< {CONVERGED_FRACTION:g} x the fitted K_zz(inf) = {k_zz.K_inf:.4g}; Omega tau_s = 3 K_zz(T_max) "
                     "is a lower bound (backtrack longer)")
    return EnsembleSummary(
        times=times,
        n_realisations=n,
        lmax=lmax,
        noise_estimator=noise,
        mapping=mapping.describe(K),
        cl_num=cl.mean(axis=0),
        noise=noise_mean,
        noise_variance=variance.mean(axis=0),
        cl_sub=mean_sub,
        cl_sub_error=sub.std(axis=0, ddof=1) / math.sqrt(n) if n > 1 else np.full_like(mean_sub, np.nan),
        cl_noise_error=np.sqrt(2.0 * noise_mean**2 / ((2 * ell + 1) * n)),
        ratio=ratio,
        ratio_error=_jackknife_ratio(sub),
        cl_sub_realisations=sub,
        c1_qlt=4.0 * math.pi * np.sum(mean_dip**2, axis=-1),
        c1_dipole=4.0 * math.pi * np.mean(np.sum(dip**2, axis=-1), axis=0),
        mean_dipole=mean_dip,
        cos_alpha=float(np.mean(b[:, 2] / bnorm)) if np.all(bnorm > 0) else math.nan,
        K_zz=k_zz,
        K_perp=k_perp,
        warnings=tuple(warns),
    )
