"""The relation between the fitted mixing time and the scattering time: Omega dT = c (Omega tau_s)^p (KPM (51), Fig. 6).

A straight line in logarithms, ln(Omega dT) = ln c + p ln(Omega tau_s), fitted by weighted least
squares with the effective variance of both errors, s_i^2 = s_y,i^2 + p^2 s_x,i^2 (iterated in p):
s_y from the 1-sigma interval of each fit ((ln high - ln low)/2) and s_x from the error of the
simulated Omega tau_s (zero for the QLT value).  KPM find c ~ 4 with p = 1/3 fixed by their argument
(51); :func:`scaling_relation` fits both and also c alone at p = 1/3.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["ScalingRelation", "scaling_relation"]


@dataclass(frozen=True)
class ScalingRelation:
    """c, p with their 1-sigma errors, chi^2/dof, and c at KPM's p = 1/3."""

    c: float
    c_error: float
    p: float
    p_error: float
    chi2: float
    dof: int
    c_at_third: float
    c_at_third_error: float
    chi2_at_third: float

    @property
    def reduced_chi2(self) -> float:
        return self.chi2 / self.dof if self.dof > 0 else math.nan


def _line(x: np.ndarray, y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    w = 1.0 / s**2
    A = np.column_stack([np.ones_like(x), x])
    cov = np.linalg.inv(A.T @ (A * w[:, None]))
    coef = cov @ (A.T @ (w * y))
    return coef, cov, float(np.sum(w * (y - A @ coef) ** 2))


def scaling_relation(tau: np.ndarray, tau_error: np.ndarray, best: np.ndarray, low: np.ndarray, high: np.ndarray) -> ScalingRelation:
    """Fit Omega dT = c (Omega tau_s)^p to fits (best, low, high) at scattering times tau +- tau_error."""
    tau, tau_error = np.asarray(tau, dtype=float), np.asarray(tau_error, dtype=float)
    best, low, high = (np.asarray(a, dtype=float) for a in (best, low, high))
    if tau.size < 2:
        raise ValueError(f"a scaling relation needs at least two fits, got {tau.size}")
    if np.any(tau <= 0) or np.any(best <= 0) or np.any(low <= 0) or np.any(high < low):
        raise ValueError("scaling relation: tau_s and the fitted Omega dT must be > 0, with low <= best <= high")
    x, y = np.log(tau), np.log(best)
    sx = np.where(np.isfinite(tau_error), tau_error, 0.0) / tau
    sy = np.maximum(0.5 * (np.log(high) - np.log(low)), 1e-6)
    p = 1.0 / 3.0
    for _ in range(20):
        coef, cov, chi2 = _line(x, y, np.sqrt(sy**2 + (p * sx) ** 2))
        if abs(coef[1] - p) < 1e-10:
            break
        p = float(coef[1])
    s3 = np.sqrt(sy**2 + (sx / 3.0) ** 2)
    w3 = 1.0 / s3**2
    a3 = float(np.sum(w3 * (y - x / 3.0)) / np.sum(w3))
    chi2_3 = float(np.sum(w3 * (y - x / 3.0 - a3) ** 2))
    c = math.exp(coef[0])
    return ScalingRelation(
        c=c, c_error=c * math.sqrt(cov[0, 0]), p=float(coef[1]), p_error=math.sqrt(cov[1, 1]), chi2=chi2, dof=tau.size - 2,
        c_at_third=math.exp(a3), c_at_third_error=math.exp(a3) / math.sqrt(np.sum(w3)), chi2_at_third=chi2_3,
    )
