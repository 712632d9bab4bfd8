"""The estimator of the pair propagator (crmix.simulate.pair_propagator) against exact mixing matrices.

References computed independently of the estimator:

* the addition theorem against scipy's Legendre polynomials;
* the brute-force double sum over pairs of KPM (17), (2 l0 + 1)/(4 pi)^2 sum_ij w_i w_j P_l P_l0, with
  scipy's P_l (no spherical harmonics);
* exact M of two axisymmetric maps of the sphere, whose transfer amplitudes are diagonal in m and
  one-dimensional Gauss-Legendre integrals: a differential rotation p' = R_z(c mu) p (area
  preserving) and a focusing p' = (p + eps z)/|p + eps z| (not area preserving).
"""

from __future__ import annotations

import math

import healpy as hp
import numpy as np
import pytest
from scipy import special

from crmix.simulate.pair_propagator import (
    block_trace,
    component_cross_spectra,
    cross_mixing,
    harmonic_index,
    jittered_directions,
    real_harmonics,
    self_pair_mixing,
    transfer_amplitudes,
)


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.standard_normal((3, n))
    return v / np.linalg.norm(v, axis=0)


def _differential_rotation(p: np.ndarray, c: float) -> np.ndarray:
    angle = c * p[2]
    cos, sin = np.cos(angle), np.sin(angle)
    return np.stack([cos * p[0] - sin * p[1], sin * p[0] + cos * p[1], p[2]])


def _focusing(p: np.ndarray, eps: float) -> np.ndarray:
    q = p + np.array([0.0, 0.0, eps])[:, None]
    return q / np.linalg.norm(q, axis=0)


def _exact_axisymmetric_mixing(mu_map, phase, lmax: int, nodes: int = 400) -> np.ndarray:
    """M of p' = (mu_map(mu), phi + phase(mu)): T_{lm,l0m} = 2 pi int P_l^m(mu) P_l0^m(mu') e^{i m phase} dmu.

    P the orthonormal spherical Legendre functions; |T|^2 summed over m (both signs) and divided by 2l+1.
    """
    mu, w = np.polynomial.legendre.leggauss(nodes)
    theta, theta_p = np.arccos(mu), np.arccos(np.clip(mu_map(mu), -1.0, 1.0))
    M = np.zeros((lmax + 1, lmax + 1))
    for m in range(lmax + 1):
        ells = np.arange(m, lmax + 1)
        P = np.array([special.sph_legendre_p(ell, m, theta)[0] for ell in ells])
        Pp = np.array([special.sph_legendre_p(ell, m, theta_p)[0] for ell in ells])
        T = 2.0 * math.pi * (P * w * np.exp(1j * m * phase(mu))) @ Pp.T
        M[np.ix_(ells, ells)] += (1 if m == 0 else 2) * np.abs(T) ** 2
    return M / (2.0 * np.arange(lmax + 1) + 1.0)[:, None]


def _brute_force_pairs(p_a, q_a, p_b, q_b, lmax: int, *, skip_self: bool) -> np.ndarray:
    """(2 l0 + 1)/(4 pi)^2 sum_ij w_i w_j P_l(p_i . p_j) P_l0(q_i . q_j) with Legendre polynomials alone."""
    w = 4.0 * math.pi / p_a.shape[1]
    cos_p, cos_q = p_a.T @ p_b, q_a.T @ q_b
    if skip_self:
        np.fill_diagonal(cos_p, np.nan)
    use = np.isfinite(cos_p)
    M = np.empty((lmax + 1, lmax + 1))
    for ell in range(lmax + 1):
        pl = special.eval_legendre(ell, cos_p[use])
        for ell0 in range(lmax + 1):
            M[ell, ell0] = (2 * ell0 + 1) * w * w / (4 * math.pi) ** 2 * np.sum(pl * special.eval_legendre(ell0, cos_q[use]))
    return M


def test_real_harmonics_obey_the_addition_theorem():
    rng = np.random.default_rng(3)
    a, b = _unit(rng, 7), _unit(rng, 7)
    lmax = 15
    ya, yb, ell = real_harmonics(a, lmax), real_harmonics(b, lmax), harmonic_index(lmax)
    for degree in range(lmax + 1):
        summed = np.sum(ya[:, ell == degree] * yb[:, ell == degree], axis=1)
        expected = (2 * degree + 1) / (4 * math.pi) * special.eval_legendre(degree, np.sum(a * b, axis=0))
        np.testing.assert_allclose(summed, expected, rtol=1e-12, atol=1e-13)


def test_real_harmonics_are_orthonormal():
    lmax = 6
    mu, w = np.polynomial.legendre.leggauss(2 * lmax + 2)
    phi = 2 * math.pi * np.arange(2 * lmax + 2) / (2 * lmax + 2)  # exact for trigonometric degree <= 2 lmax + 1
    s = np.sqrt(1 - mu**2)
    p = np.stack([np.outer(s, np.cos(phi)).ravel(), np.outer(s, np.sin(phi)).ravel(), np.repeat(mu, phi.size)])
    weights = np.repeat(w, phi.size) * 2 * math.pi / phi.size
    y = real_harmonics(p, lmax)
    np.testing.assert_allclose((y * weights[:, None]).T @ y, np.eye((lmax + 1) ** 2), atol=1e-13)


