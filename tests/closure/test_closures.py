"""The closures of crmix.solver.closure: Bourret, the structure-function form of a(mu), the finite-time
candidate, bad input, and the closure option of crmix spectrum."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg
from closure_models import LMAX, slab_model, truncated_solution
from numpy.polynomial import legendre

import crmix.cli
import crmix.commands.main
from crmix.solver import spectrum as spectrum_module
from crmix.solver.closure import CLOSURES, bourret_matrix, solve_closure, zonal_columns, zonal_generator


def test_bourret_matrix_agrees_with_M_to_second_order(parts):
    """exp(D) + M^(1c) phi1(D_l, D_l0) = 1 + D + M^(1c) + O(turbulence^2): halving the parts quarters the gap."""
    _, _, _, m1a, m1c = parts
    gaps = []
    for eps in (1e-5, 5e-6):
        a, c = eps * m1a[:11], eps * m1c[:11, :11]
        gaps.append(np.max(np.abs(bourret_matrix(a, c) - (np.eye(11) + 2 * np.diag(a) + c))))
    assert gaps[0] / gaps[1] == pytest.approx(4.0, rel=0.01)


def test_bourret_damps_high_multipoles_and_loses_power(parts):
    name, _, dt, m1a, m1c = parts
    sol = solve_closure("bourret", m1a, m1c, dt, 1.0)
    half = solve_closure("bourret", m1a[:21], m1c[:21, :21], dt, 1.0)
    assert np.allclose(sol.ratio[2:11], half.ratio[2:11], rtol=1e-3), name  # no l_max dependence
    truncated = solve_closure("truncated", m1a, m1c, dt, 1.0)
    assert np.all(sol.ratio[5:21] < truncated.ratio[5:21])  # the resummed legs damp the cascade
    ell = np.arange(LMAX + 1)
    loss = -((2 * ell + 1) @ (bourret_matrix(m1a, m1c) - np.eye(LMAX + 1)))[1:]
    assert np.all(loss[2:] > 0)  # power leaves every column beyond the dipole: the one-rung dressing is a sink


def _structure_function_a(model, dt, mu, n_theta=24, n_psi=48):
    """a(mu) = (1 - mu^2) <S (1 - sin^2 theta_A sin^2 psi)>, S = (1/4) int G sum_+- |h(k mu_A +- W) - h(k mu_B +- W)|^2
    (docs/physics.md, Closures), by plain Gauss-Legendre quadrature in k, theta_A and psi."""
    x, w = legendre.leggauss(16)
    edges = np.linspace(model.k_min, model.k_max, int(model.k_max * dt / np.pi) + 2)
    k = (0.5 * np.diff(edges)[:, None] * (x + 1) + edges[:-1, None]).ravel()
    gw = (0.5 * np.diff(edges)[:, None] * w).ravel() * model.power(k) / 2.0

    def h(arg):
        return dt * np.exp(0.5j * arg * dt) * np.sinc(0.5 * arg * dt / np.pi)

    xt, wt = legendre.leggauss(n_theta)
    theta = 0.5 * np.pi * (xt + 1)
    wtheta = 0.5 * np.pi * wt * np.sin(theta) / 2
    xp, wp = legendre.leggauss(n_psi)
    psi = 0.5 * np.pi * (xp + 1)  # [0, pi]: the integrand is even in psi
    wpsi = 0.5 * np.pi * wp / np.pi
    g = math.acos(mu)
    total = 0.0
    for th, wth in zip(theta, wtheta):
        mu_a = math.cos(th)
        mu_b = mu_a * mu - math.sin(th) * math.sin(g) * np.cos(psi)
        S = 0.0
        for sign in (1.0, -1.0):
            d = h(k * mu_a + sign * model.Omega)[None, :] - h(np.outer(mu_b, k) + sign * model.Omega)
            S = S + 0.25 * (np.abs(d) ** 2) @ gw
        total += wth * np.sum(wpsi * S * (1 - math.sin(th) ** 2 * np.sin(psi) ** 2))
    return (1 - mu * mu) * total


def test_relative_diffusion_from_its_defining_integral():
    """a(mu) of slab turbulence, independently from the structure-function form, against a read off M."""
    model, dt = slab_model(), 4.0
    zg = zonal_generator(*zonal_columns(model, dt, 200))
    for mu in (0.0, 0.6, 0.95):
        direct = _structure_function_a(model, dt, mu)
        assert direct == pytest.approx(float(zg.a(np.array([mu]))[0]), rel=3e-3), mu


def test_finite_time_generator_is_bounded_but_not_lmax_independent(parts):
    """Candidate (b): A = (M - 1)/dt on l >= 1 has real negative eigenvalues, so exp(A T) is bounded and
    tends to the truncated steady state; already at T = dt it moves with l_max for slab (docs/validation.md)."""
    name, _, dt, m1a, m1c = parts
    A = (2 * np.diag(m1a) + m1c)[1:, 1:] / dt
    eig = np.linalg.eigvals(A)
    assert np.max(np.abs(eig.imag)) < 1e-8 * np.max(np.abs(eig)) and np.max(eig.real) < 0

    def evolved(L, T):
        s = np.zeros(L)
        s[0] = 1.0
        AL = A[:L, :L]
        return np.linalg.solve(AL, (scipy.linalg.expm(AL * T) - np.eye(L)) @ s)

    C = evolved(LMAX, 60.0 / abs(eig.real.max()))
    steady, _ = truncated_solution(2 * np.diag(m1a) + m1c, dt)
    assert np.allclose(C, steady[1:], rtol=1e-6)
    if name == "slab":
        r20, r40 = evolved(20, dt), evolved(LMAX, dt)
        assert np.max(np.abs(r40[1:10] / r40[0] / (r20[1:10] / r20[0]) - 1)) > 0.01


@pytest.mark.parametrize("kwargs, message", [
    (dict(closure="resummed"), "closure must be one of"),
    (dict(closure="bourret", coefficients=object()), "works on the matrix"),
    (dict(closure="continuum", monopole_fraction=1.5), "monopole_fraction must be finite and >= 0 and <= 1"),
])
def test_bad_closure_input_is_a_clear_error(parts, kwargs, message):
    _, _, dt, m1a, m1c = parts
    kwargs = dict(kwargs)
    closure = kwargs.pop("closure")
    with pytest.raises(ValueError, match=message):
        solve_closure(closure, m1a, m1c, dt, 1.0, **kwargs)


def test_bad_parts_are_rejected():
    with pytest.raises(ValueError, match="m1a must be"):
        solve_closure("flux", np.zeros(5), np.zeros((4, 4)), 1.0, 1.0)
    with pytest.raises(ValueError, match="dt must be"):
        solve_closure("flux", np.zeros(5), np.zeros((5, 5)), -1.0, 1.0)
    with pytest.raises(ValueError, match="rows must be"):
        zonal_columns(slab_model(), 4.0, 2)


@pytest.mark.filterwarnings("ignore:mixing time outside the validity range")
def test_spectrum_option_returns_the_closure(monkeypatch):
    monkeypatch.setattr(spectrum_module, "ZONAL_ROWS", 400)
    model = slab_model()
    res = spectrum_module.angular_power_spectrum(model, lmax=20, omega_dt=4.0, gradient_length=100.0, closure="flux")
    assert res.closure is not None and res.C is res.closure.C
    m = res.metadata
    assert m["closure"] == "flux" and m["closure_rows"] == 400 and m["closure_lmax_drift_max"] < 1e-12
    assert m["closure_monopole_fraction"] == 0 and m["closure_sink_fraction"] == 1
    assert np.all(res.C[1:] > 0) and res.C[0] == 0
    plain = spectrum_module.angular_power_spectrum(model, lmax=20, omega_dt=4.0, gradient_length=100.0)
    assert plain.closure is None and plain.metadata["closure"] == "truncated"
    with pytest.raises(ValueError, match="closure must be one of"):
        spectrum_module.angular_power_spectrum(model, lmax=20, omega_dt=4.0, gradient_length=100.0, closure="nope")
    with pytest.raises(ValueError, match="extrapolation applies to the truncated form only"):
        spectrum_module.angular_power_spectrum(model, lmax=20, omega_dt=4.0, gradient_length=100.0, closure="flux",
                                               extrapolate=40.0)


def test_cli_closure_option(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(crmix.commands.main, "COMMANDS", {"spectrum": crmix.cli.COMMANDS["spectrum"]})
    assert crmix.cli.main(["spectrum", "--closure", "flux", "--extrapolate", "200", "--out", str(tmp_path)]) == 2
    assert "--extrapolate applies to --closure truncated only" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        crmix.cli.main(["spectrum", "--closure", "nope", "--out", str(tmp_path)])
    assert exc.value.code == 2
    assert not any(tmp_path.iterdir())
    assert set(CLOSURES) == {"truncated", "continuum", "flux", "bourret"}
