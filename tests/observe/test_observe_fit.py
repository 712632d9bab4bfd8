"""chi^2 with asymmetric errors, the linear parameters, profiles and intervals, the joint KPM (51) fit."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize

from crmix.observe import fit
from crmix.observe.data import MeasuredSpectrum

ELL = np.arange(1, 31)


def _shape(x: float) -> np.ndarray:
    """A smooth family of positive templates: steeper for larger x (like C~_l against Omega dT)."""
    return ELL ** (-1.0 - 0.5 * math.log(x)) + 0.02


NOISE = np.full(ELL.size, 0.2)


def _data(cl: np.ndarray, rel_lo: float = 0.1, rel_hi: float = 0.15, tier: str = "1") -> MeasuredSpectrum:
    return MeasuredSpectrum(tier, ELL, cl, rel_lo * np.abs(cl) + 1e-4, rel_hi * np.abs(cl) + 1e-4)


def test_sided_chi2_uses_the_error_on_the_side_of_the_model():
    d, lo, hi = np.array([1.0, 1.0]), np.array([0.5, 0.5]), np.array([2.0, 2.0])
    assert fit.sided_chi2(d, lo, hi, np.array([0.0, 3.0])) == pytest.approx(4.0 + 1.0)


def test_linear_fit_recovers_exact_coefficients():
    t = np.vstack([_shape(10.0), NOISE])
    d = _data(2.0 * t[0] + 3.0 * t[1])
    res = fit.linear_fit(d.cl, d.err_lo, d.err_hi, t)
    np.testing.assert_allclose(res.coefficients, [2.0, 3.0], rtol=1e-9)
    assert res.chi2 < 1e-15


def test_linear_fit_is_the_minimum_of_the_sided_chi2():
    rng = np.random.default_rng(1)
    t = np.vstack([_shape(10.0), NOISE])
    truth = 2.0 * t[0] + 3.0 * t[1]
    d = _data(truth * (1 + 0.12 * rng.standard_normal(ELL.size)), rel_lo=0.05, rel_hi=0.3)
    res = fit.linear_fit(d.cl, d.err_lo, d.err_hi, t)
    brute = optimize.minimize(lambda x: fit.sided_chi2(d.cl, d.err_lo, d.err_hi, x @ t), [1.0, 1.0], method="Nelder-Mead",
                              options={"xatol": 1e-12, "fatol": 1e-12, "maxiter": 20000})
    assert res.chi2 <= brute.fun * (1 + 1e-9)
    np.testing.assert_allclose(res.coefficients, brute.x, rtol=1e-5)
    symmetric = fit.linear_fit(d.cl, 0.5 * (d.err_lo + d.err_hi), 0.5 * (d.err_lo + d.err_hi), t)
    assert abs(symmetric.coefficients[0] - res.coefficients[0]) > 1e-3  # the sides matter


def test_linear_fit_keeps_coefficients_non_negative():
    t = _shape(10.0)[None, :]
    d = _data(-t[0])
    assert fit.linear_fit(d.cl, d.err_lo, d.err_hi, t).coefficients[0] == 0.0


def test_amplitude_interval_is_the_gaussian_error_for_a_linear_model():
    t = _shape(10.0)
    sigma = 0.1 * t
    d = MeasuredSpectrum("1", ELL, 2.0 * t, sigma, sigma)
    res = fit.fit_shape(d, t, None)
    sigma_a = 1.0 / math.sqrt(np.sum((t / sigma) ** 2))
    assert res.amplitude.value == pytest.approx(2.0, rel=1e-9)
    assert res.amplitude.lo == pytest.approx(2.0 - sigma_a, rel=1e-5)
    assert res.amplitude.hi == pytest.approx(2.0 + sigma_a, rel=1e-5)
    assert res.dof == ELL.size - 1


def _problem(d: MeasuredSpectrum, rng=(2.0, 100.0)) -> fit.TierProblem:
    return fit.TierProblem(d, _shape, NOISE, rng)


def test_fit_tier_recovers_the_shape_parameter_amplitude_and_noise():
    d = _data(3.0 * _shape(20.0) + 0.5 * NOISE)
    res = fit.fit_tier(_problem(d), grid_points=6)
    assert res.omega_dt.value == pytest.approx(20.0, rel=1e-3)
    assert res.amplitude.value == pytest.approx(3.0, rel=1e-3)
    assert res.noise_level.value == pytest.approx(0.5, rel=1e-2)
    assert res.chi2 < 1e-4 and res.dof == ELL.size - 3
    assert res.omega_dt.lo < 20.0 < res.omega_dt.hi


def test_omega_dt_interval_matches_a_dense_exact_profile():
    rng = np.random.default_rng(5)
    truth = 3.0 * _shape(20.0) + 0.5 * NOISE
    d = _data(truth * (1 + 0.1 * rng.standard_normal(ELL.size)))
    res = fit.fit_tier(_problem(d), grid_points=6)
    xs = np.geomspace(2.0, 100.0, 4001)
    prof = np.array([fit.linear_fit(d.cl, d.err_lo, d.err_hi, np.vstack([_shape(x), NOISE])).chi2 for x in xs])
    best = xs[np.argmin(prof)]
    inside = xs[prof <= prof.min() + 1.0]
    assert res.omega_dt.value == pytest.approx(best, rel=2e-3)
    assert res.chi2 == pytest.approx(prof.min(), abs=1e-3)
    assert res.omega_dt.lo == pytest.approx(inside.min(), rel=3e-3)
    assert res.omega_dt.hi == pytest.approx(inside.max(), rel=3e-3)


def test_a_best_fit_at_the_edge_is_reported_open():
    d = _data(3.0 * _shape(1.0) + 0.5 * NOISE)
    res = fit.fit_tier(_problem(d, rng=(4.0, 100.0)), grid_points=5)
    assert res.omega_dt.at_lower_edge and math.isnan(res.omega_dt.lo) and res.omega_dt.value == pytest.approx(4.0)
    assert "edge" in res.omega_dt.text()


def test_joint_fit_recovers_c_of_kpm51():
    tau = [1000.0, 300.0, 80.0]
    problems = [_problem(_data(2.0 * _shape(4.0 * t ** (1 / 3)) + 0.3 * NOISE, tier=str(i)), rng=(2.0, 200.0))
                for i, t in enumerate(tau)]
    for p in problems:
        fit.fit_tier(p, grid_points=6)
    joint = fit.fit_joint(problems, tau)
    assert joint.c.value == pytest.approx(4.0, rel=1e-3)
    assert joint.chi2 < 1e-3 and joint.dof == 3 * ELL.size - 1 - 3 * 2
    for p, t in zip(problems, tau):
        assert joint.omega_dt[p.data.tier] == pytest.approx(4.0 * t ** (1 / 3), rel=1e-3)


def test_joint_fit_without_a_common_c_is_a_clear_error():
    problems = [_problem(_data(_shape(10.0)), rng=(2.0, 3.0)), _problem(_data(_shape(10.0), tier="2"), rng=(50.0, 60.0))]
    with pytest.raises(ValueError, match="no common c"):
        fit.fit_joint(problems, [1.0, 1.0])
