"""Memory and time of ``crmix fit`` before it starts (crmix.resources; benchmarks/RESULTS.md).

The work of a fit is its theory evaluations: one mixing matrix and steady state at l_max per trial
Delta T (crmix.fit.shape).  Each run is fitted at each --lmax; a fit walks a coarse grid of
``GRID`` points upwards from the lower bound (it stops once chi^2 has risen, often after half of
them) and then checks the spline's minimum and interval exactly, two or three points per round:
about ``EXPECTED_EVALUATIONS`` in all (7 to 20 measured).  One evaluation costs what crmix spectrum
estimates for that matrix (crmix.solver.resources) at the trial Delta T; the cost grows with Delta T
(the k quadrature of kappa grows with k_max Delta T) and the walk seldom reaches the top of the
grid, so the estimate takes the median cost over the coarse grid, not the mean (benchmarks/estimates.py:
the estimate is still about twice a small fit's CPU time).  Memory: the largest evaluation's, plus the run tables.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from crmix.model import TurbulenceModel
from crmix.resources import ResourceEstimate
from crmix.solver.resources import spectrum_estimate

__all__ = ["EXPECTED_EVALUATIONS", "fit_estimate"]

#: theory evaluations of one fit (crmix.fit.shape: the coarse walk and the spline's checks), measured 7 to 20
EXPECTED_EVALUATIONS = 12
#: the coarse grid of crmix.fit.shape.fit_shape
GRID = 8


def fit_estimate(models: Sequence[TurbulenceModel], lmax_values: Sequence[int],
                 bounds: tuple[float, float] | None = None) -> ResourceEstimate:
    """The theory evaluations, peak memory and time of fitting every model (one per run) at every l_max."""
    from crmix.fit.shape import default_bounds

    seconds, memory, evaluations = 0.0, 0.0, 0
    for model in models:
        parameter = "omega_dt" if model.Omega > 0 else "alpha"
        lo, hi = bounds if bounds is not None else default_bounds(parameter)
        scale = model.Omega if parameter == "omega_dt" else model.k_max
        dts = np.geomspace(lo, hi, GRID) / scale
        for lmax in lmax_values:
            trials = [spectrum_estimate([(model, float(dt))], int(lmax)) for dt in dts]
            seconds += EXPECTED_EVALUATIONS * float(np.median([t.seconds for t in trials]))
            memory = max(memory, max(t.peak_memory for t in trials))
            evaluations += EXPECTED_EVALUATIONS
    return ResourceEstimate(memory={"theory evaluation": memory}, seconds=seconds if math.isfinite(seconds) else math.inf,
                            work={"theory evaluations": float(evaluations)})
