"""validation/rules.py: the Delta T rules fitted to chi^2 grids recover a known law and predict left-out runs."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "validation"))
from rules import Chi2Grid, fit_rule, leave_one_out

TRUE = (0.3, 0.1)  # Omega dT* = 0.3 Omega tau_s + 0.1 Omega L_c


def grids() -> list[Chi2Grid]:
    """Five ensembles whose chi^2 is 19 (1 + ((dT - dT*)/(0.05 dT*))^2): minimum 19 on 19 points at the true law."""
    out = []
    for k, (tau, lc, eta) in enumerate([(21.0, 24.0, 0.5), (47.0, 79.0, 0.5), (99.0, 236.0, 0.5), (227.0, 32.0, 0.1), (507.0, 105.0, 0.1)]):
        best = TRUE[0] * tau + TRUE[1] * lc
        c = np.linspace(0.1, 0.9, 961)
        out.append(Chi2Grid(f"run{k}", tau, lc, eta, c, 19.0 * (1.0 + ((c * tau - best) / (0.05 * best)) ** 2), 19))
    return out


def test_the_two_constant_rule_recovers_the_law_that_made_the_grids():
    p, total = fit_rule("c τ_s + b L_c/v", grids())
    assert p == pytest.approx(TRUE, rel=2e-3)
    assert total == pytest.approx(5 * 19.0, rel=1e-3)
    assert all(v / 19 == pytest.approx(1.0, abs=1e-3) for v in leave_one_out("c τ_s + b L_c/v", grids()).values())


def test_one_fraction_of_tau_s_cannot_follow_the_crossing_term():
    _, one = fit_rule("c τ_s", grids())
    _, two = fit_rule("c τ_s + b L_c/v", grids())
    assert one > 2.0 * two


def test_the_grid_walls_keep_fits_inside_the_measured_range():
    g = grids()[0]
    assert g.at(0.05 * g.omega_tau_s) > g.at(0.1 * g.omega_tau_s) + 100.0
    assert g.at(g.c[480] * g.omega_tau_s) == pytest.approx(g.chi2[480])
