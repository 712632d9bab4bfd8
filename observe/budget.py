"""What ``crmix compare`` will cost, printed before its fits start: the exact predictions it makes, and their time.

The work is the exact predictions (one steady state of KPM (20) each, crmix.observe.theory): per tier
the log grid of ``grid_points`` values of Omega dT, then refinements near the best fit, which stop as
soon as the best fit lies on a prediction already made (a best fit at the edge of the range, the
usual case, lies on the grid).  Refits with the one-sky covariance and the joint fit reuse what was
made and add a few more.  :func:`prediction_count` is the expected count
(:data:`REFINEMENTS_PER_FIT` per tier and fit; tests/observe/test_compare_cli.py holds it to the
counted work).  The time is that count times the measured CPU time of one prediction (the first
one the comparison makes anyway), scaled per tier by the solver's relative cost estimate
(crmix.solver.resources), plus the fits (each tier is fitted up to five times with the one-sky
covariance, each fit profiling hundreds of linear fits: at small l_max they cost more than the
predictions), timed on one fit of the first tier, plus the Gaussian skies of the one-sky band;
benchmarks/compare.py measures it against the run.
"""

from __future__ import annotations

import math
from typing import Any

import healpy as hp

from crmix.observe.onesky import ITERATIONS
from crmix.resources import ResourceEstimate
from crmix.solver.resources import spectrum_estimate

__all__ = ["REFINEMENTS_PER_FIT", "SKY_SECONDS_PER_PIXEL", "comparison_estimate", "describe", "fits_per_tier", "prediction_count"]

#: exact predictions a fit adds beyond the grid, on average per tier (measured: 0 to 2)
REFINEMENTS_PER_FIT = 0.5
#: CPU seconds per pixel of one Gaussian sky through the detector (alm2map, filter, anafast)
SKY_SECONDS_PER_PIXEL = 3e-7


def prediction_count(tiers: int, grid_points: int, refinements: int, joint: bool) -> int:
    """The exact predictions expected (module docstring), at least the grid."""
    per_tier = grid_points + min(refinements, REFINEMENTS_PER_FIT * (2 + int(joint)))
    return math.ceil(tiers * per_tier)


def fits_per_tier(cmp: Any) -> int:
    """Fits of each tier expected: the first and, with the one-sky covariance, every refit (crmix.observe.onesky)."""
    return 1 + (ITERATIONS if cmp.one_sky_variance else 0)


def comparison_estimate(cmp: Any, ranges: list[tuple[float, float]], seconds_first: float | None,
                        seconds_fit: float) -> tuple[int, ResourceEstimate]:
    """(predictions, time) of a comparison of ``cmp`` (crmix.observe.compare.Comparison) with each tier's Omega dT range.

    ``seconds_first``: the CPU time of a prediction of the first tier at the geometric middle of its range
    (None when it was stored: then the solver's own estimate, which is several times too high on a
    fast CPU); ``seconds_fit``: the CPU time of one fit of the first tier (its profiles and intervals).
    """
    count = prediction_count(len(cmp.data), cmp.grid_points, cmp.refinements, len(cmp.data) > 1)
    per_tier = []
    for d, (lo, hi) in zip(cmp.data, ranges):
        model = cmp.model(d.energy_TeV)
        per_tier.append(spectrum_estimate([(model, math.sqrt(lo * hi) / model.Omega)], cmp.lmax))
    scale = per_tier[0].seconds if seconds_first is None else seconds_first
    seconds = count * scale * sum(e.seconds / per_tier[0].seconds for e in per_tier) / len(per_tier)
    seconds += len(cmp.data) * (fits_per_tier(cmp) + 1) * seconds_fit  # + the timed fit and the joint fit's profiles
    seconds += len(cmp.data) * cmp.realisations * hp.nside2npix(cmp.nside) * SKY_SECONDS_PER_PIXEL
    return count, ResourceEstimate(memory=max((e.memory for e in per_tier), key=lambda m: sum(m.values())), seconds=seconds)


def describe(count: int, estimate: ResourceEstimate) -> str:
    """The line printed before the work."""
    return f"about {count} exact predictions, {estimate.describe()}" if estimate.seconds else f"about {count} exact predictions"

