"""The coupling kernel K: from a model's full-sky <C_l> to the expected pseudo-<C~_l> of a detector.

For a sky whose a_lm (equatorial coordinates) are uncorrelated, <a_lm a*_l'm'> = d_ll' d_mm' q_lm C_l,
the observed map w * delta after the map-making filter (crmix.observe.sky) has the linear pseudo-
coefficients a~ = L a, and

    <C~_l> = sum_l' K_ll' C_l' + noise,    K_ll' = 1/(2l+1) sum_m sum_m' |L_{lm,l'm'}|^2 q_l'm'.

Statistical isotropy is q = 1.  The ensemble of the mixing-matrix theory is axisymmetric about B0
rather than isotropic; its dipole comes from the gradient along B0 (KPM (18)), so ``dipole_axis``
(a unit vector, equatorial) puts the dipole power along B0: a_1m = sqrt(4 pi C_1) Y*_1m(b), which
in the sums above is q_1m = 4 pi |Y_1m(b)|^2 (m-diagonal for a band: q_10 = 3 b_z^2, q_1,+-1 =
(3/2)(1 - b_z^2)).  Higher multipoles are taken as isotropic (docs/observations.md).

Band coverage, exact (:func:`band_coupling`)
    For w = 1 on sin(Dec) in [x1, x2] the coupling is m-diagonal, a~_lm = sum_l' W^m_ll' a_l'm with
    W^m_ll' = 2 pi int_x1^x2 lambda_lm(x) lambda_l'm(x) dx (lambda_lm = Y_lm at phi = 0; the
    integrand is a polynomial of degree l + l', so Gauss-Legendre quadrature is exact), and the
    m0 filter drops m = 0:  K_ll' = 1/(2l+1) sum_{m (!= 0)} |W^m_ll'|^2 q_l'm.

Any coverage map (:func:`harmonic_coupling`)
    Column by column through healpy: every real basis map of multipole l' (a_l'0 = 1; a_l'm' = 1
    and i for m' > 0) is made by ``alm2map``, filtered, weighted and passed through ``anafast``;
    column l' = C~[a_l'0] + sum_{m' > 0} (C~[a_l'm' = 1] + C~[a_l'm' = i]) / 2, the exact
    expectation for unit isotropic power at l' (up to pixelisation).  An aligned dipole replaces
    column 1 by the C~ of the map (3/sqrt(4 pi)) b . n (C_1 = 1).

One-sky covariance of a band, exact (:func:`band_covariance`)
    One sky is a draw of the ensemble: its pseudo-C~_l scatter around <C~_l>.  For a Gaussian sky
    (l >= 2, and the dipole unless it is along B0) with the deterministic dipole along B0 of the
    theory, and a band coverage (m-diagonal), with G^m_lk = sum_{L} W^m_lL W^m_kL C_L (the
    Gaussian part) and D^m_lk = W^m_l1 W^m_k1 C_1 q_1m (the dipole along B0):
        Cov(C~_l, C~_k) = 1/((2l+1)(2k+1)) sum_m mult_m (2 (G^m_lk)^2 + 4 D^m_lk G^m_lk),
    mult_m = 2 for m > 0 (the pair +-m), 1 for m = 0 (0 with the m0 filter): the fourth moments of a
    circular complex (m > 0) or real (m = 0) Gaussian variable plus the cross term of the dipole
    with it.  Exact for the band, any filter, any spectrum (tests: against Gaussian skies).

Shot noise (:func:`noise_template`)
    White noise of full-sky level N_w (C_l = N_w; N_w = 4 pi / N for N events over the sphere) has
    <C~_l> = N_w n_l with n_l = <w^2> - [filter] (1/(2l+1)) int w^2 |Y_l0|^2 dOmega (exact for an
    azimuthally symmetric coverage, pixel quadrature).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import healpy as hp
import numpy as np
from scipy import special
from tqdm.auto import tqdm

from crmix.observe.sky import FILTERS, check_band, observed_map
from crmix.validation import integer

__all__ = ["Coupling", "band_coupling", "band_covariance", "dipole_weights", "harmonic_coupling", "noise_template"]


@dataclass(frozen=True)
class Coupling:
    """K[l, l'] for l = 0..lmax (observed) and l' = 0..lmax_in (model), with the noise template n_l."""

    matrix: np.ndarray
    noise: np.ndarray
    description: dict[str, Any] = field(default_factory=dict)

    @property
    def lmax(self) -> int:
        return self.matrix.shape[0] - 1

    @property
    def lmax_in(self) -> int:
        return self.matrix.shape[1] - 1

    def apply(self, C: Any, xp: Any = np) -> Any:
        """<C~_l>, l = 0..lmax, of a model spectrum C_l', l' = 0..lmax_in (noise not included)."""
        C = xp.asarray(C, dtype=float)
        if C.shape[-1] != self.lmax_in + 1:
            raise ValueError(f"model spectrum has l_max = {C.shape[-1] - 1}, the coupling needs {self.lmax_in}")
        return C @ xp.asarray(self.matrix).T


def _check_filter(filter: str) -> None:
    if filter not in FILTERS:
        raise ValueError(f"filter must be one of {FILTERS}, got {filter!r}")


def _check_axis(dipole_axis: Any) -> np.ndarray | None:
    if dipole_axis is None:
        return None
    b = np.asarray(dipole_axis, dtype=float)
    if b.shape != (3,) or not np.all(np.isfinite(b)) or abs(np.linalg.norm(b) - 1.0) > 1e-9:
        raise ValueError(f"dipole axis must be a unit 3-vector (or None: isotropic), got {dipole_axis!r}")
    return b


def dipole_weights(dipole_axis: Any, mmax: int = 1) -> np.ndarray:
    """q_1m, m = 0..mmax (m < 0 equal): 1 for an isotropic dipole, 4 pi |Y_1m(b)|^2 along the axis b."""
    b = _check_axis(dipole_axis)
    q = np.ones(mmax + 1)
    if b is not None:
        q[0] = 3.0 * b[2] ** 2
        if mmax >= 1:
            q[1] = 1.5 * (1.0 - b[2] ** 2)
    return q


def _band_legendre(lmax_in: int, mmax: int, x: np.ndarray) -> np.ndarray:
    """lambda_lm(x) for l = 0..lmax_in, m = 0..mmax at x = cos theta: shape (lmax_in+1, mmax+1, len(x))."""
    values = special.sph_legendre_p_all(lmax_in, mmax, np.arccos(x))[0]
    return values[:, : mmax + 1]


def band_mixing(lmax: int, lmax_in: int, dec_min: float, dec_max: float) -> np.ndarray:
    """W^m_ll' (module docstring) for m = 0..lmax, l = 0..lmax, l' = 0..lmax_in: shape (m, l, l')."""
    x1, x2 = math.sin(math.radians(dec_min)), math.sin(math.radians(dec_max))
    nodes, weights = np.polynomial.legendre.leggauss((lmax + lmax_in) // 2 + 2)
    x = 0.5 * (x2 - x1) * nodes + 0.5 * (x2 + x1)
    wq = 0.5 * (x2 - x1) * weights * 2.0 * math.pi
    lam = _band_legendre(lmax_in, lmax, x)  # (l', m, k)
    return np.einsum("lmk,pmk,k->mlp", lam[: lmax + 1], lam, wq)


def _multiplicity(lmax: int, filter: str) -> np.ndarray:
    """How often each m >= 0 enters C~_l: 2 for the pair +-m, 1 for m = 0, 0 where the m0 filter drops it."""
    mult = np.full(lmax + 1, 2.0)
    mult[0] = 0.0 if filter == "m0" else 1.0
    return mult


def band_covariance(lmax: int, C: np.ndarray, dec_min: float, dec_max: float, filter: str = "m0",
                    dipole_axis: Any = None) -> np.ndarray:
    """Cov(C~_l, C~_k), l, k = 0..lmax, of one sky with full-sky spectrum C over a band (module docstring).

    ``dipole_axis`` None: the dipole is part of the isotropic Gaussian sky; a unit vector: the dipole is
    deterministic along it (the theory's, KPM (18)) and only its cross term with the rest scatters.
    """
    C = np.asarray(C, dtype=float)
    lmax = integer("lmax (observed multipoles)", lmax, ge=1)
    lmax_in = integer("lmax of the model", C.size - 1, ge=lmax)
    _check_filter(filter)
    dec_min, dec_max = check_band(dec_min, dec_max)
    W = band_mixing(lmax, lmax_in, dec_min, dec_max)  # (m, l, l')
    gaussian = C.copy()
    D = np.zeros((lmax + 1, lmax + 1, lmax + 1))
    if dipole_axis is not None:
        gaussian[1] = 0.0
        q = dipole_weights(dipole_axis, min(lmax, 1))
        for m in range(q.size):
            D[m] = np.outer(W[m, :, 1], W[m, :, 1]) * C[1] * q[m]
    G = np.einsum("mlp,mkp,p->mlk", W, W, gaussian)
    n = 2.0 * np.arange(lmax + 1) + 1.0
    return np.einsum("m,mlk->lk", _multiplicity(lmax, filter), 2.0 * G**2 + 4.0 * D * G) / np.outer(n, n)


def band_coupling(lmax: int, lmax_in: int, dec_min: float, dec_max: float, filter: str = "m0",
                  dipole_axis: Any = None) -> Coupling:
    """Exact K for the coverage dec_min <= Dec <= dec_max (degrees) and the filter (module docstring)."""
    lmax = integer("lmax (observed multipoles)", lmax, ge=1)
    lmax_in = integer("lmax of the model", lmax_in, ge=lmax)
    _check_filter(filter)
    dec_min, dec_max = check_band(dec_min, dec_max)
    W = band_mixing(lmax, lmax_in, dec_min, dec_max)
    q = np.ones((lmax + 1, lmax_in + 1))  # q[m, l']
    q[: min(lmax, 1) + 1, 1] = dipole_weights(dipole_axis, min(lmax, 1))
    ell = np.arange(lmax + 1)
    K = np.einsum("m,mlp,mp->lp", _multiplicity(lmax, filter), W**2, q) / (2 * ell + 1)[:, None]
    x1, x2 = math.sin(math.radians(dec_min)), math.sin(math.radians(dec_max))
    nodes, weights = np.polynomial.legendre.leggauss(lmax + 2)
    lam0 = _band_legendre(lmax, 0, 0.5 * (x2 - x1) * nodes + 0.5 * (x2 + x1))[:, 0]
    m0_power = 2.0 * math.pi * 0.5 * (x2 - x1) * (lam0**2 @ weights)
    fsky = 0.5 * (x2 - x1)
    noise = fsky - (m0_power / (2 * ell + 1) if filter == "m0" else np.zeros(lmax + 1))
    description = {"coverage": f"band {dec_min:g} <= Dec <= {dec_max:g} deg", "f_sky": fsky, "w2_mean": fsky,
                   "filter": filter, "dipole": "isotropic" if dipole_axis is None else "along B0",
                   "method": "exact (Gauss-Legendre)", "lmax": lmax, "lmax_in": lmax_in}
    return Coupling(matrix=K, noise=np.asarray(noise, dtype=float), description=description)


def _pseudo_power(alm: np.ndarray, nside: int, lmax_in: int, weights: np.ndarray, filter: str, lmax: int) -> np.ndarray:
    m = hp.alm2map(alm, nside, lmax=lmax_in)
    return hp.anafast(observed_map(m, weights, filter), lmax=lmax)


def noise_template(weights: np.ndarray, lmax: int, filter: str) -> np.ndarray:
    """n_l = <w^2> - [filter] (1/(2l+1)) sum_p Omega_p w_p^2 |Y_l0(p)|^2 (module docstring)."""
    _check_filter(filter)
    w2 = np.asarray(weights, dtype=float) ** 2
    nside = hp.npix2nside(w2.size)
    ell = np.arange(lmax + 1)
    out = np.full(lmax + 1, float(np.mean(w2)))
    if filter == "m0":
        theta, _ = hp.pix2ang(nside, np.arange(w2.size))
        lam0 = special.sph_legendre_p_all(lmax, 0, theta)[0][:, 0]  # (l, pixel)
        out -= (lam0**2 @ w2) * hp.nside2pixarea(nside) / (2 * ell + 1)
    return out


def harmonic_coupling(weights: np.ndarray, lmax: int, lmax_in: int, filter: str = "m0", dipole_axis: Any = None,
                      progress: bool = False) -> Coupling:
    """K for any coverage map through healpy, column by column (module docstring); (lmax_in+1)^2 transforms."""
    lmax = integer("lmax (observed multipoles)", lmax, ge=1)
    lmax_in = integer("lmax of the model", lmax_in, ge=lmax)
    _check_filter(filter)
    b = _check_axis(dipole_axis)
    w = np.asarray(weights, dtype=float)
    nside = hp.npix2nside(w.size)
    if lmax_in > 3 * nside - 1:
        raise ValueError(f"coverage map Nside = {nside} resolves l <= {3 * nside - 1}, below the model's l_max = {lmax_in}: "
                         "give a finer map or a smaller l_max")
    size = hp.Alm.getsize(lmax_in)
    K = np.zeros((lmax + 1, lmax_in + 1))
    bar = tqdm(total=(lmax_in + 1) ** 2, desc="coupling kernel", unit="map", disable=not progress)
    for lp in range(lmax_in + 1):
        if lp == 1 and b is not None:
            dipole = 3.0 / math.sqrt(4.0 * math.pi) * np.dot(b, hp.pix2vec(nside, np.arange(w.size)))
            K[:, 1] = hp.anafast(observed_map(dipole, w, filter), lmax=lmax)
            bar.update(2 * lp + 1)
            continue
        alm = np.zeros(size, dtype=complex)
        alm[hp.Alm.getidx(lmax_in, lp, 0)] = 1.0
        column = _pseudo_power(alm, nside, lmax_in, w, filter, lmax)
        for mp in range(1, lp + 1):
            for value in (1.0, 1.0j):
                alm[:] = 0.0
                alm[hp.Alm.getidx(lmax_in, lp, mp)] = value
                column += 0.5 * _pseudo_power(alm, nside, lmax_in, w, filter, lmax)
        K[:, lp] = column
        bar.update(2 * lp + 1)
    bar.close()
    description = {"coverage": "map", "nside": nside, "f_sky": float(np.mean(w > 0)), "w2_mean": float(np.mean(w**2)),
                   "filter": filter, "dipole": "isotropic" if b is None else "along B0",
                   "method": "harmonic basis through healpy (alm2map, filter, anafast)", "lmax": lmax, "lmax_in": lmax_in}
    return Coupling(matrix=K, noise=noise_template(w, lmax, filter), description=description)
