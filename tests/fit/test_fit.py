"""crmix fit: the shape fit recovers a known mixing time, its interval is a Delta chi^2 = 1 profile, the data
are what the run's tables say, the scaling relation recovers c and p, and the command runs end to end."""

from __future__ import annotations

import argparse
import math
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from astropy.table import QTable

from crmix import Spectrum, TurbulenceModel
from crmix.commands import fit as cli
from crmix.fit.data import read_shape
from crmix.fit.relation import scaling_relation
from crmix.fit.report import relation_table
from crmix.fit.shape import ShapeFit, fit_shape
from crmix.provenance import provenance, reproducible
from crmix.simulate.config import SimulationConfig
from crmix.simulate.runner import run_ensemble
from crmix.solver.family import SpectrumFamily

MODEL = TurbulenceModel(eta=0.5, rho=0.1, spectrum=Spectrum(kmax=2 * math.pi * 10 / 0.1))
ELLS = np.arange(2, 9)


@pytest.fixture(scope="module")
def family() -> SpectrumFamily:
    return SpectrumFamily(MODEL, 24)


def test_shape_fit_recovers_a_known_mixing_time(family: SpectrumFamily) -> None:
    truth = 9.0
    theory = family.ratio(family.dt_from("omega_dt", truth))[ELLS]
    sigma = 0.05 * theory
    inv = np.diag(1 / sigma**2)
    exact = fit_shape(theory, inv, ELLS, family, parameter="omega_dt", bounds=(2.0, 60.0))
    assert exact.best == pytest.approx(truth, rel=0.01)
    assert exact.chi2 < 0.05 and exact.spline_mismatch <= 0.1 and not exact.at_bound
    assert exact.low < truth < exact.high
    # the interval is the Delta chi^2 = 1 profile: the exact chi^2 at its ends is the minimum + 1
    for end in (exact.low, exact.high):
        th = family.ratio(family.dt_from("omega_dt", end))[ELLS]
        assert np.sum((theory - th) ** 2 / sigma**2) == pytest.approx(exact.chi2 + 1.0, abs=0.15)
    # noisy data: the truth lies inside ~2 sigma, chi^2/dof of order 1
    rng = np.random.default_rng(4)
    noisy = theory + sigma * rng.standard_normal(theory.size)
    f = fit_shape(noisy, inv, ELLS, family, parameter="omega_dt", bounds=(2.0, 60.0))
    half = 0.5 * (math.log(f.high) - math.log(f.low))
    assert abs(math.log(f.best / truth)) < 3 * half
    assert 0.1 < f.reduced_chi2 < 3.0


def test_the_coarse_walk_stops_once_the_minimum_is_bracketed(family: SpectrumFamily) -> None:
    """The bracketed fit skips the costly large Delta T and finds what the fit over the whole grid finds."""
    truth = 4.0
    theory = family.ratio(family.dt_from("omega_dt", truth))[ELLS]
    inv = np.diag(1 / (0.05 * theory) ** 2)
    whole = fit_shape(theory, inv, ELLS, SpectrumFamily(MODEL, 24), parameter="omega_dt", bounds=(2.0, 300.0), bracket=1e300)
    walked = SpectrumFamily(MODEL, 24)
    fast = fit_shape(theory, inv, ELLS, walked, parameter="omega_dt", bounds=(2.0, 300.0))
    assert max(walked._cache) < 300.0 / 4  # the largest mixing times were never solved
    assert fast.evaluations < whole.evaluations and not fast.at_bound
    for a, b in ((fast.best, whole.best), (fast.low, whole.low), (fast.high, whole.high)):
        assert a == pytest.approx(b, rel=2e-3)
    with pytest.raises(ValueError, match="bracket"):
        fit_shape(theory, inv, ELLS, walked, parameter="omega_dt", bracket=0.5)


def test_a_best_fit_outside_the_bounds_is_flagged(family: SpectrumFamily) -> None:
    theory = family.ratio(family.dt_from("omega_dt", 40.0))[ELLS]
    f = fit_shape(theory, np.diag(1 / (0.02 * theory) ** 2), ELLS, family, parameter="omega_dt", bounds=(2.0, 10.0))
    assert "high" in f.at_bound and f.best == pytest.approx(10.0, rel=1e-3)


def test_fit_rejects_bad_input(family: SpectrumFamily) -> None:
    ratio, inv = np.ones(ELLS.size), np.eye(ELLS.size)
    for kw, match in ((dict(parameter="tau"), "parameter"), (dict(parameter="omega_dt", bounds=(5.0, 2.0)), "low < high"),
                      (dict(parameter="omega_dt", bounds=(-1.0, 2.0)), "lower bound")):
        with pytest.raises(ValueError, match=match):
            fit_shape(ratio, inv, ELLS, family, **kw)
    with pytest.raises(ValueError, match="lmax"):
        fit_shape(np.ones(40), np.eye(40), np.arange(2, 42), family, parameter="omega_dt")


