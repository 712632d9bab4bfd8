"""Faults while a command works: kills, interruptions, a full disk, damaged and concurrent run folders.

Every command runs as the console script in a subprocess; the faults are real signals (SIGKILL,
SIGINT, SIGTERM) sent from outside or, at a chosen point, through crmix.io's test hook
(``CRMIX_FAULT=ACTION@FILE``: the write of FILE fails after its temporary file is written, or the
publication of a set is killed just before FILE is renamed), an injected ENOSPC in the one atomic
write, damaged files and a second process on the same folder.  The answers (docs/inputs.md,
"Faults and their answers"): exit code 1 for a failure while working, 130 for an interruption, 2
for a folder at fault; nothing half-written under a final name, no temporary file left, nothing of
a set published unless all of it is; a rerun resumes and equals an uninterrupted run.  Nothing
here looks at the clock (a hang ends at pytest-timeout's limit).  The fast lane (``-m "not slow"``)
keeps a kill, the interruptions while writing and a held folder; the rest, several runs of the
console script each, is marked slow.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from crmix.io import FAULT_VARIABLE, is_temporary
from crmix.provenance import reproducible
from crmix.simulate.store import folder_lock

SIMULATION = ["--nside", "2", "--times", "1,2", "--rigidity", "30PV", "--rg-over-lambda-min", "5", "--scheduler", "serial",
              "--no-progress"]
REDUCTION = ("ensemble.npz", "ensemble_cl.ecsv", "ensemble_transport.ecsv", "ensemble_realisations.ecsv", "simulate.png")


def _env(fault: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != FAULT_VARIABLE}
    env.update(OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    if fault is not None:
        env[FAULT_VARIABLE] = fault
    return env


def _sigint_as_at_a_terminal() -> None:
    """SIGINT back to its default in the child: a shell starts background jobs (a test run among them) with
    SIGINT ignored, and Python keeps an ignored SIGINT ignored; a user's Ctrl-C reaches a foreground command."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def crmix(*args: str, cwd: Path, fault: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crmix.cli", *args], cwd=cwd, env=_env(fault), capture_output=True, text=True,
                          preexec_fn=_sigint_as_at_a_terminal)


def _simulate(out: Path, realisations: int, *extra: str, fault: str | None = None) -> subprocess.CompletedProcess[str]:
    return crmix("simulate", "--out", str(out), "--realisations", str(realisations), *SIMULATION, *extra, cwd=out.parent,
                 fault=fault)


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".*.tmp*"))


def _arrays(folder: Path) -> dict[str, dict[str, np.ndarray]]:
    """Every array of the realisations and of ensemble.npz; the metadata without the provenance's date and command line."""
    out = {}
    for f in sorted(folder.glob("realisation_*.npz")) + [folder / "ensemble.npz"]:
        with np.load(f) as d:
            out[f.name] = {k: d[k] for k in d.files if k != "metadata"}
            if "metadata" in d.files:
                meta = json.loads(str(d["metadata"]))
                out[f.name]["metadata"] = np.array(json.dumps({**meta, "provenance": reproducible(meta["provenance"])},
                                                              sort_keys=True))
    return out


def _run_record(run_json: Path | str) -> dict:
    """A run.json's record (a file, or its text) but for when and by which command line it was written."""
    record = json.loads(run_json.read_text() if isinstance(run_json, Path) else run_json)
    return {**record, "provenance": reproducible(record["provenance"])}


def _assert_same_run(a: Path, b: Path) -> None:
    """The realisations and the reduction of two run folders are equal bit for bit (but for when and by which command
    line they were made)."""
    ra, rb = _arrays(a), _arrays(b)
    assert ra.keys() == rb.keys()
    for name in ra:
        assert ra[name].keys() == rb[name].keys(), name
        for key in ra[name]:
            np.testing.assert_array_equal(ra[name][key], rb[name][key], err_msg=f"{name}:{key}")


