"""Partial skies through NaMaster (pymaster): the mode coupling of a weight map, bandpowers, and its Gaussian covariance.

NaMaster (Alonso et al. 2019, MNRAS 484, 4127) computes the MASTER quantities of a weighted sky:

* :func:`namaster_coupling`: the mode-coupling matrix M_ll' of the weight map, <C~_l> = sum_l' M_ll' C_l'
  for a statistically isotropic sky (``NmtWorkspace.get_coupling_matrix``), i.e. the kernel K of
  crmix.observe.coupling without a map-making filter; a dipole along B0 replaces column 1 by the
  pseudo-spectrum of that dipole map (``compute_coupled_cell``), as the healpy kernel does.  It is
  what the healpy basis kernel computes with (l_max+1)^2 transforms, in one call.
* :class:`Bandpowers`: multipoles binned (``NmtBin``) and the pseudo-spectrum decoupled into
  full-sky bandpowers (``NmtWorkspace.decouple_cell``), unbiased for an isotropic sky.
* :func:`namaster_covariance`: the Gaussian covariance of the pseudo-C~_l of one sky
  (``gaussian_covariance(..., coupled=True)``, the improved narrow-kernel approximation of
  Garcia-Garcia et al. 2019, fed with the expected pseudo-spectrum over <w^2>).  That approximation
  assumes a spectrum smooth on the scale of the mask's kernel; for a steep spectrum with a large
  dipole leaking through a sharp mask edge (crmix's) it underestimates the variance up to about
  2x (docs/observations.md); a declination band has the exact covariance of
  crmix.observe.coupling.band_covariance instead.

NaMaster has no map-making filter: everything here is for filter "none".  Maps are HEALPix RING.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import healpy as hp
import numpy as np

from crmix.observe.coupling import Coupling, dipole_weights, noise_template
from crmix.validation import integer

__all__ = ["Bandpowers", "namaster_coupling", "namaster_covariance", "require"]


def _pymaster() -> Any:
    import pymaster  # the [observe] extra: tools/install-namaster builds it

    return pymaster


def require() -> None:
    """Import NaMaster now (ModuleNotFoundError naming pymaster), before a comparison that needs it starts working."""
    _pymaster()


def _field(weights: np.ndarray, maps: list[np.ndarray] | None = None) -> Any:
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1 or not np.all(np.isfinite(w)) or np.any(w < 0) or not np.any(w > 0):
        raise ValueError("weights must be one HEALPix map of finite values >= 0, not all 0")
    return _pymaster().NmtField(w, maps, spin=0, n_iter=3)


def _workspace(field: Any, nside: int, width: int = 1) -> Any:
    nmt = _pymaster()
    return nmt.NmtWorkspace.from_fields(field, field, nmt.NmtBin.from_lmax_linear(3 * nside - 1, width))


def namaster_coupling(weights: np.ndarray, lmax: int, lmax_in: int, dipole_axis: Any = None) -> Coupling:
    """K[l, l'], l <= lmax (observed), l' <= lmax_in (model), of the weight map without a filter (module docstring)."""
    w = np.asarray(weights, dtype=float)
    nside = hp.npix2nside(w.size)
    lmax = integer("lmax (observed multipoles)", lmax, ge=1)
    lmax_in = integer("lmax of the model", lmax_in, ge=lmax)
    if lmax_in > 3 * nside - 1:
        raise ValueError(f"coverage map Nside = {nside} resolves l <= {3 * nside - 1}, below the model's l_max = {lmax_in}: "
                         "give a finer map or a smaller l_max")
    field = _field(w)
    K = _workspace(field, nside).get_coupling_matrix()[: lmax + 1, : lmax_in + 1].copy()
    axis = None if dipole_axis is None else np.asarray(dipole_axis, dtype=float)
    if axis is not None:
        dipole_weights(axis)  # validates
        dipole = 3.0 / math.sqrt(4.0 * math.pi) * np.dot(axis, hp.pix2vec(nside, np.arange(w.size)))
        K[:, 1] = _pymaster().compute_coupled_cell(_field(w, [dipole]), _field(w, [dipole]))[0][: lmax + 1]
    description = {"coverage": "map", "nside": nside, "f_sky": float(np.mean(w > 0)), "w2_mean": float(np.mean(w**2)),
                   "filter": "none", "dipole": "isotropic" if axis is None else "along B0",
                   "method": "NaMaster mode-coupling matrix (pymaster NmtWorkspace)", "lmax": lmax, "lmax_in": lmax_in}
    return Coupling(matrix=K, noise=noise_template(w, lmax, "none"), description=description)


def namaster_covariance(weights: np.ndarray, pseudo_cl: np.ndarray, lmax: int) -> np.ndarray:
    """Cov(C~_l, C~_k), l, k <= lmax, of one Gaussian sky whose expected pseudo-spectrum is ``pseudo_cl`` (l = 0..3 Nside - 1).

    NaMaster's improved narrow-kernel approximation (module docstring: it assumes a smooth spectrum).
    """
    nmt = _pymaster()
    w = np.asarray(weights, dtype=float)
    nside = hp.npix2nside(w.size)
    pseudo_cl = np.asarray(pseudo_cl, dtype=float)
    if pseudo_cl.size != 3 * nside:
        raise ValueError(f"pseudo_cl must hold l = 0..{3 * nside - 1} (3 Nside - 1 of the weights), got {pseudo_cl.size} values")
    lmax = integer("lmax of the covariance", lmax, ge=1)
    if lmax > 3 * nside - 1:
        raise ValueError(f"lmax of the covariance must be <= 3 Nside - 1 = {3 * nside - 1}, got {lmax}")
    field = _field(w)
    workspace = _workspace(field, nside)
    cl = (pseudo_cl / np.mean(w**2))[None, :]
    covariance = nmt.gaussian_covariance(nmt.NmtCovarianceWorkspace.from_fields(field, field, field, field), 0, 0, 0, 0,
                                         cl, cl, cl, cl, workspace, coupled=True)
    return np.asarray(covariance)[: lmax + 1, : lmax + 1]


@dataclass
class Bandpowers:
    """Multipoles 0..3 Nside - 1 in bins of ``width`` and the decoupling of a pseudo-spectrum into full-sky bandpowers."""

    weights: np.ndarray
    width: int = 1

    def __post_init__(self) -> None:
        self.width = integer("bandpower width", self.width, ge=1)
        nside = hp.npix2nside(np.asarray(self.weights).size)
        self._bins = _pymaster().NmtBin.from_lmax_linear(3 * nside - 1, self.width)
        self._workspace = _workspace(_field(self.weights), nside, self.width)

    @property
    def ell(self) -> np.ndarray:
        """The effective multipole of each band."""
        return np.asarray(self._bins.get_effective_ells())

    def bin(self, cl: np.ndarray) -> np.ndarray:
        """The band averages of a spectrum C_l, l = 0..3 Nside - 1."""
        return np.asarray(self._bins.bin_cell(np.atleast_2d(cl)))[0]

    def decouple(self, pseudo_cl: np.ndarray) -> np.ndarray:
        """Full-sky bandpowers from a measured pseudo-spectrum C~_l, l = 0..3 Nside - 1 (no noise subtracted)."""
        return np.asarray(self._workspace.decouple_cell(np.atleast_2d(pseudo_cl)))[0]
