"""Numerics of the generic path: Bessel functions, the mu rule, the cubature's error estimate, bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from generic_models import white
from scipy import special

from crmix.solver import axisymmetric_orbits as orbits
from crmix.solver.axisymmetric import axisymmetric_mixing_matrix, generic_integrals
from crmix.solver.axisymmetric_coupling import gram_blocks
from crmix.solver.axisymmetric_cubature import adaptive_cubature
from crmix.spectral_tensors import isotropic_tensor, two_d_tensor


@pytest.mark.parametrize("z_max", [1e-3, 0.7, 12.0, 89.0, 400.0])
def test_bessel_functions_and_their_cut(z_max):
    z = np.linspace(0.0, z_max, 57)
    n_max = orbits.bessel_cut(z_max)
    rows = orbits._bessel_rows(n_max, 2, z)
    n = np.arange(-n_max - 2, n_max + 3)
    ref = special.jv(n[:, None], z[None, :]) * (np.abs(n) <= n_max)[:, None]
    assert np.max(np.abs(rows - ref)) <= 1e-13
    assert np.max(np.abs(special.jv(n_max + 1, z))) <= 1e-16  # what the cut drops


def _node(k, c, omega, dt, lmax_field, s_cart):
    mp = orbits.helix_multipoles(k * c, k * math.sqrt(1 - c * c), s_cart, dt, omega, lmax_field)
    return np.concatenate([[mp.lambda_density], gram_blocks(mp.w, mp.n_eff, s_cart).ravel()])


@pytest.mark.parametrize("k, c", [(3.0, 0.4), (25.0, -0.8), (40.0, 0.05)])
def test_mu_rule_and_bessel_cut_are_converged(monkeypatch, k, c):
    """One wave vector: doubling the mu nodes and widening the Bessel sum changes nothing at 1e-12."""
    omega, dt, lmax_field = 1.0, 6.0, 20
    kh = np.array([math.sqrt(1 - c * c), 0.0, c])
    s_cart = (np.eye(3) - np.outer(kh, kh)).astype(complex) / 4
    base = _node(k, c, omega, dt, lmax_field, s_cart)
    rule, cut = orbits.mu_nodes, orbits.bessel_cut
    monkeypatch.setattr(orbits, "mu_nodes", lambda *a: 2 * rule(*a))
    monkeypatch.setattr(orbits, "bessel_cut", lambda z: cut(z) + 15 if z > 0 else 0)
    finer = _node(k, c, omega, dt, lmax_field, s_cart)
    assert np.max(np.abs(finer - base)) <= 1e-12 * np.max(np.abs(base))


def test_error_estimate_bounds_the_actual_error():
    tensor = isotropic_tensor(white(1.0), 0.3, 3.0)
    coarse = axisymmetric_mixing_matrix(tensor, 1.0, 4.0, 6, rtol=1e-4)
    fine = axisymmetric_mixing_matrix(tensor, 1.0, 4.0, 6, rtol=1e-11)
    assert np.max(np.abs(coarse.m1c - fine.m1c)) <= coarse.error + fine.error
    assert coarse.error <= 1e-3 * np.max(np.abs(fine.m1c))


def test_cubature_on_a_known_integral():
    """int_0^1 int_0^1 (cos(a x) e^y, x^3 y) dx dy against the exact values; the bound covers the error."""
    a = 37.0

    def sample(points):
        x, y = points[:, 0], points[:, 1]
        return np.stack([np.cos(a * x) * np.exp(y), x**3 * y], axis=1)

    exact = np.array([math.sin(a) / a * (math.e - 1), 0.125])
    res = adaptive_cubature(sample, [((0.0, 0.0), (1.0, 1.0))], (16, 16), lambda v: 1e-12 * np.abs(v) + 1e-300,
                            max_nodes=10**6)
    assert res.converged
    assert np.all(np.abs(res.value - exact) <= res.error)
    assert np.all(res.error <= 1e-12 * np.abs(exact) + 1e-15)


def test_node_budget_warns_and_reports():
    tensor = two_d_tensor(white(1.0), 0.3, 30.0)
    with pytest.warns(RuntimeWarning, match="max_nodes"):
        res = generic_integrals(tensor, 1.0, 6.0, 4, rtol=1e-12, max_nodes=40)
    assert not res.converged and np.all(np.isfinite(res.gram)) and res.lam_error > 0


@pytest.mark.parametrize("kwargs, match", [
    ({"omega": -1.0}, "omega"), ({"omega": math.nan}, "omega"), ({"dt": 0.0}, "dt"), ({"lmax": 1}, "lmax"),
    ({"lmax": 2.5}, "lmax"), ({"rtol": 0.0}, "rtol"), ({"rtol": 1.0}, "rtol"), ({"max_nodes": 0}, "max_nodes"),
])
def test_bad_input(kwargs, match):
    args = {"tensor": isotropic_tensor(white(1.0), 0.3, 2.0), "omega": 1.0, "dt": 2.0, "lmax": 4} | kwargs
    with pytest.raises(ValueError, match=match), warnings.catch_warnings():
        warnings.simplefilter("error")
        axisymmetric_mixing_matrix(**args)


def test_tensor_argument_is_checked():
    with pytest.raises(ValueError, match="AxisymmetricTensor"):
        axisymmetric_mixing_matrix("isotropic", 1.0, 2.0, 4)
