"""The Dask engine: bad input before work, sizing, task keys, a Slurm job script, worker loss, determinism.

Cluster start-up costs seconds on 2 cores, so the cluster tests share one LocalCluster (loopback,
2 worker processes) reached through its tcp:// address, and one more test starts ``--scheduler
local`` itself.  Nothing here contacts a scheduler that is not on 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table
from test_runner import CONFIG, _args, _assert_same_runs, same_origin

from crmix.commands import scan
from crmix.commands import simulate as cli
from crmix.simulate.cluster import (
    AUTO_MIN_PARTICLE_STEPS,
    Engine,
    RealisationTask,
    compute_realisations,
    local_cluster,
    slurm_cluster,
)
from crmix.simulate.runner import run_ensemble
from crmix.simulate.store import prepare_folder, run_parameters

REPO = Path(__file__).resolve().parents[2]
SAMPLE_SLURM = REPO / "examples" / "slurm-jobqueue.yaml"


def _assert_identical_folders(a: Path, b: Path) -> None:
    """Every array of the realisation .npz files and ensemble.npz, every FITS map, every table: equal bit for bit."""
    _assert_same_runs(a, b)
    for fa in sorted(a.glob("realisation_*.fits")):
        with fits.open(fa) as ha, fits.open(b / fa.name) as hb:
            assert ha[1].columns.names == hb[1].columns.names
            for name in ha[1].columns.names:
                np.testing.assert_array_equal(ha[1].data[name], hb[1].data[name], err_msg=f"{fa.name}:{name}")
    for name in ("ensemble_cl.ecsv", "ensemble_transport.ecsv", "ensemble_realisations.ecsv"):
        ta, tb = Table.read(a / name), Table.read(b / name)
        assert ta.colnames == tb.colnames and same_origin(ta.meta, tb.meta)
        for col in ta.colnames:
            np.testing.assert_array_equal(ta[col], tb[col], err_msg=f"{name}:{col}")


# ---- no cluster ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"scheduler": "dask"}, "--scheduler must be one of"),
        ({"scheduler": "127.0.0.1:8786"}, "tcp://HOST:PORT"),
        ({"scheduler": "tcp://127.0.0.1:99999"}, "port must be between"),
        ({"scheduler": "local", "workers": 0}, "--workers must be an integer >= 1"),
        ({"scheduler": "serial", "workers": 2}, "--workers sizes a cluster"),
        ({"scheduler": "tcp://127.0.0.1:8786", "workers": 2}, "--workers sizes a cluster"),
        ({"cluster": "pbs"}, "--cluster must be one of"),
        ({"cluster": "slurm"}, "needs --cluster-config"),
        ({"cluster": "slurm", "scheduler": "local", "cluster_config": str(SAMPLE_SLURM)}, "starts its own scheduler"),
        ({"cluster_config": str(SAMPLE_SLURM)}, "--cluster-config needs --cluster slurm"),
        ({"cluster": "slurm", "cluster_config": "no-such-file.yaml"}, "is not a file"),
    ],
)
def test_engine_refuses_bad_input(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Engine(**kwargs)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("jobqueue:\n  pbs:\n    cores: 1\n", "no 'jobqueue: slurm:' section"),
        ("jobqueue:\n  slurm:\n    cores: 1\n    gpus-per-node: 4\n", r"unknown jobqueue.slurm keys \['gpus-per-node'\]"),
        ("jobqueue: [unclosed\n", "cannot be read as YAML"),
    ],
)
def test_cluster_config_is_checked(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        Engine(cluster="slurm", cluster_config=path)


def test_cli_refuses_a_bad_engine_before_any_work(tmp_path: Path) -> None:
    from crmix.cli import main

    argv = ["simulate", "--out", str(tmp_path / "out"), "--nside", "2", "--times", "1,2", "--rigidity", "30PV", "--scheduler", "dask"]
    assert main(argv) == 2
    assert not (tmp_path / "out").exists()


def test_auto_chooses_a_cluster_only_when_more_than_one_worker_helps() -> None:
    big = 10 * AUTO_MIN_PARTICLE_STEPS
    assert Engine().resolve(big, tasks=8, cores=2) == "local"
    assert Engine().resolve(AUTO_MIN_PARTICLE_STEPS / 10, tasks=8, cores=2) == "serial"  # start-up not repaid
    assert Engine().resolve(big, tasks=1, cores=2) == "serial"  # one task: numba already uses every core
    assert Engine().resolve(big, tasks=8, cores=1) == "serial"
    assert Engine(workers=2).resolve(1.0, tasks=2, cores=2) == "local"
    assert Engine(workers=1).resolve(big, tasks=8, cores=2) == "serial"
    assert Engine(scheduler="serial").resolve(big, tasks=8, cores=16) == "serial"
    assert Engine(scheduler="tcp://127.0.0.1:8786").resolve(1.0, tasks=1) == "address"
    assert Engine(cluster="slurm", cluster_config=SAMPLE_SLURM).resolve(1.0, tasks=1) == "slurm"


@pytest.mark.parametrize(("cores", "workers", "tasks", "expected"), [
    (2, None, 8, (2, 1)), (16, None, 8, (8, 2)), (16, 4, 100, (4, 4)), (2, None, 1, (1, 2)), (2, 3, 9, (3, 1)),
])
def test_local_cluster_size_fills_the_cores_without_oversubscribing(cores, workers, tasks, expected) -> None:
    w, t = Engine(scheduler="local", workers=workers).local_size(tasks, cores=cores)
    assert (w, t) == expected
    assert w * t <= max(cores, w)


def test_task_keys_name_parameters_seed_index_and_folder(tmp_path: Path) -> None:
    from dataclasses import replace

    key = RealisationTask(CONFIG, tmp_path / "a", 3).key
    assert key == RealisationTask(CONFIG, tmp_path / "a", 3).key
    assert "-seed42-00003-" in key
    others = [RealisationTask(CONFIG, tmp_path / "a", 4), RealisationTask(replace(CONFIG, seed=7), tmp_path / "a", 3),
              RealisationTask(replace(CONFIG, nside=2), tmp_path / "a", 3), RealisationTask(CONFIG, tmp_path / "b", 3)]
    assert len({key, *(t.key for t in others)}) == 5


def test_serial_engine_shows_progress_and_writes_what_run_ensemble_writes(tmp_path: Path, capsys) -> None:
    prepare_folder(tmp_path / "a", run_parameters(CONFIG))
    tasks = [RealisationTask(CONFIG, tmp_path / "a", i) for i in (1, 0)]
    results = compute_realisations(Engine(scheduler="serial"), tasks, progress=True)
    assert [r.index for r in results] == [1, 0]
    err = capsys.readouterr().err
    assert "realisations 2/2" in err and "step/s" in err
    run_ensemble(CONFIG, tmp_path / "a", 2, progress=False)  # reduces what is there
    run_ensemble(CONFIG, tmp_path / "b", 2, progress=False)
    _assert_identical_folders(tmp_path / "a", tmp_path / "b")


def test_slurm_job_script_from_the_sample_config(tmp_path: Path, monkeypatch) -> None:
    """The sample file makes a job script (no Slurm installation; the scheduler listens on loopback, no job submitted).

    Run from a scratch folder: dask-jobqueue makes the sample's relative log directory where it starts."""
    monkeypatch.chdir(tmp_path)
    with slurm_cluster(SAMPLE_SLURM, scheduler_options={"host": "127.0.0.1", "dashboard_address": None}) as cluster:
        script = cluster.job_script()
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
    assert script.startswith("#!/usr/bin/env bash")
    for line in ("#SBATCH -J crmix-worker", "#SBATCH -p standard", "#SBATCH --cpus-per-task=16", "#SBATCH -t 04:00:00",
                 "export NUMBA_NUM_THREADS=16"):
        assert line in script, line
    assert "#SBATCH --mem=30G" in script  # 32 GB in GiB, as dask-jobqueue books it
    assert "--nthreads 1" in script and "--lifetime 3h50m" in script and "tcp://127.0.0.1:" in script


