"""Lambda_l (KPM (39)) and kappa_{lA lB} (KPM (48)) against independent evaluations of their defining
integrals, with honest error estimates; bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from kernel_references import a_dense, b_dense, gauss_in_k, small_case_mpmath

from crmix.solver.integrals import IntegralResult, kappa, lambda_l

FIVE_THIRDS = 5.0 / 3.0


def white(k, xp):
    return xp.ones_like(k)


def kolmogorov(k, xp):
    return k ** (-FIVE_THIRDS)


def check(result_value, result_error, ref, scale, rtol=1e-10):
    """Within rtol of the scale, and the reported error bounds the true error."""
    true_error = abs(result_value - ref)
    assert true_error <= rtol * scale, (result_value, ref, true_error / scale)
    assert true_error <= result_error + 1e-14 * scale, (true_error, result_error)


def test_small_case_against_full_mpmath():
    """White spectrum, k dT <= 6, Omega = 1: every integral at 30 digits (mpmath)."""
    kmin, kmax, dt, omega = 0.1, 2.0, 3.0, 1.0
    kap = kappa(white, kmin, kmax, dt, omega, 3)
    lam = lambda_l(white, kmin, kmax, dt, omega, 2)
    kref, lref = small_case_mpmath(kmin, kmax, dt, omega, [(1, 1), (3, 3), (1, 3)], [0, 2])
    for la, lb in [(1, 1), (3, 3), (1, 3)]:
        check(kap.value[la, lb], kap.error[la, lb], kref[(la, lb)], math.sqrt(kref[(la, la)] * kref[(lb, lb)]))
    for ell in (0, 2):
        check(lam.value[ell], lam.error[ell], lref[ell], abs(lref[ell]))


@pytest.mark.parametrize("omega", [0.0, 1.0])
def test_large_l_power_law(omega):
    """Kolmogorov weight, l = 150..152 where they peak (k dT from 100 to 400)."""
    kmin, kmax, dt = 5.0, 20.0, 20.0
    kap = kappa(kolmogorov, kmin, kmax, dt, omega, 152)
    ells = [150, 152]

    def integrand(k):
        a = a_dense(ells, k, dt, omega)
        return k ** (-FIVE_THIRDS) * np.real(np.outer(a, np.conj(a)))

    ref = gauss_in_k(integrand, kmin, kmax, dt, nodes=16)
    scale = np.sqrt(np.outer(np.diag(ref), np.diag(ref)))
    for i, la in enumerate(ells):
        for j, lb in enumerate(ells):
            check(kap.value[la, lb], kap.error[la, lb], ref[i, j], scale[i, j])


@pytest.mark.parametrize("omega, ells", [(0.0, [0, 1, 2]), (1.0, [0, 150])])
def test_large_kdt(omega, ells):
    """k dT from 1e4 to 1.0016e4 (a narrow band, so the reference stays cheap); l up to 150."""
    kmin, kmax, dt = 500.0, 500.8, 20.0
    lmax = max(ells)
    kap = kappa(kolmogorov, kmin, kmax, dt, omega, lmax)
    lam = lambda_l(kolmogorov, kmin, kmax, dt, omega, lmax)

    def integrand(k):
        a = a_dense(ells, k, dt, omega)
        b = b_dense(ells, k, dt, omega)
        w = k ** (-FIVE_THIRDS)
        return np.concatenate([w * np.real(np.outer(a, np.conj(a))).ravel(), w * b])

    ref = gauss_in_k(integrand, kmin, kmax, dt, nodes=16)
    n = len(ells)
    kref, lref = ref[: n * n].reshape(n, n), ref[n * n:]
    scale = np.sqrt(np.outer(np.diag(kref), np.diag(kref)))
    for i, la in enumerate(ells):
        for j, lb in enumerate(ells):
            check(kap.value[la, lb], kap.error[la, lb], kref[i, j], scale[i, j])
        check(lam.value[la], lam.error[la], lref[i], abs(lref[i]))


def test_kappa_is_a_gram_matrix():
    """W >= 0 makes kappa symmetric positive semi-definite; kappa_00 = int W |a_0|^2 > 0."""
    kap = kappa(kolmogorov, 0.01, 100.0, 10.0, 1.0, 40)
    np.testing.assert_array_equal(kap.value, kap.value.T)
    assert np.linalg.eigvalsh(kap.value).min() > -1e-12 * kap.value[0, 0]


def test_scaling_with_weight_amplitude_is_exact():
    """Both integrals are linear in W: doubling W doubles value and error bound."""
    args = (0.02, 50.0, 7.0, 1.0, 6)
    one = kappa(kolmogorov, *args)
    two = kappa(lambda k, xp: 2 * kolmogorov(k, xp), *args)
    np.testing.assert_allclose(two.value, 2 * one.value, rtol=1e-14, atol=0)
    assert isinstance(one, IntegralResult) and one.value.shape == (7, 7) == one.error.shape


BAD = [
    (dict(dt=0.0), "dt"),
    (dict(dt=-1.0), "dt"),
    (dict(lmax=-1), "lmax"),
    (dict(lmax=2.5), "lmax"),
    (dict(kmin=2.0, kmax=1.0), "kmin"),
    (dict(kmin=0.0), "kmin"),
    (dict(kmax=math.inf), "kmax"),
    (dict(Omega=math.nan), "Omega"),
    (dict(weight=lambda k, xp: -k), "weight"),
    (dict(weight=lambda k, xp: xp.where(k > 1, xp.nan, 1.0)), "weight"),
    (dict(weight=lambda k, xp: 1.0 / (k - 1.0) ** 2), "weight"),
    (dict(weight=lambda k, xp: xp.ones(3)), "weight"),
]


@pytest.mark.parametrize("func", [kappa, lambda_l])
@pytest.mark.parametrize("bad, name", BAD)
def test_bad_input(func, bad, name):
    args = dict(weight=white, kmin=0.1, kmax=10.0, dt=5.0, Omega=1.0, lmax=4)
    args.update(bad)
    with pytest.raises(ValueError, match=name):
        func(args.pop("weight"), **args)
