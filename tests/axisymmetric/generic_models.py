"""Helpers for the generic (axisymmetric) mixing-matrix tests: white bands, the slab R(z), the invariant.

White bands keep k dt <= 10 so the brute force (crmix.solver.brute_force) converges with modest
node counts; the narrow-band model fixtures are in conftest.py.
"""

from __future__ import annotations

import numpy as np


def white(e0: float):
    """E(k) = e0 (a white band; the band itself is the tensor's [kmin, kmax])."""
    return lambda k, xp=np: e0 * xp.ones_like(xp.asarray(k, dtype=float))


def slab_white_r(g0: float, k1: float, k2: float):
    """R(z) = int_{k1}^{k2} g0 cos(kz) dk (one transverse slab component, weight G = g0 = E/2)."""

    def r(z: np.ndarray) -> np.ndarray:
        small = np.abs(z) < 1e-4
        zs = np.where(small, 1.0, z)
        return g0 * np.where(small, (k2 - k1) - (k2**3 - k1**3) * z**2 / 6, (np.sin(k2 * zs) - np.sin(k1 * zs)) / zs)

    return r


def relative(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max |b|."""
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def power_invariant(m1a: np.ndarray, m1c: np.ndarray, columns: int) -> np.ndarray:
    """|sum_l (2l+1)(2 M^(1a) + M^(1c))_{l l0}| / sum_l (2l+1) |2 M^(1a)_{l l0}| for l0 < columns (docs/physics.md)."""
    ell = np.arange(m1c.shape[0])
    total = (2 * ell + 1) @ (2 * np.diag(m1a) + m1c)
    scale = np.abs(2 * (2 * ell + 1) * m1a)
    return np.abs(total[1:columns]) / scale[1:columns]