# ---- on a LocalCluster --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cluster():
    """One LocalCluster (loopback, 2 worker processes of one thread each) for the tests below."""
    with local_cluster(workers=2, numba_threads=1) as c:
        yield c


def _executions(cluster, keys: set[str]) -> dict[str, int]:
    """How often the scheduler sent each task to a worker (transitions into 'processing')."""
    counts = dict.fromkeys(keys, 0)
    for t in list(cluster.scheduler.transition_log):
        if t.key in counts and t.finish == "processing":
            counts[t.key] += 1
    return counts


def test_worker_loss_loses_nothing_and_recomputes_only_that_workers_tasks(tmp_path: Path, cluster) -> None:
    from distributed import Client

    n = 8
    out = tmp_path / "dask"
    engine = Engine(scheduler=cluster.scheduler_address)
    keys = [RealisationTask(CONFIG, out, i).key for i in range(n + 1)]
    kill: dict = {}
    ended = threading.Event()  # the killer watches until it has killed or the run has ended, whatever the clock

    def killer() -> None:
        with Client(cluster.scheduler_address) as client:
            while not ended.is_set() and "pid" not in kill:
                done = sorted(out.glob("realisation_*.npz"))
                busy = {w: ks for w, ks in client.processing().items() if ks}
                if len(done) >= 2 and busy:
                    worker, tasks = next(iter(busy.items()))
                    pid = client.run(os.getpid, workers=[worker])[worker]
                    kill.update(finished={p.name: p.stat().st_mtime_ns for p in out.glob("realisation_*.npz")},
                                tasks=set(tasks), pid=pid)
                    os.kill(pid, signal.SIGKILL)
                    # the scheduler may have handed the worker more tasks between the look and the kill: what it
                    # holds until the scheduler notices the death is what the death can cost
                    while worker in (held := client.processing()):
                        kill["tasks"] |= set(held[worker])
                        time.sleep(0.01)
                time.sleep(0.01)

    thread = threading.Thread(target=killer)
    thread.start()
    try:
        run_ensemble(CONFIG, out, n, engine=engine, progress=False)
    finally:
        ended.set()
        thread.join()
    assert "pid" in kill, "no worker was killed mid-run"
    assert 2 <= len(kill["finished"]) < n and kill["tasks"] <= set(keys)
    # nothing finished was lost or redone: every file finished before the kill is the same file
    for name, mtime in kill["finished"].items():
        assert (out / name).stat().st_mtime_ns == mtime, f"{name} was rewritten"
    assert len(list(out.glob("realisation_*.npz"))) == n
    # at most the killed worker's tasks went to a worker twice, every other task once
    runs = _executions(cluster, set(keys[:n]))
    recomputed = {k for k, c in runs.items() if c > 1}
    assert all(1 <= c <= 2 for c in runs.values()), runs
    assert recomputed <= kill["tasks"], (recomputed, kill["tasks"])
    print(f"worker loss: {len(kill['finished'])} of {n} finished at the kill, the killed worker held {len(kill['tasks'])} "
          f"task(s), {len(recomputed)} sent again, {sum(runs.values())} dispatches for {n} tasks")
    # a rerun computes only what is missing (the files are the record, Dask keeps nothing)
    kept = {p.name: p.stat().st_mtime_ns for p in out.glob("realisation_*.npz")}
    (out / "realisation_00001.npz").unlink()
    run_ensemble(CONFIG, out, n + 1, engine=engine, progress=False)
    again = _executions(cluster, set(keys))
    assert [again[k] - runs.get(k, 0) for k in keys] == [0, 1] + [0] * (n - 2) + [1]
    assert all((out / name).stat().st_mtime_ns == mtime for name, mtime in kept.items() if name != "realisation_00001.npz")
    run_ensemble(CONFIG, tmp_path / "serial", n + 1, engine=Engine(scheduler="serial"), progress=False)
    _assert_identical_folders(out, tmp_path / "serial")


