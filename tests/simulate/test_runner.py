"""crmix simulate end to end: files, resume after deletion and after a kill, bad input before work."""

from __future__ import annotations

import argparse
import dataclasses
import errno
import hashlib
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import astropy.units as u
import healpy as hp
import numpy as np
import pytest
from astropy.table import QTable

from crmix import Spectrum, TurbulenceModel
from crmix.cli import main
from crmix.commands import simulate as cli
from crmix.provenance import provenance, reproducible
from crmix.simulate import skymap, store
from crmix.simulate.config import SimulationConfig
from crmix.simulate.runner import run_ensemble
from crmix.simulate.store import sky_maps
from crmix.simulate.tables import run_record

MODEL = TurbulenceModel(eta=0.5, rho=0.3, spectrum=Spectrum(kmax=2 * math.pi * 10 / 0.3))
CONFIG = SimulationConfig(model=MODEL, nside=4, times=(2.0, 8.0), seed=42)


def _arrays(folder: Path) -> dict[str, dict[str, np.ndarray]]:
    out = {}
    for f in sorted(folder.glob("realisation_*.npz")):
        with np.load(f) as d:
            out[f.name] = {k: d[k] for k in d.files}
    return out


def _assert_same_runs(a: Path, b: Path) -> None:
    ra, rb = _arrays(a), _arrays(b)
    assert ra.keys() == rb.keys() and ra
    for name in ra:
        for key in ra[name]:
            np.testing.assert_array_equal(ra[name][key], rb[name][key], err_msg=f"{name}:{key}")
    with np.load(a / "ensemble.npz") as ea, np.load(b / "ensemble.npz") as eb:
        assert ea.files == eb.files
        for key in ea.files:
            if key == "metadata":  # the same but for when and by which command it was made
                assert same_origin(json.loads(str(ea[key])), json.loads(str(eb[key])))
            else:
                np.testing.assert_array_equal(ea[key], eb[key])


def same_origin(a: dict, b: dict) -> bool:
    """Two metadata records equal but for their provenance's date and command line."""
    return {**a, "provenance": reproducible(a["provenance"])} == {**b, "provenance": reproducible(b["provenance"])}


