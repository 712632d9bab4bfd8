"""Memory and time of ``crmix compare`` before it starts, for its refusals (crmix.resources; benchmarks/RESULTS.md).

The work of a comparison with the theory is its exact predictions: one mixing matrix and steady
state at --lmax per trial Omega dT (crmix.observe.theory), counted as crmix.observe.budget counts
them (the --grid points and the refinements, which end as soon as the best fit lies on an exact
point; the model band's envelope is interpolated, no prediction).  Once the comparison has timed
its first prediction and fit, crmix.observe.budget prints the finer estimate.  One prediction
costs what crmix spectrum estimates for that matrix (crmix.solver.resources) in the middle of the
Omega dT range.  Then per tier --realisations Gaussian skies at --nside, each synthesised and
analysed through the detector (healpy: about SKY_SECONDS per pixel and multipole), all held in
memory at once (``SKY_COPIES`` maps of 8-byte pixels each).  With --maps the simulated maps are
rotated and analysed instead, and no prediction is made.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from crmix.observe.budget import prediction_count
from crmix.resources import ResourceEstimate
from crmix.solver.resources import spectrum_estimate

if TYPE_CHECKING:
    from crmix.observe.compare import Comparison

__all__ = ["compare_estimate"]

#: seconds per pixel and multipole of one sky's synthesis and analysis (healpy alm2map + anafast), reference machine
SKY_SECONDS = 2.5e-9
#: maps of one sky held at once: the skies, their observed copies, the filter's work array
SKY_COPIES = 3


def compare_estimate(cmp: Comparison) -> ResourceEstimate:
    """The predictions, peak memory and time of ``cmp`` (module docstring)."""
    from crmix.observe.compare import default_omega_dt_range

    tiers = len(cmp.data)
    npix = 12 * cmp.nside**2
    sky_lmax = 3 * cmp.nside
    skies = cmp.realisations * tiers if cmp.maps is None else len(cmp.maps.maps)
    seconds = SKY_SECONDS * skies * npix * sky_lmax
    memory = {"Gaussian skies": SKY_COPIES * 8.0 * npix * max(cmp.realisations, skies if cmp.maps else 0)}
    predictions = 0.0
    if cmp.maps is None:
        per_tier = prediction_count(tiers, cmp.grid_points, cmp.refinements, tiers > 1) / tiers
        matrix_bytes = 0.0
        for d in cmp.data:
            model = cmp.model(float(d.energy_TeV or math.nan))
            tau_s = model.turbulence.qlt(model).tau_s
            lo, hi = cmp.omega_dt_range or default_omega_dt_range(tau_s)
            one = spectrum_estimate([(model, math.sqrt(lo * hi) / model.Omega)], cmp.lmax)
            seconds += per_tier * one.seconds
            matrix_bytes = max(matrix_bytes, one.peak_memory)
            predictions += per_tier
        memory["mixing matrix"] = matrix_bytes
    return ResourceEstimate(memory=memory, seconds=seconds, work={"predictions": float(predictions), "skies": float(skies)})
