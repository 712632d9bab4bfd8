"""The pair propagator of KPM (17) realised by backtracking: transfer amplitudes and the mixing matrix.

KPM (17) with the propagator U f(p-hat) = f(p-hat'), p-hat' the momentum direction a time Delta T
earlier on the backtracked trajectory that arrives with p-hat (crmix.simulate.backtrack), reads

    M_{l l0} = (2 l0 + 1) < P_l(p_A . p_B) P_l0(p'_A . p'_B) >_pairs,

the average over pairs of arrival directions (both uniform on the sphere) and over the field.  By
the addition theorem, with real orthonormal spherical harmonics Y_{lm} (:func:`real_harmonics`) and
the **transfer amplitudes** of one realisation

    T_{lm, l0m0} = int dp Y_{lm}(p) Y_{l0m0}(p'(p))  ~  sum_i w_i Y_{lm}(p_i) Y_{l0m0}(p'_i),

it is M_{l l0} = (1/(2l+1)) sum_{m, m0} T_{lm,l0m0}^2 (:func:`block_trace`): one matrix product per
set of particles (BLAS), no loop over pairs.  Any orthonormal basis of each l gives the same sum.

Exact properties (the tests check them):

* M = 1 for the identity map (Delta T = 0) and for any rotation (delta B = 0: every direction turns
  about B0 by the same angle), by the orthogonality of the Y_{lm};
* sum_l (2l + 1) M_{l l0} = 2 l0 + 1 for ANY map p -> p', measure-preserving or not: only coincident
  pairs survive the l sum, and sum_m0 Y_{l0m0}(q)^2 = (2 l0 + 1)/(4 pi) for every q (Unsoeld).
  (2l + 1) M_{l l0} / (2 l0 + 1) is therefore a column-stochastic matrix, every element >= 0.

The quadrature: the sum over particles replaces the integral.  Squared, it contains the self-pairs
i = j, sum_i w_i^2 (2l+1)(2l0+1)/(4 pi)^2 (Unsoeld again, for any map), and the pixel quadrature's
own error.  :func:`cross_mixing` removes both: two independent particle sets A, B, each with one
direction drawn uniformly inside every HEALPix pixel (:func:`jittered_directions`), give
E[T^A T^B | field] = T T exactly (stratified sampling is unbiased), so sum_{m m0} T^A T^B has no
self-pairs and no quadrature bias; the same product on the identity map (p' = p), whose expectation
is exactly 1, is subtracted as a control variate, which makes Delta T = 0 and every rotation exact
for the sample at hand and cancels most of the sampling noise at small Delta T.
:func:`axial_cross_mixing` is the same for the states that are axisymmetric about B0 (m0 = 0).
:func:`self_pair_mixing` is the single-set form with the self-pairs subtracted exactly.

The sky's angular power spectrum from the same particles: a_{lm} = sum_i w_i Y_{lm}(p_i) delta_i per
set, C_l = (1/(2l+1)) sum_m a^A_{lm} a^B_{lm} (KPM (4)), unbiased and free of the shot noise that
KPM (5)-(7) subtract (:func:`component_cross_spectra` for the six component maps of
crmix.simulate.skymap).
"""

from __future__ import annotations

import math
from typing import Any

import healpy as hp
import numpy as np
from scipy import special

from crmix.simulate.backtrack import validate_nside

__all__ = [
    "JITTER_NSIDE_MAX",
    "axial_cross_mixing",
    "block_trace",
    "component_cross_spectra",
    "cross_mixing",
    "harmonic_index",
    "jittered_directions",
    "real_harmonics",
    "self_pair_mixing",
    "transfer_amplitudes",
]

#: HEALPix resolution of the sub-pixels a jittered direction is the centre of (their size, ~2e-9 rad,
#: is the only departure from a uniform draw inside the pixel).
JITTER_NSIDE_MAX = 1 << 29
#: Particles per block of the harmonic evaluation (bounds the temporaries: (l+1)(2l+1) per particle).
_CHUNK = 2048


def harmonic_index(lmax: int) -> np.ndarray:
    """l of every column of :func:`real_harmonics` (column l^2 + l + m holds Y_{lm})."""
    return np.repeat(np.arange(lmax + 1), 2 * np.arange(lmax + 1) + 1)


def _real_harmonics_block(directions: np.ndarray, lmax: int) -> np.ndarray:
    x, y, z = directions
    theta = np.arccos(np.clip(z, -1.0, 1.0))
    phi = np.arctan2(y, x)
    legendre = special.sph_legendre_p_all(lmax, lmax, theta)[0]  # (l, m (negative m wrapped), N), Y_lm = P e^{i m phi}
    m = np.arange(1, lmax + 1)[:, None]
    cos_m, sin_m = math.sqrt(2.0) * np.cos(m * phi), math.sqrt(2.0) * np.sin(m * phi)
    out = np.empty((directions.shape[1], (lmax + 1) ** 2))
    for ell in range(lmax + 1):
        centre = ell * ell + ell
        out[:, centre] = legendre[ell, 0]
        if ell:
            out[:, centre + 1:centre + ell + 1] = (legendre[ell, 1:ell + 1] * cos_m[:ell]).T
            out[:, centre - ell:centre][:, ::-1] = (legendre[ell, 1:ell + 1] * sin_m[:ell]).T
    return out


