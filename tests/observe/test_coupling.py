"""The coupling kernel K against exact identities, the standard pseudo-C_l matrix, healpy and Monte Carlo."""

from __future__ import annotations

import math

import healpy as hp
import numpy as np
import pytest
import pywigxjpf as wig
from scipy import special

from crmix.observe.coupling import band_coupling, dipole_weights, harmonic_coupling, noise_template
from crmix.observe.forward import gaussian_skies, pseudo_spectra
from crmix.observe.sky import band_weights, field_axis
from crmix.wigxjpf import ensure_tables

FIELD = field_axis(229.2, 11.4)


def _spectrum(lmax: int) -> np.ndarray:
    ell = np.arange(lmax + 1)
    cl = np.zeros(lmax + 1)
    cl[1:] = 1.0 / ell[1:] ** 2
    return cl


def _equal_area_band(nside: int, dec_min: float, dec_max: float) -> tuple[np.ndarray, float]:
    """The pixelised cap Dec <= dec_max and the edge of the continuous cap with the same area."""
    w = band_weights(nside, dec_min, dec_max)
    return w, math.degrees(math.asin(2.0 * w.mean() - 1.0))


def test_full_sky_without_filter_is_the_identity():
    K = band_coupling(12, 30, -90.0, 90.0, filter="none")
    np.testing.assert_allclose(K.matrix[:, :13], np.eye(13), atol=1e-13)
    np.testing.assert_allclose(K.matrix[:, 13:], 0.0, atol=1e-13)
    np.testing.assert_allclose(K.noise, 1.0, atol=1e-13)


def test_full_sky_m0_filter_keeps_2l_of_2l_plus_1_modes():
    ell = np.arange(13)
    K = band_coupling(12, 30, -90.0, 90.0, filter="m0")
    np.testing.assert_allclose(np.diag(K.matrix[:, :13]), 2 * ell / (2 * ell + 1), atol=1e-13)
    np.testing.assert_allclose(K.matrix[:, :13] - np.diag(np.diag(K.matrix[:, :13])), 0.0, atol=1e-13)
    np.testing.assert_allclose(K.noise, 2 * ell / (2 * ell + 1), atol=1e-13)


def test_full_sky_without_filter_returns_the_input_spectrum_by_monte_carlo():
    """Gaussian skies -> anafast: the mean C_l is the input within sampling error (and not twice it)."""
    cl = _spectrum(16)
    sims = pseudo_spectra(gaussian_skies(cl, 16, 300, seed=3), np.ones(hp.nside2npix(16)), "none", 16)
    pull = (sims.mean[1:] - cl[1:]) / sims.sem[1:]
    assert np.max(np.abs(pull)) < 4.0
    assert np.sum(pull**2) < 16 + 4 * math.sqrt(2 * 16)  # chi^2 with 16 dof well inside
    assert np.all(np.abs(sims.mean[1:] - 2 * cl[1:]) / sims.sem[1:] > 10.0)


def _cap_mask_power(lmax: int, x0: float) -> np.ndarray:
    """W_L of the cap cos(theta) <= x0 in closed form: int_-1^x0 P_L = (P_{L+1}(x0) - P_{L-1}(x0)) / (2L+1)."""
    L = np.arange(lmax + 1)
    integral = np.empty(lmax + 1)
    integral[0] = x0 + 1.0
    integral[1:] = (special.eval_legendre(L[1:] + 1, x0) - special.eval_legendre(L[1:] - 1, x0)) / (2 * L[1:] + 1)
    w_L0 = 2.0 * math.pi * np.sqrt((2 * L + 1) / (4.0 * math.pi)) * integral
    return w_L0**2 / (2 * L + 1)


def _standard_coupling(lmax: int, lmax_in: int, mask_power: np.ndarray) -> np.ndarray:
    """M_ll' = (2l'+1)/(4 pi) sum_L (2L+1) W_L (l l' L; 0 0 0)^2, the pseudo-C_l mixing matrix (pywigxjpf)."""
    ensure_tables(2 * (lmax + lmax_in) + 2, 3)
    M = np.zeros((lmax + 1, lmax_in + 1))
    for ell in range(lmax + 1):
        for lp in range(lmax_in + 1):
            s = sum((2 * L + 1) * mask_power[L] * wig.wig3jj(2 * ell, 2 * lp, 2 * L, 0, 0, 0) ** 2
                    for L in range(abs(ell - lp), ell + lp + 1))
            M[ell, lp] = (2 * lp + 1) / (4.0 * math.pi) * s
    return M


