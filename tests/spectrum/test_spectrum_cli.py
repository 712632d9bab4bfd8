"""crmix spectrum: every bad input is a clear error (exit code 2) that writes nothing."""

from __future__ import annotations

import math

import astropy.constants as const
import astropy.units as u
import numpy as np
import pytest

import crmix.cli
import crmix.commands.main
from crmix.provenance import provenance, reproducible


@pytest.fixture
def main(monkeypatch):
    """crmix.cli.main with the router limited to this subcommand (other layers' commands are theirs to test)."""
    monkeypatch.setattr(crmix.commands.main, "COMMANDS", {"spectrum": crmix.cli.COMMANDS["spectrum"]})
    return crmix.cli.main


BAD = [
    (["--rigidity=-10TV"], "--rigidity must be finite and > 0"),
    (["--rigidity", "10TV", "0TV"], "--rigidity must be finite and > 0"),
    (["--rigidity", "1000"], "--rigidity: '1000' has no unit; give one, e.g. 10TV"),
    (["--rigidity", "10kg"], "--rigidity: unit kg is not convertible to V"),
    (["--eta", "1.2"], "--eta must satisfy 0 < eta < 1 for slab"),
    (["--eta", "0"], "--eta must satisfy 0 < eta < 1 for slab"),
    (["--eta", "1"], "--eta must satisfy 0 < eta < 1 for slab"),
    # isotropic + B0 takes the generic path: on the full band (k_max ~ 10^3 Omega) with the KPM (51) Delta T of its
    # QLT tau_s (Omega tau_s ~ 1e5) it is hours, refused without --yes
    (["--geometry", "isotropic", "--eta", "0.5"], "this run needs about"),
    (["--geometry", "isotropic", "--eta", "1.5", "--alpha", "50"], "--eta must satisfy 0 < eta <= 1 for isotropic"),
    (["--geometry", "2d", "--eta", "1", "--omega-dt", "10"], "--eta must satisfy 0 < eta < 1 for 2d"),
    (["--geometry", "2d"], "--alpha (> 0) or --omega-dt (> 0) is required for 2d turbulence"),
    (["--geometry", "2d", "--dt-rule", "kpm51"], "--dt-rule kpm51 needs a QLT scattering time, and 2d turbulence"),
    (["--slab-fraction", "0.3"], "--slab-fraction applies to --geometry composite only, not to --geometry slab"),
    (["--geometry", "isotropic", "--slab-fraction", "0.3", "--alpha", "5"], "--slab-fraction applies to --geometry composite"),
    (["--geometry", "composite", "--slab-fraction", "1"], "--slab-fraction must be finite and > 0 and < 1"),
    (["--geometry", "composite", "--slab-fraction", "0"], "--slab-fraction must be finite and > 0 and < 1"),
    (["--geometry", "composite", "--closure", "flux"], "--closure flux needs the closed-form columns of M"),
    (["--geometry", "2d", "--omega-dt", "10", "--extrapolate", "40"], "--extrapolate must be an lmax >= --lmax = 50"),
    (["--lmax", "1"], "--lmax must be >= 2"),
    (["--lmax", "10", "--extrapolate"], "--lmax must be >= 14 with --extrapolate"),
    (["--extrapolate", "50"], "--extrapolate must be an lmax >= --lmax = 100"),
    (["--extrapolate", "lots"], "--extrapolate must be an lmax >= --lmax or inf"),
    (["--brms", "4kpc"], "--brms: unit kpc is not convertible to G"),
    (["--lc=-30pc"], "--lc must be finite and > 0"),
    (["--omega-dt", "0"], "--omega-dt must be finite and > 0"),
    (["--alpha=-5"], "--alpha must be finite and > 0"),
    (["--geometry", "isotropic"], "--alpha (> 0) or --omega-dt (> 0) is required"),
    (["--geometry", "isotropic", "--dt-rule", "kpm51"], "--dt-rule kpm51 needs a QLT scattering time, and isotropic turbulence"),
    (["--gradient-length", "0pc"], "--gradient-length must be finite and > 0"),
    (["--rigidity", "1PV", "1000TV"], "--rigidity values must differ"),
    (["--lmax", "100000"], "this run needs about 1.27e+05 TiB of memory"),
]