def test_jittered_directions_lie_inside_their_pixels_and_differ_between_draws():
    rng = np.random.default_rng(0)
    nside = 8
    a, b = jittered_directions(nside, rng), jittered_directions(nside, rng)
    np.testing.assert_array_equal(hp.vec2pix(nside, *a), np.arange(hp.nside2npix(nside)))
    np.testing.assert_array_equal(hp.vec2pix(nside, *b), np.arange(hp.nside2npix(nside)))
    centres = np.asarray(hp.pix2vec(nside, np.arange(hp.nside2npix(nside))))
    assert np.min(np.linalg.norm(a - b, axis=0)) > 0
    assert np.mean(np.linalg.norm(a - centres, axis=0)) > 0.1 * hp.nside2resol(nside)


def test_jittered_draws_are_uniform_inside_the_pixel():
    """The mean of many draws inside one pixel is the pixel's centroid (from its 4^7 NESTED children)."""
    rng = np.random.default_rng(5)
    nside = 2
    draws = np.mean([jittered_directions(nside, rng)[:, 7] for _ in range(4000)], axis=0)
    children = np.arange(4 ** 7) + hp.ring2nest(nside, 7) * 4 ** 7
    centroid = np.mean(np.asarray(hp.pix2vec(nside * 2 ** 7, children, nest=True)), axis=1)
    spread = hp.nside2resol(nside) / math.sqrt(4000)
    assert np.linalg.norm(draws - centroid) < 3 * spread


@pytest.mark.parametrize("skip_self", [True, False])
def test_transfer_amplitudes_equal_the_brute_force_pair_sum(skip_self):
    rng = np.random.default_rng(11)
    p = jittered_directions(1, rng)  # 12 particles
    q = _focusing(_differential_rotation(p, 1.3), 0.4)
    lmax = 5
    w = 4 * math.pi / p.shape[1]
    t = transfer_amplitudes(real_harmonics(p, lmax) * w, q, lmax)
    estimate = self_pair_mixing(t, np.full(p.shape[1], w), lmax) if skip_self else block_trace(t * t, lmax)
    np.testing.assert_allclose(estimate, _brute_force_pairs(p, q, p, q, lmax, skip_self=skip_self), atol=1e-13)


def test_two_set_product_equals_the_brute_force_cross_pair_sum():
    rng = np.random.default_rng(12)
    pa, pb = jittered_directions(1, rng), jittered_directions(1, rng)
    qa, qb = (_differential_rotation(p, 2.0) for p in (pa, pb))
    lmax = 4
    w = 4 * math.pi / pa.shape[1]
    ta, tb = (transfer_amplitudes(real_harmonics(p, lmax) * w, q, lmax) for p, q in ((pa, qa), (pb, qb)))
    np.testing.assert_allclose(block_trace(ta * tb, lmax), _brute_force_pairs(pa, qa, pb, qb, lmax, skip_self=False), atol=1e-13)


def _cross_estimate(transform, nside: int, lmax: int, rng: np.random.Generator) -> np.ndarray:
    sets = [jittered_directions(nside, rng) for _ in range(2)]
    w = 4 * math.pi / sets[0].shape[1]
    weighted = [real_harmonics(s, lmax) * w for s in sets]
    t = [transfer_amplitudes(y, transform(s), lmax) for y, s in zip(weighted, sets)]
    t0 = [transfer_amplitudes(y, s, lmax) for y, s in zip(weighted, sets)]
    return cross_mixing(*t, *t0, lmax)


def test_identity_and_rotations_give_the_identity_exactly():
    """Delta T = 0 and delta B = 0 (any rigid rotation, also about a tilted axis): M = 1 for the sample at hand."""
    rng = np.random.default_rng(2)
    lmax = 10
    axis = np.array([0.3, -0.5, 0.8]) / np.linalg.norm([0.3, -0.5, 0.8])
    angle = 2.1
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    rotation = np.eye(3) + math.sin(angle) * k + (1 - math.cos(angle)) * k @ k
    for transform in (lambda p: p, lambda p: rotation @ p):
        np.testing.assert_allclose(_cross_estimate(transform, 4, lmax, rng), np.eye(lmax + 1), atol=1e-12)


