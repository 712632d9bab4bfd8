"""From backtracked particles to sky maps and their observables (KPM Secs. 2.1.1, 2.1.2, 3.1-3.3).

Liouville mapping, KPM (2)-(3)
------------------------------
f(r_obs, p-hat, t) = f(r(t0), p-hat(t0), t0) with the quasi-steady f = f-bar + r . grad f-bar
- 3 p-hat . K . grad f-bar, so the relative intensity of the particle seen with momentum p-hat is

    delta = f / f-bar - 1 = r(t0) . g - 3 p-hat(t0) . K . g  =  w . c,      g = grad f-bar / f-bar,

linear in the six **component maps** c = (r_x, r_y, r_z, p_x, p_y, p_z)(t0) with the weights
w = (g, -3 K g) (:func:`liouville_weights`).  Everything a run measures is therefore stored as
quadratic or linear forms of the components -- the cross spectra X^{jk}_l, the dipole response
D_{ja} and the neighbour-difference matrix Q_{jk} -- from which C_l, the dipole and the noise follow
for any gradient g and any one K chosen for the whole run (:mod:`crmix.simulate.ensemble`):

    C_l = w^T X_l w,    Phi_a = w_j D_{ja},    sigma^2_nb = w^T Q w.

C_l are the pixel quadrature of KPM (4) and (6): ``healpy.map2alm`` without iterations
(``iter=0``; linear, so w^T X_l w equals anafast(delta, iter=0) to rounding).  The maps are point
samples of functions with power beyond 3 N_side, which aliases into every l whatever the
estimator: iterating map2alm does not reduce that, and plain quadrature keeps the white-noise
response exactly flat (below).  The dipole vector is KPM (52),
Phi = (1/4 pi) int dp p-hat delta, on the equal-area pixels: Phi = mean_i p-hat_i delta_i.

Noise, KPM (5)-(7)
------------------
Each pixel holds one particle, so a map carries white noise of some variance sigma^2 per pixel.  Under
the pixel quadrature a_lm = (4 pi/N_pix) sum_i Y*_lm(n_i) delta_i, its expected C_l is, by Unsoeld's
theorem (KPM (33)) for every pixel, N_l = (4 pi/N_pix) sigma^2 at every l <= 3 N_side - 1: KPM (7)
exactly (:func:`noise_response`; ``healpy``'s iterated map2alm would fall to ~0.95 of it near
l = 3 N_side).  Two estimates of sigma^2:

* ``"kpm"``: KPM (5), sigma^2 = g_i <r_i r_j> g_j with <r r> over the map's particles.  It counts the
  variance of the *whole* map, the correlated (signal) part included, and misses the variance of the
  -3 p-hat . K . g term: biased high when the signal carries a sizeable part of the variance (early
  T; in a uniform field it subtracts T^2 g^2/3 from an exact dipole), unbiased only at T >> tau_s.
* ``"pixel"`` (the default): from what the map actually holds.  Half the mean squared difference of
  neighbouring pixels is V = sigma^2 + sum_l b_l C^s_l, b_l = (2l+1)(1 - <P_l(cos theta_ij)>)/(4 pi)
  over the same neighbour pairs, for any signal C^s; with C^s_l = C_l - R_l sigma^2 this closes to
  sigma^2 = (V - sum_l b_l C_l) / (1 - sum_l b_l R_l), the l sum over every multipole the
  pixelisation resolves (l <= 3 N_side - 1).  Signal power beyond that aliases into white noise and
  is counted as noise, which is what it is on the map.
"""

from __future__ import annotations

import math
from functools import cache

import healpy as hp
import numpy as np

__all__ = [
    "COMPONENTS",
    "NOISE_ESTIMATORS",
    "angular_power",
    "arrival_order",
    "component_maps",
    "cross_spectra",
    "diffusion_tensor",
    "dipole_response",
    "dipole_vector",
    "displacement_moments",
    "kpm_noise_variance",
    "liouville_weights",
    "neighbour_difference_matrix",
    "neighbour_legendre",
    "noise_level",
    "noise_response",
    "pixel_noise_variance",
    "quadratic_form",
    "relative_intensity",
]

