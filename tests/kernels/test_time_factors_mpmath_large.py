"""a_l(k) at large l (>= 150) and large k dT (= 1e4) against mpmath at 20 digits.

The reference integrates int_0^dT j_l(k s) e^{i Omega s} ds = (1/k) int_0^X j_l(x) e^{i w x/X} dx
(X = k dT, w = Omega dT) by Gauss-Legendre panels one half-period (pi) long, 12 nodes each, with
j_l from mpmath.besselj in mpmath arithmetic; below x = l/4 the integrand is < 1e-60 and skipped.
This is independent of crmix's route at these arguments (the l-recurrence from Si/Ci starts).
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from scipy import special

from crmix.solver.integrals import a_l

NODES, WEIGHTS = special.roots_legendre(12)


def a_reference(ell: int, X: float, w: float) -> complex:
    """(1/dT) a_l = (1/X) int_0^X j_l(x) e^{iwx/X} dx, 20 digits (see module docstring)."""
    with mp.workdps(20):
        lo = mp.mpf(ell) / 4
        edges = [lo + j * mp.pi for j in range(int((X - lo) / mp.pi) + 1)] + [mp.mpf(X)]
        total = mp.mpc(0)
        nodes = [mp.mpf(float(x)) for x in NODES]
        weights = [mp.mpf(float(wt)) for wt in WEIGHTS]
        for a, b in zip(edges[:-1], edges[1:]):
            half, mid = (b - a) / 2, (a + b) / 2
            for x0, wt in zip(nodes, weights):
                x = mid + half * x0
                j = mp.sqrt(mp.pi / (2 * x)) * mp.besselj(ell + mp.mpf(1) / 2, x)
                total += half * wt * j * mp.expjpi(w * x / (X * mp.pi))
        return complex(total / X)


@pytest.mark.parametrize("w", [0.0, 7.0])
def test_a_l_at_l150_and_kdt_1e4_against_mpmath(w):
    dt, X = 2.0, 1.0e4
    k = X / dt
    got = a_l(np.array([k]), dt, w / dt, 151)[:, 0] / dt
    for ell in (150, 151):
        ref = a_reference(ell, X, w)
        assert abs(got[ell] - ref) <= 1e-10 * abs(ref), (ell, got[ell], ref)