def test_scaling_relation_recovers_c_and_p() -> None:
    tau = np.array([20.0, 50.0, 120.0, 300.0, 800.0])
    rng = np.random.default_rng(2)
    best = 4.0 * tau ** (1 / 3) * np.exp(0.05 * rng.standard_normal(tau.size))
    rel = scaling_relation(tau, 0.02 * tau, best, best * np.exp(-0.05), best * np.exp(0.05))
    assert abs(rel.p - 1 / 3) < 3 * rel.p_error and rel.p_error < 0.05
    assert abs(rel.c - 4.0) < 3 * rel.c_error
    assert rel.c_at_third == pytest.approx(4.0, rel=0.06)
    with pytest.raises(ValueError, match="at least two"):
        scaling_relation(tau[:1], tau[:1], best[:1], best[:1], best[:1])


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fit") / "run"
    config = SimulationConfig(model=MODEL, nside=4, times=(20.0, 60.0), seed=9)
    run_ensemble(config, out, 5, progress=False)
    return out


def test_read_shape_is_what_the_tables_say(tiny_run: Path) -> None:
    shape = read_shape(tiny_run, ells=(2, 6))
    cl = QTable.read(tiny_run / "ensemble_cl.ecsv")
    at = cl[(cl["Omega_T"].value == shape.time) & (cl["ell"] >= 2) & (cl["ell"] <= 6)]
    np.testing.assert_allclose(shape.ratio, at["ratio"].value, rtol=1e-10)
    np.testing.assert_allclose(shape.error, at["ratio_err"].value, rtol=1e-10)
    assert shape.model == MODEL and shape.n_realisations == 5
    assert read_shape(tiny_run, time=20.0, ells=(2, 6)).time == pytest.approx(20.0, rel=1e-3)
    assert read_shape(tiny_run, ells=(2, 99)).ells[-1] == 8  # cut to the tables' l_max = 2 N_side
    for kw, match in ((dict(time=45.0), "not a backtracking time"), (dict(ells=(1, 5)), "--ell must satisfy 2 <= lo <= hi"),
                      (dict(covariance="full"), "--covariance full of"), (dict(covariance="huge"), "covariance")):
        with pytest.raises(ValueError, match=match):
            read_shape(tiny_run, **kw)
    with pytest.raises(ValueError, match="no ensemble_cl"):
        read_shape(tiny_run.parent, ells=(2, 6))


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args([*argv, "--no-progress"])


