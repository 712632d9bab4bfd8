"""KPM (20) with a measured M: the mixing source of the solver, crmix.fit.mixing.MeasuredMixing, and the commands."""

from __future__ import annotations

import math
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest

from crmix import Spectrum, TurbulenceModel
from crmix.cli import main
from crmix.fit.mixing import MeasuredMixing, first_order_table, measured_sources
from crmix.simulate.config import SimulationConfig
from crmix.simulate.measured_mixing import MixingConfig, run_mixing
from crmix.solver.family import SpectrumFamily
from crmix.solver.mixing import mixing_matrix
from crmix.solver.spectrum import angular_power_spectrum

MODEL = TurbulenceModel(geometry="slab", eta=0.3, rho=0.1, spectrum=Spectrum(kmax=2 * math.pi * 5 / 0.1))
GRADIENT = 100.0


def test_a_source_giving_the_first_order_reproduces_the_first_order_spectrum():
    first = angular_power_spectrum(MODEL, lmax=12, omega_dt=5.0, gradient_length=GRADIENT)
    sourced = angular_power_spectrum(MODEL, lmax=12, omega_dt=5.0, gradient_length=GRADIENT,
                                     mixing=lambda dt, lmax: mixing_matrix(MODEL, dt, lmax).full)
    np.testing.assert_allclose(sourced.C, first.C, rtol=1e-12)
    assert sourced.metadata["mixing_path"] == "given (measured)"
    family = SpectrumFamily(MODEL, 12, mixing=lambda dt, lmax: mixing_matrix(MODEL, dt, lmax).full)
    np.testing.assert_allclose(family.ratio(5.0 / MODEL.Omega), first.ratio, rtol=1e-12)


def test_a_source_is_solved_by_the_truncated_steady_state_only():
    with pytest.raises(ValueError, match="closure must be 'truncated'"):
        angular_power_spectrum(MODEL, lmax=12, omega_dt=5.0, gradient_length=GRADIENT, closure="flux", mixing=lambda dt, lmax: np.eye(13))
    with pytest.raises(ValueError, match="finite \\(13, 13\\) matrix"):
        angular_power_spectrum(MODEL, lmax=12, omega_dt=5.0, gradient_length=GRADIENT, mixing=lambda dt, lmax: np.eye(5))


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("mixing") / "run"
    run_mixing(MixingConfig(SimulationConfig(model=MODEL, nside=4, times=(2.0, 4.0, 6.0)), 8), out, 3, progress=False)
    return out


def test_measured_mixing_interpolates_linearly_between_recorded_times(run_folder):
    mix = MeasuredMixing.read(run_folder)
    t = mix.times
    np.testing.assert_allclose(mix(float(t[1]), 8), mix.matrices[1])
    middle = 0.25 * t[1] + 0.75 * t[2]
    np.testing.assert_allclose(mix(float(middle), 6), (0.25 * mix.matrices[1] + 0.75 * mix.matrices[2])[:7, :7])
    with pytest.raises(ValueError, match="outside"):
        mix(float(t[-1]) * 1.5, 6)
    with pytest.raises(ValueError, match="up to l = 8"):
        mix(float(t[1]), 9)


def test_the_first_order_table_states_its_units(run_folder, tmp_path, units_everywhere):
    """mixing_theory.ecsv as crmix mixing writes it: Omega_dT (a model without a physical scale), M and the pulls
    dimensionless, the model's numbers with units."""
    ensemble = run_mixing(MixingConfig(SimulationConfig(model=MODEL, nside=4, times=(2.0, 4.0, 6.0)), 8), run_folder, 3,
                          progress=False)
    first_order_table(MODEL, ensemble).write(tmp_path / "mixing_theory.ecsv", format="ascii.ecsv")
    table = units_everywhere(tmp_path / "mixing_theory.ecsv")
    assert "dT" not in table.colnames and len(table) == 3 * 81
    np.testing.assert_array_equal(np.unique(table["Omega_dT"].to_value(u.one)), ensemble.times)
    ok = table["M_err"] > 0
    np.testing.assert_allclose(table["pull"][ok], (table["M"][ok] - table["M_first_order"][ok]) / table["M_err"][ok], rtol=1e-12)
    assert float(table.meta["model"]["eta"]) == MODEL.eta


