"""crmix compare end to end at small settings, with the theory and with simulated sky maps; bad input first."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from astropy.table import Table

from crmix.cli import main
from crmix.provenance import provenance, reproducible

QUICK = ["--lmax", "45", "--grid", "3", "--realisations", "8", "--nside", "16", "--no-progress"]


def test_compare_runs_on_the_shipped_icetop_table(tmp_path: Path, capsys, units_everywhere):
    out = tmp_path / "cmp"
    assert main(["compare", "--tiers", "3", "4", "--out", str(out), *QUICK]) == 0
    text = capsys.readouterr().out
    assert "tier 3 (2300 TeV)" in text and "joint KPM (51)" in text
    fits = Table.read(out / "compare_fit.ecsv")
    # the work estimated before the run against the work counted in it
    assert 0.5 <= fits.meta["estimate"]["predictions"] / fits.meta["predictions_evaluated"] <= 2.0
    # chi^2 holds the one-sky covariance; best fits at an edge of the range are warned about and recorded
    assert fits.meta["parameters"]["one_sky_variance_in_chi2"] and fits.meta["fits_per_tier"] >= 2
    at_edge = [t for t in ("3", "4") if fits.meta["fits"][t]["omega_dt"]["at_lower_edge"] or fits.meta["fits"][t]["omega_dt"]["at_upper_edge"]]
    assert len(fits.meta["warnings"]) >= len(at_edge) and all(f"WARNING: tier {t}:" in text for t in at_edge)
    assert sorted(p.name for p in out.iterdir()) == ["compare.png", "compare_fit.ecsv", "compare_spectra.ecsv", "predictions"]
    for name in ("compare_fit.ecsv", "compare_spectra.ecsv"):
        units_everywhere(out / name)
    fits = Table.read(out / "compare_fit.ecsv")
    assert list(fits["tier"]) == ["3", "4"] and np.all(fits["dof"] == 41 - 3)
    # the crossing rule's Omega dT in every row: tier 3's inside the range (Delta chi2 >= 0), tier 4's below 2 pi (NaN)
    assert 2 * np.pi < fits["omega_dt_crossing"][0] < fits["omega_tau_s_qlt"][0] and fits["delta_chi2_at_crossing"][0] >= -1e-9
    assert fits["omega_dt_crossing"][1] < 2 * np.pi and np.isnan(fits["delta_chi2_at_crossing"][1])
    assert np.all(fits["omega_dt"] >= 2 * np.pi * (1 - 1e-9)) and np.all(fits["omega_dt"] <= fits["omega_tau_s_qlt"] * (1 + 1e-9))
    assert fits.meta["parameters"]["filter"] == "m0" and fits.meta["joint_fit"]["dof"] == 2 * 41 - 1 - 4
    spectra = Table.read(out / "compare_spectra.ecsv")
    assert len(spectra) == 2 * 41
    assert reproducible(fits.meta["provenance"]) == reproducible(spectra.meta["provenance"]) == reproducible(provenance("numpy", "float64"))
    np.testing.assert_allclose(spectra["model"], spectra["model_signal"] + spectra["model_noise"], rtol=1e-12)
    assert np.all(spectra["model_band_lo"] <= spectra["model"] * (1 + 1e-12))
    # a second run reuses the stored predictions
    again = tmp_path / "again"
    (again / "predictions").mkdir(parents=True)
    for p in (out / "predictions").iterdir():
        (again / "predictions" / p.name).write_bytes(p.read_bytes())
    assert main(["compare", "--tiers", "3", "4", "--out", str(again), *QUICK]) == 0
    assert Table.read(again / "compare_fit.ecsv")["omega_dt"].tolist() == fits["omega_dt"].tolist()
    assert Table.read(again / "compare_fit.ecsv").meta["predictions_evaluated"] == 0


def test_compare_with_simulated_sky_maps(simulate_run: Path, tmp_path: Path, units_everywhere):
    out = tmp_path / "maps"
    assert main(["compare", "--maps", str(simulate_run), "--time", "10", "--tiers", "2", "--out", str(out), *QUICK]) == 0
    fits = units_everywhere(out / "compare_fit.ecsv")
    units_everywhere(out / "compare_spectra.ecsv")
    assert fits["dof"][0] == 11 - 2  # Nside 4 maps resolve l <= 11; amplitude and noise fitted
    spectra = Table.read(out / "compare_spectra.ecsv")
    assert spectra["ell"].max() == 11 and np.all(spectra["one_sky_std"] > 0)


@pytest.mark.parametrize("args, message", [
    (["--coverage", "band:10,-10"], "dec_min < dec_max"),
    (["--coverage", "nowhere.fits"], "does not exist"),
    (["--tiers", "7"], "has tiers"),
    (["--energy", "1PeV"], "one value per compared tier"),
    (["--lmax", "30"], "--lmax must be >= the largest measured l"),
    (["--events", "1", "2", "3", "0"], "--events must be finite and > 0"),
    (["--time", "10"], "--time needs --maps"),
    (["--field-direction", "400", "0"], "--field-direction RA (deg) must be finite"),
    (["--eta", "1.5"], "--eta"),
    (["--data", "missing.csv"], "does not exist"),
    (["--grid", "2"], "--grid"),
])
def test_bad_input_exits_with_code_2_before_any_work(args, message, tmp_path: Path, capsys):
    out = tmp_path / "never"
    assert main(["compare", "--out", str(out), *args]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_a_foreign_table_needs_energies(tmp_path: Path, capsys):
    (tmp_path / "t.csv").write_text("ell,Cl_tilde,err\n" + "".join(f"{ell},1e-9,2e-10\n" for ell in range(1, 10)))
    assert main(["compare", "--data", str(tmp_path / "t.csv"), "--out", str(tmp_path / "o")]) == 2
    assert "--energy is required" in capsys.readouterr().err


def test_compare_with_a_coverage_map_caches_its_kernel(tmp_path: Path):
    import healpy as hp

    from crmix.observe.sky import band_weights

    hp.write_map(str(tmp_path / "cov.fits"), band_weights(8, -90.0, -35.0), dtype=np.float64)
    rows = "".join(f"{ell},{1e-8 / ell:.3e},{2e-9 / ell:.3e},{3e-9 / ell:.3e}\n" for ell in range(1, 9))
    (tmp_path / "t.csv").write_text("ell,Cl_tilde,stat_err_lo,stat_err_hi\n" + rows)
    args = ["compare", "--data", str(tmp_path / "t.csv"), "--energy", "1PeV", "--coverage", str(tmp_path / "cov.fits"),
            "--lmax", "12", "--grid", "3", "--realisations", "4", "--nside", "8", "--no-progress", "--out", str(tmp_path / "o")]
    assert main(args) == 0
    fits = Table.read(tmp_path / "o" / "compare_fit.ecsv")
    assert fits.meta["coupling"]["method"].startswith("harmonic basis") and fits.meta["coupling"]["nside"] == 8
    (stored,) = (tmp_path / "o" / "predictions").glob("coupling-*.npz")
    assert main(args) == 0 and stored.stat().st_mtime == (tmp_path / "o" / "predictions" / stored.name).stat().st_mtime