@pytest.mark.parametrize("argv, message", BAD)
def test_bad_input_is_a_clear_error_and_writes_nothing(main, tmp_path, capsys, argv, message):
    out = tmp_path / "out"
    assert main(["spectrum", *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"crmix spectrum: error: {message}" in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_unknown_geometry_or_spectrum_is_an_argparse_error(main, tmp_path, capsys):
    for argv in (["--geometry", "toroidal"], ["--spectrum", "pink"]):
        with pytest.raises(SystemExit) as exc:
            main(["spectrum", *argv, "--out", str(tmp_path / "out")])
        assert exc.value.code == 2
        assert "invalid choice" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_folder(main, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    for out in (blocker, blocker / "out"):
        assert main(["spectrum", "--out", str(out)]) == 2
        assert "output folder --out" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_run_writes_table_and_plot_atomically(main, tmp_path, capsys):
    """Two rigidities: one row per (rigidity, l), metadata with every parameter and the derived numbers, each with its unit."""
    from astropy.table import QTable

    out = tmp_path / "run"
    assert main(["spectrum", "--rigidity", "10TV", "1PV", "--lmax", "30", "--no-progress", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Omega tau_s" in printed and "slope of C_l/C_1 over l = 5..30" in printed and "drift" in printed
    assert sorted(p.name for p in out.iterdir()) == ["spectrum.ecsv", "spectrum.png"]  # no temporary files left
    assert (out / "spectrum.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = QTable.read(out / "spectrum.ecsv", format="ascii.ecsv")
    assert table.colnames == ["rigidity", "ell", "C_ell", "C_ell_over_C_1", "lmax_drift"]
    assert table["rigidity"].unit == u.V and table["C_ell"].unit == u.one
    assert list(table["ell"]) == list(range(31)) * 2
    assert reproducible(table.meta["provenance"]) == reproducible(provenance("numpy", "float64"))
    params = table.meta["parameters"]
    assert params["geometry"] == "slab" and params["eta"] == 0.5 and params["lmax"] == 30 and params["b_rms"] == 4 * u.uG
    runs = table.meta["runs"]
    for label, rigidity in (("10TV", 10 * u.TV), ("1PV", 1 * u.PV)):
        meta = runs[label]
        rows = table[table["rigidity"] == rigidity]
        assert len(rows) == 31 and rows["C_ell_over_C_1"][1] == 1.0 and rows["C_ell"][0] == 0.0
        assert meta["Omega_dt"].value == pytest.approx(4 * meta["Omega_tau_s"].value ** (1 / 3))
        # the physical times are the model's: 1/Omega_0 = R/(c^2 B0) with B0 = B_rms sqrt(1 - eta)
        gyration = (rigidity / (const.c**2 * 4 * u.uG * math.sqrt(0.5))).to(u.yr)
        assert meta["tau_s"].to_value(u.yr) == pytest.approx(meta["Omega_tau_s"].value * gyration.value, rel=1e-9)
        for key in ("rho", "tau_s", "Omega_dt", "lmax_drift_max", "leak_fraction", "slope", "warnings"):
            assert key in meta
    assert runs["1PV"]["rho"].value == pytest.approx(100 * runs["10TV"]["rho"].value, rel=1e-12)
    # Kolmogorov: Omega tau_s rho^(2/3) / (1 - (k_min/k_max)^(2/3)) is the same at every rigidity
    a, b = runs["10TV"], runs["1PV"]
    scaled = [(m["Omega_tau_s"] * m["rho"] ** (2 / 3) / (1 - (m["kmin_Lc"] / m["kmax_Lc"]) ** (2 / 3))).value for m in (a, b)]
    assert scaled[1] == pytest.approx(scaled[0], rel=1e-8)


def test_new_geometries_give_c_l(main, tmp_path, capsys):
    """2d (Delta T given: no QLT) and the composite (KPM (51) with the slab part's tau_s) through the generic path."""
    from astropy.table import QTable

    small = ["--rigidity", "30PV", "--rg-over-lambda-min", "3", "--lmax", "8", "--no-progress"]
    assert main(["spectrum", "--geometry", "2d", "--omega-dt", "10", *small, "--out", str(tmp_path / "2d")]) == 0
    assert main(["spectrum", "--geometry", "composite", "--slab-fraction", "0.3", *small, "--out", str(tmp_path / "comp")]) == 0
    assert "no QLT tau_s" in capsys.readouterr().out
    two_d = QTable.read(tmp_path / "2d" / "spectrum.ecsv", format="ascii.ecsv").meta["runs"]["30PV"]
    comp = QTable.read(tmp_path / "comp" / "spectrum.ecsv", format="ascii.ecsv").meta["runs"]["30PV"]
    assert two_d["geometry"] == "2d" and two_d["mixing_path"] == "generic" and two_d["orbit"] == "helix"
    assert two_d["dt_source"] == "omega_dt" and two_d["Omega_dt"] == 10.0 and math.isnan(two_d["Omega_tau_s"])
    assert comp["geometry"] == "composite" and comp["slab_fraction"] == 0.3 and comp["dt_source"] == "kpm51"
    assert comp["Omega_dt"].value == pytest.approx(4 * comp["Omega_tau_s"].value ** (1 / 3))
    # the slab part alone (fraction 0.3 of the power) scatters: tau_s is 1/0.3 times that of slab at the same eta
    assert main(["spectrum", "--geometry", "slab", *small, "--out", str(tmp_path / "slab")]) == 0
    slab = QTable.read(tmp_path / "slab" / "spectrum.ecsv", format="ascii.ecsv").meta["runs"]["30PV"]
    assert comp["Omega_tau_s"].value == pytest.approx(slab["Omega_tau_s"].value / 0.3, rel=1e-3)


@pytest.mark.slow
def test_isotropic_with_a_regular_field_takes_the_generic_path(main, tmp_path):
    """Isotropic + B0: helical orbits (generic path), tau_s from the resonance sum of crmix.qlt_axisymmetric."""
    from astropy.table import QTable

    out = tmp_path / "iso"
    assert main(["spectrum", "--geometry", "isotropic", "--eta", "0.5", "--rigidity", "30PV", "--rg-over-lambda-min", "0.6",
                 "--lmax", "4", "--no-progress", "--out", str(out)]) == 0
    meta = QTable.read(out / "spectrum.ecsv", format="ascii.ecsv").meta["runs"]["30PV"]
    assert meta["geometry"] == "isotropic" and meta["mixing_path"] == "generic" and meta["orbit"] == "helix"
    tau = meta["Omega_tau_s"].value
    assert meta["dt_source"] == "kpm51" and meta["Omega_dt"].value == pytest.approx(4 * tau ** (1 / 3))
    assert meta["Omega_lambda_par"].value == pytest.approx(tau) and meta["Omega_K_zz"].value == pytest.approx(tau / 3)


def test_cupy_backend_is_refused_where_it_cannot_run(main, tmp_path, capsys):
    """--backend cupy: the generic path is refused by name; without a GPU, the backend itself (exit 2, nothing written)."""
    from crmix.backend import cupy_or_none

    out = tmp_path / "gpu"
    assert main(["spectrum", "--geometry", "2d", "--omega-dt", "10", "--backend", "cupy", "--out", str(out)]) == 2
    assert "--backend cupy runs the closed forms" in capsys.readouterr().err and not out.exists()
    if cupy_or_none() is None:
        assert main(["spectrum", "--backend", "cupy", "--out", str(out)]) == 2
        assert "--backend cupy:" in capsys.readouterr().err and not out.exists()


@pytest.mark.gpu
def test_spectrum_on_the_gpu_equals_the_cpu(cp):
    """The closed-form mixing matrix on CuPy gives the NumPy C_l (slab at 1 PV, l_max = 60)."""
    import astropy.units as u

    from crmix import TurbulenceModel
    from crmix.solver.spectrum import angular_power_spectrum

    model = TurbulenceModel.from_physical("slab", rigidity=1 * u.PV, b_rms=4 * u.uG, l_c=30 * u.pc)
    cpu = angular_power_spectrum(model, lmax=60, omega_dt=10.0, gradient_length=100.0)
    gpu = angular_power_spectrum(model, lmax=60, omega_dt=10.0, gradient_length=100.0, xp=cp)
    np.testing.assert_allclose(gpu.C, cpu.C, rtol=1e-9, atol=1e-300)
