"""The work that crmix fit estimates before it starts is the work it does, within a factor 2.

The estimate (fit.resources) counts its work in theory evaluations, and its seconds are that count
times a calibrated cost per unit (crmix.resources).  Here the predicted count is compared with what
the finished run reports (the ``evaluations`` of each fit in fit.ecsv) on a small run; crmix
compare's count of predictions (crmix.observe.budget, also behind observe.resources) is held to its
run in tests/observe/test_compare_cli.py.  The seconds and the peak memory against measurement are
benchmarks/estimates.py's (they depend on the machine and its load, so no test looks at them).
"""

from __future__ import annotations

from pathlib import Path

from astropy.table import Table

from crmix.cli import main
from crmix.fit.data import read_shape
from crmix.fit.resources import EXPECTED_EVALUATIONS, fit_estimate

SIMULATION = ["--nside", "2", "--times", "1,2", "--rigidity", "30PV", "--rg-over-lambda-min", "5", "--scheduler", "serial"]


def _within_a_factor_2(counted: float, predicted: float) -> bool:
    return predicted / 2 <= counted <= 2 * predicted


def test_within_a_factor_2_can_fail() -> None:
    assert _within_a_factor_2(12, 12) and _within_a_factor_2(7, 12) and _within_a_factor_2(20, 12)
    assert not _within_a_factor_2(5, 12) and not _within_a_factor_2(25, 12)


def test_fit_does_the_theory_evaluations_it_estimates(tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert main(["simulate", "--out", str(run), "--no-progress", "--realisations", "3", *SIMULATION]) == 0
    lmax, bounds = [16, 24], (2.0, 60.0)
    assert main(["fit", str(run), "--ell", "2:5", "--lmax", "16,24", "--bounds", "2:60", "--out", str(tmp_path / "fit"),
                 "--no-progress"]) == 0
    fits = Table.read(tmp_path / "fit" / "fit.ecsv")
    predicted = fit_estimate([read_shape(run).model], lmax, bounds).work["theory evaluations"]
    assert predicted == EXPECTED_EVALUATIONS * len(lmax) == EXPECTED_EVALUATIONS * len(fits)
    for counted in fits["evaluations"]:  # each fit, and so the whole command
        assert _within_a_factor_2(int(counted), EXPECTED_EVALUATIONS), list(fits["evaluations"])
