"""a_l(k) and b_l(k) against independent quadratures of their defining time integrals (KPM (39), (48))."""

from __future__ import annotations

import numpy as np
import pytest
from kernel_references import a_dense, a_mpmath, b_dense, b_mpmath
from scipy.special import gammaln

from crmix.solver.integrals import NOISE, a_l, b_l, time_factors

DT = 20.0


@pytest.mark.parametrize("omega", [0.0, 1.0])
@pytest.mark.parametrize(
    "ell, X",
    [(0, 1e-3), (0, 0.4), (1, 0.4), (3, 5.0), (2, 19.0), (2, 31.0), (20, 60.0), (45, 70.0)],
)
def test_a_l_against_mpmath(ell, X, omega):
    """Small and moderate l and k dT, both branches (projection below X_rec, recurrence above)."""
    k = X / DT
    got = a_l(np.array([k]), DT, omega, max(ell, 3))[ell, 0]
    ref = a_mpmath(ell, k, DT, omega)
    assert abs(got - ref) <= 1e-12 * max(abs(ref), 1e-3 * DT / max(X, 1.0))


@pytest.mark.parametrize("omega", [0.0, 1.0])
@pytest.mark.parametrize("X", [400.0, 1.0e4, 3.0e4])
def test_a_l_large_l_large_kdt_against_scipy(X, omega):
    """l up to 200 and k dT up to 3e4 against dense Gauss quadrature with scipy's spherical_jn."""
    ells = [0, 1, 150, 200]
    k = X / DT
    got = a_l(np.array([k]), DT, omega, 200)[ells, 0]
    ref = a_dense(ells, k, DT, omega)
    scale = np.abs(ref).max()
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-11 * scale)


@pytest.mark.parametrize("omega", [0.0, 1.0])
@pytest.mark.parametrize("ell, X", [(0, 0.05), (2, 3.0), (2, 40.0), (7, 12.0)])
def test_b_l_against_mpmath(ell, X, omega):
    k = X / DT
    got = b_l(np.array([k]), DT, omega, 8)[ell, 0]
    ref = b_mpmath(ell, k, DT, omega)
    assert abs(got - ref) <= 1e-12 * DT * DT


@pytest.mark.parametrize("omega", [0.0, 1.0])
def test_b_l_large_kdt_against_scipy(omega):
    ells = [0, 2, 150]
    for X in (500.0, 1.0e4):
        k = X / DT
        got = b_l(np.array([k]), DT, omega, 150)[ells, 0]
        ref = b_dense(ells, k, DT, omega)
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-11 * np.abs(ref).max())


@pytest.mark.parametrize("w", [0.0, 10.0, 30.0])
def test_projection_and_recurrence_agree_at_the_threshold(w):
    """Both branches evaluated at the same X (the recurrence just above its threshold)."""
    lmax = 200
    X = np.array([max(lmax + 10.0, 1.5 * w) * 1.0001])
    A_rec, B_rec, _ = time_factors(lmax, X, w, with_lambda=True)
    A_proj, B_proj, _ = time_factors(lmax + 60, X, w, with_lambda=True)  # lmax + 60: still projection
    np.testing.assert_allclose(A_rec, A_proj[: lmax + 1], rtol=0, atol=2e-15)
    np.testing.assert_allclose(B_rec, B_proj[: lmax + 1], rtol=0, atol=2e-15)


def test_small_x_cut_is_below_the_bound():
    """Entries set to 0 are exactly those whose bound X^l/((l+1)(2l+1)!!) is below NOISE, and the
    bound holds (|j_l(x)| <= x^l/(2l+1)!!): checked against mpmath where it is nearly tight."""
    X = np.array([0.5, 5.0, 50.0])
    A, _, noise = time_factors(200, X, 3.0)
    ell = np.arange(201.0)[:, None]
    log_bound = ell * np.log(X) - np.log(ell + 1) - (gammaln(2 * ell + 2) - ell * np.log(2) - gammaln(ell + 1))
    np.testing.assert_array_equal(A == 0, log_bound < np.log(NOISE))
    assert np.all(noise <= NOISE * (1 + 1e-12))
    for ell_, x in [(12, 0.5), (30, 5.0)]:
        bound = np.exp(log_bound[ell_, list(X).index(x)])
        assert abs(a_mpmath(ell_, x / DT, DT, 3.0 / DT)) / DT <= bound