@pytest.fixture(scope="module")
def whole_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted run of 3 realisations: the reference of every resumed run below."""
    out = tmp_path_factory.mktemp("whole") / "run"
    res = _simulate(out, 3)
    assert res.returncode == 0, res.stderr
    return out


# ---- crmix simulate: kills and interruptions -----------------------------------------------------
def test_kill_while_run_json_is_written_leaves_a_resumable_folder(tmp_path: Path, whole_run: Path) -> None:
    out = tmp_path / "run"
    res = _simulate(out, 3, fault="kill@run.json")
    assert res.returncode == -signal.SIGKILL
    assert not (out / "run.json").exists() and _temporaries(out)  # the cut write, under its temporary name
    res = _simulate(out, 3)
    assert res.returncode == 0, res.stderr
    assert not _temporaries(out)
    _assert_same_run(out, whole_run)


@pytest.mark.slow
def test_truncated_or_lost_run_json_is_recovered_from_the_realisations(tmp_path: Path, whole_run: Path) -> None:
    out = tmp_path / "run"
    res = _simulate(out, 2)
    assert res.returncode == 0, res.stderr
    kept = {p.name: p.stat().st_mtime_ns for p in out.glob("realisation_*")}
    run_json = (out / "run.json").read_text()
    (out / "run.json").write_text(run_json[: len(run_json) // 2])  # a truncated copy
    res = _simulate(out, 3)
    assert res.returncode == 0, res.stderr
    assert _run_record(out / "run.json") == _run_record(run_json)
    assert all((out / name).stat().st_mtime_ns == mtime for name, mtime in kept.items())  # nothing recomputed
    _assert_same_run(out, whole_run)
    (out / "run.json").unlink()  # lost altogether
    assert _simulate(out, 3).returncode == 0 and _run_record(out / "run.json") == _run_record(run_json)
    # realisations of other parameters are not adopted: the folder is refused, naming what differs
    (out / "run.json").unlink()
    res = _simulate(out, 3, "--seed", "5")
    assert res.returncode == 2 and "differing: seed (--seed)" in res.stderr and "read from its realisation files" in res.stderr
    assert not (out / "run.json").exists()


@pytest.mark.slow
def test_kill_between_the_files_of_a_reduction_is_refused_by_fit_and_mended_by_a_rerun(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert _simulate(out, 3).returncode == 0
    before = {name: (out / name).stat().st_mtime_ns for name in REDUCTION}
    res = _simulate(out, 3, "--noise", "kpm", fault="kill-publish@ensemble_transport.ecsv")  # a re-reduction, killed
    assert res.returncode == -signal.SIGKILL
    changed = [name for name in REDUCTION if (out / name).stat().st_mtime_ns != before[name]]
    assert changed == ["ensemble.npz", "ensemble_cl.ecsv"]  # published before the kill; the rest is the old analysis
    res = crmix("fit", str(out), "--lmax", "30", "--out", str(tmp_path / "fit"), "--no-progress", cwd=tmp_path)
    assert res.returncode == 2 and "different reductions" in res.stderr and "rerun the crmix simulate command" in res.stderr
    assert not (tmp_path / "fit").exists()
    res = _simulate(out, 3, "--noise", "kpm")
    assert res.returncode == 0, res.stderr
    assert not _temporaries(out)
    from crmix.simulate.reduced import read_reduced_run

    assert read_reduced_run(out).meta["analysis"]["noise_estimator"] == "kpm"


@pytest.mark.slow
def test_stale_temporary_files_are_removed_on_start(tmp_path: Path, whole_run: Path) -> None:
    out = tmp_path / "run"
    assert _simulate(out, 2).returncode == 0
    for name in (".realisation_00002.npz.k2j3.tmp.npz", ".ensemble_cl.ecsv.x9.tmp.ecsv", ".run.json.a1.tmp.json"):
        (out / name).write_bytes(b"half a file")
    assert _simulate(out, 3).returncode == 0
    assert not _temporaries(out)
    _assert_same_run(out, whole_run)


@pytest.mark.parametrize("action", ["interrupt", "term"])
def test_sigint_or_sigterm_while_writing_ends_cleanly_and_resumes(tmp_path: Path, whole_run: Path, action: str) -> None:
    out = tmp_path / "run"
    res = _simulate(out, 3, fault=f"{action}@realisation_00001.npz")
    assert res.returncode == 130, res.stderr
    assert "interrupted (SIG" in res.stderr and "rerun the same command to resume" in res.stderr and "Traceback" not in res.stderr
    assert (out / "realisation_00000.npz").exists() and not (out / "realisation_00001.npz").exists()
    assert not _temporaries(out) and not (out / "ensemble_cl.ecsv").exists()
    assert _simulate(out, 3).returncode == 0
    _assert_same_run(out, whole_run)


def _start(out: Path, realisations: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "crmix.cli", "simulate", "--out", str(out), "--realisations", str(realisations),
                             *SIMULATION], cwd=out.parent, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_sigint_as_at_a_terminal)


def _wait_for(path: Path, proc: subprocess.Popen[str]) -> None:
    while not path.exists():  # a hang ends at pytest-timeout's limit
        assert proc.poll() is None, proc.communicate()[1]
        time.sleep(0.05)


@pytest.mark.slow
def test_ctrl_c_from_outside_ends_with_130_and_the_rerun_completes(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = _start(out, 200)
    try:
        _wait_for(out / "realisation_00001.npz", proc)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and "interrupted (SIGINT)" in err and "Traceback" not in err
    done = sorted(p.name for p in out.glob("realisation_*.npz"))
    assert 2 <= len(done) < 200 and not _temporaries(out)
    assert _simulate(out, len(done) + 1).returncode == 0


@pytest.mark.slow
def test_a_second_process_on_the_same_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = _start(out, 200)
    try:
        _wait_for(out / "realisation_00000.npz", proc)
        before = sorted(p.name for p in out.iterdir() if not is_temporary(p))  # a temporary is renamed when its write ends
        res = _simulate(out, 200)
        assert res.returncode == 2 and "is in use by another crmix process" in res.stderr, res.stderr
        assert proc.poll() is None  # the first run goes on
        assert set(before) <= {p.name for p in out.iterdir()}
    finally:
        proc.kill()
        proc.wait()


def test_a_held_folder_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert _simulate(out, 1).returncode == 0
    snapshot = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    with folder_lock(out):
        res = _simulate(out, 2)
    assert res.returncode == 2 and "--out" in res.stderr and "in use" in res.stderr
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == snapshot


def test_rereduce_holds_the_folder_as_a_run_does(tmp_path: Path) -> None:
    """crmix.simulate.rereduce takes the run folder's lock: refused, naming the folder, while another holds it, with
    nothing written; once free it removes a killed write's temporary file and rewrites the reduction."""
    from crmix.simulate import rereduce

    out = tmp_path / "run"
    assert _simulate(out, 1).returncode == 0
    stale = out / ".ensemble.npz.abcd1234.tmp.npz"
    stale.write_bytes(b"cut")
    snapshot = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    with folder_lock(out), pytest.raises(ValueError, match=f"{re.escape(repr(str(out)))} is in use by another crmix process"):
        rereduce(out)
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == snapshot
    rereduce(out)
    assert not stale.exists() and not _temporaries(out)
    assert (out / "ensemble.npz").stat().st_mtime_ns != snapshot["ensemble.npz"]