def test_runs_are_matched_to_their_models(run_folder):
    (source,) = measured_sources([run_folder], [MODEL], 8)
    assert source is not None and source.lmax == 8
    other = MODEL.with_(eta=0.4)
    with pytest.raises(ValueError, match=r"none of .* measured the model"):
        measured_sources([run_folder], [other], 8)
    with pytest.raises(ValueError, match="--lmax must be <= 8"):
        measured_sources([run_folder], [MODEL], 12)
    assert measured_sources(None, [MODEL], 8) == [None]


def test_crmix_spectrum_refuses_a_run_of_another_model(run_folder, tmp_path, capsys):
    code = main(["spectrum", "--rigidity", "1PV", "--lmax", "8", "--mixing-run", str(run_folder), "--out", str(tmp_path / "s"),
                 "--no-progress"])
    assert code == 2
    assert "--mixing-run" in capsys.readouterr().err


def test_the_requests_check_their_mixing_runs(run_folder, tmp_path):
    """Each request refuses a run of another model, a closure other than KPM (20) truncated, and --maps beside it."""
    from crmix.fit.request import FitRequest
    from crmix.observe.request import CompareRequest
    from crmix.theory import SpectrumRequest

    with pytest.raises(ValueError, match=r"--mixing-run: none of .* measured the model"):
        CompareRequest(tiers=["4"], lmax=60, mixing_run=[run_folder], out=tmp_path / "c")
    with pytest.raises(ValueError, match="--mixing-run gives the theory's M"):
        CompareRequest(tiers=["4"], mixing_run=[run_folder], maps=run_folder, time=2.0, out=tmp_path / "c")
    with pytest.raises(ValueError, match="drop --closure flux"):
        FitRequest(runs=[run_folder], mixing_run=[run_folder], closure="flux")
    with pytest.raises(ValueError, match="drop --closure bourret"):
        SpectrumRequest(mixing_run=[str(run_folder)], closure="bourret")
    assert FitRequest(runs=[run_folder], mixing_run=[run_folder]).parameters()["mixing_runs"] == [str(run_folder)]


def test_the_scattering_rule_is_a_fraction_of_the_qlt_scattering_time():
    """dt = c tau_s (the rule of a measured M), c = SCATTERING_FRACTION unless given; kpm51 keeps its c = 4."""
    from crmix.qlt import scattering_time
    from crmix.solver.timestep import SCATTERING_FRACTION, mixing_time
    from crmix.theory import SpectrumRequest

    tau = scattering_time(MODEL)
    step = mixing_time(MODEL, rule="scattering")
    assert step.source == "scattering" and step.dt == pytest.approx(SCATTERING_FRACTION * tau, rel=1e-14)
    assert mixing_time(MODEL, rule="scattering", coefficient=0.3).dt == pytest.approx(0.3 * tau, rel=1e-14)
    assert mixing_time(MODEL).dt == pytest.approx(4.0 * tau ** (1 / 3), rel=1e-14)
    assert SpectrumRequest(dt_rule="scattering").dt_coefficient == SCATTERING_FRACTION
    assert SpectrumRequest().dt_coefficient == 4.0


def test_the_crossing_rule_adds_a_part_of_the_correlation_crossing_time():
    """dt = c tau_s + b L_c/v with (c, b) = CROSSING_RULE; --dt-coefficient replaces c only; L_c = r_g/rho, v = 1."""
    from crmix.qlt import scattering_time
    from crmix.solver.timestep import CROSSING_CALIBRATED, CROSSING_RULE, mixing_time
    from crmix.theory import SpectrumRequest

    tau, crossing = scattering_time(MODEL), MODEL.r_g / MODEL.rho
    step = mixing_time(MODEL, rule="crossing")
    assert step.source == "crossing" and step.dt == pytest.approx(CROSSING_RULE[0] * tau + CROSSING_RULE[1] * crossing, rel=1e-14)
    assert mixing_time(MODEL, rule="crossing", coefficient=0.2).dt == pytest.approx(0.2 * tau + CROSSING_RULE[1] * crossing, rel=1e-14)
    assert SpectrumRequest(dt_rule="crossing").dt_coefficient == CROSSING_RULE[0]
    assert CROSSING_CALIBRATED[0] <= tau / crossing <= CROSSING_CALIBRATED[1]
    assert not any("calibrated" in w for w in step.warnings)
    outside = TurbulenceModel(geometry="slab", eta=0.5, rho=1e-3, spectrum=Spectrum(kmax=2 * math.pi * 30 / 1e-3))
    assert scattering_time(outside) / (outside.r_g / outside.rho) < CROSSING_CALIBRATED[0]
    with pytest.warns(UserWarning, match="calibrated"):
        mixing_time(outside, rule="crossing")
