"""Measured tables: the shipped IceTop 11-year spectra and the formats crmix compare reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from crmix.observe.data import ICETOP11_TIER_ENERGY_TEV, icetop11, icetop11_path, read_measured


def test_shipped_icetop_table_has_four_tiers_of_41_multipoles_and_its_provenance():
    spectra = icetop11()
    assert [s.tier for s in spectra] == ["1", "2", "3", "4"]
    assert [s.energy_TeV for s in spectra] == [300.0, 900.0, 2300.0, 6600.0]
    for s in spectra:
        np.testing.assert_array_equal(s.ell, np.arange(1, 42))
        assert np.all(s.cl > 0) and np.all(s.err_lo > 0) and np.all(s.err_hi > 0)
    assert spectra[0].cl[0] == 2.14892e-09 and spectra[3].err_hi[-1] == 6.332e-09  # first and last rows of the file
    readme = (icetop11_path().parent / "README.md").read_text()
    assert "bastow-libby/11-year-Update-Paper-Figures" in readme and "ApJ 871, 96" in readme
    assert set(ICETOP11_TIER_ENERGY_TEV) == {"1", "2", "3", "4"}


def test_symmetric_errors_and_ecsv_tables(tmp_path: Path):
    from astropy.table import Table

    (tmp_path / "one.csv").write_text("# a comment\nell,C_ell,err\n2,1e-9,2e-10\n1,2e-9,3e-10\n")
    (s,) = read_measured(tmp_path / "one.csv")
    np.testing.assert_array_equal(s.ell, [1, 2])
    np.testing.assert_array_equal(s.cl, [2e-9, 1e-9])
    np.testing.assert_array_equal(s.err_lo, s.err_hi)
    Table({"tier": ["a", "a", "b"], "ell": [1, 2, 1], "Cl_tilde": [1.0, 2.0, 3.0], "stat_err_lo": [0.1] * 3,
           "stat_err_hi": [0.2] * 3}).write(tmp_path / "t.ecsv", format="ascii.ecsv")
    a, b = read_measured(tmp_path / "t.ecsv", {"a": 10.0})
    assert (a.tier, a.energy_TeV, b.tier, b.energy_TeV) == ("a", 10.0, "b", None)


@pytest.mark.parametrize("text, message", [
    ("ell,err\n1,1\n", "needs columns"),
    ("ell,Cl_tilde\n1,1\n", "error columns"),
    ("ell,Cl_tilde,err\n0,1,1\n", "integers >= 1"),
    ("ell,Cl_tilde,err\n1,1,1\n1,2,1\n", "distinct"),
    ("ell,Cl_tilde,err\n1,1,-1\n", "err_lo must be finite and > 0"),
])
def test_bad_tables_are_clear_errors(tmp_path: Path, text: str, message: str):
    (tmp_path / "bad.csv").write_text(text)
    with pytest.raises(ValueError, match=message):
        read_measured(tmp_path / "bad.csv")


def test_missing_table_is_a_clear_error(tmp_path: Path):
    with pytest.raises(ValueError, match="does not exist"):
        read_measured(tmp_path / "none.csv")
