"""Boris pusher: helix phase error, |p| conservation, time reversal, step rule, backtracking charge, kernel parity."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from crmix import Spectrum, TurbulenceModel
from crmix.backend import to_numpy
from crmix.derive import bourret
from crmix.simulate import backtrack as backtrack_module
from crmix.simulate import boris, kernels
from crmix.simulate.backtrack import backtrack
from crmix.simulate.boris import StepRule
from crmix.simulate.fields import SlabTable
from crmix.simulate.synthesis import nested_grids, plane_waves, realisation_rng, slab_table

SLAB = TurbulenceModel(geometry="slab", eta=0.5, rho=0.1, spectrum=Spectrum(kmax=2 * math.pi * 20 / 0.1))
ISO = TurbulenceModel(geometry="isotropic", eta=0.5, rho=0.3, spectrum=Spectrum(kmax=2 * math.pi * 5 / 0.3))
NO_TURBULENCE = SlabTable(np.zeros((4, 2)), 1.0)


def _directions(n: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((3, n))
    return np.ascontiguousarray(v / np.linalg.norm(v, axis=0))


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_helix_phase_error_matches_the_boris_rotation_angle(backend: str) -> None:
    """Uniform field Omega z: exact helix with the phase advanced by 2 atan(Omega dt/2) per step."""
    omega0, mu = 1.7, 0.3
    errors = []
    for dt in (0.2, 0.1, 0.05):
        n_steps = int(round(20.0 / dt))
        x = np.zeros((3, 1))
        v = np.array([[math.sqrt(1 - mu**2)], [0.0], [mu]])
        step = (lambda *a: boris.advance(*a, np)) if backend == "numpy" else kernels.advance_numba
        step(NO_TURBULENCE, omega0, x, v, +1, dt, n_steps)
        # dv/dt = v x Omega z: v_perp rotates clockwise, phase(t) = -Omega t
        phase = math.atan2(v[1, 0], v[0, 0])
        boris_phase = -n_steps * 2 * math.atan(omega0 * dt / 2)
        assert math.remainder(phase - boris_phase, 2 * math.pi) == pytest.approx(0.0, abs=1e-10)
        assert x[2, 0] == pytest.approx(mu * n_steps * dt, rel=1e-12)  # v_par constant
        assert np.hypot(v[0, 0], v[1, 0]) == pytest.approx(math.sqrt(1 - mu**2), rel=1e-13)
        errors.append(abs(math.remainder(phase + omega0 * n_steps * dt, 2 * math.pi)))
    # phase error at fixed T ~ Omega^3 dt^2 T / 12: second order in the step
    assert errors[0] / errors[1] == pytest.approx(4.0, rel=0.02)
    assert errors[1] / errors[2] == pytest.approx(4.0, rel=0.02)
    assert errors[2] == pytest.approx(omega0**3 * 0.05**2 * 20.0 / 12, rel=0.01)


def test_speed_is_conserved_to_round_off_over_a_million_steps() -> None:
    field = slab_table(SLAB, realisation_rng(0, 0))
    v = _directions(32)
    x = np.zeros_like(v)
    dt = StepRule().dt(SLAB)
    kernels.advance_numba(field, SLAB.Omega, x, v, -1, dt, 1_000_000)
    assert np.max(np.abs(np.linalg.norm(v, axis=0) - 1.0)) < 1e-12
    assert np.max(np.abs(x)) > 100 * dt  # it did move


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("kind", ["slab", "grids", "waves"])
def test_time_reversal_returns_to_the_start(backend: str, kind: str) -> None:
    field = {"slab": lambda: slab_table(SLAB, realisation_rng(1, 0)),
             "grids": lambda: nested_grids(ISO, realisation_rng(1, 0), n=16, points_per_wavelength=4),
             "waves": lambda: plane_waves(ISO, realisation_rng(1, 0), n_modes=32)}[kind]()
    x0 = np.random.default_rng(2).uniform(-5, 5, (3, 16))
    v0 = _directions(16, 3)
    x, v = x0.copy(), v0.copy()
    step = (lambda *a: boris.advance(*a, np)) if backend == "numpy" else kernels.advance_numba
    step(field, 1.0, x, v, +1, 0.01, 2000)
    assert np.max(np.abs(x - x0)) > 1.0
    v = np.ascontiguousarray(-v)
    step(field, 1.0, x, v, -1, 0.01, 2000)  # reversed velocity and charge: the same path backwards
    np.testing.assert_allclose(x, x0, atol=1e-9)
    np.testing.assert_allclose(-v, v0, atol=1e-9)


def test_step_rule_and_its_limits() -> None:
    rule = StepRule()
    gyro, lam = 2 * math.pi * SLAB.r_g, 2 * math.pi / SLAB.k_max
    assert rule.dt(SLAB) == pytest.approx(min(gyro / 100, lam / 5))
    assert StepRule(steps_per_gyration=10, steps_per_wavelength=2).dt(SLAB) == pytest.approx(min(gyro / 10, lam / 2))
    assert StepRule(step=0.1 * lam).dt(SLAB) == pytest.approx(0.1 * lam)
    with pytest.raises(ValueError, match="step must be <="):
        StepRule(step=0.6 * lam).dt(SLAB)
    with pytest.raises(ValueError, match="step must be finite"):
        StepRule(step=-1.0)
    with pytest.raises(ValueError, match="steps_per_wavelength"):
        StepRule(steps_per_wavelength=1.0)
    with pytest.raises(ValueError, match="steps_per_gyration"):
        StepRule(steps_per_gyration=4.0)


def _field(kind: str):
    return {"slab": lambda: slab_table(SLAB, realisation_rng(4, 0)),
            "grids": lambda: nested_grids(ISO, realisation_rng(4, 0), n=16, points_per_wavelength=4),
            "waves": lambda: plane_waves(ISO, realisation_rng(4, 0), n_modes=32)}[kind]()


@pytest.mark.parametrize("kind", ["slab", "grids", "waves"])
def test_numba_kernel_matches_numpy_twin_bit_for_bit(kind: str) -> None:
    """Both are emitted from one definition, statement by statement: the same roundings, the same bits."""
    field = _field(kind)
    x0 = np.random.default_rng(5).uniform(-50, 50, (3, 40))
    v0 = _directions(40, 6)
    xa, va, xb, vb = x0.copy(), v0.copy(), x0.copy(), v0.copy()
    boris.advance(field, 1.0, xa, va, -1, 0.02, 300, np)
    kernels.advance_numba(field, 1.0, xb, vb, -1, 0.02, 300)
    assert np.max(np.abs(xa - x0)) > 1.0
    np.testing.assert_array_equal(xb, xa)
    np.testing.assert_array_equal(vb, va)


@pytest.mark.gpu
@pytest.mark.parametrize("kind", ["slab", "grids", "waves"])
def test_cuda_kernel_matches_numpy_twin_in_float32(cp, kind: str) -> None:
    field = _field(kind)
    x0 = np.random.default_rng(5).uniform(-1, 1, (3, 256)).astype(np.float32)
    v0 = _directions(256, 6).astype(np.float32)
    xa, va = x0.copy(), v0.copy()
    f32 = field.to(np, dtype=np.float32)
    boris.advance(f32, 1.0, xa, va, -1, 0.01, 200, np)
    xb, vb = cp.asarray(x0), cp.asarray(v0)
    kernels.advance_cupy(field.to(cp, dtype=np.float32), 1.0, xb, vb, -1, 0.01, 200)
    scale = np.abs(xa).max()
    np.testing.assert_allclose(to_numpy(xb), xa, rtol=0, atol=1e-5 * scale)
    np.testing.assert_allclose(to_numpy(vb), va, rtol=0, atol=1e-5)


@pytest.mark.parametrize("kind", ["slab", "grids", "waves"])
def test_cuda_source_compiled_for_the_host_matches_numpy_twin(kind: str, host_cuda) -> None:
    """The generated CUDA source, compiled as C++ with one emulated thread per particle (double precision)."""
    field = _field(kind)
    x0 = np.random.default_rng(5).uniform(-50, 50, (3, 40))
    v0 = _directions(40, 6)
    xa, va, xb, vb = x0.copy(), v0.copy(), x0.copy(), v0.copy()
    boris.advance(field, 1.0, xa, va, -1, 0.02, 300, np)
    host_cuda(field, 1.0, xb, vb, -1, 0.02, 300)
    assert np.max(np.abs(xa - x0)) > 1.0
    np.testing.assert_allclose(xb, xa, rtol=0, atol=1e-10)
    np.testing.assert_allclose(vb, va, rtol=0, atol=1e-10)


def _orbit_error(omega0: float, T: float, dt: float) -> float:
    """Largest deviation of the backtracked (r(t0), p(t0)) from the free helix of docs/errata.md entry 3.

    That orbit (``crmix.derive.bourret.orbit``, proved by the check ``helical_orbit``) is KPM (29)
    corrected: the particle arriving with p-hat = (sqrt(1-mu^2) cos phi, sqrt(1-mu^2) sin phi, mu) was
    a time u = T earlier at r - r_obs = (sqrt(1-mu^2)/Omega) (sin phi - sin(phi + Omega u),
    cos(phi + Omega u) - cos phi, 0) - mu u z-hat, moving along azimuth phi + Omega u.
    """
    p_sym, r_sym = bourret.orbit(bourret.u)
    args = (bourret.u, bourret.Om, bourret.mu_s, bourret.ph0)
    p_fn, r_fn = sp.lambdify(args, p_sym, "numpy"), sp.lambdify(args, r_sym, "numpy")
    bt = backtrack(NO_TURBULENCE, omega0, 2, [T], dt, backend="numba")
    mu = bt.observed[2]
    phi = np.arctan2(bt.observed[1], bt.observed[0])
    r_exact = np.array(r_fn(T, omega0, mu, phi), dtype=float).reshape(3, -1)
    p_exact = np.array(p_fn(T, omega0, mu, phi), dtype=float).reshape(3, -1)
    return max(np.max(np.abs(bt.position[0] - r_exact)), np.max(np.abs(bt.momentum[0] - p_exact)))


def test_backtracking_reverses_the_charge_onto_the_corrected_kpm29_helix(monkeypatch) -> None:
    """Backtracked through a uniform field, each pixel's particle lands where the corrected KPM (29) puts it.

    With the particle's own charge (BACKTRACK_CHARGE flipped to +1) it gyrates the other way and misses.
    """
    omega0, T, dt = 1.3, 4.0, 1e-3
    # Boris phase lag (Omega dt)^2 Omega T / 12 ~ 1e-6 rad
    assert _orbit_error(omega0, T, dt) < 1e-5
    monkeypatch.setattr(backtrack_module, "BACKTRACK_CHARGE", +1)
    assert _orbit_error(omega0, T, dt) > 0.5