def test_polar_cap_without_filter_is_the_standard_pseudo_cl_matrix():
    lmax, lmax_in, dec = 15, 30, -35.0
    K = band_coupling(lmax, lmax_in, -90.0, dec, filter="none")
    M = _standard_coupling(lmax, lmax_in, _cap_mask_power(lmax + lmax_in, math.sin(math.radians(dec))))
    np.testing.assert_allclose(K.matrix, M, rtol=1e-10, atol=1e-14)
    assert np.abs(K.matrix - M).max() < 1e-8 * np.abs(M).max()


def test_band_kernel_equals_the_healpy_basis_kernel_on_the_pixelised_band():
    """Exact Gauss-Legendre kernel vs column-by-column healpy transforms (filter m0, dipole along B0)."""
    nside, lmax, lmax_in = 32, 8, 16
    w, edge = _equal_area_band(nside, -90.0, -35.0)
    exact = band_coupling(lmax, lmax_in, -90.0, edge, "m0", dipole_axis=FIELD)
    numeric = harmonic_coupling(w, lmax, lmax_in, "m0", dipole_axis=FIELD)
    scale = exact.matrix.max(axis=1, keepdims=True)
    assert np.abs(numeric.matrix - exact.matrix)[1:].max() < 3e-3 * scale[1:].min()
    np.testing.assert_allclose(numeric.noise[1:], exact.noise[1:], rtol=3e-3)
    isotropic = band_coupling(lmax, lmax_in, -90.0, edge, "m0")
    assert abs(isotropic.matrix[1, 1] - exact.matrix[1, 1]) > 0.2 * exact.matrix[1, 1]  # the axis matters


@pytest.mark.parametrize("axis", [None, FIELD], ids=["isotropic", "dipole-along-B0"])
def test_band_kernel_predicts_the_mean_of_filtered_masked_gaussian_skies(axis):
    """Gaussian skies (with shot noise) -> ring filter -> mask -> anafast: mean = K C + N_w n within errors."""
    nside, lmax, lmax_in, noise = 32, 12, 40, 2e-3
    w, edge = _equal_area_band(nside, -90.0, -35.0)
    cl = _spectrum(lmax_in)
    K = band_coupling(lmax, lmax_in, -90.0, edge, "m0", dipole_axis=axis)
    sims = pseudo_spectra(gaussian_skies(cl, nside, 800, seed=7, dipole_axis=axis, noise_level=noise), w, "m0", lmax)
    expected = K.apply(cl) + noise * K.noise
    pull = (sims.mean[1:] - expected[1:]) / sims.sem[1:]
    assert np.max(np.abs(pull)) < 4.5, pull
    wrong = band_coupling(lmax, lmax_in, -90.0, edge, "m0", dipole_axis=FIELD if axis is None else None)
    assert abs(sims.mean[1] - (wrong.apply(cl) + noise * wrong.noise)[1]) / sims.sem[1] > 5.0


def test_ring_filter_is_dropping_m0_of_the_masked_map_for_a_band():
    """Masking, map2alm, zeroing m = 0 and alm2cl, and the ring filter agree for a band."""
    nside, lmax = 32, 20
    w = band_weights(nside, -90.0, -35.0)
    sky_map = gaussian_skies(_spectrum(60), nside, 1, seed=11)[0]
    alm = hp.map2alm(sky_map * w, lmax=lmax, iter=10)
    _, m = hp.Alm.getlm(lmax)
    alm[m == 0] = 0.0
    by_alm = hp.alm2cl(alm)
    by_rings = pseudo_spectra(sky_map, w, "m0", lmax).mean
    np.testing.assert_allclose(by_rings[1:], by_alm[1:], rtol=1e-6)


def test_dipole_weights_conserve_the_dipole_power():
    for axis in (None, FIELD, field_axis(10.0, -80.0), np.array([0.0, 0.0, 1.0])):
        q = dipole_weights(axis)
        assert q[0] + 2 * q[1] == pytest.approx(3.0, abs=1e-13)
    np.testing.assert_allclose(dipole_weights(np.array([0.0, 0.0, 1.0])), [3.0, 0.0], atol=1e-15)


def test_noise_template_of_a_map_equals_the_band_formula():
    nside = 32
    w, edge = _equal_area_band(nside, -90.0, -35.0)
    for filter in ("none", "m0"):
        np.testing.assert_allclose(noise_template(w, 10, filter)[1:], band_coupling(10, 10, -90.0, edge, filter).noise[1:],
                                   rtol=3e-3)


@pytest.mark.parametrize("bad", [dict(lmax=0), dict(lmax_in=5), dict(dec_min=10.0), dict(filter="m1"), dict(dipole_axis=[1.0, 1.0, 0.0])])
def test_bad_input_is_a_clear_error(bad):
    args = dict(lmax=8, lmax_in=16, dec_min=-90.0, dec_max=-35.0, filter="m0", dipole_axis=None) | bad
    with pytest.raises(ValueError):
        band_coupling(**args)