@pytest.mark.parametrize("name, transform, mu_map, phase", [
    ("differential rotation", lambda p: _differential_rotation(p, 2.0), lambda mu: mu, lambda mu: 2.0 * mu),
    ("focusing", lambda p: _focusing(p, 0.3), lambda mu: (mu + 0.3) / np.sqrt(1 + 0.6 * mu + 0.09), lambda mu: 0 * mu),
])
def test_two_set_estimator_is_unbiased_against_the_exact_mixing_matrix(name, transform, mu_map, phase):
    lmax = 6
    exact = _exact_axisymmetric_mixing(mu_map, phase, lmax)
    rng = np.random.default_rng(7)
    draws = np.stack([_cross_estimate(transform, 4, lmax, rng) for _ in range(40)])
    mean, err = draws.mean(axis=0), draws.std(axis=0, ddof=1) / math.sqrt(len(draws))
    pulls = (mean - exact) / np.maximum(err, 1e-9)
    assert np.max(np.abs(exact - np.eye(lmax + 1))) > 0.05, f"{name}: the test map must mix"
    assert np.max(np.abs(pulls)) < 4.5, f"{name}: largest pull {np.max(np.abs(pulls)):.2f}"
    assert np.max(np.abs(mean - exact)) < 0.02


@pytest.mark.parametrize("mu_map, phase", [
    (lambda mu: mu, lambda mu: 3.0 * mu),                                          # area preserving
    (lambda mu: (mu + 0.3) / np.sqrt(1 + 0.6 * mu + 0.09), lambda mu: 0 * mu),     # not area preserving
])
def test_power_sum_rule_holds_for_any_map(mu_map, phase):
    """sum_l (2l+1) M_{l l0} = 2 l0 + 1 (the exact M of both maps, rows to l = 80)."""
    lmax = 80
    M = _exact_axisymmetric_mixing(mu_map, phase, lmax, nodes=600)
    ell = np.arange(lmax + 1)
    sums = np.sum((2 * ell + 1)[:, None] * M, axis=0)[:9]
    np.testing.assert_allclose(sums, 2 * ell[:9] + 1, rtol=1e-9)
    assert np.all(M[:, :9] >= -1e-12)


def test_component_cross_spectra_give_the_spectrum_of_the_map():
    """C_l of a known band-limited map from two jittered sets equals its exact C_l (up to the sampling error)."""
    rng = np.random.default_rng(9)
    lmax = 6
    coefficients = rng.standard_normal((lmax + 1) ** 2)
    exact = block_trace(np.outer(coefficients, coefficients) * np.eye((lmax + 1) ** 2), lmax).diagonal()
    estimates = []
    for _ in range(20):
        sets = [jittered_directions(8, rng) for _ in range(2)]
        w = 4 * math.pi / sets[0].shape[1]
        a = [(real_harmonics(s, lmax) * w).T @ (real_harmonics(s, lmax) @ coefficients)[:, None] for s in sets]
        estimates.append(component_cross_spectra(a[0], a[1], lmax)[:, 0, 0])
    np.testing.assert_allclose(np.mean(estimates, axis=0), exact, rtol=0.02)


def test_axial_mixing_of_an_axisymmetric_map_is_exact_and_averages_to_M():
    """For a map symmetric about z, the m0 = 0 propagation is the exact one; the m0 average of KPM (17) differs."""
    from crmix.simulate.pair_propagator import axial_cross_mixing

    lmax = 5
    mu_map = lambda mu: (mu + 0.3) / np.sqrt(1 + 0.6 * mu + 0.09)  # noqa: E731
    exact_m0 = _exact_axisymmetric_m0(mu_map, lmax)
    rng = np.random.default_rng(8)
    draws = []
    for _ in range(30):
        sets = [jittered_directions(4, rng) for _ in range(2)]
        w = 4 * math.pi / sets[0].shape[1]
        weighted = [real_harmonics(s, lmax) * w for s in sets]
        t = [transfer_amplitudes(y, _focusing(s, 0.3), lmax) for y, s in zip(weighted, sets)]
        t0 = [transfer_amplitudes(y, s, lmax) for y, s in zip(weighted, sets)]
        draws.append(axial_cross_mixing(*t, *t0, lmax))
    mean, err = np.mean(draws, axis=0), np.std(draws, axis=0, ddof=1) / math.sqrt(len(draws))
    assert np.max(np.abs(mean - exact_m0) / np.maximum(err, 1e-9)) < 4.5
    assert np.max(np.abs(exact_m0 - _exact_axisymmetric_mixing(mu_map, lambda mu: 0 * mu, lmax))) > 0.01


def _exact_axisymmetric_m0(mu_map, lmax: int, nodes: int = 400) -> np.ndarray:
    """((2 l0 + 1)/(2 l + 1)) T_{l0, l0 0}^2 of an axisymmetric map (diagonal in m: only m = 0 feeds m0 = 0)."""
    mu, w = np.polynomial.legendre.leggauss(nodes)
    ells = np.arange(lmax + 1)
    P = np.array([special.sph_legendre_p(ell, 0, np.arccos(mu))[0] for ell in ells])
    Pp = np.array([special.sph_legendre_p(ell, 0, np.arccos(np.clip(mu_map(mu), -1, 1)))[0] for ell in ells])
    T = 2.0 * math.pi * (P * w) @ Pp.T
    return T**2 * (2.0 * ells + 1.0)[None, :] / (2.0 * ells + 1.0)[:, None]
