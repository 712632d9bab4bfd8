"""The steady-state mixing equation KPM (20) / MA19 (3.7), truncated at l_max, and its l_max dependence.

    (delta_{l l0} - M_{l l0}(dt)) / dt  <C_l0>  =  S delta_{l1},    S = (8 pi/3) K_zz (d_z fbar / fbar)^2

(KPM (20); the coefficient 8 pi/3 is docs/physics.md's, MA19 (3.4)/(3.7) print 8 pi/9).  C_l is the
ensemble-averaged angular power spectrum of the relative intensity f/fbar - 1 (KPM (4)).

Truncation and the monopole
---------------------------
The pair propagator conserves the total power sum_l (2l+1) C_l (docs/physics.md, "The exact
invariant"): the untruncated (1 - M) has the left null vector (2l+1), and a steady state with a
source exists only in the truncated system, where power leaves through l_max.  crmix solves the
truncated system exactly, l, l0 <= l_max, with these choices:

* **The monopole is not solved for; C_0 = 0.**  Column l0 = 0 of M is the unit vector (M^(1a)
  carries l(l+1), M^(1c) carries l0(l0+1) - m0^2, both zero at l0 = 0), so C_0 feeds no other
  multipole and the rows l >= 1 form a closed system.  Row l = 0 has (1 - M)_00 = 0 and
  sum_{l0>=1} M_{0 l0} C_l0 > 0: it cannot be stationary.  It describes the growth of the variance
  of the sky-averaged intensity between realisations, which the relative intensity of one sky map
  (normalised by its own mean) does not contain.  crmix sets C_0 = 0 and reports that growth rate,
  ``monopole_rate`` = dC_0/dt, as part of the power budget.
* **The power budget closes exactly**: the source injects 3 S per unit time (the weight 2l+1 at
  l = 1); in the steady state it leaves through the monopole row (``monopole_rate``) and past
  l_max (``leak_rate`` = sum_l0 C_l0 [-sum_{l<=l_max}(2l+1)(M - 1)_{l l0}] / dt).

Since M_{l l0} does not depend on l_max, the system truncated at any l_max' <= l_max is a leading
block of the same matrix.  :func:`lmax_drift` compares C_l/C_1 at l_max/2 and l_max;
:func:`extrapolate_lmax` implements KPM Sec. 2.2.3 (a power law in l_max, fitted per multipole).
For KPM's slab models the truncated C_l grow like ln l_max (fitted exponent ~ 0): there is no
l_max -> infinity limit to extrapolate to, only finite targets (which the tests check).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
from scipy import optimize

from crmix.backend import to_numpy
from crmix.validation import real

__all__ = [
    "DRIFT_ELL_MAX",
    "MIN_EXPONENT_FOR_LIMIT",
    "Extrapolation",
    "LmaxDrift",
    "SteadyState",
    "extrapolate_lmax",
    "lmax_drift",
    "steady_state",
    "truncated_steady_states",
]

#: Largest multipole included in the drift summary (the range of the slope fit, 5 <= l <= 30).
DRIFT_ELL_MAX = 30


def _check_system(M: Any, dt: float, source_rate: float, xp: ModuleType = np) -> Any:
    M = xp.asarray(M, dtype=float)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise ValueError(f"mixing matrix must be square (l_max+1, l_max+1), got shape {tuple(M.shape)}")
    if M.shape[0] < 3:
        raise ValueError(f"lmax must be >= 2, got a mixing matrix for lmax = {M.shape[0] - 1}")
    if not bool(xp.all(xp.isfinite(M))):
        raise ValueError("mixing matrix must be finite")
    real("dt", dt, gt=0)
    real("source_rate (8 pi/3 K_zz (grad f/f)^2)", source_rate, gt=0)
    return M


def _solve_block(M: Any, lmax: int, dt: float, source_rate: float, xp: ModuleType) -> Any:
    """C_1 ... C_lmax of the system truncated at lmax (rows and columns 1..lmax of (1 - M)/dt)."""
    n = lmax
    A = (xp.eye(n) - M[1 : n + 1, 1 : n + 1]) / dt
    rhs = xp.zeros(n)
    rhs[0] = source_rate
    C = xp.linalg.solve(A, rhs) if float(xp.linalg.cond(A)) < 1e14 else None
    if C is None or not bool(xp.all(xp.isfinite(C))):
        raise ValueError(
            f"no steady state at lmax = {lmax}: 1 - M is singular on l >= 1 (no turbulence, or no mixing out of the dipole)"
        )
    return C


@dataclass(frozen=True)
class SteadyState:
    """Steady state of KPM (20) truncated at l_max; C[0] = 0 by construction (module docstring).

    residual
        max_l |((1 - M) C / dt)_l - S delta_l1| / S over l = 1 .. l_max.
    monopole_rate, leak_rate
        Power per unit time leaving through the l = 0 row and past l_max; they sum to 3 S.
    """

    C: np.ndarray
    dt: float
    source_rate: float
    residual: float
    monopole_rate: float
    leak_rate: float

    @property
    def lmax(self) -> int:
        return self.C.shape[0] - 1

    @property
    def ell(self) -> np.ndarray:
        return np.arange(self.lmax + 1)

    @property
    def ratio(self) -> np.ndarray:
        """C_l / C_1."""
        return self.C / self.C[1]


def steady_state(M: Any, dt: float, source_rate: float, xp: ModuleType = np) -> SteadyState:
    """Solve KPM (20) exactly in the system truncated at l_max = M.shape[0] - 1 (module docstring).

    M is the full mixing matrix M[l, l0] = 1 + 2 M^(1a) + M^(1c), dt the mixing time and
    ``source_rate`` S = (8 pi/3) K_zz (d_z fbar/fbar)^2, both in units of 1/Omega_ref.
    """
    M = _check_system(M, dt, source_rate, xp)
    lmax = M.shape[0] - 1
    C = xp.zeros(lmax + 1)
    C[1:] = _solve_block(M, lmax, dt, source_rate, xp)
    lhs = ((xp.eye(lmax + 1) - M) @ C / dt)[1:]
    lhs[0] -= source_rate
    weights = 2.0 * xp.arange(lmax + 1) + 1.0
    deficit = -(weights @ (M - xp.eye(lmax + 1))) / dt  # power past l_max per unit C_l0 and time
    return SteadyState(
        C=np.asarray(to_numpy(C)),
        dt=dt,
        source_rate=source_rate,
        residual=float(xp.max(xp.abs(lhs))) / source_rate,
        monopole_rate=float(M[0, 1:] @ C[1:]) / dt,
        leak_rate=float(deficit @ C),
    )


def truncated_steady_states(M: Any, dt: float, source_rate: float, lmax_values: Any) -> np.ndarray:
    """Steady states truncated at each l_max' in ``lmax_values`` (leading blocks of M).

    Returns an array (len(lmax_values), l_max + 1): row i holds C_0 .. C_{l_max'_i} and NaN beyond.
    """
    M = to_numpy(_check_system(M, dt, source_rate))
    lmax = M.shape[0] - 1
    values = [int(v) for v in lmax_values]
    if any(v < 2 or v > lmax for v in values):
        raise ValueError(f"each truncation lmax' must satisfy 2 <= lmax' <= {lmax}, got {values}")
    out = np.full((len(values), lmax + 1), np.nan)
    for i, L in enumerate(values):
        out[i, 0] = 0.0
        out[i, 1 : L + 1] = _solve_block(M, L, dt, source_rate, np)
    return out


@dataclass(frozen=True)
class LmaxDrift:
    """Relative change of C_l/C_1 when the truncation goes from l_max/2 to l_max.

    drift[l] = (C_l/C_1)(l_max) / (C_l/C_1)(l_max/2) - 1 for 2 <= l <= l_max/2, NaN elsewhere.
    ``max_abs`` is max |drift| over 2 <= l <= min(DRIFT_ELL_MAX, l_max/2) (NaN for l_max < 4).
    """

    lmax: int
    lmax_half: int
    drift: np.ndarray
    max_abs: float
    ell_range: tuple[int, int]


def lmax_drift(M: Any, dt: float, source_rate: float) -> LmaxDrift:
    """The l_max drift diagnostic (module docstring); never hidden in crmix's output."""
    M = to_numpy(_check_system(M, dt, source_rate))
    lmax = M.shape[0] - 1
    half = lmax // 2
    drift = np.full(lmax + 1, np.nan)
    hi = min(DRIFT_ELL_MAX, half)
    if half < 2:
        return LmaxDrift(lmax=lmax, lmax_half=half, drift=drift, max_abs=math.nan, ell_range=(2, hi))
    full, part = truncated_steady_states(M, dt, source_rate, [lmax, half])
    r_full, r_part = full[2 : half + 1] / full[1], part[2 : half + 1] / part[1]
    same = r_full == r_part  # includes multipoles the dipole never reaches (0 = 0)
    drift[2 : half + 1] = np.where(same, 0.0, r_full / np.where(same, 1.0, r_part) - 1.0)
    return LmaxDrift(
        lmax=lmax,
        lmax_half=half,
        drift=drift,
        max_abs=float(np.max(np.abs(drift[2 : hi + 1]))),
        ell_range=(2, hi),
    )


@dataclass(frozen=True)
class Extrapolation:
    """KPM Sec. 2.2.3: C_l(l_max') = c_l + a_l B_p(l_max'), fitted per l, evaluated at ``target``.

    B_p(L) = (L^-p - 1)/p is the power law L^-p with its p -> 0 limit, -ln L, included.

    C
        Extrapolated C_l for l <= ``ell_max`` (C_0 = 0); NaN above, and NaN where the target is
        infinite but the fitted exponent is below MIN_EXPONENT_FOR_LIMIT (no limit to extrapolate to).
    exponent
        Fitted p_l (NaN where not fitted).
    fit_residual
        Per l, the rms of the fit residual relative to C_l(l_max), over the fitted truncations.
    correction
        C_l(target)/C_l(l_max) - 1: how far the extrapolation moves each multipole.
    no_limit
        The multipoles whose fitted exponent is below MIN_EXPONENT_FOR_LIMIT (only for target = inf).
    """

    C: np.ndarray
    target: float
    lmax_values: np.ndarray
    exponent: np.ndarray
    fit_residual: np.ndarray
    correction: np.ndarray
    ell_max: int
    no_limit: tuple[int, ...]

    @property
    def ratio(self) -> np.ndarray:
        return self.C / self.C[1]


#: Bounds of the fitted exponent p in l_max^-p (p = 0: logarithmic growth).
_EXPONENT_BOUNDS = (0.0, 12.0)
#: Below this p the remainder to l_max = inf exceeds 1/(2^p - 1) ~ 2.4 times the change seen between
#: l_max/2 and l_max: that is a guess, not an extrapolation, and crmix returns NaN instead.
MIN_EXPONENT_FOR_LIMIT = 0.5


def _box_cox(L: np.ndarray | float, p: float) -> np.ndarray | float:
    """B_p(L) = (L^-p - 1)/p, continuous at p = 0 (-ln L); B_p(inf) = -1/p."""
    if math.isinf(L if isinstance(L, float) else 0.0):
        return -1.0 / p if p > 0 else -math.inf
    if p < 1e-8:
        return -np.log(L) + 0.5 * p * np.log(L) ** 2
    return np.expm1(-p * np.log(L)) / p


def _fit_power_law(L: np.ndarray, c: np.ndarray, target: float) -> tuple[float, float, float]:
    """Least-squares fit c(L) = c0 + a B_p(L); returns (c at target, p, rms residual / c[-1])."""
    scale = abs(c[-1])

    def solve(p: float) -> tuple[np.ndarray, float]:
        design = np.column_stack([np.ones_like(L), _box_cox(L, p)])
        coef, *_ = np.linalg.lstsq(design, c / scale, rcond=None)
        r = design @ coef - c / scale
        return coef, float(r @ r)

    res = optimize.minimize_scalar(lambda p: solve(p)[1], bounds=_EXPONENT_BOUNDS, method="bounded",
                                   options={"xatol": 1e-7})
    p = float(res.x)
    if solve(0.0)[1] <= solve(p)[1]:
        p = 0.0
    (c0, a), cost = solve(p)
    at = _box_cox(float(target), p)
    value = c0 + a * at if math.isfinite(at) else (math.inf if a < 0 else -math.inf)
    return float(value * scale), p, math.sqrt(cost / len(L))


def extrapolate_lmax(
    M: Any,
    dt: float,
    source_rate: float,
    *,
    target: float = math.inf,
    min_points: int = 8,
) -> Extrapolation:
    """Extrapolate the truncated steady state in l_max (KPM Sec. 2.2.3) to ``target`` (default: infinity).

    KPM "extrapolate the angular power spectrum as a function of l_max to infinity assuming a
    power law scaling" without saying which; crmix fits, for each l separately,
    C_l(l_max') = c_l + a_l (l_max'^-p - 1)/p (p = 0: a logarithm) over every truncation
    l_max/2 <= l_max' <= l_max with l_max' > l (at least ``min_points`` of them) and evaluates the
    fit at ``target``.  An infinite target needs p >= MIN_EXPONENT_FOR_LIMIT; where the fit finds
    slower convergence (KPM's slab models: C_l grows like ln l_max) the result is NaN and the
    multipole is listed in ``no_limit``.  A finite target (e.g. 2 l_max) is always defined.
    """
    M = to_numpy(_check_system(M, dt, source_rate))
    lmax = M.shape[0] - 1
    if not (target >= lmax):
        raise ValueError(f"extrapolation target must be >= lmax = {lmax} (or inf), got {target!r}")
    half = lmax // 2
    L = np.arange(half, lmax + 1)
    if len(L) < min_points:
        raise ValueError(f"lmax must be >= {2 * (min_points - 1)} to extrapolate in lmax, got {lmax}")
    table = truncated_steady_states(M, dt, source_rate, L)
    n = lmax + 1
    C, p, resid = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    C[0] = 0.0
    ell_max = 0
    no_limit = []
    for ell in range(1, lmax + 1):
        use = L >= ell + 1
        if use.sum() < min_points:
            break
        C[ell], p[ell], resid[ell] = _fit_power_law(L[use].astype(float), table[use, ell], target)
        if math.isinf(target) and p[ell] < MIN_EXPONENT_FOR_LIMIT:
            C[ell] = np.nan
            no_limit.append(ell)
        ell_max = ell
    correction = np.full(n, np.nan)
    correction[1:] = C[1:] / table[-1, 1:] - 1.0
    return Extrapolation(
        C=C,
        target=float(target),
        lmax_values=L,
        exponent=p,
        fit_residual=resid,
        correction=correction,
        ell_max=ell_max,
        no_limit=tuple(no_limit),
    )
