"""Closed forms (KPM (38)/(47) via docs/physics.md, MA19 (3.15)/(3.21)/(3.23)) against the defining integrals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from crmix.solver.brute_force import brute_force_mixing, helix_orbit, isotropic_white_correlation, slab_correlation, straight_orbit
from crmix.solver.mixing import m1a_diagonal, m1c_matrix

RTOL = 1e-6


def check(bf, m1a, m1c):
    scale_a, scale_c = np.max(np.abs(m1a)), np.max(np.abs(m1c))
    assert np.max(np.abs(bf.m1a - np.diag(m1a))) <= RTOL * scale_a  # (1a) diagonal, off-diagonal 0
    assert np.max(np.abs(bf.m1c - m1c)) <= RTOL * scale_c


# (Omega dt, band [k1, k2], nodes per mu, nodes per time): narrow bands keep k dt <= 8
SLAB_CASES = [(2.0, (0.5, 0.9), 16, 16), (7.0, (0.5, 0.9), 24, 32), (20.0, (0.15, 0.35), 20, 40)]


@pytest.mark.parametrize("omega_dt, band, n_mu, n_t", SLAB_CASES)
def test_slab_closed_forms_against_brute_force(omega_dt, band, n_mu, n_t, reference_integrals, slab_r):
    g0, lmax = 0.7, 3
    lam, kappa = reference_integrals(g0, *band, omega_dt, 1.0, 2 * lmax)
    m1a, _ = m1a_diagonal(lam[0], lam[2], lmax, "slab")
    m1c, _ = m1c_matrix(kappa, lmax, "slab")
    bf = brute_force_mixing(slab_correlation(slab_r(g0, *band)), helix_orbit(1.0), omega_dt, lmax,
                            n_mu=n_mu, n_phi=10, n_t=n_t)
    check(bf, m1a, m1c)
    # KPM (40) as printed (8 pi in g, i.e. 2x) misses the defining integral by a factor 2
    assert np.max(np.abs(bf.m1a - 2 * np.diag(m1a))) > 0.5 * np.max(np.abs(m1a))


@pytest.mark.parametrize("alpha", [3.0, 10.0])
def test_isotropic_closed_forms_against_brute_force(alpha, reference_integrals):
    g0, k1, k2, lmax = 0.05, 0.1, 1.0, 3
    dt = alpha / k2  # MA19: alpha = k_in dt
    lam, kappa = reference_integrals(g0, k1, k2, dt, 0.0, 2 * lmax)
    m1a, _ = m1a_diagonal(lam[0], lam[2], lmax, "isotropic")
    m1c, _ = m1c_matrix(kappa, lmax, "isotropic")
    bf = brute_force_mixing(isotropic_white_correlation(g0, k1, k2), straight_orbit(), dt, lmax,
                            symmetry="spherical", n_mu=40, n_t=40)
    check(bf, m1a, m1c)


def test_isotropic_axial_equals_spherical_quadrature():
    """The "spherical" shortcut (p_A = z) agrees with the general axial quadrature for isotropic statistics."""
    corr = isotropic_white_correlation(0.05, 0.1, 1.0)
    sph = brute_force_mixing(corr, straight_orbit(), 3.0, 3, symmetry="spherical", n_mu=24, n_t=20)
    axi = brute_force_mixing(corr, straight_orbit(), 3.0, 3, symmetry="axial", n_mu=20, n_phi=24, n_t=20)
    assert np.max(np.abs(sph.m1c - axi.m1c)) <= 1e-9 * np.max(np.abs(sph.m1c))
    assert np.max(np.abs(sph.m1a - axi.m1a)) <= 1e-9 * np.max(np.abs(sph.m1a))


def test_isotropic_is_4pi_times_slab_projector_without_field(reference_integrals, slab_r):
    """Isotropic turbulence is the uniform average of slab modes over k-hat: for Omega = 0,
    M_iso[g] = 4 pi M_slab[G = g] on straight lines (the reduction behind the isotropic closed forms)."""
    g0, k1, k2, dt = 0.05, 0.1, 1.0, 3.0
    iso = brute_force_mixing(isotropic_white_correlation(g0, k1, k2), straight_orbit(), dt, 3,
                             symmetry="spherical", n_mu=32, n_t=32)
    slab = brute_force_mixing(slab_correlation(slab_r(g0, k1, k2)), straight_orbit(), dt, 3, n_mu=24, n_phi=10, n_t=32)
    assert np.max(np.abs(iso.m1c - 4 * math.pi * slab.m1c)) <= 1e-8 * np.max(np.abs(iso.m1c))
    assert np.max(np.abs(iso.m1a - 4 * math.pi * slab.m1a)) <= 1e-8 * np.max(np.abs(iso.m1a))


def test_bad_input():
    corr = isotropic_white_correlation(0.05, 0.1, 1.0)
    with pytest.raises(ValueError, match="lmax"):
        brute_force_mixing(corr, straight_orbit(), 1.0, 4)
    with pytest.raises(ValueError, match="dt must be a positive"):
        brute_force_mixing(corr, straight_orbit(), 0.0, 2)
    with pytest.raises(ValueError, match="dt must be a positive"):
        brute_force_mixing(corr, straight_orbit(), -1.0, 2)
    with pytest.raises(ValueError, match="symmetry"):
        brute_force_mixing(corr, straight_orbit(), 1.0, 2, symmetry="none")
    with pytest.raises(ValueError, match="omega"):
        helix_orbit(0.0)
