"""The one sky we observe in chi^2: its covariance at the best fit, the fit repeated until it stays, and edge warnings.

The prediction is the ensemble average; the measured pseudo-C~_l are one draw, which scatters around
it with a covariance that depends on the model (crmix.observe.fit, "One-sky variance").  Per tier:
fit with the data's errors, compute the one-sky covariance of the best-fit signal A C_l/C_1
(:func:`sky_covariance`: exact for a declination band, crmix.observe.coupling.band_covariance;
NaMaster's Gaussian covariance for a weight map, crmix.observe.namaster), fit again with it, and
repeat until Omega dT and the amplitude move by less than :data:`TOLERANCE` (at most
:data:`ITERATIONS` times).  The shot noise is left out of the covariance: the published errors hold it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import healpy as hp
import numpy as np

from crmix.observe import coupling, fit, namaster

__all__ = ["ITERATIONS", "TOLERANCE", "edge_warnings", "fit_with_one_sky", "sky_covariance"]

#: relative change of Omega dT and of the amplitude below which the fit with the one-sky covariance has settled
TOLERANCE = 1e-3
#: at most this many fits with a recomputed one-sky covariance
ITERATIONS = 4


def sky_covariance(C: np.ndarray, ell: np.ndarray, *, band: tuple[float, float] | None, weights: np.ndarray | None,
                   filter: str, dipole_axis: Any) -> np.ndarray:
    """Cov(C~_l, C~_k) at the multipoles ``ell`` of one sky with full-sky spectrum C (l = 0..l_max of the model).

    ``band`` (dec_min, dec_max): exact (any filter); else ``weights``: NaMaster's Gaussian covariance of
    the unfiltered pseudo-spectrum (the m0 filter's loss of modes is not in it; crmix.observe.namaster).
    """
    lmax = int(np.max(ell))
    if band is not None:
        cov = coupling.band_covariance(lmax, C, band[0], band[1], filter, dipole_axis)
    else:
        nside = hp.npix2nside(np.asarray(weights).size)
        full = np.zeros(3 * nside)
        full[: min(C.size, full.size)] = C[: full.size]
        pseudo = namaster.namaster_coupling(weights, 3 * nside - 1, 3 * nside - 1, dipole_axis).apply(full)
        cov = namaster.namaster_covariance(weights, pseudo, lmax)
    return cov[np.ix_(ell, ell)]


def fit_with_one_sky(problems: Sequence[fit.TierProblem], signal: Callable[[int, fit.TierFit], np.ndarray],
                     covariance: Callable[[np.ndarray, np.ndarray], np.ndarray], grid_points: int, refinements: int,
                     progress: Callable[[], None] | None = None) -> tuple[list[fit.TierFit], int, bool]:
    """Fits of every tier with the one-sky covariance of its best-fit signal (module docstring), the fits made, whether they settled.

    ``signal(k, tier_fit)`` is the full-sky C_l of tier k's signal at that fit; ``covariance(C, ell)`` its
    one-sky covariance at the multipoles ell.
    """
    fits = [fit.fit_tier(p, grid_points, refinements, progress=progress) for p in problems]
    for made in range(1, ITERATIONS + 1):
        for k, (p, tf) in enumerate(zip(problems, fits)):
            p.sky_covariance = covariance(signal(k, tf), p.data.ell)
        new = [fit.fit_tier(p, grid_points, refinements, progress=progress) for p in problems]
        settled = all(abs(math.log(a.omega_dt.value / b.omega_dt.value)) < TOLERANCE
                      and abs(a.amplitude.value / b.amplitude.value - 1.0) < TOLERANCE for a, b in zip(new, fits))
        fits = new
        if settled:
            return fits, made + 1, True
    return fits, ITERATIONS + 1, False


def edge_warnings(fits: Sequence[fit.TierFit], problems: Sequence[fit.TierProblem], joint: fit.JointFit | None) -> list[str]:
    """One line per best fit at an edge of its searched range: a best fit there is a bound, not a measurement."""
    lines = []
    for tf, p in zip(fits, problems):
        est = tf.omega_dt
        if est is not None and (est.at_lower_edge or est.at_upper_edge):
            side = "lower" if est.at_lower_edge else "upper"
            lines.append(f"tier {tf.tier}: the best Omega dT = {est.value:.4g} sits at the {side} edge of the searched range "
                         f"[{p.range[0]:.4g}, {p.range[1]:.4g}]: the data prefer a value outside it (--omega-dt-range widens it)")
    if joint is not None and (joint.c.at_lower_edge or joint.c.at_upper_edge):
        side = "lower" if joint.c.at_lower_edge else "upper"
        lines.append(f"joint KPM (51): the best c = {joint.c.value:.4g} sits at the {side} edge of the range the tiers' "
                     "Omega dT ranges allow")
    return lines