# ---- every command: a full disk and an interruption while writing its outputs ---------------------
def _fit_args(run: Path, out: Path) -> list[str]:
    return ["fit", str(run), "--lmax", "30", "--out", str(out), "--no-progress"]


def _compare_args(run: Path, out: Path) -> list[str]:
    return ["compare", "--maps", str(run), "--time", "2", "--realisations", "4", "--out", str(out), "--no-progress"]


OUTPUTS = {
    "spectrum": (lambda run, out: ["spectrum", "--lmax", "20", "--out", str(out), "--no-progress"], ["spectrum.ecsv", "spectrum.png"]),
    "fit": (_fit_args, ["fit.ecsv", "fit_shapes.ecsv", "fit.png"]),
    "compare": (_compare_args, ["compare_spectra.ecsv", "compare_fit.ecsv", "compare.png"]),
}


@pytest.mark.slow
@pytest.mark.parametrize(("command", "fault", "code"), [
    (c, f"{action}@{OUTPUTS[c][1][-1]}", rc) for c in OUTPUTS for action, rc in (("enospc", 1), ("interrupt", 130))])
def test_a_failed_or_interrupted_write_publishes_none_of_the_set(tmp_path: Path, whole_run: Path, command: str, fault: str,
                                                                 code: int) -> None:
    make, names = OUTPUTS[command]
    out = tmp_path / "out"
    res = crmix(*make(whole_run, out), cwd=tmp_path, fault=fault)
    assert res.returncode == code, res.stderr
    assert "Traceback" not in res.stderr
    if code == 1:
        assert "No space left on device" in res.stderr and names[-1] in res.stderr
    assert not any((out / n).exists() for n in names) and not _temporaries(tmp_path)
    res = crmix(*make(whole_run, out), cwd=tmp_path)
    assert res.returncode == 0 and all((out / n).exists() for n in names), res.stderr


@pytest.mark.slow
def test_full_disk_during_a_reduction_publishes_none_of_it_and_a_rerun_reduces(tmp_path: Path, whole_run: Path) -> None:
    out = tmp_path / "run"
    res = _simulate(out, 3, fault="enospc@simulate.png")
    assert res.returncode == 1 and "No space left on device" in res.stderr and "simulate.png" in res.stderr
    assert not any((out / n).exists() for n in REDUCTION) and not _temporaries(out)
    assert len(list(out.glob("realisation_*.npz"))) == 3  # the finished realisations are kept
    assert _simulate(out, 3).returncode == 0
    _assert_same_run(out, whole_run)


# ---- Dask: a worker lost on every try -------------------------------------------------------------
@pytest.mark.slow
def test_a_realisation_that_kills_its_worker_every_time_is_named(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = [a for a in SIMULATION if a not in ("--scheduler", "serial")]
    res = subprocess.run([sys.executable, "-m", "crmix.cli", "simulate", "--out", str(out), "--realisations", "3", *args,
                          "--scheduler", "local", "--workers", "2"], cwd=tmp_path, env=_env("kill@realisation_00001.fits"),
                         capture_output=True, text=True)
    assert res.returncode == 1, res.stderr
    assert "realisation 1 of" in res.stderr and "was lost with its worker every time" in res.stderr
    assert "Traceback" not in res.stderr
    assert (out / "realisation_00000.npz").exists() and not (out / "realisation_00001.npz").exists()
