"""Fitting the forward-modelled prediction to a measured pseudo-spectrum: per tier, and jointly via KPM (51).

Model of one tier (crmix.observe.coupling, crmix.observe.theory):

    C~_l(A, Omega dT, N_w) = A (K r(Omega dT))_l + N_w n_l,      r = C_l / C_1 of the prediction,

A the full-sky dipole power C_1 (free: the gradient sets it), N_w the full-sky level of white shot
noise (free, or fixed from an event count), and Omega dT the mixing time that sets the shape.

chi^2 with asymmetric errors
    The published errors are the 16/84 % spread of the measured C~_l under Poisson resampling, so a
    model below the point is measured in units of the lower error and a model above it in units of
    the upper one:  chi^2 = sum_l ((d_l - m_l) / s_l)^2,  s_l = err_lo if m_l < d_l else err_hi.
    It is continuous with a continuous gradient and convex in the linear parameters (A, N_w), which
    are found exactly for each Omega dT (non-negative least squares, re-choosing the sides until
    they no longer change); Omega dT is profiled on a grid of exact predictions interpolated
    (monotone cubic in log C~ against log Omega dT) and refined with exact predictions at the best fit.

One-sky variance
    The prediction is the ensemble average; the sky we see is one draw, whose pseudo-C~_l scatter
    around it, correlated through the mask (crmix.observe.coupling.band_covariance,
    crmix.observe.namaster).  With that covariance S of the signal at the best fit, the errors of
    the data become the matrix diag(s_l^2) + S (s_l the sided error above) and
    chi^2 = r^T (diag(s^2) + S)^-1 r; the linear parameters come from non-negative least squares on
    the whitened system.  S depends on the model: crmix.observe.compare fits, computes S at the best
    fit, and fits again until the best fit stays.

Intervals
    1-sigma intervals are where the profile chi^2 (all other parameters re-optimised) rises by 1;
    an interval that reaches the edge of the allowed range is reported open there.

Joint fit
    Omega dT_t = c (Omega tau_s,t)^(1/3) for every tier t (KPM (51)), tau_s,t the QLT scattering time
    at the tier's rigidity; c is shared, the amplitudes and noise levels stay per tier.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import interpolate, linalg, optimize

__all__ = [
    "Estimate",
    "JointFit",
    "LinearFit",
    "TierFit",
    "TierProblem",
    "fit_joint",
    "fit_shape",
    "fit_tier",
    "linear_fit",
    "sided_chi2",
]

#: points of the fine grid on which interpolated profiles are scanned
FINE_POINTS = 241


def _whitener(sigma: np.ndarray, sky: np.ndarray | None) -> Callable[[np.ndarray], np.ndarray]:
    """x -> L^-1 x with L L^T = diag(sigma^2) + sky (the one-sky covariance; None: diagonal errors only)."""
    if sky is None:
        return lambda x: (x.T / sigma).T
    factor = linalg.cholesky(np.diag(sigma**2) + sky, lower=True)
    return lambda x: linalg.solve_triangular(factor, x, lower=True)


def sided_chi2(data: np.ndarray, err_lo: np.ndarray, err_hi: np.ndarray, model: np.ndarray, sky: np.ndarray | None = None) -> float:
    """chi^2 with the lower error where the model is below the point, the upper one above, plus the one-sky covariance ``sky``."""
    sigma = np.where(model > data, err_hi, err_lo)
    return float(np.sum(_whitener(sigma, sky)(data - model) ** 2))


@dataclass(frozen=True)
class LinearFit:
    coefficients: np.ndarray
    chi2: float
    model: np.ndarray


def linear_fit(data: np.ndarray, err_lo: np.ndarray, err_hi: np.ndarray, templates: np.ndarray,
               offset: np.ndarray | float = 0.0, sky: np.ndarray | None = None) -> LinearFit:
    """min over x >= 0 of sided_chi2(data, offset + x @ templates, sky); templates (k, n)."""
    data = np.asarray(data, dtype=float)
    templates = np.atleast_2d(np.asarray(templates, dtype=float))
    offset = np.broadcast_to(np.asarray(offset, dtype=float), data.shape)
    if templates.shape[0] == 0:
        return LinearFit(np.zeros(0), sided_chi2(data, err_lo, err_hi, offset, sky), np.array(offset))
    scale = np.max(np.abs(templates), axis=1)
    scale[scale == 0] = 1.0
    T = templates / scale[:, None]
    sigma = 0.5 * (np.asarray(err_lo) + np.asarray(err_hi))
    x = np.zeros(len(T))
    for _ in range(100):
        white = _whitener(sigma, sky)
        x, _ = optimize.nnls(white(T.T), white(data - offset))
        model = offset + x @ T
        new = np.where(model > data, err_hi, err_lo)
        if np.array_equal(new, sigma):
            break
        sigma = new
    else:  # the side choice cycles between ties: minimise the convex chi^2 directly
        res = optimize.minimize(lambda y: sided_chi2(data, err_lo, err_hi, offset + y @ T, sky), x, method="L-BFGS-B",
                                bounds=[(0.0, None)] * len(T))
        x = res.x
    model = offset + x @ T
    return LinearFit(x / scale, sided_chi2(data, err_lo, err_hi, model, sky), model)


@dataclass(frozen=True)
class Estimate:
    """Best fit and the Delta chi^2 = 1 interval (NaN edge: open at the edge of the allowed range)."""

    value: float
    lo: float
    hi: float
    at_lower_edge: bool = False
    at_upper_edge: bool = False

    def describe(self) -> dict[str, Any]:
        return {"value": self.value, "lo": self.lo, "hi": self.hi,
                "at_lower_edge": self.at_lower_edge, "at_upper_edge": self.at_upper_edge}

    def text(self, fmt: str = ".3g") -> str:
        lo = "edge" if not math.isfinite(self.lo) else format(self.lo, fmt)
        hi = "edge" if not math.isfinite(self.hi) else format(self.hi, fmt)
        return f"{self.value:{fmt}} [{lo}, {hi}]"


def _crossings(f: Callable[[float], float], best: float, level: float, lo: float, hi: float, log: bool) -> tuple[float, float]:
    """Where f = level below and above ``best`` inside [lo, hi] (NaN if f stays below level there)."""

    def search(edge: float) -> float:
        if f(edge) < level:
            return math.nan
        a, b = (math.log(best), math.log(edge)) if log else (best, edge)
        g = (lambda t: f(math.exp(t)) - level) if log else (lambda t: f(t) - level)
        root = optimize.brentq(g, a, b, xtol=1e-7 * abs(b - a), rtol=1e-7)
        return math.exp(root) if log else root

    return search(lo) if best > lo else math.nan, search(hi) if best < hi else math.nan


class TierProblem:
    """One tier's data and its model template as a function of Omega dT (exact and interpolated).

    ``template(omega_dt)`` returns (K r)_l at the data's multipoles (an exact prediction);
    ``noise`` is n_l there (None: no noise term); ``noise_fixed`` a known N_w (then not fitted);
    ``sky_covariance`` the one-sky covariance at the data's multipoles (None: the data's errors only).
    """

    def __init__(self, data: Any, template: Callable[[float], np.ndarray], noise: np.ndarray | None,
                 omega_dt_range: tuple[float, float], noise_fixed: float | None = None):
        self.data = data
        self._template = template
        self.noise = None if noise is None else np.asarray(noise, dtype=float)
        self.noise_fixed = noise_fixed
        self.range = (float(omega_dt_range[0]), float(omega_dt_range[1]))
        if not 0 < self.range[0] < self.range[1]:
            raise ValueError(f"Omega dT range must satisfy 0 < lo < hi, got {omega_dt_range}")
        self.exact: dict[float, np.ndarray] = {}
        self._spline: Any = None
        self.sky_covariance: np.ndarray | None = None

    # ---- templates ----------------------------------------------------------------------------
    def add_exact(self, omega_dt: float) -> np.ndarray:
        omega_dt = float(omega_dt)
        if omega_dt not in self.exact:
            t = np.asarray(self._template(omega_dt), dtype=float)
            if np.any(t <= 0) or not np.all(np.isfinite(t)):
                raise ValueError(f"the forward-modelled prediction at Omega dT = {omega_dt:.4g} is not positive at every "
                                 "measured multipole (is the coverage empty there?)")
            self.exact[omega_dt] = t
            self._spline = None
        return self.exact[omega_dt]

    def template(self, omega_dt: float) -> np.ndarray:
        """Interpolated template (exact where evaluated)."""
        if omega_dt in self.exact:
            return self.exact[omega_dt]
        if self._spline is None:
            grid = np.array(sorted(self.exact))
            if len(grid) < 2:
                raise ValueError("at least two exact predictions are needed to interpolate in Omega dT")
            self._spline = interpolate.PchipInterpolator(np.log(grid), np.log([self.exact[g] for g in grid]), axis=0)
        return np.exp(self._spline(math.log(omega_dt)))

    # ---- the linear parameters ----------------------------------------------------------------
    def solve(self, omega_dt: float, amplitude: float | None = None, exact: bool = False) -> LinearFit:
        """(A, N_w) >= 0 at Omega dT; with ``amplitude`` given only N_w is fitted."""
        d = self.data
        t = self.add_exact(omega_dt) if exact else self.template(omega_dt)
        offset = self.noise_fixed * self.noise if (self.noise is not None and self.noise_fixed is not None) else 0.0
        free_noise = self.noise is not None and self.noise_fixed is None
        if amplitude is None:
            templates = np.vstack([t, self.noise]) if free_noise else t[None, :]
            return linear_fit(d.cl, d.err_lo, d.err_hi, templates, offset, self.sky_covariance)
        fit = linear_fit(d.cl, d.err_lo, d.err_hi, self.noise[None, :] if free_noise else np.zeros((0, t.size)),
                         offset + amplitude * t, self.sky_covariance)
        return LinearFit(np.concatenate([[amplitude], fit.coefficients]), fit.chi2, fit.model)

    def profile(self, omega_dt: float) -> float:
        return self.solve(omega_dt).chi2

    @property
    def n_linear(self) -> int:
        return 1 + int(self.noise is not None and self.noise_fixed is None)

    def fine_grid(self) -> np.ndarray:
        return np.geomspace(*self.range, FINE_POINTS)


def _minimise_log(f: Callable[[float], float], grid: np.ndarray) -> float:
    values = np.array([f(x) for x in grid])
    i = int(np.argmin(values))
    if i in (0, len(grid) - 1):
        return float(grid[i])
    res = optimize.minimize_scalar(lambda t: f(math.exp(t)), bounds=(math.log(grid[i - 1]), math.log(grid[i + 1])),
                                   method="bounded", options={"xatol": 1e-6})
    return float(math.exp(res.x)) if res.fun <= values[i] else float(grid[i])


@dataclass
class TierFit:
    """The fit of one tier (module docstring); chi2 at the best fit from an exact prediction."""

    tier: str
    omega_dt: Estimate | None
    amplitude: Estimate
    noise_level: Estimate | None
    chi2: float
    n_points: int
    dof: int
    grid: np.ndarray
    profile: np.ndarray
    model: np.ndarray
    signal: np.ndarray
    noise_part: np.ndarray
    extra: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        d = {"tier": self.tier, "omega_dt": None if self.omega_dt is None else self.omega_dt.describe(), "amplitude_C1": self.amplitude.describe(),
             "noise_level": None if self.noise_level is None else self.noise_level.describe(),
             "chi2": self.chi2, "n_points": self.n_points, "dof": self.dof, "chi2_per_dof": self.chi2 / self.dof,
             "omega_dt_grid": self.grid.tolist(), "chi2_profile": self.profile.tolist()}
        d.update(self.extra)
        return d


def _linear_intervals(problem: Any, best: LinearFit, chi2_min: float, fine: np.ndarray) -> tuple[Estimate, Estimate | None]:
    """Profile intervals of A and (if fitted) N_w: Omega dT and the other linear parameter re-optimised."""

    def profile_amplitude(a: float) -> float:
        return min(problem.solve(x, amplitude=a).chi2 for x in fine)

    a_best = float(best.coefficients[0])
    lo, hi = _crossings(profile_amplitude, a_best, chi2_min + 1.0, a_best * 1e-3, a_best * 1e3, log=True)
    amplitude = Estimate(a_best, lo, hi)
    if problem.noise is None or problem.noise_fixed is not None:
        return amplitude, None
    n_best = float(best.coefficients[1])
    d = problem.data

    def profile_noise(n: float) -> float:
        return min(linear_fit(d.cl, d.err_lo, d.err_hi, problem.template(x)[None, :], n * problem.noise,
                              problem.sky_covariance).chi2 for x in fine)

    upper = max(n_best, float(np.max(d.cl / problem.noise))) * 10.0
    n_lo = 0.0 if n_best <= 0 else _crossings(profile_noise, n_best, chi2_min + 1.0, 0.0, upper, log=False)[0]
    n_hi = _crossings(profile_noise, n_best, chi2_min + 1.0, 0.0, upper, log=False)[1]
    at_zero = n_best <= 0 or not math.isfinite(n_lo) or n_lo <= 0.0
    noise = Estimate(n_best, 0.0 if at_zero else n_lo, n_hi, at_lower_edge=at_zero)
    return amplitude, noise


def fit_tier(problem: TierProblem, grid_points: int = 7, refinements: int = 4,
             progress: Callable[[], None] | None = None) -> TierFit:
    """Profile fit of one tier: exact predictions on a log grid, interpolation, exact refinement."""
    for x in np.geomspace(*problem.range, grid_points):
        new = float(x) not in problem.exact  # a refit finds its grid made already: progress counts predictions made
        problem.add_exact(x)
        if progress is not None and new:
            progress()
    fine = problem.fine_grid()
    best_x = _minimise_log(problem.profile, fine)
    for _ in range(refinements):
        near = min(problem.exact, key=lambda g: abs(math.log(g / best_x)))
        if abs(math.log(near / best_x)) < 2e-3:
            break
        problem.add_exact(best_x)
        if progress is not None:
            progress()
        best_x = _minimise_log(problem.profile, fine)
    best = problem.solve(best_x, exact=True)
    chi2_min = best.chi2
    lo, hi = _crossings(problem.profile, best_x, chi2_min + 1.0, *problem.range, log=True)
    eps = 1e-6
    omega = Estimate(best_x, lo, hi, at_lower_edge=best_x <= problem.range[0] * (1 + eps),
                     at_upper_edge=best_x >= problem.range[1] * (1 - eps))
    amplitude, noise = _linear_intervals(problem, best, chi2_min, np.append(fine[::4], best_x))
    n = len(problem.data.ell)
    dof = n - 1 - problem.n_linear
    t = problem.template(best_x)
    signal = best.coefficients[0] * t
    noise_part = best.model - signal
    grid = np.array(sorted(problem.exact))
    return TierFit(tier=problem.data.tier, omega_dt=omega, amplitude=amplitude, noise_level=noise, chi2=chi2_min,
                   n_points=n, dof=dof, grid=grid, profile=np.array([problem.profile(g) for g in grid]),
                   model=best.model, signal=signal, noise_part=noise_part)


class _FixedShape:
    """A template that does not depend on Omega dT (simulated sky maps), with TierProblem's interface."""

    def __init__(self, data: Any, template: np.ndarray, noise: np.ndarray | None, noise_fixed: float | None):
        self.data, self._t, self.noise, self.noise_fixed = data, np.asarray(template, dtype=float), noise, noise_fixed
        self.sky_covariance: np.ndarray | None = None

    def template(self, omega_dt: float) -> np.ndarray:
        return self._t

    solve = TierProblem.solve
    add_exact = template
    n_linear = TierProblem.n_linear


