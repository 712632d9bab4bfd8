"""crmix scan (serial engine): each point is what crmix simulate writes, the summary table, resume, refusals.

The scan on a Dask cluster, as one task graph, is tested in test_cluster.py (it shares that
module's LocalCluster).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import astropy.constants as const
import astropy.units as u
import numpy as np
import pytest
from astropy.table import QTable
from test_cluster import _assert_identical_folders

from crmix.commands import scan
from crmix.commands import simulate as cli
from crmix.provenance import provenance, reproducible
from crmix.qlt import parallel_diffusion

RIGIDITIES = ("30PV", "10PV")
ETAS = ("0.3", "0.5")


def _scan_args(tmp_path: Path, *extra: str, out: str = "scan") -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    scan.add_arguments(parser)
    return parser.parse_args(["--out", str(tmp_path / out), "--no-progress", "--nside", "2", "--times", "1,2",
                              "--realisations", "2", "--rg-over-lambda-min", "5", "--scheduler", "serial",
                              "--rigidity", *RIGIDITIES, "--eta", *ETAS, *extra])


def _simulate_args(tmp_path: Path, rigidity: str, eta: str, out: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(["--out", str(tmp_path / out), "--no-progress", "--nside", "2", "--times", "1,2",
                              "--realisations", "2", "--rg-over-lambda-min", "5", "--scheduler", "serial",
                              "--rigidity", rigidity, "--eta", eta])


@pytest.fixture(scope="module")
def scanned(tmp_path_factory) -> Path:
    """One 2 x 2 scan, run once for the tests that only read it."""
    tmp = tmp_path_factory.mktemp("scan")
    assert scan.run(_scan_args(tmp)) == 0
    return tmp


def test_each_point_is_the_run_crmix_simulate_writes(scanned: Path, tmp_path: Path) -> None:
    out = scanned / "scan"
    assert sorted(p.name for p in out.iterdir()) == ["point_000", "point_001", "point_002", "point_003", "scan.ecsv", "scan.json"]
    points = [(r, e) for r in RIGIDITIES for e in ETAS]  # rigidity-major
    for k, (rigidity, eta) in enumerate(points):
        assert cli.run(_simulate_args(tmp_path, rigidity, eta, f"sim{k}")) == 0
        _assert_identical_folders(out / f"point_{k:03d}", tmp_path / f"sim{k}")
        run = json.loads((out / f"point_{k:03d}" / "run.json").read_text())
        assert run["model"]["eta"] == float(eta)


def test_summary_table_rows_are_the_points_tables(scanned: Path, units_everywhere) -> None:
    out = scanned / "scan"
    table = units_everywhere(out / "scan.ecsv")
    assert table.colnames == ["rigidity", "rho", "eta", "realisations", "T_max", "Omega_T_max", "tau_s_QLT", "Omega_tau_s_QLT",
                              "tau_s", "Omega_tau_s", "tau_s_err", "Omega_tau_s_err", "C1_sub_over_C1_QLT", "C1_sub_over_C1_QLT_err",
                              "cos_alpha", "converged", "folder"]
    assert table["rigidity"].unit == "TV" and list(table["rigidity"].value) == [30000.0, 30000.0, 10000.0, 10000.0]
    assert list(table["eta"].value) == [0.3, 0.5, 0.3, 0.5] and list(table["realisations"]) == [2] * 4
    assert reproducible(table.meta["provenance"]) == reproducible(provenance(table.meta["backend"], "float64"))
    assert table["rho"][0].value == pytest.approx(3 * table["rho"][2].value, rel=1e-12)  # rho is linear in the rigidity
    points = scan.points_from_args(_scan_args(scanned))
    for row, point in zip(table, points):
        folder = out / row["folder"]
        transport = QTable.read(folder / "ensemble_transport.ecsv")
        for name in ("Omega_tau_s", "Omega_tau_s_err", "tau_s", "tau_s_err", "cos_alpha"):
            assert row[name] == transport.meta[name], name
        assert row["converged"] == transport.meta["K_zz_converged"]
        assert row["T_max"] == transport["T"][-1] and row["Omega_T_max"] == transport["Omega_T"][-1]
        assert row["C1_sub_over_C1_QLT"].value == pytest.approx((transport["C1_sub"][-1] / transport["C1_QLT"][-1]).value, rel=1e-12)
        assert row["C1_sub_over_C1_QLT_err"].value == pytest.approx((transport["C1_sub_err"][-1] / transport["C1_QLT"][-1]).value, rel=1e-12)
        model = json.loads((folder / "run.json").read_text())["model"]
        assert model["rho"] == row["rho"].value and model["eta"] == row["eta"].value
        # the point's own slab QLT: Omega tau_s = Omega lambda_par / v = 3 K_zz^QLT (docs/physics.md), in yr with its own Omega
        assert point.config.model.rho == row["rho"].value
        assert row["Omega_tau_s_QLT"].value == pytest.approx(3 * parallel_diffusion(point.config.model), rel=1e-9)
        gyration = point.rigidity / (const.c**2 * point.config.model.physical.b_rms_G * u.G * math.sqrt(1 - point.config.model.eta))  # 1/Omega
        assert row["tau_s_QLT"].to_value(u.s) == pytest.approx(row["Omega_tau_s_QLT"].value * gyration.to_value(u.s), rel=1e-9)


def test_scan_resumes_and_extends_like_a_run(scanned: Path, tmp_path: Path) -> None:
    import shutil

    out = tmp_path / "scan"
    shutil.copytree(scanned / "scan", out)
    before = {p: p.stat().st_mtime_ns for p in out.glob("point_*/realisation_*.npz")}
    lost = out / "point_001" / "realisation_00000.npz"
    lost.unlink()
    (out / "point_002" / "realisation_00001.npz").write_bytes(b"half a file")
    assert scan.run(_scan_args(tmp_path)) == 0
    redone = {lost, out / "point_002" / "realisation_00001.npz"}
    for path, mtime in before.items():
        assert path in redone or path.stat().st_mtime_ns == mtime, f"{path} was redone"
    for k in range(4):
        _assert_identical_folders(out / f"point_{k:03d}", scanned / "scan" / f"point_{k:03d}")
    np.testing.assert_array_equal(QTable.read(out / "scan.ecsv")["Omega_tau_s"], QTable.read(scanned / "scan" / "scan.ecsv")["Omega_tau_s"])
    assert scan.run(_scan_args(tmp_path, "--realisations", "3")) == 0  # extends every point
    assert len(list(out.glob("point_*/realisation_*.npz"))) == 12
    assert list(QTable.read(out / "scan.ecsv")["realisations"]) == [3] * 4


def test_a_folder_of_another_scan_is_refused(scanned: Path, tmp_path: Path) -> None:
    import shutil

    out = tmp_path / "scan"
    shutil.copytree(scanned / "scan", out)
    before = sorted(out.rglob("*"))
    with pytest.raises(ValueError, match=r"other points \(differing: point_001, point_003\)"):
        scan.run(_scan_args(tmp_path, "--eta", "0.3", "0.6"))
    with pytest.raises(ValueError, match="other points"):
        scan.run(_scan_args(tmp_path, "--seed", "1"))
    assert sorted(out.rglob("*")) == before
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "x.txt").write_text("x")
    with pytest.raises(ValueError, match=r"holds no scan\.json"):
        scan.run(_scan_args(tmp_path, out="notes"))


def test_one_backtracking_time_leaves_convergence_unknown(tmp_path: Path) -> None:
    args = _scan_args(tmp_path, "--times", "2", "--realisations", "1")
    args.rigidity, args.eta = ["30PV"], [0.5]
    assert scan.run(args) == 0
    table = QTable.read(tmp_path / "scan" / "scan.ecsv")
    assert bool(table["converged"].mask[0])


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (("--rigidity", "30PV", "30PV"), "--rigidity values must be distinct"),
        (("--rigidity", "30PV", "3e16V"), "--rigidity values must be distinct"),
        (("--eta", "0.5", "0.5"), "--eta values must be distinct"),
        (("--eta", "0.5", "1.0"), "eta must satisfy"),
        (("--rigidity", "30PV", "1000"), "no unit"),
        (("--scheduler", "dask"), "--scheduler must be one of"),
        (("--realisations", "0"), "realisations"),
        (("--nside", "6"), "nside must be a power of two"),
        (("--geometry", "isotropic", "--eta", "1", "--diffusion", "qlt"), "qlt needs a QLT scattering time"),
        (("--lmax", "99"), "lmax"),
    ],
)
def test_bad_input_fails_before_any_work(tmp_path: Path, extra: tuple[str, ...], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        scan.run(_scan_args(tmp_path, *extra))
    assert not (tmp_path / "scan").exists()


def test_the_command_exits_2_with_the_option_named(tmp_path: Path, capsys) -> None:
    from crmix.cli import main

    assert main(["scan", "--out", str(tmp_path / "scan"), "--rigidity", "1PV", "1PV"]) == 2
    assert "--rigidity values must be distinct" in capsys.readouterr().err
    assert not (tmp_path / "scan").exists()


def test_a_scan_feeds_crmix_fit(tmp_path: Path, units_everywhere) -> None:
    """crmix fit reads the scan's points as runs: one fit row per point, the relation over them."""
    from crmix.commands import fit as fit_cli

    parser = argparse.ArgumentParser()
    fit_cli.add_arguments(parser)
    assert scan.run(_scan_args(tmp_path, "--realisations", "3", out="scan3")) == 0  # a jackknife needs 3
    points = [str(tmp_path / "scan3" / f"point_{k:03d}") for k in range(4)]
    args = parser.parse_args([*points, "--ell", "2:4", "--lmax", "8", "--bounds", "0.5:60", "--out", str(tmp_path / "fit"),
                              "--no-progress"])
    assert fit_cli.run(args) == 0
    table = units_everywhere(tmp_path / "fit" / "fit.ecsv")
    assert list(table["run"]) == points and np.all(table["low"] <= table["best"]) and np.all(table["best"] <= table["high"])
    summary = QTable.read(tmp_path / "scan3" / "scan.ecsv")
    np.testing.assert_allclose(table["rho"], summary["rho"], rtol=1e-12)
