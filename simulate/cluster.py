"""Dask as the engine of an ensemble: one task per realisation, its file the record.

Engines (``--scheduler``, ``--cluster``):

    serial            one process, one realisation after another; numba's kernel uses every core
    local             a Dask LocalCluster on this machine (loopback only): W worker processes with one
                      task thread each and numba's thread pool of cores // W threads (workers x threads
                      = cores, no oversubscription)
    tcp://HOST:PORT   an existing Dask scheduler; its workers must see the output folder
    --cluster slurm   dask-jobqueue's SLURMCluster from a configuration file (--cluster-config), the
                      ``jobqueue: slurm:`` section of a Dask configuration (examples/slurm-jobqueue.yaml)
    auto              local when more than one worker helps (at least two cores and two realisations
                      to compute, and enough work to repay the cluster's start-up), else serial

Realisation i of a run depends on (run.json parameters, seed, i) alone
(:func:`crmix.simulate.store.compute_realisation`), so its task is keyed by the hash of those
parameters, the seed, the index, and the output folder (two folders are two files to write).  The
task writes its own files atomically and returns the realisation's observables; a task whose file
is already there and readable (a worker died after writing it, or another client computed it) only
reads it.  The client releases each result as it arrives, so a worker that dies takes with it only
the tasks it was running; the scheduler reruns those elsewhere.  Dask keeps nothing across restarts:
a rerun asks :func:`crmix.simulate.store.finished_realisations` and submits only the rest.  The
reduction to ensemble tables happens on the client after the tasks.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import re
import socket
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmix.simulate.config import SimulationConfig
from crmix.validation import integer

if TYPE_CHECKING:
    from crmix.simulate.ensemble import RealisationResult

__all__ = [
    "AUTO_MIN_PARTICLE_STEPS",
    "CLUSTERS",
    "DEFAULT_SLURM_WORKERS",
    "SCHEDULERS",
    "SCHEDULER_TIMEOUT",
    "Engine",
    "RealisationTask",
    "WorkerLost",
    "available_cores",
    "compute_realisations",
    "local_cluster",
    "slurm_cluster",
]

SCHEDULERS = ("auto", "serial", "local")
CLUSTERS = ("slurm",)
DEFAULT_SLURM_WORKERS = 4
#: below this many particle-steps in all (~20 s of kernel work on 2 cores), a LocalCluster's start-up
#: (~4 s: processes, imports, numba compilation in each worker) is not repaid by overlapping the
#: single-threaded part of the realisations; benchmarks/RESULTS.md, "Ensembles on Dask"
AUTO_MIN_PARTICLE_STEPS = 2e9
#: seconds to wait for an existing scheduler (--scheduler tcp://...) to accept a connection, and to answer as Dask
SCHEDULER_TIMEOUT = 5.0
_ADDRESS = re.compile(r"^tcp://(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(?P<port>\d{1,5})$")


def available_cores() -> int:
    """CPU cores this process may use (the affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS
        return os.cpu_count() or 1


def _have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _slurm_settings(path: Path) -> dict[str, Any]:
    """The ``jobqueue: slurm:`` section of a Dask configuration file, checked against dask-jobqueue's keys."""
    import dask_jobqueue  # noqa: F401  (installs jobqueue's defaults into dask.config)
    import yaml
    from dask import config as dask_config

    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"--cluster-config {str(path)!r} cannot be read as YAML: {exc}") from exc
    section = (data or {}).get("jobqueue", {}) if isinstance(data, dict) else None
    section = section.get("slurm") if isinstance(section, dict) else None
    if not isinstance(section, dict):
        raise ValueError(f"--cluster-config {str(path)!r} has no 'jobqueue: slurm:' section (see examples/slurm-jobqueue.yaml)")
    known = {k.replace("_", "-") for k in dask_config.get("jobqueue.slurm")}
    unknown = sorted(k for k in section if str(k).replace("_", "-") not in known)
    if unknown:
        raise ValueError(f"--cluster-config {str(path)!r}: unknown jobqueue.slurm keys {unknown}; known: {sorted(known)}")
    return {str(k).replace("_", "-"): v for k, v in section.items()}


