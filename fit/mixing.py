"""The measured mixing matrix (crmix.simulate.measured_mixing) against the theory's.

The first order of the diagram expansion, M^(1) = 1 + 2 M^(1a) + M^(1c) (KPM (22)-(25), (38), (47);
crmix.solver.mixing), is compared element by element with the M that test particles realise,
with pulls (M_meas - M^(1))/sigma_meas; the residual of a correct first order is the next order,
O(<omega^2>^2) at fixed Delta T.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from astropy.table import Table

from crmix.model import TurbulenceModel
from crmix.solver.axisymmetric import model_mixing_matrix

__all__ = ["first_order", "first_order_table", "residual_scaling"]


def first_order(model: TurbulenceModel, times: np.ndarray, lmax: int) -> np.ndarray:
    """M^(1)(Delta T) = 1 + 2 M^(1a) + M^(1c) of ``model`` at every Delta T of ``times``: shape (n_T, lmax+1, lmax+1)."""
    return np.stack([model_mixing_matrix(model, float(t), max(int(lmax), 2)).on_host().full[: lmax + 1, : lmax + 1]
                     for t in times])


def first_order_table(model: TurbulenceModel, ensemble: Any) -> Table:
    """Measured M, its error, M^(1) and the pull per (Delta T, l, l0) of a measured-mixing ensemble."""
    theory = first_order(model, ensemble.times, ensemble.lmax)
    n_t, size = theory.shape[0], ensemble.lmax + 1
    ell, ell0 = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    with np.errstate(invalid="ignore", divide="ignore"):
        pull = np.where(ensemble.mixing_error > 0, (ensemble.mixing - theory) / ensemble.mixing_error, np.nan)
    table = Table({
        "dT": np.repeat(ensemble.times, size * size), "ell": np.tile(ell.ravel(), n_t), "ell0": np.tile(ell0.ravel(), n_t),
        "M": ensemble.mixing.reshape(-1), "M_err": ensemble.mixing_error.reshape(-1),
        "M_first_order": theory.reshape(-1), "pull": pull.reshape(-1),
    })
    table["dT"].unit = "1/Omega"
    table.meta.update({
        "description": "measured mixing matrix against the first order of the diagram expansion, 1 + 2 M^(1a) + M^(1c) "
                       "(KPM (38), (47)); pull = (M - M_first_order)/M_err",
        "model": model.describe(), "realisations": ensemble.n_realisations,
    })
    return table


def residual_scaling(power: Any, residual: Any, error: Any) -> tuple[np.ndarray, np.ndarray, float]:
    """Fit R = A s^2 + B s^3 to residuals R(s) = M_meas - M^(1) measured at turbulence powers s = <omega^2>.

    A correct first order leaves the next order, R = O(s^2) at fixed Delta T: A finite, the fit acceptable.
    Weighted least squares on (s, R, sigma) (1D arrays); returns ((A, B), their standard errors, chi^2).
    """
    s, r, e = (np.asarray(a, dtype=float) for a in (power, residual, error))
    if s.ndim != 1 or s.shape != r.shape or s.shape != e.shape or s.size < 3 or np.any(e <= 0):
        raise ValueError("power, residual and error must be 1D arrays of one length >= 3 with positive errors")
    design = np.stack([s**2, s**3], axis=1) / e[:, None]
    coef, *_ = np.linalg.lstsq(design, r / e, rcond=None)
    cov = np.linalg.inv(design.T @ design)
    chi2 = float(np.sum((design @ coef - r / e) ** 2))
    return coef, np.sqrt(np.diag(cov)), chi2