#: The six component maps whose linear combination is the relative intensity (module docstring).
COMPONENTS = ("r_x", "r_y", "r_z", "p_x", "p_y", "p_z")
NOISE_ESTIMATORS = ("pixel", "kpm")


def liouville_weights(gradient: np.ndarray, K: np.ndarray) -> np.ndarray:
    """w = (g, -3 K g), so that delta = w . (r(t0), p-hat(t0)) (KPM (3)); gradient (3,), K (3, 3)."""
    g = np.asarray(gradient, dtype=float)
    K = np.asarray(K, dtype=float)
    if g.shape != (3,) or K.shape != (3, 3):
        raise ValueError(f"gradient must have shape (3,) and K (3, 3), got {g.shape} and {K.shape}")
    return np.concatenate([g, -3.0 * (K @ g)])


def component_maps(position: np.ndarray, momentum: np.ndarray) -> np.ndarray:
    """(r_x, r_y, r_z, p_x, p_y, p_z) at t0; position, momentum (..., 3, N_pix) -> (..., 6, N_pix)."""
    return np.concatenate([np.asarray(position, dtype=float), np.asarray(momentum, dtype=float)], axis=-2)


def relative_intensity(position: np.ndarray, momentum: np.ndarray, gradient: np.ndarray, K: np.ndarray) -> np.ndarray:
    """delta = r(t0) . g - 3 p-hat(t0) . K . g (KPM (3)); position, momentum (..., 3, N_pix) -> (..., N_pix)."""
    return np.einsum("j,...jn->...n", liouville_weights(gradient, K), component_maps(position, momentum))


