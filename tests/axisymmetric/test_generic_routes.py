"""The real-space route of the generic path (Lambda in real space, the Gram blocks less their uniform part,
the uniform parts in closed form; crmix.solver.axisymmetric) against the whole-band wave-vector cubature of
Lambda and K^J (``generic_integrals``, the route of polarisations without a real-space form), and the
straight-line tail of full-support bands against the cubature it replaces; the lags of the real-space Lambda
folded onto half a gyration against the lag integral."""

from __future__ import annotations

import math

import numpy as np
import pytest
from generic_models import relative
from scipy import integrate, special

from crmix.solver.axisymmetric import axisymmetric_mixing_matrix, generic_integrals
from crmix.solver.axisymmetric_coupling import contract_m1c
from crmix.solver.axisymmetric_graded import GRADE_WIDTH, lag_rule, tau_map
from crmix.solver.axisymmetric_lambda import realspace_kind
from crmix.spectral_tensors import isotropic_tensor, slab_tensor, two_d_tensor

#: the target of the fast path against the cubature route on bands where both run
RTOL = 1e-6


def kolmogorov(e0: float):
    """E(k) = e0 k^(-5/3) on the tensor's band."""
    return lambda k, xp=np: e0 * xp.asarray(k, dtype=float) ** (-5.0 / 3.0)


def cubature_route(tensor, omega: float, dt: float, lmax: int) -> tuple[np.ndarray, np.ndarray]:
    """M^(1a) diagonal and M^(1c) from the whole-band cubature of Lambda and K^J."""
    integrals = generic_integrals(tensor, omega, dt, lmax, rtol=1e-10)
    m1c, _ = contract_m1c(integrals.gram, lmax, integrals.gram_error)
    ell = np.arange(lmax + 1, dtype=float)
    return -ell * (ell + 1) * integrals.lam, m1c


CASES = {
    "slab": (slab_tensor(kolmogorov(1.0), 0.3, 5.0), 1.0, 4.0),
    "2d": (two_d_tensor(kolmogorov(1.0), 0.3, 5.0), 1.0, 4.0),
    "2d, lags folded over gyrations": (two_d_tensor(kolmogorov(1.0), 0.3, 5.0), 1.0, 17.0),
    "isotropic, straight lines": (isotropic_tensor(kolmogorov(1.0), 0.3, 3.0), 0.0, 2.0),
    "isotropic + B0": pytest.param((isotropic_tensor(kolmogorov(1.0), 0.3, 2.5), 1.0, 4.0), marks=pytest.mark.slow),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_realspace_route_against_the_cubature_route(case):
    tensor, omega, dt = case
    lmax = 5
    assert realspace_kind(tensor.components[0]) is not None  # the route under test
    m1a, m1c = cubature_route(tensor, omega, dt, lmax)
    fast = axisymmetric_mixing_matrix(tensor, omega, dt, lmax, rtol=1e-10, slab_closed_form=False)
    assert fast.tail_error == 0.0  # no straight-line tail below k_split
    assert relative(fast.m1c, m1c) <= RTOL
    assert relative(fast.m1a, m1a) <= RTOL
    # the net mixing, where the uniform parts cancel: the route's reason to exist
    assert relative(2 * np.diag(fast.m1a) + fast.m1c, 2 * np.diag(m1a) + m1c) <= 10 * RTOL
    assert fast.error <= RTOL * np.max(np.abs(m1c))  # an honest, not an absurd, estimate


@pytest.mark.slow
def test_straight_line_tail_error_is_bounded_by_its_estimate():
    """Beyond k_split the helix is replaced by MA19's straight lines: the difference from the cubature over the
    same band is below the estimate carried in ``tail_error``, and the estimate is not absurd (< 10x)."""
    tensor, omega, dt, lmax = isotropic_tensor(kolmogorov(1.0), 0.3, 4.0), 1.0, 4.0, 4
    _, m1c = cubature_route(tensor, omega, dt, lmax)
    tail = axisymmetric_mixing_matrix(tensor, omega, dt, lmax, rtol=1e-10, k_split=2.0)
    actual = float(np.max(np.abs(tail.m1c - m1c)))
    assert 0.0 < tail.tail_error <= tail.error
    assert actual <= tail.tail_error
    assert tail.tail_error <= 10 * actual



@pytest.mark.parametrize("omega_dt", [2.0, 4.0, 9.5, 4 * math.pi, 17.0, 60.3])
def test_folded_lags_against_the_lag_integral(omega_dt):
    """Across B0 the real-space Lambda folds every lag onto half a gyration (``lag_rule``): for a test F periodic
    and even in Omega tau, with the power-law corners of r_perp at the returns, int g F over the folded rule is
    int_0^dT (dT - tau) F dtau done by quad gyration by gyration."""
    omega = 0.7
    dt = omega_dt / omega

    def f(tau):
        return np.cos(omega * tau) + np.abs(np.sin(0.5 * omega * tau)) ** (2.0 / 3.0)

    rule, weight = lag_rule(1e-12, dt, omega, periodic=True)
    x, w = special.roots_legendre(32)
    folded = 0.0
    for lo, hi in rule.panels(0.5):
        v = 0.5 * (lo + hi) + 0.5 * (hi - lo) * x
        tau, jac = rule(v)
        folded += 0.5 * (hi - lo) * float(np.sum(w * jac * weight(tau) * f(tau)))
    edges = np.append(np.arange(0.0, dt, math.pi / omega), dt)
    direct = sum(integrate.quad(lambda t: (dt - t) * f(t), a, b, epsabs=0, epsrel=1e-13, limit=200)[0]
                 for a, b in zip(edges[:-1], edges[1:]))
    assert folded == pytest.approx(direct, rel=1e-10)
    reach, _ = rule(np.array([rule.segments[-1][1]]))
    assert float(reach[0]) == pytest.approx(min(dt, math.pi / omega), rel=1e-12)  # half a gyration at most, not dT


def test_graded_look_back_over_many_gyrations():
    """The look-back variable graded at every return (``tau_map``; along B0, where nothing folds) stays finite
    however many returns come before (x = anchor + side e^(v - v_lo) per segment): over Omega dT = 300 its panels
    integrate 1 and tau to the interval's length and half its square (the slivers left out are below rounding)."""
    dt, tau_lo = 300.0, 1e-10
    rule = tau_map(tau_lo, dt, 1.0)
    x, w = special.roots_legendre(16)
    length = moment = 0.0
    for lo, hi in rule.panels(GRADE_WIDTH):
        tau, jac = rule(0.5 * (lo + hi) + 0.5 * (hi - lo) * x)
        length += 0.5 * (hi - lo) * float(np.sum(w * jac))
        moment += 0.5 * (hi - lo) * float(np.sum(w * jac * tau))
    assert length == pytest.approx(dt - tau_lo, rel=1e-12)
    assert moment == pytest.approx(0.5 * (dt * dt - tau_lo * tau_lo), rel=1e-12)