@dataclass(frozen=True)
class Engine:
    """Where the realisations run (module docstring); every check in the constructor, before any work.

    scheduler
        ``"auto"``, ``"serial"``, ``"local"`` or ``"tcp://HOST:PORT"``.
    cluster, cluster_config
        ``"slurm"`` and the Dask configuration file with its ``jobqueue: slurm:`` section.
    workers
        Worker processes: of the LocalCluster (default: one per core, at most one per task) or of
        the Slurm cluster (default :data:`DEFAULT_SLURM_WORKERS`).
    """

    scheduler: str = "auto"
    cluster: str | None = None
    cluster_config: str | os.PathLike[str] | None = None
    workers: int | None = None

    def __post_init__(self) -> None:
        s = self.scheduler
        if s not in SCHEDULERS and not _ADDRESS.match(s):
            raise ValueError(f"--scheduler must be one of {SCHEDULERS} or tcp://HOST:PORT (an existing Dask scheduler), got {s!r}")
        if (m := _ADDRESS.match(s)) and not 0 < int(m["port"]) < 65536:
            raise ValueError(f"--scheduler {s!r}: the port must be between 1 and 65535")
        if self.workers is not None:
            integer("--workers", self.workers, ge=1)
        option = f"--cluster {self.cluster}" if self.cluster is not None else f"--scheduler {s}"
        if (s not in ("auto", "serial") or self.cluster is not None) and not _have("distributed"):
            raise ValueError(f"{option} needs Dask: pip install 'crmix[cluster]'")
        if self.cluster is not None and not _have("dask_jobqueue"):
            raise ValueError(f"{option} needs dask-jobqueue: pip install 'crmix[cluster]'")
        if self.cluster is None:
            if self.cluster_config is not None:
                raise ValueError("--cluster-config needs --cluster slurm")
            if self.workers is not None and (s == "serial" or s.startswith("tcp://")):
                raise ValueError(f"--workers sizes a cluster crmix starts (local or slurm), not --scheduler {s}")
            return
        if self.cluster not in CLUSTERS:
            raise ValueError(f"--cluster must be one of {CLUSTERS}, got {self.cluster!r}")
        if s != "auto":
            raise ValueError(f"--cluster {self.cluster} starts its own scheduler: drop --scheduler {s}")
        if self.cluster_config is None:
            raise ValueError("--cluster slurm needs --cluster-config FILE (a dask-jobqueue configuration, see examples/slurm-jobqueue.yaml)")
        path = Path(self.cluster_config)
        if not path.is_file():
            raise ValueError(f"--cluster-config {str(path)!r} is not a file")
        _slurm_settings(path)

    def check_scheduler(self) -> None:
        """For ``tcp://HOST:PORT``: ValueError naming --scheduler unless something accepts a connection there within
        SCHEDULER_TIMEOUT seconds (checked before any work; the Dask handshake follows when the run starts)."""
        m = _ADDRESS.match(self.scheduler)
        if m is None:
            return
        host = m["host"].strip("[]")
        try:
            with socket.create_connection((host, int(m["port"])), timeout=SCHEDULER_TIMEOUT):
                pass
        except OSError as exc:
            why = "no answer" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
            raise ValueError(f"--scheduler {self.scheduler}: no Dask scheduler answers there ({why} within "
                             f"{SCHEDULER_TIMEOUT:g} s); start one (dask scheduler) or choose another --scheduler") from None

    def resolve(self, particle_steps: float, tasks: int, cores: int | None = None) -> str:
        """``"serial"``, ``"local"``, ``"address"`` or ``"slurm"`` for ``tasks`` tasks of ``particle_steps`` in all."""
        if self.cluster is not None:
            return self.cluster
        if self.scheduler.startswith("tcp://"):
            return "address"
        if self.scheduler != "auto":
            return self.scheduler
        cores = available_cores() if cores is None else cores
        if not _have("distributed"):
            return "serial"
        if self.workers is not None:
            return "local" if self.workers > 1 and tasks > 1 else "serial"
        helps = cores > 1 and tasks > 1 and particle_steps >= AUTO_MIN_PARTICLE_STEPS
        return "local" if helps else "serial"

    def local_size(self, tasks: int, cores: int | None = None) -> tuple[int, int]:
        """(worker processes, numba threads per worker) of a LocalCluster: workers x threads = cores."""
        cores = available_cores() if cores is None else cores
        workers = self.workers if self.workers is not None else max(1, min(cores, tasks))
        return workers, max(1, cores // workers)


class WorkerLost(RuntimeError):
    """A realisation whose task took its worker down every time Dask tried it (exit code 1)."""

    def __init__(self, task: RealisationTask, cause: BaseException) -> None:
        super().__init__(
            f"realisation {task.index} of {task.out} was lost with its worker every time it ran ({type(cause).__name__}: "
            f"{str(cause)[:200]}); a worker that dies on one task usually ran out of memory (see the estimate at the start) "
            "or was killed; the finished realisations are kept: rerun to resume, with fewer --workers or --scheduler serial"
        )
        self.index = task.index


# ---- the tasks --------------------------------------------------------------------------------
def _digest(obj: Any, n: int) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:n]