def fit_shape(data: Any, template: np.ndarray, noise: np.ndarray | None, noise_fixed: float | None = None) -> TierFit:
    """Fit of the amplitude (and noise level) alone, for a model shape given as numbers (C~_l per unit C_1)."""
    problem = _FixedShape(data, template, None if noise is None else np.asarray(noise, dtype=float), noise_fixed)
    best = problem.solve(1.0)
    amplitude, noise_est = _linear_intervals(problem, best, best.chi2, np.array([1.0]))
    n = len(data.ell)
    signal = best.coefficients[0] * problem.template(1.0)
    return TierFit(tier=data.tier, omega_dt=None, amplitude=amplitude, noise_level=noise_est, chi2=best.chi2, n_points=n,
                   dof=n - problem.n_linear, grid=np.zeros(0), profile=np.zeros(0), model=best.model, signal=signal,
                   noise_part=best.model - signal)


@dataclass
class JointFit:
    """c of KPM (51) shared by the tiers, with the per-tier linear parameters at the best c."""

    c: Estimate
    chi2: float
    dof: int
    omega_dt: dict[str, float]
    per_tier: dict[str, LinearFit]
    extra: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        return {"c": self.c.describe(), "chi2": self.chi2, "dof": self.dof, "chi2_per_dof": self.chi2 / self.dof,
                "omega_dt": self.omega_dt, **self.extra,
                "per_tier": {t: {"amplitude_C1": float(f.coefficients[0]),
                                 "noise_level": float(f.coefficients[1]) if len(f.coefficients) > 1 else None,
                                 "chi2": f.chi2} for t, f in self.per_tier.items()}}


