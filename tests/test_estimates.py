"""The work that crmix fit and crmix compare estimate before they start is the work they do, within a factor 2.

Each estimate (fit.resources, observe.resources) counts its work in units -- theory evaluations of a
fit, predictions of a comparison -- and its seconds are that count times a calibrated cost per unit
(crmix.resources).  Here the predicted count is compared with what the finished run reports (the
``evaluations`` of each fit in fit.ecsv, ``predictions_evaluated`` in compare_fit.ecsv) on small
runs; the seconds and the peak memory against measurement are benchmarks/estimates.py's (they
depend on the machine and its load, so no test looks at them).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from astropy.table import Table

from crmix.cli import main
from crmix.commands import compare
from crmix.fit.data import read_shape
from crmix.fit.resources import EXPECTED_EVALUATIONS, fit_estimate
from crmix.observe.resources import compare_estimate

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


@pytest.mark.slow
def test_compare_makes_the_predictions_it_estimates(tmp_path: Path) -> None:
    argv = ["--tiers", "3", "4", "--lmax", "45", "--grid", "3", "--realisations", "8", "--nside", "16", "--no-progress",
            "--out", str(tmp_path / "cmp")]
    parser = argparse.ArgumentParser()
    compare.add_arguments(parser)
    estimate = compare_estimate(compare.request_from_args(parser.parse_args(argv)).comparison)
    assert main(["compare", *argv]) == 0
    counted = Table.read(tmp_path / "cmp" / "compare_fit.ecsv").meta["predictions_evaluated"]
    assert counted > 0 and _within_a_factor_2(counted, estimate.work["predictions"]), (counted, estimate.work)
    assert estimate.work["skies"] == 2 * 8
