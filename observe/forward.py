"""Sky realisations through the detector: the ensemble mean and scatter of the pseudo-C~_l.

Two sources of skies, one detector (crmix.observe.sky: filter, weights, ``healpy.anafast``):

* :func:`gaussian_skies`: Gaussian maps drawn from a model's full-sky C_l in equatorial
  coordinates, optionally with the dipole put along the field axis (crmix.observe.coupling) and
  with white shot noise of full-sky level N_w (pixel variance N_w / Omega_pix);
* :func:`equatorial_maps`: the sky maps of a ``crmix simulate`` ensemble (arrival directions, B0
  frame; crmix.observe.simulated), rotated so that B0 points to the given (RA, Dec).  These carry
  the B0 axis of the ensemble (not isotropic, not Gaussian), which the kernel K does not.

:func:`pseudo_spectra` passes maps through the detector.  The mean over realisations estimates the
ensemble average that K predicts; the scatter is what one sky (the one we observe) may deviate by.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import healpy as hp
import numpy as np

from crmix.observe.sky import observed_map, rotate_to_equatorial
from crmix.validation import integer, real

__all__ = ["PseudoSpectra", "equatorial_maps", "gaussian_alm", "gaussian_skies", "pseudo_spectra"]


@dataclass(frozen=True)
class PseudoSpectra:
    """C~_l of each realisation, shape (n_real, lmax+1)."""

    cl: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        return self.cl.mean(axis=0)

    @property
    def std(self) -> np.ndarray:
        """Scatter of one realisation (ddof = 1; zero for a single map)."""
        return self.cl.std(axis=0, ddof=1) if len(self.cl) > 1 else np.zeros(self.cl.shape[1])

    @property
    def sem(self) -> np.ndarray:
        """Standard error of the mean."""
        return self.std / math.sqrt(len(self.cl))


def pseudo_spectra(maps: np.ndarray, weights: np.ndarray, filter: str, lmax: int) -> PseudoSpectra:
    """anafast(w * filtered delta) of each map (RING, equatorial); maps (n_real, N_pix) or (N_pix,)."""
    lmax = integer("lmax", lmax, ge=1)
    maps = np.atleast_2d(np.asarray(maps, dtype=float))
    observed = observed_map(maps, weights, filter)
    return PseudoSpectra(np.stack([hp.anafast(m, lmax=lmax) for m in observed]))


def gaussian_alm(cl: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """a_lm (healpy order) of a statistically isotropic Gaussian sky with <|a_lm|^2> = C_l."""
    cl = np.asarray(cl, dtype=float)
    if np.any(cl < 0) or not np.all(np.isfinite(cl)):
        raise ValueError("C_l of a Gaussian sky must be finite and >= 0")
    lmax = len(cl) - 1
    ell, m = hp.Alm.getlm(lmax)
    g = rng.standard_normal((2, ell.size))
    amp = np.sqrt(cl[ell])
    return np.where(m == 0, amp * g[0], amp * (g[0] + 1j * g[1]) / math.sqrt(2.0))


def gaussian_skies(cl: np.ndarray, nside: int, realisations: int, *, seed: int = 0, dipole_axis: Any = None,
                   noise_level: float = 0.0) -> np.ndarray:
    """Maps (n_real, N_pix) of Gaussian skies with spectrum C_l (module docstring).

    dipole_axis
        None: the dipole is part of the isotropic Gaussian sky.  A unit vector b: the dipole is
        sqrt(C_1) (3/sqrt(4 pi)) b . n (its power C_1, along b, sign irrelevant for C~_l).
    noise_level
        N_w >= 0, the full-sky C_l of white shot noise (4 pi / N for N events over the sphere).
    """
    realisations = integer("realisations", realisations, ge=1)
    noise_level = real("noise level", noise_level, ge=0.0)
    cl = np.array(cl, dtype=float)
    rng = np.random.default_rng(seed)
    npix = hp.nside2npix(nside)
    dipole = None
    if dipole_axis is not None:
        b = np.asarray(dipole_axis, dtype=float)
        dipole = math.sqrt(cl[1]) * 3.0 / math.sqrt(4.0 * math.pi) * np.dot(b, hp.pix2vec(nside, np.arange(npix)))
        cl[1] = 0.0
    lmax = len(cl) - 1
    maps = np.empty((realisations, npix))
    sigma = math.sqrt(noise_level / hp.nside2pixarea(nside))
    for i in range(realisations):
        maps[i] = hp.alm2map(gaussian_alm(cl, rng), nside, lmax=lmax)
        if dipole is not None:
            maps[i] += dipole
        if sigma > 0:
            maps[i] += sigma * rng.standard_normal(npix)
    return maps


def equatorial_maps(maps_b0: np.ndarray, ra_deg: float, dec_deg: float, nside: int) -> np.ndarray:
    """Arrival-direction maps in the B0 frame -> equatorial maps at ``nside``, B0 towards (RA, Dec).

    The rotation is done on the a_lm up to 3 Nside_in - 1 (``healpy.map2alm``, ``rotate_alm``), so
    the result is band-limited at the simulation's resolution.
    """
    maps_b0 = np.atleast_2d(np.asarray(maps_b0, dtype=float))
    nside_in = hp.npix2nside(maps_b0.shape[1])
    lmax = 3 * nside_in - 1
    out = np.empty((len(maps_b0), hp.nside2npix(nside)))
    for i, m in enumerate(maps_b0):
        alm = rotate_to_equatorial(hp.map2alm(m, lmax=lmax), ra_deg, dec_deg, lmax)
        out[i] = hp.alm2map(alm, nside, lmax=lmax)
    return out
