"""Independent references for the time factors and the k integrals (no code from crmix.solver)."""

from __future__ import annotations

import mpmath as mp
import numpy as np
from scipy import special


def a_mpmath(ell: int, k: float, dt: float, omega: float, dps: int = 30) -> complex:
    """a_l(k) = int_0^dt j_l(k s) e^{i omega s} ds by mpmath.quad at ``dps`` digits."""
    with mp.workdps(dps):
        k, dt, omega = mp.mpf(k), mp.mpf(dt), mp.mpf(omega)

        def f(s):
            if s == 0:
                return mp.mpf(1) if ell == 0 else mp.mpf(0)
            return mp.sqrt(mp.pi / (2 * k * s)) * mp.besselj(ell + mp.mpf(1) / 2, k * s) * mp.expj(omega * s)

        pieces = int(k * dt / 2) + 2  # about one subinterval per third of a period
        return complex(mp.quad(f, mp.linspace(0, dt, pieces + 1), method="gauss-legendre"))


def b_mpmath(ell: int, k: float, dt: float, omega: float, dps: int = 30) -> float:
    """b_l(k) = int_0^dt dT int_0^T dtau cos(omega tau) j_l(k tau), as the folded single integral."""
    with mp.workdps(dps):
        k, dt, omega = mp.mpf(k), mp.mpf(dt), mp.mpf(omega)

        def f(s):
            if s == 0:
                return dt if ell == 0 else mp.mpf(0)
            return (dt - s) * mp.cos(omega * s) * mp.sqrt(mp.pi / (2 * k * s)) * mp.besselj(ell + mp.mpf(1) / 2, k * s)

        pieces = int(k * dt / 2) + 2
        return float(mp.quad(f, mp.linspace(0, dt, pieces + 1), method="gauss-legendre"))


def dense_time_rule(X: float, dt: float, nodes: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Composite Gauss-Legendre on [0, dt], one panel per half period of e^{i X s/dt}."""
    panels = int(np.ceil(X / np.pi)) + 4
    x, w = np.polynomial.legendre.leggauss(nodes)
    edges = np.linspace(0.0, dt, panels + 1)
    half = np.diff(edges)[:, None] / 2
    s = (edges[:-1, None] + half) + half * x
    return s.ravel(), (half * w).ravel()


def a_dense(ells: list[int], k: float, dt: float, omega: float) -> np.ndarray:
    """a_l(k) for each l in ``ells`` by dense Gauss quadrature with scipy's spherical_jn."""
    s, w = dense_time_rule(k * dt, dt)
    phase = np.exp(1j * omega * s) * w
    return np.array([np.sum(special.spherical_jn(ell, k * s) * phase) for ell in ells])


def b_dense(ells: list[int], k: float, dt: float, omega: float) -> np.ndarray:
    """b_l(k) = int_0^dt (dt - s) cos(omega s) j_l(k s) ds by dense Gauss quadrature."""
    s, w = dense_time_rule(k * dt, dt)
    weight = (dt - s) * np.cos(omega * s) * w
    return np.array([np.sum(special.spherical_jn(ell, k * s) * weight) for ell in ells])


def small_case_mpmath(kmin: float, kmax: float, dt: float, omega: float, pairs, lambda_ells, nodes: int = 40):
    """kappa_{la lb} (for ``pairs``) and Lambda_l (for ``lambda_ells``) with a white weight W = 1, at
    30 digits: the time integrals by mpmath.quad, the smooth k integral (k dT <= 10) by a 40-point
    Gauss-Legendre sum in mpmath arithmetic."""
    x, w = np.polynomial.legendre.leggauss(nodes)
    half = (kmax - kmin) / 2
    ells = sorted({ell for pair in pairs for ell in pair})
    kap = {pair: mp.mpf(0) for pair in pairs}
    lam = {ell: mp.mpf(0) for ell in lambda_ells}
    with mp.workdps(30):
        for xj, wj in zip(x, w):
            k = kmin + half * (1 + xj)
            a = {ell: a_mpmath(ell, k, dt, omega) for ell in ells}
            for la, lb in pairs:
                kap[(la, lb)] += mp.mpf(wj * half) * mp.mpf((a[la] * np.conj(a[lb])).real)
            for ell in lambda_ells:
                lam[ell] += mp.mpf(wj * half) * mp.mpf(b_mpmath(ell, k, dt, omega))
    return {p: float(v) for p, v in kap.items()}, {ell: float(v) for ell, v in lam.items()}


def gauss_in_k(func, kmin: float, kmax: float, dt: float, nodes: int = 24) -> float:
    """int_kmin^kmax func(k) dk by composite Gauss-Legendre, one panel per period 2 pi / dt."""
    panels = int(np.ceil((kmax - kmin) * dt / (2 * np.pi))) + 2
    x, w = np.polynomial.legendre.leggauss(nodes)
    edges = np.linspace(kmin, kmax, panels + 1)
    total = 0.0
    for a, b in zip(edges[:-1], edges[1:]):
        h = (b - a) / 2
        total += h * sum(wj * func(a + h * (1 + xj)) for xj, wj in zip(x, w))
    return total