@dataclass(frozen=True)
class RealisationTask:
    """Realisation ``index`` of ``config`` written into ``out``: one task of the graph."""

    config: SimulationConfig
    out: Path
    index: int

    @property
    def key(self) -> str:
        """(parameters' hash, seed, index) and the folder: equal keys are the same files."""
        from crmix.simulate.store import run_parameters

        params = run_parameters(self.config)
        folder = _digest(str(Path(self.out).resolve()), 8)
        return f"crmix-realisation-{_digest(params, 16)}-seed{params['seed']}-{self.index:05d}-{folder}"

    @property
    def particle_steps(self) -> int:
        return self.config.particle_steps


def _realisation_task(config: SimulationConfig, out: str, index: int) -> RealisationResult:
    """What a worker runs: the stored realisation when its file is there and readable, else compute it."""
    from crmix.simulate.store import compute_realisation, read_finished_realisation, run_parameters

    stored = read_finished_realisation(Path(out), run_parameters(config), index)
    return stored if stored is not None else compute_realisation(config, Path(out), index)


# ---- clusters ---------------------------------------------------------------------------------
def local_cluster(workers: int, numba_threads: int) -> Any:
    """A LocalCluster on loopback: ``workers`` processes x one task thread, NUMBA_NUM_THREADS = ``numba_threads``."""
    from distributed import LocalCluster

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                            dashboard_address=None, env={"NUMBA_NUM_THREADS": str(numba_threads)})


@contextlib.contextmanager
def slurm_cluster(config_file: str | os.PathLike[str], **overrides: Any) -> Iterator[Any]:
    """dask-jobqueue's SLURMCluster configured by ``config_file`` (``jobqueue: slurm:``); ``overrides`` as keywords.

    The file's settings stay in force while the cluster lives (jobqueue reads them for every job).
    No job is submitted until the cluster is scaled.
    """
    import dask
    from dask_jobqueue import SLURMCluster

    settings = _slurm_settings(Path(config_file))
    with dask.config.set({f"jobqueue.slurm.{k}": v for k, v in settings.items()}):
        cluster = SLURMCluster(**overrides)
        try:
            yield cluster
        finally:
            cluster.close()