def test_serial_and_local_dask_give_identical_files(tmp_path: Path, capsys) -> None:
    """--scheduler local (its own LocalCluster, 2 workers x 1 numba thread) against one process with 2 numba threads."""
    assert cli.run(_args(tmp_path, "--realisations", "4", "--scheduler", "serial")) == 0
    serial = tmp_path / "serial"
    (tmp_path / "out").rename(serial)
    capsys.readouterr()
    args = _args(tmp_path, "--realisations", "4", "--scheduler", "local", "--workers", "2")
    args.no_progress = False
    assert cli.run(args) == 0
    err = capsys.readouterr().err
    assert "Dask LocalCluster, 2 workers x 1 numba thread" in err
    assert "realisations 4/4" in err and "step/s" in err  # progress across the cluster: tasks, rate, ETA
    _assert_identical_folders(serial, tmp_path / "out")


def test_a_scan_is_one_task_graph_on_dask(tmp_path: Path, cluster, monkeypatch) -> None:
    """2 rigidities x 2 eta x 2 realisations: one submission of 8 tasks; each point equals the serial scan's."""
    import argparse

    from crmix.simulate import scan as scan_layer

    def args(out: str, scheduler: str) -> argparse.Namespace:
        parser = argparse.ArgumentParser()
        scan.add_arguments(parser)
        return parser.parse_args(["--out", str(tmp_path / out), "--no-progress", "--nside", "2", "--times", "1,2",
                                  "--realisations", "2", "--rg-over-lambda-min", "5", "--rigidity", "30PV", "10PV",
                                  "--eta", "0.3", "0.5", "--scheduler", scheduler])

    calls = []

    def spy(engine, tasks, **kwargs):
        calls.append(list(tasks))
        return compute_realisations(engine, tasks, **kwargs)

    monkeypatch.setattr(scan_layer, "compute_realisations", spy)
    assert scan.run(args("dask", cluster.scheduler_address)) == 0
    assert len(calls) == 1 and len(calls[0]) == 8 and len({t.out for t in calls[0]}) == 4
    runs = _executions(cluster, {t.key for t in calls[0]})
    assert set(runs.values()) == {1}
    assert scan.run(args("serial", "serial")) == 0
    for k in range(4):
        _assert_identical_folders(tmp_path / "dask" / f"point_{k:03d}", tmp_path / "serial" / f"point_{k:03d}")
    a, b = Table.read(tmp_path / "dask" / "scan.ecsv"), Table.read(tmp_path / "serial" / "scan.ecsv")
    for col in a.colnames:
        np.testing.assert_array_equal(a[col], b[col])


def test_without_dask_auto_runs_serially_and_a_cluster_is_refused(monkeypatch) -> None:
    from crmix.simulate import cluster

    monkeypatch.setattr(cluster, "_have", lambda module: False)
    assert Engine().resolve(10 * AUTO_MIN_PARTICLE_STEPS, tasks=8, cores=2) == "serial"
    with pytest.raises(ValueError, match=r"--scheduler local needs Dask: pip install 'crmix\[cluster\]'"):
        Engine(scheduler="local")
    with pytest.raises(ValueError, match="--cluster slurm needs Dask"):
        Engine(cluster="slurm", cluster_config=SAMPLE_SLURM)
