"""Reference integrals for the mixing tests, by plain Gauss-Legendre quadrature (independent of solver.integrals).

Lambda_l = int dk W int_0^dt dtau (dt - tau) cos(Omega tau) j_l(k tau)   (KPM (39), MA19 (3.14))
kappa_AB = int dk W Re[a_A a_B^*],  a_l = int_0^dt j_l(k s) e^{i Omega s} ds  (KPM (48), MA19 (3.22))
for a white band W = w0 on [k1, k2]; every integrand is smooth, so modest node counts reach 1e-13.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special


def white_band_integrals(w0: float, k1: float, k2: float, dt: float, omega: float, lmax: int,
                         nk: int = 48, ns: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """(Lambda_0..2, kappa (lmax+1, lmax+1)) for W = w0 on [k1, k2]."""
    x, wx = np.polynomial.legendre.leggauss(nk)
    k = 0.5 * (k2 - k1) * (x + 1) + k1
    wk = 0.5 * (k2 - k1) * wx * w0
    u, wu = np.polynomial.legendre.leggauss(ns)
    s = 0.5 * dt * (u + 1)
    ws = 0.5 * dt * wu
    ell = np.arange(lmax + 1)
    j = special.spherical_jn(ell[:, None, None], k[None, :, None] * s[None, None, :])
    a = np.einsum("lks,s->lk", j, ws * np.exp(1j * omega * s))
    kappa = np.einsum("ak,bk,k->ab", a, a.conj(), wk).real
    lam = np.einsum("lks,k,s->l", j[:3], wk, ws * (dt - s) * np.cos(omega * s))
    return lam, kappa


def slab_white_r(g0: float, k1: float, k2: float):
    """R(z) = int_{k1}^{k2} G0 cos(kz) dk in closed form (series near z = 0)."""

    def r(z: np.ndarray) -> np.ndarray:
        small = np.abs(z) < 1e-4
        zs = np.where(small, 1.0, z)
        return g0 * np.where(small, (k2 - k1) - (k2**3 - k1**3) * z**2 / 6,
                             (np.sin(k2 * zs) - np.sin(k1 * zs)) / zs)

    return r


@pytest.fixture
def reference_integrals():
    return white_band_integrals


@pytest.fixture
def slab_r():
    return slab_white_r


FOUR_PI = 4 * math.pi
