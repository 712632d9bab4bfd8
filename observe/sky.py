"""Sky geometry of a detector: coverage (weights), the map-making filter, and the field direction.

All maps are HEALPix RING in equatorial coordinates (theta = 90 deg - Dec, phi = RA) unless said
otherwise.

Coverage
    A weight map w >= 0: 1 inside a declination band, 0 outside (:func:`band_weights`), or read from
    a HEALPix file (:func:`read_weights`; healpy's UNSEEN and NaN pixels count as unobserved).  The
    observed map is w * delta, and its ``healpy.anafast`` is the pseudo-C~_l (not divided by f_sky).

Filter (``"m0"``)
    Ground arrays estimate their background from the data (time scrambling, likelihood methods), so
    the relative intensity they reconstruct has no structure that depends on declination alone:
    at each declination the w-weighted average of delta over the observed right ascensions is
    zero.  :func:`ring_filter` removes that average ring by ring.  For a coverage that is
    azimuthally symmetric (a declination band) this is exactly dropping the m = 0 coefficients of
    the pseudo-a_lm of w * delta in equatorial coordinates; ``"none"`` keeps the map as it is.

Field direction
    The local regular field B0 points to (RA, Dec); :func:`field_axis` gives the unit vector and
    :func:`rotate_to_equatorial` rotates a_lm given in the B0 frame (z = B0) so that the B0 frame's
    z axis lands on it (ZYZ Euler angles phi = RA, theta = 90 deg - Dec, psi = 0; the azimuth of the
    B0 frame's x axis is immaterial for an ensemble that is axisymmetric about B0).
"""

from __future__ import annotations

import math
from pathlib import Path

import healpy as hp
import numpy as np

from crmix.observe.choices import FILTERS
from crmix.validation import real

__all__ = [
    "FILTERS",
    "band_weights",
    "check_band",
    "field_axis",
    "observed_map",
    "read_weights",
    "ring_filter",
    "rotate_to_equatorial",
    "sky_fraction",
]


def check_band(dec_min: float, dec_max: float) -> tuple[float, float]:
    """(dec_min, dec_max) in degrees, checked: -90 <= dec_min < dec_max <= 90."""
    lo = real("declination band lower edge (deg)", dec_min, ge=-90.0, le=90.0)
    hi = real("declination band upper edge (deg)", dec_max, ge=-90.0, le=90.0)
    if not lo < hi:
        raise ValueError(f"declination band needs dec_min < dec_max, got {lo:g} .. {hi:g}")
    return lo, hi


def band_weights(nside: int, dec_min: float, dec_max: float) -> np.ndarray:
    """1 where the pixel centre lies in dec_min <= Dec <= dec_max (degrees), else 0."""
    lo, hi = check_band(dec_min, dec_max)
    theta, _ = hp.pix2ang(nside, np.arange(hp.nside2npix(nside)))
    dec = 90.0 - np.degrees(theta)
    return ((dec >= lo) & (dec <= hi)).astype(float)


def read_weights(path: str | Path) -> np.ndarray:
    """A coverage map from a HEALPix FITS file (RING after reading); UNSEEN/NaN pixels become 0."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"mask file {str(path)!r} does not exist")
    try:
        w = np.array(hp.read_map(str(path), dtype=np.float64), dtype=float)
    except Exception as exc:  # astropy/healpy raise many kinds for a file that is not a HEALPix map
        raise ValueError(f"mask file {str(path)!r} is not a HEALPix map: {exc}") from exc
    w[~np.isfinite(w) | (w == hp.UNSEEN)] = 0.0
    if np.any(w < 0):
        raise ValueError(f"mask file {str(path)!r}: weights must be >= 0 (0 = not observed)")
    if not np.any(w > 0):
        raise ValueError(f"mask file {str(path)!r} observes no pixel")
    return w


def sky_fraction(weights: np.ndarray, power: int = 1) -> float:
    """<w^power> over the sphere (f_sky for a 0/1 coverage)."""
    return float(np.mean(np.asarray(weights, float) ** power))


def _rings(nside: int) -> tuple[np.ndarray, np.ndarray]:
    start, count, *_ = hp.ringinfo(nside, np.arange(1, 4 * nside))
    return np.asarray(start, int), np.asarray(count, int)


def ring_filter(maps: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """delta minus its w-weighted average over the observed pixels of each iso-latitude ring.

    ``maps`` (..., N_pix) RING; rings without observed pixels are left as they are (their weight
    is 0 in the observed map).  Azimuthally symmetric coverage: the m = 0 filter (module docstring).
    """
    maps = np.asarray(maps, dtype=float)
    w = np.asarray(weights, dtype=float)
    nside = hp.npix2nside(maps.shape[-1])
    if w.shape != maps.shape[-1:]:
        raise ValueError(f"weights have {w.shape[-1]} pixels, the maps {maps.shape[-1]}")
    start, count = _rings(nside)
    wsum = np.add.reduceat(w, start)
    wdelta = np.add.reduceat(maps * w, start, axis=-1)
    mean = np.divide(wdelta, wsum, out=np.zeros_like(wdelta), where=wsum > 0)
    return maps - np.repeat(mean, count, axis=-1)


def observed_map(maps: np.ndarray, weights: np.ndarray, filter: str) -> np.ndarray:
    """w * delta after the map-making filter (``"m0"``: :func:`ring_filter`; ``"none"``)."""
    if filter not in FILTERS:
        raise ValueError(f"filter must be one of {FILTERS}, got {filter!r}")
    maps = ring_filter(maps, weights) if filter == "m0" else np.asarray(maps, dtype=float)
    return maps * np.asarray(weights, dtype=float)


def field_axis(ra_deg: float, dec_deg: float) -> np.ndarray:
    """Unit vector (equatorial) of the field direction at (RA, Dec), degrees."""
    ra = real("field direction RA (deg)", ra_deg, ge=0.0, lt=360.0)
    dec = real("field direction Dec (deg)", dec_deg, ge=-90.0, le=90.0)
    return np.asarray(hp.ang2vec(math.radians(90.0 - dec), math.radians(ra)), dtype=float)


def rotate_to_equatorial(alm: np.ndarray, ra_deg: float, dec_deg: float, lmax: int) -> np.ndarray:
    """a_lm of a map given in the B0 frame, rotated so that B0 points to (RA, Dec) (module docstring)."""
    field_axis(ra_deg, dec_deg)  # validates
    out = np.array(alm, dtype=complex, copy=True)
    hp.rotate_alm(out, 0.0, math.radians(90.0 - dec_deg), math.radians(ra_deg), lmax=lmax)
    return out

