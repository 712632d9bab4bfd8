"""Partial skies: NaMaster's mode coupling against the healpy kernel, the exact one-sky covariance of a band against
Gaussian skies, NaMaster's Gaussian covariance where its approximation holds, bandpowers, chi^2 with the covariance."""

from __future__ import annotations

import numpy as np
import pytest

from crmix.observe import coupling, fit, forward, sky

nmt = pytest.importorskip("pymaster")

from crmix.observe import namaster  # noqa: E402  (needs pymaster)

NSIDE = 16
AXIS = np.array([0.6, 0.0, 0.8])


def test_namaster_coupling_is_the_identity_on_the_full_sky() -> None:
    K = namaster.namaster_coupling(np.ones(12 * NSIDE**2), 20, 40)
    np.testing.assert_allclose(K.matrix, np.eye(21, 41), atol=1e-4)  # the mask's transform at Nside 16


@pytest.mark.parametrize("dipole_axis", [None, AXIS])
def test_namaster_coupling_equals_the_healpy_kernel_on_a_band(dipole_axis: np.ndarray | None) -> None:
    """The same matrix as today's healpy basis kernel (filter none), on the same pixelised band."""
    w = sky.band_weights(NSIDE, -90.0, -35.0)
    nm = namaster.namaster_coupling(w, 12, 30, dipole_axis)
    healpy = coupling.harmonic_coupling(w, 12, 30, "none", dipole_axis)
    scale = np.max(np.abs(healpy.matrix))
    assert np.max(np.abs(nm.matrix - healpy.matrix)) < 1e-3 * scale
    np.testing.assert_allclose(nm.noise, healpy.noise, rtol=1e-12)
    assert nm.description["method"].startswith("NaMaster")


def _steep(lmax: int) -> np.ndarray:
    ell = np.arange(lmax + 1, dtype=float)
    return np.concatenate([[0.0], 1e-6 * ell[1:] ** -2.5])


@pytest.mark.parametrize(("filter", "dipole_axis"), [("m0", AXIS), ("none", None)])
def test_band_covariance_is_the_scatter_of_gaussian_skies(filter: str, dipole_axis: np.ndarray | None) -> None:
    """The exact one-sky covariance of a band against the sample covariance of 1500 Gaussian skies through it."""
    lmax, skies = 12, 1500
    C = _steep(3 * NSIDE - 1)
    cov = coupling.band_covariance(lmax, C, -90.0, -35.0, filter, dipole_axis)
    maps = forward.gaussian_skies(C, NSIDE, skies, seed=3, dipole_axis=dipole_axis)
    sample = np.cov(forward.pseudo_spectra(maps, sky.band_weights(NSIDE, -90.0, -35.0), filter, lmax).cl.T)
    ell = np.arange(2, lmax + 1)
    ratio = np.diag(cov)[ell] / np.diag(sample)[ell]
    # the sample variance scatters by sqrt(2/N) = 3.7 % (more for the non-Gaussian tails of C~_l); pixelisation ~1 %
    assert np.all(np.abs(ratio - 1.0) < 0.2), ratio
    assert abs(np.mean(ratio) - 1.0) < 0.06, ratio
    corr = lambda c: c[2, 3] / np.sqrt(c[2, 2] * c[3, 3])  # noqa: E731
    assert abs(corr(cov) - corr(sample)) < 0.06


def test_namaster_gaussian_covariance_agrees_with_the_exact_band_where_its_approximation_holds() -> None:
    """A flat spectrum without a dipole: NaMaster's narrow-kernel covariance is the exact one to ~10 %."""
    lmax = 3 * NSIDE - 1
    w = sky.band_weights(NSIDE, -90.0, -35.0)
    C = np.concatenate([[0.0, 0.0], np.full(lmax - 1, 1e-6)])
    pseudo = namaster.namaster_coupling(w, lmax, lmax).apply(C)
    nm = namaster.namaster_covariance(w, pseudo, 20)
    exact = coupling.band_covariance(20, C, -90.0, -35.0, "none")
    ratio = np.diag(nm)[2:] / np.diag(exact)[2:]
    assert np.all(np.abs(ratio - 1.0) < 0.15), ratio


def test_bandpowers_decouple_the_expected_pseudo_spectrum_into_the_binned_input() -> None:
    w = sky.band_weights(NSIDE, -90.0, -35.0)
    lmax = 3 * NSIDE - 1
    bands = namaster.Bandpowers(w, width=4)  # l = 2..45 in 11 bands; 46, 47 in none
    ell = np.arange(lmax + 1)
    C = np.where((ell >= 2) & (ell <= 45), 1e-6, 0.0)  # constant in every band, nothing outside: MASTER returns it exactly
    pseudo = namaster.namaster_coupling(w, lmax, lmax).apply(C)
    np.testing.assert_allclose(bands.decouple(pseudo), bands.bin(C), rtol=1e-6)
    assert np.all(np.diff(bands.ell) > 0) and len(bands.ell) == len(bands.bin(C))


def test_chi2_with_the_one_sky_covariance_is_the_generalised_chi2() -> None:
    rng = np.random.default_rng(0)
    n = 6
    data, model = rng.normal(1.0, 0.1, n), np.full(n, 1.0)
    lo, hi = np.full(n, 0.05), np.full(n, 0.08)
    A = rng.normal(size=(n, n))
    sky_cov = 1e-3 * A @ A.T
    sigma = np.where(model > data, hi, lo)
    r = data - model
    expected = r @ np.linalg.solve(np.diag(sigma**2) + sky_cov, r)
    assert fit.sided_chi2(data, lo, hi, model, sky_cov) == pytest.approx(expected, rel=1e-12)
    assert fit.sided_chi2(data, lo, hi, model) == pytest.approx(np.sum((r / sigma) ** 2), rel=1e-12)
    # the linear fit minimises that chi^2: no other amplitude does better
    best = fit.linear_fit(data, lo, hi, model[None, :], sky=sky_cov)
    for a in best.coefficients[0] * np.array([0.97, 1.03]):
        assert fit.sided_chi2(data, lo, hi, a * model, sky_cov) > best.chi2
