"""From backtracked particles to the sky map and its observables (KPM Secs. 2.1.1, 2.1.2, 3.3).

* Liouville mapping, KPM (2)-(3): f(r_obs, p-hat, t) = f(r(t0), p-hat(t0), t0) with the quasi-steady
  f = f-bar + r . grad f-bar - 3 p-hat . K . grad f-bar, so the relative intensity is

      delta = f / f-bar - 1 = r(t0) . g - 3 p-hat(t0) . K . g,      g = grad f-bar / f-bar.

* C_l of delta by ``healpy.anafast`` (KPM (4) with the relative intensity).
* The dipole vector Phi = (1/4 pi) int dp p-hat delta, KPM (52) (the monopole of p-hat integrates to 0),
  on the equal-area HEALPix pixels Phi = mean_i p-hat_i delta_i.
* The noise level KPM (5)-(7): N_l = (4 pi / N_pix) <r_i r_j> g_i g_j, with <r_i r_j> = 2 T K_ij measured
  over the particles of the map.
"""

from __future__ import annotations

import math

import healpy as hp
import numpy as np

__all__ = [
    "angular_power",
    "diffusion_tensor",
    "dipole_vector",
    "displacement_moments",
    "noise_level",
    "relative_intensity",
]


def relative_intensity(position: np.ndarray, momentum: np.ndarray, gradient: np.ndarray, K: np.ndarray) -> np.ndarray:
    """delta = r(t0) . g - 3 p-hat(t0) . K . g (KPM (3)); position, momentum (..., 3, N_pix) -> (..., N_pix)."""
    g = np.asarray(gradient, dtype=float)
    Kg = np.asarray(K, dtype=float) @ g
    return np.einsum("i,...in->...n", g, position) - 3.0 * np.einsum("i,...in->...n", Kg, momentum)


def displacement_moments(position: np.ndarray) -> np.ndarray:
    """<r_i r_j> over the particles (all start at the observer, r = 0); (..., 3, N) -> (..., 3, 3)."""
    return np.einsum("...in,...jn->...ij", position, position) / position.shape[-1]


def diffusion_tensor(position: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Running diffusion tensor K_ij(T) = <r_i r_j> / (2 T); position (n_T, 3, N), times (n_T,)."""
    return displacement_moments(position) / (2.0 * np.asarray(times, dtype=float))[:, None, None]


def noise_level(moments: np.ndarray, gradient: np.ndarray, npix: int) -> np.ndarray:
    """KPM (5)-(7): N_l = (4 pi / N_pix) g_i <r_i r_j> g_j, the same for every l; moments (..., 3, 3)."""
    g = np.asarray(gradient, dtype=float)
    return (4.0 * math.pi / npix) * np.einsum("i,...ij,j->...", g, moments, g)


def angular_power(delta: np.ndarray, lmax: int) -> np.ndarray:
    """C_l, l = 0..lmax, of a RING-ordered map or stack of maps (..., N_pix), by healpy.anafast."""
    maps = np.atleast_2d(delta)
    cl = np.stack([hp.anafast(m, lmax=lmax) for m in maps])
    return cl.reshape(delta.shape[:-1] + (lmax + 1,))


def dipole_vector(delta: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Phi = (1/4 pi) int dp p-hat delta (KPM (52)); delta (..., N_pix), directions (3, N_pix) -> (..., 3)."""
    return np.einsum("...n,in->...i", delta, directions) / directions.shape[-1]