def test_fit_command_end_to_end(tiny_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], units_everywhere) -> None:
    out = tmp_path / "fit"
    assert cli.run(_args(str(tiny_run), "--ell", "2:6", "--lmax", "16,24", "--bounds", "2:60", "--out", str(out))) == 0
    table = units_everywhere(out / "fit.ecsv")
    assert list(table["lmax"]) == [16, 24] and set(table["parameter"]) == {"omega_dt"}
    assert np.all(table["low"] <= table["best"]) and np.all(table["best"] <= table["high"])
    shapes = units_everywhere(out / "fit_shapes.ecsv")
    assert len(shapes) == 2 * 5 and list(shapes["lmax"]) == [16] * 5 + [24] * 5 and "theory" in shapes.colnames
    assert reproducible(table.meta["provenance"]) == reproducible(shapes.meta["provenance"]) == reproducible(provenance("numpy", "float64"))
    assert (out / "fit.png").stat().st_size > 1000
    text = capsys.readouterr().out
    assert "omega_dt" in text
    # a best fit at a bound is warned about and recorded
    at_bound = [row["lmax"] for row in table if row["at_bound"]]
    assert len(table.meta["warnings"]) == len(at_bound) == text.count("WARNING:")
    assert cli.run(_args(str(tiny_run), "--ell", "2:6", "--lmax", "16", "--bounds", "50:60", "--out", str(tmp_path / "edge"))) == 0
    edge = QTable.read(tmp_path / "edge" / "fit.ecsv")
    assert edge["at_bound"][0] and "bound of the searched range" in edge.meta["warnings"][0]
    assert "WARNING:" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "match"), [
    (("--ell", "2-6"), "--ell must be lo:hi"),
    (("--lmax", "1"), "--lmax must be"),
    (("--lmax", "5", "--ell", "2:8"), "--lmax must exceed"),
    (("--bounds", "9:3"), "--bounds"),
])
def test_fit_command_rejects_bad_input_before_work(tiny_run: Path, tmp_path: Path, argv: tuple[str, ...], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        cli.run(_args(str(tiny_run), "--out", str(tmp_path / "out"), *argv))
    assert not (tmp_path / "out").exists()


def _fit(lmax: int, best: float, at_bound: str = "") -> ShapeFit:
    return ShapeFit(parameter="omega_dt", lmax=lmax, best=best, low=0.9 * best, high=1.1 * best, chi2=1.0, dof=5,
                    at_bound=at_bound, evaluations=1, spline_mismatch=0.0, theory=np.ones(3))


def test_relation_table_fits_the_runs_closed_intervals_per_lmax_and_tau_source(tmp_path: Path, units_everywhere) -> None:
    """fit_relation.ecsv: scaling_relation over the runs' closed fits, once per l_max and per scattering time."""
    rhos, taus = (0.03, 0.01, 0.003), (12.0, 30.0, 80.0)
    shapes = [SimpleNamespace(model=MODEL.with_(rho=r), omega_tau_s=t, omega_tau_s_error=0.05 * t) for r, t in zip(rhos, taus)]
    results = [(s, [_fit(50, 4.0 * s.omega_tau_s ** (1 / 3)), _fit(100, 5.0, at_bound="low" if i == 0 else "")])
               for i, s in enumerate(shapes)]
    table = relation_table(results)
    sim50 = table[(table["lmax"] == 50) & (table["tau_s_source"] == "sim")][0]
    expected = scaling_relation(np.array(taus), 0.05 * np.array(taus), *(np.array([f[0].__getattribute__(a) for _, f in results])
                                                                          for a in ("best", "low", "high")))
    assert sim50["fits"] == 3 and sim50["p"].value == pytest.approx(expected.p, rel=1e-12)
    assert sim50["p"].value == pytest.approx(1 / 3, abs=1e-9) and sim50["c"].value == pytest.approx(4.0, rel=1e-9)
    assert table[(table["lmax"] == 100) & (table["tau_s_source"] == "sim")][0]["fits"] == 2  # the fit at a bound is left out
    qlt = table[(table["lmax"] == 50) & (table["tau_s_source"] == "QLT")][0]
    assert qlt["fits"] == 3 and qlt["p"].value != pytest.approx(1 / 3, abs=1e-3)  # against QLT times, another slope
    assert relation_table(results[:1]) is None
    table.write(tmp_path / "fit_relation.ecsv", format="ascii.ecsv")
    units_everywhere(tmp_path / "fit_relation.ecsv")
    assert reproducible(table.meta["provenance"]) == reproducible(provenance("numpy", "float64"))


@pytest.mark.parametrize("closure", ["bourret", "flux"])
def test_a_closure_family_is_the_spectrum_commands_closure(closure: str) -> None:
    """SpectrumFamily(closure=...) gives the C_l/C_1 that angular_power_spectrum gives with that closure."""
    from crmix.solver.spectrum import angular_power_spectrum

    family = SpectrumFamily(MODEL, 12, rtol=1e-10, closure=closure)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # validity warnings of this Delta T are not the point here
        spectrum = angular_power_spectrum(MODEL, lmax=12, omega_dt=8.0, gradient_length=100.0, closure=closure)
    np.testing.assert_allclose(family.ratio(8.0)[1:], (spectrum.C / spectrum.C[1])[1:], rtol=1e-9)
    assert not np.allclose(family.ratio(8.0), SpectrumFamily(MODEL, 12, rtol=1e-10).ratio(8.0), rtol=1e-3)
    with pytest.raises(ValueError, match="closure"):
        SpectrumFamily(MODEL, 12, closure="none")


class _EndingFamily(SpectrumFamily):
    """A family whose theory has no steady state beyond Delta T = 25 (as a closure's domain can end)."""

    def ratio(self, dt: float) -> np.ndarray:
        if dt > 25.0:
            raise ValueError("no steady state here")
        return super().ratio(dt)


def test_the_walk_ends_where_the_theory_has_no_solution() -> None:
    truth = 12.0
    family = SpectrumFamily(MODEL, 24)
    theory = family.ratio(family.dt_from("omega_dt", truth))[ELLS]
    inv = np.diag(1 / (0.002 * theory) ** 2)
    inside = fit_shape(theory, inv, ELLS, _EndingFamily(MODEL, 24), parameter="omega_dt", bounds=(2.0, 300.0), bracket=1e300)
    assert inside.best == pytest.approx(truth, rel=0.01) and not inside.at_bound
    beyond = family.ratio(family.dt_from("omega_dt", 60.0))[ELLS]
    edge = fit_shape(beyond, np.diag(1 / (0.002 * beyond) ** 2), ELLS, _EndingFamily(MODEL, 24), parameter="omega_dt",
                     bounds=(2.0, 300.0), bracket=1e300)
    assert "high" in edge.at_bound and edge.best < 25.0
    with pytest.raises(ValueError, match="no steady state"):
        fit_shape(theory, inv, ELLS, _EndingFamily(MODEL, 24), parameter="omega_dt", bounds=(30.0, 300.0))