def test_run_writes_maps_and_observables(tmp_path: Path, units_everywhere) -> None:
    summary = run_ensemble(CONFIG, tmp_path / "run", 2, progress=False)
    files = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert files == ["ensemble.npz", "ensemble_cl.ecsv", "ensemble_realisations.ecsv", "ensemble_transport.ecsv",
                     "realisation_00000.fits", "realisation_00000.npz", "realisation_00001.fits", "realisation_00001.npz", "run.json"]
    from astropy.table import Table

    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["backend"] == "numba" and run["dtype"] == "float64" and run["provenance"]["crmix"]
    provenance_record = run["provenance"]
    transport = QTable.read(tmp_path / "run" / "ensemble_transport.ecsv")
    np.testing.assert_allclose(transport["Omega_K_zz"].value, summary.K_zz.value)
    # a model without a physical scale: its values in its own units alone (c = 1, times in 1/Omega)
    assert transport["Omega_K_zz"].unit == u.one and "Omega_K_zz_err" in transport.colnames and "K_zz" not in transport.colnames
    run.pop("provenance")
    assert transport.meta["parameters"] == run_record(run) and transport.meta["parameters"]["Omega_times"][0] == CONFIG.times[0]
    assert transport.meta["analysis"]["diffusion_source"] == "qlt"
    for name in ("ensemble_cl.ecsv", "ensemble_transport.ecsv", "ensemble_realisations.ecsv"):
        units_everywhere(tmp_path / "run" / name)
    cl = QTable.read(tmp_path / "run" / "ensemble_cl.ecsv")
    n_l = 2 * CONFIG.nside + 1
    assert cl.colnames[:2] == ["Omega_T", "ell"] and len(cl) == len(summary.times) * n_l == summary.cl_sub.size
    last = cl[cl["Omega_T"].value == summary.times[-1]]
    np.testing.assert_allclose(last["C_sub"].value, summary.cl_sub[-1])
    np.testing.assert_array_equal(last["ell"], np.arange(n_l))
    assert {"C_sub_err", "ratio", "ratio_err", "N"} <= set(cl.colnames)
    per = QTable.read(tmp_path / "run" / "ensemble_realisations.ecsv")
    assert len(per) == 2 * len(summary.times) * n_l
    np.testing.assert_allclose(per["C_sub"].value.reshape(2, len(summary.times), -1).mean(axis=0), summary.cl_sub)
    # the FITS maps (arrival directions, components) are the maps whose statistics were stored
    maps, meta = sky_maps(tmp_path / "run")
    assert maps.shape == (2, hp.nside2npix(CONFIG.nside))
    w = skymap.liouville_weights(np.asarray(meta["analysis"]["gradient"]), np.asarray(meta["analysis"]["K_liouville"]))
    for i in range(2):
        with np.load(tmp_path / "run" / f"realisation_{i:05d}.npz") as d:
            stored = skymap.quadratic_form(w, d["cross"][-1])
        # arrival-direction pixels: the antipodal reordering leaves C_l unchanged (float32 maps)
        np.testing.assert_allclose(skymap.angular_power(maps[i], 3 * CONFIG.nside - 1), stored, rtol=1e-4)
        momentum_order = np.empty_like(maps[i])
        momentum_order[skymap.arrival_order(CONFIG.nside)] = maps[i]
        np.testing.assert_allclose(skymap.angular_power(momentum_order, 3 * CONFIG.nside - 1), stored, rtol=1e-4)
    header = dict(hp.read_map(tmp_path / "run" / "realisation_00001.fits", field=0, h=True)[1])
    assert header["PIXDIR"] == "ARRIVAL" and header["CRFRAME"] == "B0" and header["TUNIT1"] == "c/Omega" and header["TTYPE1"] == "RX_1"
    # every table and the maps say what produced them
    origin = reproducible(provenance("numba", "float64"))
    assert reproducible(provenance_record) == origin and set(origin["versions"]) >= {"crmix", "python", "numpy", "scipy", "healpy", "numba"}
    for name in ("ensemble_cl.ecsv", "ensemble_transport.ecsv", "ensemble_realisations.ecsv"):
        assert reproducible(Table.read(tmp_path / "run" / name).meta["provenance"]) == origin, name
    with np.load(tmp_path / "run" / "ensemble.npz") as d:
        assert reproducible(json.loads(str(d["metadata"]))["provenance"]) == origin
    assert summary.n_realisations == 2 and summary.cl_num.shape == (2, 2 * CONFIG.nside + 1)
    assert 0.0 < summary.cos_alpha < 1.0