def real_harmonics(directions: Any, lmax: int) -> np.ndarray:
    """Real orthonormal spherical harmonics at unit vectors ``directions`` (3, N): shape (N, (lmax+1)^2).

    Column l^2 + l + m: Y_{l0} for m = 0, sqrt(2) P_l^m cos(m phi) for m > 0, sqrt(2) P_l^|m| sin(|m| phi)
    for m < 0 (P the orthonormal spherical Legendre functions of scipy.special).
    """
    d = np.asarray(directions, dtype=float)
    if d.ndim != 2 or d.shape[0] != 3:
        raise ValueError(f"directions must have shape (3, N), got {d.shape}")
    if int(lmax) != lmax or lmax < 0:
        raise ValueError(f"lmax must be an integer >= 0, got {lmax!r}")
    blocks = [_real_harmonics_block(d[:, s:s + _CHUNK], int(lmax)) for s in range(0, d.shape[1], _CHUNK)]
    return np.concatenate(blocks, axis=0) if blocks else np.empty((0, (int(lmax) + 1) ** 2))


def jittered_directions(nside: int, rng: np.random.Generator) -> np.ndarray:
    """One direction drawn uniformly inside every HEALPix pixel (RING order): shape (3, 12 nside^2).

    The draw picks one of the pixel's equal-area sub-pixels at N_side = JITTER_NSIDE_MAX (NESTED
    children) and returns its centre.
    """
    n = validate_nside(nside)
    depth = int(round(math.log2(JITTER_NSIDE_MAX // n)))
    pixels = hp.ring2nest(n, np.arange(hp.nside2npix(n))).astype(np.int64)
    children = pixels * 4**depth + rng.integers(0, 4**depth, size=pixels.size, dtype=np.int64)
    return np.asarray(hp.pix2vec(n * 2**depth, children, nest=True))


def transfer_amplitudes(weighted_observed: np.ndarray, backtracked: Any, lmax: int) -> np.ndarray:
    """T_{lm, l0m0} = sum_i w_i Y_{lm}(p_i) Y_{l0m0}(p'_i) (module docstring).

    ``weighted_observed`` is w_i Y_{lm}(p_i), shape (N, (lmax+1)^2) (:func:`real_harmonics` times the
    weights, computed once per particle set); ``backtracked`` the directions p'_i, shape (3, N).
    """
    return weighted_observed.T @ real_harmonics(backtracked, lmax)


def block_trace(product: np.ndarray, lmax: int) -> np.ndarray:
    """(1/(2l+1)) sum over m in l and m0 in l0 of ``product`` ((lmax+1)^2 square): shape (lmax+1, lmax+1)."""
    edges = np.arange(lmax + 1) ** 2
    sums = np.add.reduceat(np.add.reduceat(product, edges, axis=0), edges, axis=1)
    return sums / (2.0 * np.arange(lmax + 1) + 1.0)[:, None]


def cross_mixing(t_a: np.ndarray, t_b: np.ndarray, identity_a: np.ndarray, identity_b: np.ndarray, lmax: int) -> np.ndarray:
    """M of one realisation from two independent jittered sets, the identity map as control variate.

    M = 1 + block_trace(T^A T^B - T^A_0 T^B_0), T_0 the transfer amplitudes of the identity map on the
    same directions (module docstring): unbiased, exact at Delta T = 0 and for rotations about any axis.
    """
    return np.eye(lmax + 1) + block_trace(t_a * t_b - identity_a * identity_b, lmax)


def axial_cross_mixing(t_a: np.ndarray, t_b: np.ndarray, identity_a: np.ndarray, identity_b: np.ndarray, lmax: int) -> np.ndarray:
    """The propagation of axisymmetric states, as :func:`cross_mixing` for m0 = 0 alone (the axis: z, B0).

    M^ax_{l l0} = ((2 l0 + 1)/(2 l + 1)) sum_m T_{lm, l0 0}^2 maps C_l0 of a sky map P_l0(p . z-hat) to the C_l it
    becomes; the dipole along B0 that the gradient of KPM (3) draws is column l0 = 1.  KPM (17) averages this
    over m0 (:func:`cross_mixing`); the two differ where the turbulence is not isotropic.
    """
    ell = np.arange(lmax + 1)
    columns = ell * ell + ell
    product = (t_a * t_b - identity_a * identity_b)[:, columns]
    edges = ell**2
    summed = np.add.reduceat(product, edges, axis=0) * ((2.0 * ell + 1.0)[None, :] / (2.0 * ell + 1.0)[:, None])
    return np.eye(lmax + 1) + summed


def self_pair_mixing(t: np.ndarray, weights: np.ndarray, lmax: int) -> np.ndarray:
    """M of one particle set with the self-pairs i = j removed exactly: block_trace(T^2) - (2l0+1) sum w^2/(4 pi)^2.

    The pixel quadrature's error is not removed (:func:`cross_mixing` does that).
    """
    self_pairs = (2.0 * np.arange(lmax + 1) + 1.0) * float(np.sum(np.square(weights))) / (4.0 * math.pi) ** 2
    return block_trace(t * t, lmax) - self_pairs[None, :]


def component_cross_spectra(a_a: np.ndarray, a_b: np.ndarray, lmax: int) -> np.ndarray:
    """X^{jk}_l = (1/(2l+1)) sum_m sym(a^A_{lm,j} a^B_{lm,k}) of two sets' harmonic coefficients ((lmax+1)^2, n_c).

    Shape (lmax+1, n_c, n_c), symmetric in j, k; C_l = w^T X_l w for a map w . components (KPM (4)).
    """
    edges = np.arange(lmax + 1) ** 2
    outer = a_a[:, :, None] * a_b[:, None, :]
    x = np.add.reduceat(outer, edges, axis=0) / (2.0 * np.arange(lmax + 1) + 1.0)[:, None, None]
    return 0.5 * (x + np.swapaxes(x, 1, 2))
