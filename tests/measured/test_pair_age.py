"""crmix.solver.pair_age: the sky's C_l from the pair propagator's dipole column, and the age-ordered exponential.

References: the two-time double integral of the pair correlations done by brute-force 2D quadrature;
Fick's dipole 4 pi K^2 g^2 for independent particles; the power invariant and the first order of M.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from crmix.model import Spectrum, TurbulenceModel
from crmix.solver.mixing import mixing_matrix
from crmix.solver.pair_age import age_integrated_spectrum, age_ordered_exponential, generator_path


def _column(t: np.ndarray) -> np.ndarray:
    """A dipole column with the shape of a pair propagator's: c_1 decays, c_2 rises and decays."""
    return np.stack([np.exp(-t / 4.0), 0.3 * (np.exp(-t / 9.0) - np.exp(-t / 2.0))], axis=1)


def _two_time_sum(c, g: float, T: float, tau: float, k_map: float) -> float:
    """(4 pi/9) g^2 [int int c(min) rho(|t - s|) + 6K int c rho(T - t) + 9K^2 c(T)] by adaptive quadrature."""
    double, _ = integrate.dblquad(lambda t2, t1: c(min(t1, t2)) * math.exp(-abs(t1 - t2) / tau), 0, T, 0, T, epsabs=1e-11)
    cross, _ = integrate.quad(lambda s: c(s) * math.exp(-(T - s) / tau), 0, T, epsabs=1e-12)
    return 4 * math.pi / 9 * g**2 * (double + 6 * k_map * cross + 9 * k_map**2 * c(T))


@pytest.mark.parametrize("k_map, k_particle", [(2.0, 2.0), (2.0, 1.3)])
def test_age_integral_equals_the_two_time_double_integral(k_map, k_particle):
    """(4 pi/9) g^2 <[int mu_A + 3K mu_A(T)][int mu_B + 3K mu_B(T)]> with <mu_A(t) mu_B(t')> = c(min) rho(|t - t'|)."""
    g, T = 0.05, 7.0
    tau = 3.0 * k_particle
    t = np.linspace(0.0, T, 4001)
    result = age_integrated_spectrum(t, _column(t), g, k_map, k_particle)[-1]
    for ell in range(2):
        expected = _two_time_sum(lambda s, ell=ell: _column(np.atleast_1d(s))[0, ell], g, T, tau, k_map)
        assert result[ell] == pytest.approx(expected, rel=2e-6)


def test_independent_particles_give_ficks_dipole():
    """c_1 = rho^2 = exp(-2t/(3K)): the steady dipole is S int c_1 = 4 pi K^2 g^2 (KPM (56)-(57))."""
    K, g = 3.0, 0.02
    t = np.linspace(0.0, 400.0, 40001)
    c = np.exp(-2.0 * t / (3.0 * K))[:, None]
    assert age_integrated_spectrum(t, c, g, K)[-1, 0] == pytest.approx(4 * math.pi * K**2 * g**2, rel=1e-6)


MODEL = TurbulenceModel(geometry="slab", eta=0.3, rho=0.1, spectrum=Spectrum(kmax=2 * math.pi * 5 / 0.1))


def test_age_ordered_exponential_keeps_the_power_invariant_and_the_first_order():
    """Generators with sum_l (2l+1) X_{l l0} = 0 (the first-order M with its truncation leak put on the diagonal)
    give products with sum_l (2l+1) M_{l l0} = 2 l0 + 1; a small path gives 1 + X."""
    lmax = 10
    weights = 2.0 * np.arange(lmax + 1) + 1.0

    def generator(s: float) -> np.ndarray:
        x = mixing_matrix(MODEL, s, lmax).full - np.eye(lmax + 1)
        return x - np.diag(weights @ x / weights)

    path = generator_path(generator, np.linspace(0.2, 4.0, 20))
    m = age_ordered_exponential(path)
    assert np.max(np.abs(m[-1] - np.eye(lmax + 1))[1:4, 1:4]) > 0.1
    for mk in m:
        np.testing.assert_allclose(weights @ mk, weights, rtol=1e-11)
    small = age_ordered_exponential(path[:2] * 1e-4)[1]
    np.testing.assert_allclose(small, np.eye(lmax + 1) + path[1] * 1e-4, atol=1e-7)


def test_bad_ages_are_refused():
    with pytest.raises(ValueError, match="strictly increasing"):
        generator_path(lambda s: np.eye(2), [1.0, 1.0])
    with pytest.raises(ValueError, match="start at 0"):
        age_integrated_spectrum(np.array([1.0, 2.0]), np.ones((2, 2)), 1.0, 1.0)