@contextlib.contextmanager
def _client(engine: Engine, kind: str, tasks: int, progress: bool) -> Iterator[Any]:
    from distributed import Client

    def say(text: str) -> None:
        if progress:
            print(f"crmix: {text}", file=sys.stderr)

    if kind == "address":
        engine.check_scheduler()
        try:
            client = Client(engine.scheduler, timeout=f"{SCHEDULER_TIMEOUT:g}s")
        except Exception as exc:  # refused, timed out, or not a Dask scheduler (its answer cannot be parsed)
            raise ValueError(f"--scheduler {engine.scheduler}: no Dask scheduler answers there "
                             f"({type(exc).__name__}: {str(exc)[:200]})") from exc
        with client:
            say(f"Dask scheduler {engine.scheduler}, {len(client.scheduler_info()['workers'])} workers")
            yield client
        return
    if kind == "local":
        workers, threads = engine.local_size(tasks)
        say(f"Dask LocalCluster, {workers} workers x {threads} numba thread{'s' if threads > 1 else ''}")
        with local_cluster(workers, threads) as cluster, Client(cluster) as client:
            yield client
        return
    workers = engine.workers or DEFAULT_SLURM_WORKERS
    with slurm_cluster(engine.cluster_config) as cluster, Client(cluster) as client:
        cluster.scale(min(workers, tasks))
        say(f"Slurm cluster via dask-jobqueue, {min(workers, tasks)} workers requested")
        yield client


def compute_realisations(
    engine: Engine,
    tasks: Sequence[RealisationTask],
    *,
    progress: bool = True,
    on_result: Callable[[RealisationTask, RealisationResult], None] | None = None,
    on_start: Callable[[], None] | None = None,
) -> list[RealisationResult]:
    """Run ``tasks`` on ``engine``; the results in the order of ``tasks``.

    The progress bar counts particle-steps (its rate and ETA) with tasks done / total in its label;
    ``on_start()`` is called once the engine is up, before the first task (the run's folder is opened
    there: nothing is written for an engine that cannot start); ``on_result(task, result)`` is called
    on the client as each result arrives.  A task whose worker died repeatedly (Dask gives up after its
    ``distributed.scheduler.allowed-failures``) ends the run with :class:`WorkerLost` naming its
    realisation; the finished ones are kept.
    """
    from tqdm.auto import tqdm

    tasks = list(tasks)
    steps = [t.particle_steps for t in tasks]
    kind = engine.resolve(sum(steps), len(tasks)) if tasks else "serial"
    results: list[RealisationResult | None] = [None] * len(tasks)
    with tqdm(total=sum(steps), unit="step", unit_scale=True, disable=not progress or not tasks, smoothing=0.1,
              desc=f"realisations 0/{len(tasks)}") as bar:

        def done(k: int, result: RealisationResult, count: int) -> None:
            results[k] = result
            bar.set_description(f"realisations {count}/{len(tasks)}")
            if on_result is not None:
                on_result(tasks[k], result)

        if kind == "serial":
            from crmix.simulate.store import compute_realisation

            if on_start is not None:
                on_start()
            for k, task in enumerate(tasks):
                done(k, compute_realisation(task.config, task.out, task.index, progress=bar), k + 1)
        else:
            from distributed import as_completed
            from distributed.scheduler import KilledWorker

            with _client(engine, kind, len(tasks), progress) as client:
                if on_start is not None:
                    on_start()
                futures = {client.submit(_realisation_task, t.config, str(t.out), t.index, key=t.key): k
                           for k, t in enumerate(tasks)}
                count = 0
                try:
                    for future in as_completed(futures):
                        k = futures[future]
                        try:
                            result = future.result()
                        except KilledWorker as exc:
                            raise WorkerLost(tasks[k], exc) from None
                        future.release()  # a worker lost later takes no finished result with it
                        count += 1
                        bar.update(steps[k])
                        done(k, result, count)
                except BaseException:
                    client.cancel(list(futures))
                    raise
    return [r for r in results if r is not None]  # every one is set once the loop ends