def quadratic_form(weights: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """w_j M_jk w_k over the last two axes of ``matrix`` (..., 6, 6) -> (...)."""
    return np.einsum("j,...jk,k->...", weights, matrix, weights)


def cross_spectra(components: np.ndarray, lmax: int) -> np.ndarray:
    """X^{jk}_l = (1/(2l+1)) sum_m Re a^j_lm a^k*_lm of the component maps (6, N_pix) -> (lmax+1, 6, 6).

    The alm are healpy's ``map2alm`` (the estimator of ``anafast``), so w^T X_l w is anafast of w . c.
    """
    comps = np.asarray(components, dtype=float)
    alms = [hp.map2alm(c, lmax=lmax, iter=0) for c in comps]
    n = len(alms)
    out = np.empty((lmax + 1, n, n))
    for j in range(n):
        for k in range(j, n):
            out[:, j, k] = out[:, k, j] = hp.alm2cl(alms[j], alms[k], lmax=lmax)
    return out


@cache
def _neighbour_pairs(nside: int) -> tuple[np.ndarray, np.ndarray]:
    """Every ordered pair (i, j) of HEALPix neighbours (RING order), as two index arrays."""
    npix = hp.nside2npix(nside)
    nb = hp.get_all_neighbours(nside, np.arange(npix))  # (8, npix), -1 where a pixel has only 7
    i = np.broadcast_to(np.arange(npix), nb.shape)
    keep = nb >= 0
    return i[keep], nb[keep]


def neighbour_difference_matrix(components: np.ndarray, nside: int) -> np.ndarray:
    """Q_jk = (1/2) mean over neighbour pairs (c_j,i - c_j,n)(c_k,i - c_k,n); components (6, N_pix) -> (6, 6)."""
    i, j = _neighbour_pairs(int(nside))
    d = np.asarray(components, dtype=float)[:, i] - np.asarray(components, dtype=float)[:, j]
    return 0.5 * (d @ d.T) / d.shape[1]


@cache
def neighbour_legendre(nside: int, lmax: int) -> np.ndarray:
    """<P_l(cos theta_ij)> over the neighbour pairs of :func:`neighbour_difference_matrix`, l = 0..lmax."""
    i, j = _neighbour_pairs(int(nside))
    vi = np.asarray(hp.pix2vec(nside, i))
    vj = np.asarray(hp.pix2vec(nside, j))
    x = np.clip(np.sum(vi * vj, axis=0), -1.0, 1.0)
    p_prev, p = np.ones_like(x), x
    out = np.empty(lmax + 1)
    out[0] = 1.0
    if lmax >= 1:
        out[1] = x.mean()
    for ell in range(1, lmax):
        p_prev, p = p, ((2 * ell + 1) * x * p - ell * p_prev) / (ell + 1)
        out[ell + 1] = p.mean()
    return out


def noise_response(nside: int, lmax: int) -> np.ndarray:
    """R_l = 4 pi / N_pix, l = 0..lmax: the expected C_l of unit-variance white pixel noise under the pixel
    quadrature (module docstring; Unsoeld's theorem, KPM (6)-(7))."""
    return np.full(int(lmax) + 1, 4.0 * math.pi / hp.nside2npix(int(nside)))


def pixel_noise_variance(neighbour_variance: np.ndarray, cl: np.ndarray, nside: int) -> np.ndarray:
    """sigma^2 of the white pixel noise from the neighbour differences and the map's own C_l (module doc).

    neighbour_variance (...,): V = (1/2) <(delta_i - delta_n)^2>; cl (..., l_max + 1) with
    l_max = 3 N_side - 1 (every multipole the pixelisation resolves).
    """
    lmax = cl.shape[-1] - 1
    if lmax != 3 * nside - 1:
        raise ValueError(f"the pixel noise estimate needs C_l up to 3 nside - 1 = {3 * nside - 1}, got lmax = {lmax}")
    ell = np.arange(lmax + 1)
    b = (2 * ell + 1) * (1.0 - neighbour_legendre(int(nside), lmax)) / (4.0 * math.pi)
    return (np.asarray(neighbour_variance) - cl @ b) / (1.0 - b @ noise_response(int(nside), lmax))


def kpm_noise_variance(moments: np.ndarray, gradient: np.ndarray) -> np.ndarray:
    """KPM (5): sigma^2 = g_i <r_i r_j> g_j; moments (..., 3, 3) -> (...)."""
    g = np.asarray(gradient, dtype=float)
    return np.einsum("i,...ij,j->...", g, moments, g)


def noise_level(variance: np.ndarray, nside: int, lmax: int) -> np.ndarray:
    """N_l = R_l sigma^2 (KPM (6)-(7) with the estimator's exact response); variance (...) -> (..., lmax + 1)."""
    return np.asarray(variance)[..., None] * noise_response(int(nside), int(lmax))


def displacement_moments(position: np.ndarray) -> np.ndarray:
    """<r_i r_j> over the particles (all start at the observer, r = 0); (..., 3, N) -> (..., 3, 3)."""
    return np.einsum("...in,...jn->...ij", position, position) / position.shape[-1]


def diffusion_tensor(position: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Running diffusion tensor K_ij(T) = <r_i r_j> / (2 T); position (n_T, 3, N), times (n_T,)."""
    return displacement_moments(position) / (2.0 * np.asarray(times, dtype=float))[:, None, None]


def dipole_response(components: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """D_ja = mean_i c_j,i p-hat_a,i, so that Phi = w . D (KPM (52)); (..., 6, N), (3, N) -> (..., 6, 3)."""
    return np.einsum("...jn,an->...ja", components, directions) / directions.shape[-1]


def dipole_vector(delta: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Phi = (1/4 pi) int dp p-hat delta (KPM (52)); delta (..., N_pix), directions (3, N_pix) -> (..., 3)."""
    return np.einsum("...n,in->...i", delta, directions) / directions.shape[-1]


def angular_power(delta: np.ndarray, lmax: int) -> np.ndarray:
    """C_l, l = 0..lmax, of a RING-ordered map or stack of maps (..., N_pix): the pixel quadrature (module doc)."""
    maps = np.atleast_2d(delta)
    cl = np.stack([hp.anafast(m, lmax=lmax, iter=0) for m in maps])
    return cl.reshape(delta.shape[:-1] + (lmax + 1,))


@cache
def arrival_order(nside: int) -> np.ndarray:
    """Index map from arrival-direction pixels to momentum pixels: map_arrival = map_momentum[arrival_order].

    A particle seen with momentum p-hat arrives from -p-hat; HEALPix pixel centres come in antipodal
    pairs, so the reordering is a permutation.
    """
    vec = np.asarray(hp.pix2vec(nside, np.arange(hp.nside2npix(nside))))
    return hp.vec2pix(nside, -vec[0], -vec[1], -vec[2])