def test_resume_after_losing_a_realisation(tmp_path: Path) -> None:
    run_ensemble(CONFIG, tmp_path / "ref", 3, progress=False)
    run_ensemble(CONFIG, tmp_path / "cut", 3, progress=False)
    (tmp_path / "cut" / "realisation_00001.npz").unlink()
    (tmp_path / "cut" / ".realisation_00002.npz.x.tmp.npz").write_bytes(b"half a file")  # a write cut short
    good = (tmp_path / "cut" / "realisation_00002.npz").read_bytes()
    (tmp_path / "cut" / "realisation_00002.npz").write_bytes(good[: len(good) // 2])  # a truncated file: recomputed
    before = (tmp_path / "cut" / "realisation_00000.npz").stat().st_mtime_ns
    run_ensemble(CONFIG, tmp_path / "cut", 3, progress=False)
    assert (tmp_path / "cut" / "realisation_00000.npz").stat().st_mtime_ns == before  # kept, not redone
    _assert_same_runs(tmp_path / "ref", tmp_path / "cut")
    # another analysis of the same realisations re-reduces; the realisations stay
    from crmix.simulate.config import Analysis

    s = run_ensemble(CONFIG, tmp_path / "cut", 3, analysis=Analysis(diffusion="ensemble", noise="kpm"), progress=False)
    assert (tmp_path / "cut" / "realisation_00000.npz").stat().st_mtime_ns == before
    assert s.mapping["diffusion_source"] == "ensemble" and s.noise_estimator == "kpm"
    # a larger ensemble in the same folder extends it
    run_ensemble(CONFIG, tmp_path / "cut", 4, progress=False)
    assert (tmp_path / "cut" / "realisation_00003.npz").exists()


def test_killed_run_resumes_and_loses_nothing(tmp_path: Path) -> None:
    killed = tmp_path / "killed"
    script = (
        "import math, sys\n"
        "from crmix import Spectrum, TurbulenceModel\n"
        "from crmix.simulate.config import SimulationConfig\nfrom crmix.simulate.runner import run_ensemble\n"
        "m = TurbulenceModel(eta=0.5, rho=0.3, spectrum=Spectrum(kmax=2 * math.pi * 10 / 0.3))\n"
        "c = SimulationConfig(model=m, nside=4, times=(2.0, 8.0), seed=42)\n"
        f"run_ensemble(c, {str(killed)!r}, 40, progress=False)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    try:
        while not (killed / "realisation_00002.npz").exists():  # a hang ends at pytest-timeout's limit
            assert proc.poll() is None, "the run ended before it could be killed"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    done = sorted(p.name for p in killed.glob("realisation_*.npz"))
    assert 3 <= len(done) < 40
    run_ensemble(CONFIG, killed, len(done) + 2, progress=False)  # resume, and go a little further
    run_ensemble(CONFIG, tmp_path / "whole", len(done) + 2, progress=False)
    _assert_same_runs(killed, tmp_path / "whole")


def _args(tmp_path: Path, *extra: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(["--out", str(tmp_path / "out"), "--no-progress", "--nside", "2", "--times", "1,2",
                              "--realisations", "1", "--rigidity", "30PV", "--rg-over-lambda-min", "5", *extra])


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (("--nside", "6"), "nside must be a power of two"),
        (("--times", "0,3"), "times"),
        (("--times", "-1"), "times"),
        (("--rigidity=-1PV",), "rigidity"),
        (("--eta", "1.0"), "eta"),
        (("--eta", "0"), "eta"),
        (("--step", "10"), "step must be <="),
        (("--realisations", "0"), "realisations"),
        (("--seed", "-3"), "seed"),
        (("--brms", "4pc"), "brms"),
        (("--lmax", "99"), "lmax"),
        (("--rigidity", "1000"), "no unit"),
        (("--diffusion", "fast"), "diffusion"),
        (("--diffusion", "3e28"), "diffusion"),
        (("--diffusion", "3e28cm2/s,-1cm2/s"), "K_perp"),
        (("--geometry", "isotropic", "--eta", "1", "--diffusion", "qlt"), "qlt needs a QLT scattering time"),
        (("--geometry", "isotropic", "--slab-fraction", "0.5"), "--slab-fraction applies to --geometry composite only"),
        (("--geometry", "composite", "--eta", "1"), "--eta must satisfy 0 < eta < 1 for composite"),
        (("--nside", "8192"), "more than the .* this machine can give it"),
        (("--nside", "1024", "--times", "20000"), "pass --yes"),
        (("--rg-over-lambda-min", "1e6"), "reduce --nside, --rigidity, --rg-over-lambda-min"),
        (("--out", "/proc/crmix-x"), "output folder --out"),
    ],
)
def test_bad_input_fails_before_any_work(tmp_path: Path, extra: tuple[str, ...], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        cli.run(_args(tmp_path, *extra))
    assert not (tmp_path / "out").exists()


def test_cli_runs_and_refuses_a_folder_of_other_parameters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run(_args(tmp_path)) == 0
    assert "Omega tau_s" in capsys.readouterr().out
    assert (tmp_path / "out" / "simulate.png").stat().st_size > 10_000
    assert cli.run(_args(tmp_path, "--diffusion", "3e28cm2/s,1e27cm2/s", "--noise", "kpm")) == 0  # re-reduces
    assert "Liouville K (given)" in capsys.readouterr().out
    before = sorted((tmp_path / "out").iterdir())
    with pytest.raises(ValueError, match="other parameters"):
        cli.run(_args(tmp_path, "--seed", "1"))
    assert sorted((tmp_path / "out").iterdir()) == before
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("x")
    args = _args(tmp_path)
    args.out = str(tmp_path / "other")
    with pytest.raises(ValueError, match=r"holds no run\.json"):
        cli.run(args)


@pytest.mark.parametrize("extra", [("--geometry", "composite", "--slab-fraction", "0.3"), ("--geometry", "2d", "--field", "waves")])
def test_new_geometries_simulate(tmp_path: Path, extra: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    """2D and the composite are drawn by the tensor synthesis; the run records the geometry and its parameters."""
    assert cli.run(_args(tmp_path, *extra)) == 0
    params = json.loads((tmp_path / "out" / "run.json").read_text())
    config, _ = cli.config_from_args(_args(tmp_path, *extra))
    assert params["model"] == config.model.describe()
    assert params["model"]["geometry"] == extra[1]
    assert ("slab_fraction" in params["model"]) == (extra[1] == "composite")
    rebuilt = TurbulenceModel.from_description(params["model"], params["spectrum"])
    assert rebuilt == config.model
    assert f"{extra[1]}: rho" in capsys.readouterr().out


def test_fits_maps_read_with_healpy_and_carry_frame_units_and_parameters(tmp_path: Path) -> None:
    run_ensemble(CONFIG, tmp_path / "run", 1, progress=False)
    path = tmp_path / "run" / "realisation_00000.fits"
    maps, header = hp.read_map(path, field=None, h=True)
    header = dict(header)
    n_columns = len(skymap.COMPONENTS) * len(CONFIG.times)
    assert maps.shape == (n_columns, hp.nside2npix(CONFIG.nside)) and np.all(np.isfinite(maps))
    assert header["COORDSYS"] == "B0" and header["CRFRAME"] == "B0" and header["ORDERING"] == "RING"
    assert header["NSIDE"] == CONFIG.nside
    units = [header[f"TUNIT{k}"] for k in range(1, n_columns + 1)]  # every column states its unit
    names = [header[f"TTYPE{k}"] for k in range(1, n_columns + 1)]
    # a model without a physical scale: r in its own unit of length c/Omega, no physical parameters
    assert all(unit == ("c/Omega" if n.startswith("R") else "") for n, unit in zip(names, units)) and "" in units
    assert names[:7] == ["RX_1", "RY_1", "RZ_1", "PX_1", "PY_1", "PZ_1", "RX_2"] and "CRRIGID" not in header and "CRT1" not in header
    params = store.run_parameters(CONFIG)
    assert [header["CROMT1"], header["CROMT2"]] == params["recorded_times"]
    assert (header["CRGEOM"], header["CRSPEC"], header["CRSEED"], header["CRINDEX"]) == ("slab", "power_law", 42, 0)
    assert header["CRETA"] == MODEL.eta and header["CRRHO"] == MODEL.rho and header["CROMDT"] == params["dt"]
    assert header["CRNTIME"] == len(CONFIG.times) and header["CRFIELD"] == "grid"
    origin = provenance("numba", "float64")
    assert (header["CRVERSN"], header["CRCOMMIT"], header["CRBACKND"], header["CRPREC"]) == (origin["crmix"], origin["commit"], "numba", "float64")


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


def _argv(out: Path, *extra: str) -> list[str]:
    return ["simulate", "--out", str(out), "--no-progress", "--nside", "2", "--times", "1,2", "--rigidity", "30PV",
            "--rg-over-lambda-min", "5", "--scheduler", "serial", *extra]


def test_resume_with_another_backend_or_precision_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(_argv(out, "--realisations", "1")) == 0
    capsys.readouterr()
    before = _snapshot(out)
    assert main(_argv(out, "--realisations", "2", "--backend", "numpy")) == 2
    err = capsys.readouterr().err
    assert "other parameters" in err and "backend (--backend)" in err and "Traceback" not in err
    assert _snapshot(out) == before
    config, _ = cli.config_from_args(_args(tmp_path))
    with pytest.raises(ValueError, match=r"dtype \(the precision\)"):
        run_ensemble(dataclasses.replace(config, dtype="float32"), out, 2, progress=False)
    assert _snapshot(out) == before


def test_disk_full_during_a_realisation_write_leaves_nothing_partial_and_resumes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """An injected ENOSPC half-way through realisation 1's file: exit 1 naming it, no partial file, a resume recomputes it."""
    savez = np.savez

    def full_disk(file, *args, **kwds):
        if "index" in kwds and int(kwds["index"]) == 1:
            file.write(b"PK\x03\x04" + bytes(4096))  # the first part of the archive reaches the disk
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return savez(file, *args, **kwds)

    out = tmp_path / "out"
    monkeypatch.setattr(np, "savez", full_disk)
    assert main(_argv(out, "--realisations", "3")) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "realisation_00001.npz" in err and "Traceback" not in err
    assert sorted(p.name for p in out.iterdir()) == ["realisation_00000.fits", "realisation_00000.npz", "realisation_00001.fits", "run.json"]
    kept = (out / "realisation_00000.npz").stat().st_mtime_ns
    monkeypatch.undo()
    assert main(_argv(out, "--realisations", "3")) == 0
    assert (out / "realisation_00000.npz").stat().st_mtime_ns == kept
    assert main(_argv(tmp_path / "whole", "--realisations", "3")) == 0
    _assert_same_runs(out, tmp_path / "whole")


def test_corrupt_or_foreign_realisation_files_are_detected_and_recomputed(tmp_path: Path) -> None:
    """Complete-length files with wrong content: a flipped bit in the arrays (the zip's CRC-32), a flipped bit in
    the maps (the SHA-256 the arrays record), another realisation's valid file under this name (its index)."""
    from astropy.io import fits

    run_ensemble(CONFIG, tmp_path / "ref", 4, progress=False)
    run_ensemble(CONFIG, tmp_path / "cut", 4, progress=False)
    cut, params = tmp_path / "cut", store.run_parameters(CONFIG)

    def flip(path: Path, offset: int) -> None:
        data = bytearray(path.read_bytes())
        data[offset] ^= 0x10
        path.write_bytes(bytes(data))

    npz0 = cut / "realisation_00000.npz"
    flip(npz0, npz0.stat().st_size // 2)
    with fits.open(cut / "realisation_00001.fits") as hdul:
        data_start = hdul[1].fileinfo()["datLoc"]
    flip(cut / "realisation_00001.fits", data_start + 100)
    (cut / "realisation_00002.npz").write_bytes((tmp_path / "ref" / "realisation_00001.npz").read_bytes())
    (cut / "realisation_00002.fits").write_bytes((tmp_path / "ref" / "realisation_00001.fits").read_bytes())
    assert [store.read_finished_realisation(cut, params, i) is None for i in range(4)] == [True, True, True, False]
    kept = (cut / "realisation_00003.npz").stat().st_mtime_ns
    run_ensemble(CONFIG, cut, 4, progress=False)
    assert (cut / "realisation_00003.npz").stat().st_mtime_ns == kept
    _assert_same_runs(tmp_path / "ref", cut)
    for i in range(4):
        name = f"realisation_{i:05d}.fits"
        assert (cut / name).read_bytes() == (tmp_path / "ref" / name).read_bytes(), name


def test_sigkill_in_the_middle_of_a_realisation_write_loses_only_that_realisation(tmp_path: Path) -> None:
    """The process kills itself half-way through writing realisation 1's arrays: the name never appears half-written."""
    killed = tmp_path / "killed"
    script = (
        "import math, os, signal\n"
        "import numpy as np\n"
        "from crmix import Spectrum, TurbulenceModel\n"
        "from crmix.simulate.config import SimulationConfig\nfrom crmix.simulate.runner import run_ensemble\n"
        "savez = np.savez\n"
        "def dying(file, *args, **kwds):\n"
        "    if 'index' in kwds and int(kwds['index']) == 1:\n"
        "        file.write(b'PK\\x03\\x04' + bytes(4096))\n"
        "        file.flush()\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return savez(file, *args, **kwds)\n"
        "np.savez = dying\n"
        "m = TurbulenceModel(eta=0.5, rho=0.3, spectrum=Spectrum(kmax=2 * math.pi * 10 / 0.3))\n"
        "c = SimulationConfig(model=m, nside=4, times=(2.0, 8.0), seed=42)\n"
        f"run_ensemble(c, {str(killed)!r}, 3, progress=False)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL
    names = sorted(p.name for p in killed.iterdir())
    assert "realisation_00000.npz" in names and "realisation_00001.npz" not in names
    assert any(n.startswith(".realisation_00001.npz.") for n in names)  # the cut temporary file, under another name
    run_ensemble(CONFIG, killed, 3, progress=False)
    run_ensemble(CONFIG, tmp_path / "whole", 3, progress=False)
    _assert_same_runs(killed, tmp_path / "whole")


def test_a_run_reduced_by_an_earlier_crmix_is_refused_then_rereduced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Tables of the earlier layout (a column per time, times in 1/Omega without units) are refused by name with the
    way to re-reduce; crmix.simulate.rereduce rewrites them from the realisation files; maps whose columns are
    named by time (RX_T8) still read."""
    from astropy.io import fits
    from astropy.table import Table

    from crmix.fit.data import read_shape
    from crmix.simulate import rereduce

    out = tmp_path / "run"
    summary = run_ensemble(CONFIG, out, 3, progress=False)
    now = {name: QTable.read(out / name) for name in ("ensemble_cl.ecsv", "ensemble_transport.ecsv", "ensemble_realisations.ecsv")}
    before = read_shape(out, ells=(2, 6))
    tag = f"T{summary.times[-1]:.6g}"
    Table({"ell": np.arange(9), f"C_sub_{tag}": summary.cl_sub[-1]}).write(out / "ensemble_cl.ecsv", overwrite=True)
    Table({"T": np.repeat(summary.times, 9), "C_sub": summary.cl_sub.reshape(-1)}).write(out / "ensemble_realisations.ecsv",
                                                                                         overwrite=True)
    with pytest.raises(ValueError, match=r"ensemble_realisations\.ecsv was written by an earlier crmix.*rereduce\("):
        read_shape(out, ells=(2, 6))
    assert main(["fit", str(out), "--ell", "2:6", "--lmax", "16", "--out", str(tmp_path / "fit"), "--no-progress"]) == 2
    assert "was written by an earlier crmix" in capsys.readouterr().err and not (tmp_path / "fit").exists()
    rereduce(out)
    for name, table in now.items():
        again = QTable.read(out / name)
        assert again.colnames == table.colnames
        for column in table.colnames:
            np.testing.assert_array_equal(np.asarray(again[column]), np.asarray(table[column]), err_msg=f"{name}:{column}")
    after = read_shape(out, ells=(2, 6))
    np.testing.assert_array_equal(after.ratio, before.ratio)
    # the maps of an earlier crmix: columns named by the time in 1/Omega, no CROMTk keywords
    maps, _ = sky_maps(out)
    path = out / "realisation_00000.fits"
    with fits.open(path) as hdul:
        for k, t in enumerate(summary.times, 1):
            for c in skymap.COMPONENTS:
                hdul[1].columns.change_name(f"{c.upper().replace('_', '')}_{k}", f"{c.upper().replace('_', '')}_T{t:.6g}")
            del hdul[1].header[f"CROMT{k}"]
        hdul.writeto(tmp_path / "old.fits")
    (tmp_path / "old.fits").replace(path)
    record = out / "realisation_00000.npz"  # an earlier crmix recorded the SHA-256 of the file it wrote
    with np.load(record) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["fits_sha256"] = np.array(hashlib.sha256(path.read_bytes()).hexdigest())
    np.savez(record, **arrays)
    np.testing.assert_array_equal(sky_maps(out)[0], maps)
    with pytest.raises(ValueError, match=r"holds no ensemble\.npz"):
        rereduce(tmp_path)
