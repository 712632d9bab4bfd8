"""The requests of the Python API speak units: Quantities (or their text) in, bare numbers refused, every check
in the constructor, derived numbers computed once."""

from __future__ import annotations

import math

import astropy.units as u
import pytest

from crmix.fit.request import FitRequest
from crmix.simulate.config import Analysis, SimulationConfig
from crmix.theory import SpectrumRequest
from crmix.units import quantity


@pytest.mark.parametrize("value", [10.0, 10, "10"])
def test_a_bare_number_for_a_dimensional_input_is_refused(value):
    with pytest.raises(ValueError, match="--rigidity"):
        SpectrumRequest(rigidity=value)
    with pytest.raises(ValueError, match="unit"):
        quantity(value, u.V, "rigidity")


def test_quantities_and_their_text_make_the_same_request():
    a = SpectrumRequest(rigidity=[10 * u.TV, 1 * u.PV], b_rms=4 * u.uG, l_c=30 * u.pc, gradient_length=1 * u.kpc)
    b = SpectrumRequest(rigidity=["10TV", "1PV"], b_rms="4uG", l_c="30pc", gradient_length="1kpc")
    assert [m for _, m in a.models] == [m for _, m in b.models]
    assert [label for label, _ in a.models] == ["10TV", "1PV"]
    # rho = r_g/L_c with r_g = R/(c B): 10 TV in 4 uG is 2.70e-3 pc... over 30 pc (KPM Sec. 2.1.3: ~9e-5)
    r_g_pc = (10e12 * u.V / (2.99792458e8 * u.m / u.s * 4e-10 * u.T)).to_value(u.pc)
    assert a.models[0][1].rho == pytest.approx(r_g_pc / 30.0, rel=1e-9)


def test_the_defaults_that_depend_on_the_geometry_are_resolved_once():
    slab = SpectrumRequest()
    assert slab.eta == 0.5 and slab.lmax == 100 and slab.dt_coefficient == 4.0
    iso = SpectrumRequest(geometry="isotropic", alpha=50.0)
    assert iso.eta == 1.0 and iso.lmax == 100
    two_d = SpectrumRequest(geometry="2d", omega_dt=20.0, rg_over_lambda_min=10.0)
    assert two_d.eta == 0.5 and two_d.lmax == 50 and two_d.generic


def test_the_mixing_time_is_computed_once(monkeypatch):
    import crmix.solver.timestep as timestep

    calls = []
    real_mixing_time = timestep.mixing_time
    monkeypatch.setattr(timestep, "mixing_time", lambda *a, **k: calls.append(1) or real_mixing_time(*a, **k))
    request = SpectrumRequest(rigidity=["10TV", "1PV"])
    steps = request.timesteps
    assert request.timesteps is steps and len(calls) == 2  # once per model, on first use
    # KPM (51): Omega dT = 4 (Omega tau_s)^(1/3)
    assert steps[0].dt == pytest.approx(4.0 * steps[0].tau_s ** (1.0 / 3.0), rel=1e-12)


@pytest.mark.parametrize("kwargs, option", [
    ({"eta": 1.0}, "--eta"), ({"lmax": 1}, "--lmax"), ({"closure": "nope"}, "--closure"), ({"omega_dt": -1.0}, "--omega-dt"),
    ({"omega_dt": 5.0, "alpha": 5.0}, "--omega-dt"), ({"b_rms": 4 * u.pc}, "--brms"), ({"gradient_length": "0kpc"}, "--gradient-length"),
    ({"extrapolate": 50}, "--extrapolate"), ({"geometry": "2d"}, "--omega-dt"),
])
def test_spectrum_request_names_the_option(kwargs, option):
    with pytest.raises(ValueError, match=option):
        SpectrumRequest(**kwargs)


def test_simulation_config_from_quantities_rounds_the_times_once():
    config = SimulationConfig.from_physical(rigidity=1 * u.PV, b_rms=4 * u.uG, l_c=30 * u.pc, rg_over_lambda_min=10, times="10,30",
                                            nside=4, backend="numpy")
    assert list(config.steps) == [round(10 / config.dt), round(30 / config.dt)]
    assert list(config.recorded_times) == pytest.approx([s * config.dt for s in config.steps], rel=0, abs=0)
    assert config.particle_steps == config.steps[-1] * 12 * 16
    assert config.parameters()["recorded_times"] == [float(t) for t in config.recorded_times]
    with pytest.raises(ValueError, match="--times"):
        SimulationConfig.from_physical(times="30,10", nside=4, backend="numpy", rg_over_lambda_min=10)
    with pytest.raises(ValueError, match="--rigidity"):
        SimulationConfig.from_physical(rigidity=1e15, nside=4, backend="numpy")
    analysis = Analysis.from_physical(config, gradient_length=1 * u.kpc, diffusion="3e28cm2/s")
    assert analysis.gradient is not None and math.isclose(analysis.gradient[2] * 1000.0, config.length_unit_pc)


@pytest.mark.parametrize("kwargs, option", [({"ell": (5, 2)}, "--ell"), ({"lmax": (1,)}, "--lmax"), ({"ell": (2, 20), "lmax": (20,)}, "--lmax"),
                                            ({"bounds": (3.0, 1.0)}, "--bounds"), ({"covariance": "full-ish"}, "--covariance")])
def test_fit_request_names_the_option(kwargs, option):
    with pytest.raises(ValueError, match=option):
        FitRequest(runs=["run"], **kwargs)
