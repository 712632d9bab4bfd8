"""a_l(k) at large l (>= 150) and large k dT (= 1e4) against mpmath's Bessel functions at 20 digits.

The reference integrates int_0^dT j_l(k s) e^{i Omega s} ds = (1/k) int_0^X j_l(x) e^{i w x/X} dx
(X = k dT, w = Omega dT) by Gauss-Legendre panels one period (2 pi) long, 12 nodes each (against
panels of half a period: the same integral to 1e-15 at X = 1e3), with j_l from mpmath.besselj at 20
digits; below x = l/4 the integrand is < 1e-60 and skipped.  The values of j_l at the nodes do not
depend on w and are computed once per l; the weighted sum (about 30 times the result in absolute
value) is taken in double precision, 1e-14 relative, far inside the test's 1e-10.  This is
independent of crmix's route at these arguments (the l-recurrence from Si/Ci starts).
"""

from __future__ import annotations

import functools

import mpmath as mp
import numpy as np
import pytest
from scipy import special

from crmix.solver.integrals import a_l

NODES, WEIGHTS = special.roots_legendre(12)


@functools.cache
def weighted_bessel(ell: int, X: float) -> tuple[np.ndarray, np.ndarray]:
    """The quadrature nodes x on [l/4, X] and their weights times j_l(x) (mpmath, 20 digits)."""
    with mp.workdps(20):
        lo = mp.mpf(ell) / 4
        edges = [lo + j * 2 * mp.pi for j in range(int((X - lo) / (2 * mp.pi)) + 1)] + [mp.mpf(X)]
        xs, hw_j = [], []
        for a, b in zip(edges[:-1], edges[1:]):
            half, mid = (b - a) / 2, (a + b) / 2
            for x0, wt in zip(NODES, WEIGHTS):
                x = mid + half * mp.mpf(float(x0))
                xs.append(float(x))
                hw_j.append(float(half * mp.mpf(float(wt)) * mp.sqrt(mp.pi / (2 * x)) * mp.besselj(ell + mp.mpf(1) / 2, x)))
    return np.array(xs), np.array(hw_j)


def a_reference(ell: int, X: float, w: float) -> complex:
    """(1/dT) a_l = (1/X) int_0^X j_l(x) e^{iwx/X} dx (see module docstring)."""
    x, hw_j = weighted_bessel(ell, X)
    return complex(np.sum(hw_j * np.exp(1j * w * x / X)) / X)


@pytest.mark.parametrize("w", [0.0, 7.0])
def test_a_l_at_l150_and_kdt_1e4_against_mpmath(w):
    dt, X = 2.0, 1.0e4
    k = X / dt
    got = a_l(np.array([k]), dt, w / dt, 151)[:, 0] / dt
    for ell in (150, 151):
        ref = a_reference(ell, X, w)
        assert abs(got[ell] - ref) <= 1e-10 * abs(ref), (ell, got[ell], ref)
