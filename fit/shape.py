"""Fit the mixing time of the theory to a measured shape C_l/C_1 by chi^2 (KPM Sec. 3.2, Fig. 6; MA19 Sec. 4).

The free parameter is Omega Delta T for models with a regular field (KPM) or alpha = k_max Delta T
without one (MA19); x = ln(parameter) is fitted over given bounds.  Each theory evaluation is a
mixing matrix and a steady state (:class:`crmix.solver.family.SpectrumFamily`), so the fit spends
its evaluations where they matter:

1. the theory C_l/C_1 on a coarse grid of x (``grid`` points), exact, walked upwards from the lower
   bound; the walk stops once chi^2 has risen on two successive points and lies more than
   ``bracket`` above its smallest value so far: the minimum and its 1-sigma interval are then
   bracketed, and the larger Delta T -- whose mixing matrices cost the most, the k quadrature growing
   with k Delta T -- are never computed (chi^2 of the shape is unimodal in Delta T: a longer mixing
   time only flattens C_l/C_1); a trial Delta T at which the theory has no solution (a closure's
   domain ends) also ends the walk, and the range with it -- a best fit there is flagged "high";
2. a cubic spline of ln(C_l/C_1) in x through every exact point; chi^2(x) on the spline, its
   minimum x* and the 1-sigma interval (chi^2 = chi^2_min + 1, the profile of one parameter);
3. exact evaluations at x* and the interval ends; where the spline's chi^2 misses the exact one by
   more than ``tol``, the points join the spline and step 2 repeats (at most ``rounds`` times),
   on the bracketed range.

The reported chi^2 is the exact one at the best fit.  A best fit or an interval end at a bound is
flagged (``at_bound``); the interval is then open on that side (reported as the bound).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.interpolate import CubicSpline

from crmix.solver.family import SpectrumFamily
from crmix.solver.spectrum import MixingSource
from crmix.validation import integer, real

if TYPE_CHECKING:
    from crmix.fit.data import SimulatedShape

__all__ = ["PARAMETERS", "ShapeFit", "default_bounds", "fit_run", "fit_shape", "parameter_of"]

PARAMETERS = ("omega_dt", "alpha")
#: Points of the fine x grid on which the spline's chi^2 is scanned.
_SCAN = 4001


@dataclass(frozen=True)
class ShapeFit:
    """Best-fit parameter, its 1-sigma interval, chi^2 and the bookkeeping of one fit."""

    parameter: str
    lmax: int
    best: float
    low: float
    high: float
    chi2: float
    dof: int
    at_bound: str  # "", "low", "high" or "low,high"
    evaluations: int
    spline_mismatch: float  # largest |chi^2_spline - chi^2_exact| at the checked points, last round
    theory: np.ndarray  # C_l/C_1 at the best fit, at the data's multipoles

    @property
    def reduced_chi2(self) -> float:
        return self.chi2 / self.dof if self.dof > 0 else math.nan


def default_bounds(parameter: str) -> tuple[float, float]:
    """Omega Delta T in [2, 300] (KPM: Omega Delta T >~ 2 pi, up to beyond tau_s); alpha in [2, 3000] (MA19: ~50)."""
    return (2.0, 300.0) if parameter == "omega_dt" else (2.0, 3000.0)


def _interval(x: np.ndarray, chi2: np.ndarray) -> tuple[int, float, float, str]:
    """(index of the minimum, x_low, x_high, at_bound) of chi2 sampled on x (Delta chi^2 = 1)."""
    i = int(np.argmin(chi2))
    target = chi2[i] + 1.0
    flags = []
    left = np.nonzero(chi2[: i + 1] > target)[0]
    if left.size:
        j = left[-1]
        xl = x[j] + (target - chi2[j]) * (x[j + 1] - x[j]) / (chi2[j + 1] - chi2[j])
    else:
        xl = x[0]
        flags.append("low")
    right = np.nonzero(chi2[i:] > target)[0]
    if right.size:
        j = i + right[0]
        xh = x[j - 1] + (target - chi2[j - 1]) * (x[j] - x[j - 1]) / (chi2[j] - chi2[j - 1])
    else:
        xh = x[-1]
        flags.append("high")
    if i == 0 and "low" not in flags:
        flags.insert(0, "low")
    if i == len(x) - 1 and "high" not in flags:
        flags.append("high")
    return i, float(xl), float(xh), ",".join(flags)


def fit_shape(
    ratio: np.ndarray,
    inverse_covariance: np.ndarray,
    ells: np.ndarray,
    family: SpectrumFamily,
    *,
    parameter: str,
    bounds: tuple[float, float] | None = None,
    grid: int = 8,
    tol: float = 0.1,
    rounds: int = 4,
    bracket: float = 25.0,
    progress: Callable[[int], None] | None = None,
) -> ShapeFit:
    """Fit ``parameter`` (``"omega_dt"`` or ``"alpha"``) of ``family`` to the data R_l (module docstring).

    ``ratio`` R_l at ``ells`` with ``inverse_covariance``; ``progress(n)`` is told of each new exact
    evaluation (a tqdm bar's update).
    """
    if parameter not in PARAMETERS:
        raise ValueError(f"parameter must be one of {PARAMETERS}, got {parameter!r}")
    lo, hi = bounds if bounds is not None else default_bounds(parameter)
    lo, hi = real(f"{parameter} lower bound", lo, gt=0), real(f"{parameter} upper bound", hi, gt=0)
    if not lo < hi:
        raise ValueError(f"{parameter} bounds must satisfy low < high, got {lo}, {hi}")
    grid = integer("grid", grid, ge=4)
    ells = np.asarray(ells, dtype=int)
    if ells.max() > family.lmax:
        raise ValueError(f"the fitted multipoles reach l = {ells.max()} > lmax = {family.lmax} of the theory")
    ratio = np.asarray(ratio, dtype=float)
    inv = np.asarray(inverse_covariance, dtype=float)
    exact: dict[float, np.ndarray] = {}

    def evaluate(x: float) -> np.ndarray:
        if x not in exact:
            before = family.evaluations
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # validity warnings of each trial Delta T are the fit's business
                exact[x] = family.log_ratio(family.dt_from(parameter, math.exp(x)), ells)
            if progress is not None and family.evaluations > before:
                progress(1)
        return exact[x]

    def chi2_of(log_theory: np.ndarray) -> np.ndarray:
        r = ratio - np.exp(log_theory)
        return np.einsum("...i,ij,...j->...", r, inv, r)

    bracket = real("bracket", bracket, gt=1)
    coarse = np.linspace(math.log(lo), math.log(hi), grid)
    walked: list[float] = []
    for x in coarse:
        try:
            walked.append(float(chi2_of(evaluate(float(x)))))
        except ValueError:
            if not walked:
                raise
            break  # the theory has no steady state from here up (a closure's domain): the fit's range ends below
        if len(walked) >= 3 and walked[-1] > walked[-2] > walked[-3] and walked[-1] > min(walked) + bracket:
            break
    x_top = float(coarse[len(walked) - 1])
    x_fine = np.linspace(math.log(lo), x_top, _SCAN)
    mismatch = math.inf
    for _ in range(int(rounds)):
        xs = np.array(sorted(x for x in exact if x <= x_top))
        ys = np.array([exact[x] for x in xs])
        if not np.all(np.isfinite(ys)):
            raise ValueError(f"the theory C_l/C_1 is not positive at every trial {parameter} in [{lo:g}, {hi:g}]: narrow the bounds")
        spline = CubicSpline(xs, ys, axis=0)
        chi2_fine = chi2_of(spline(x_fine))
        i, xl, xh, at_bound = _interval(x_fine, chi2_fine)
        checks = [x_fine[i], xl, xh]
        mismatch = max(abs(float(np.interp(x, x_fine, chi2_fine)) - float(chi2_of(evaluate(float(x))))) for x in checks)
        if mismatch <= tol:
            break
    best_x = float(x_fine[i])
    theory = np.exp(evaluate(best_x))
    return ShapeFit(
        parameter=parameter, lmax=family.lmax, best=math.exp(best_x), low=math.exp(xl), high=math.exp(xh),
        chi2=float(chi2_of(np.log(theory))), dof=len(ells) - 1, at_bound=at_bound, evaluations=len(exact),
        spline_mismatch=mismatch, theory=theory,
    )


def parameter_of(shape: SimulatedShape) -> str:
    """Omega dT with a regular field (KPM), alpha = k_max dT without one (MA19)."""
    return "omega_dt" if shape.model.Omega > 0 else "alpha"


def fit_run(shape: SimulatedShape, lmax_values: list[int], *, bounds: tuple[float, float] | None = None,
            closure: str = "truncated", progress: Any = None, mixing: MixingSource | None = None) -> list[ShapeFit]:
    """The shape fit of one run at each truncation (the families are independent: one per l_max).

    ``closure``: the theory's steady state, KPM (20) truncated at l_max (the default) or one of
    crmix.solver.closure.CLOSURES.  ``mixing``: M from that source instead of the first order
    (crmix.solver.spectrum.MixingSource, e.g. measured by test particles).
    """
    parameter = parameter_of(shape)
    update = None if progress is None else progress.update
    return [fit_shape(shape.ratio, shape.inverse_covariance, shape.ells,
                      SpectrumFamily(shape.model, lmax, closure=closure, mixing=mixing),
                      parameter=parameter, bounds=bounds, progress=update) for lmax in lmax_values]