def fit_joint(problems: Sequence[TierProblem], omega_tau_s: Sequence[float], c_range: tuple[float, float] | None = None,
              refinements: int = 4, progress: Callable[[], None] | None = None) -> JointFit:
    """Joint fit of c in Omega dT_t = c (Omega tau_s,t)^(1/3) (KPM (51)) over the tiers' profiles."""
    scale = np.array([float(t) ** (1.0 / 3.0) for t in omega_tau_s])
    if len(scale) != len(problems) or not np.all(np.isfinite(scale) & (scale > 0)):
        raise ValueError("joint fit needs a QLT scattering time > 0 for every tier")
    lo = max(p.range[0] / s for p, s in zip(problems, scale))
    hi = min(p.range[1] / s for p, s in zip(problems, scale))
    if c_range is not None:
        lo, hi = max(lo, c_range[0]), min(hi, c_range[1])
    if not lo < hi:
        raise ValueError(f"the tiers' Omega dT ranges admit no common c of KPM (51) (need {lo:.3g} < {hi:.3g}); widen them")

    def total(c: float) -> float:
        return sum(p.profile(c * s) for p, s in zip(problems, scale))

    fine = np.geomspace(lo, hi, FINE_POINTS)
    best = _minimise_log(total, fine)
    for _ in range(refinements):
        done = all(min(abs(math.log(g / (best * s))) for g in p.exact) < 2e-3 for p, s in zip(problems, scale))
        if done:
            break
        for p, s in zip(problems, scale):
            p.add_exact(best * s)
            if progress is not None:
                progress()
        best = _minimise_log(total, fine)
    per = {p.data.tier: p.solve(best * s, exact=True) for p, s in zip(problems, scale)}
    chi2 = sum(f.chi2 for f in per.values())
    c_lo, c_hi = _crossings(total, best, total(best) + 1.0, lo, hi, log=True)
    eps = 1e-6
    estimate = Estimate(best, c_lo, c_hi, at_lower_edge=best <= lo * (1 + eps), at_upper_edge=best >= hi * (1 - eps))
    dof = sum(len(p.data.ell) - p.n_linear for p in problems) - 1
    return JointFit(c=estimate, chi2=chi2, dof=dof, omega_dt={p.data.tier: float(best * s) for p, s in zip(problems, scale)},
                    per_tier=per)
