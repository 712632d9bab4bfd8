"""Realisations per minute: serial against a Dask LocalCluster (crmix.simulate.cluster).

    python benchmarks/ensemble_dask.py [--realisations 16] [--nside 16] [--times 10,30,100] [--repeats 3]

The setting is small but real: slab turbulence at KPM's 1 PV (rho = 8.9e-3, eta = 0.5), lambda_min =
r_g/30, Kolmogorov, HEALPix Nside 16 (3072 particles), T = 10, 30, 100 (1/Omega), the default step
rule.  Each engine computes the same realisations into a fresh folder (their files are identical bit
for bit, tests/simulate/test_cluster.py); the reduction is not timed.  Printed per engine: workers x
numba threads, the wall time from the call to the last file (cluster start-up, worker imports and
numba compilation included), realisations per minute over that time, the steady rate between the
first and the last finished realisation, and particle-steps per second.  The last line is a
LocalCluster sized by hand against the rule workers x numba threads = cores (2 workers x all cores).  The load average before
and after says whether the machine was shared.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import statistics
import tempfile
import time
from pathlib import Path

from crmix.model import Spectrum, TurbulenceModel
from crmix.simulate.cluster import Engine, RealisationTask, available_cores, compute_realisations, local_cluster
from crmix.simulate.config import SimulationConfig
from crmix.simulate.store import prepare_folder, run_parameters

RHO = 8.9e-3  # 1 PV in 4 uG, L_c = 30 pc


def _config(nside: int, times: tuple[float, ...]) -> SimulationConfig:
    model = TurbulenceModel(geometry="slab", eta=0.5, rho=RHO, spectrum=Spectrum(kmax=2 * math.pi * 30 / RHO))
    return SimulationConfig(model=model, nside=nside, times=times, seed=1)


def _measure(engine: Engine | tuple[int, int], config: SimulationConfig, n: int, root: Path) -> tuple[float, float]:
    """(wall time to the last file, time between the first and the last finished realisation).

    ``engine`` may be (workers, numba threads) of a LocalCluster sized by hand (started in the timing).
    """
    out = Path(tempfile.mkdtemp(dir=root))
    prepare_folder(out, run_parameters(config))
    finished: list[float] = []
    tasks = [RealisationTask(config, out, i) for i in range(n)]
    start = time.perf_counter()
    with contextlib.ExitStack() as stack:
        if isinstance(engine, tuple):
            engine = Engine(scheduler=stack.enter_context(local_cluster(*engine)).scheduler_address)
        compute_realisations(engine, tasks, progress=False, on_result=lambda task, result: finished.append(time.perf_counter()))
    return finished[-1] - start, finished[-1] - finished[0]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--realisations", type=int, default=16)
    p.add_argument("--nside", type=int, default=16)
    p.add_argument("--times", default="10,30,100")
    p.add_argument("--repeats", type=int, default=3, help="interleaved repeats of every engine (the median is printed)")
    a = p.parse_args()
    config = _config(a.nside, tuple(float(t) for t in a.times.split(",")))
    steps = RealisationTask(config, Path("."), 0).particle_steps
    cores = available_cores()
    print(f"slab, rho = {RHO}, eta = 0.5, lambda_min = r_g/30, Nside = {a.nside}, T = {config.times}, dt = {config.dt:.4g}: "
          f"{steps:.3g} particle-steps per realisation, {a.realisations} realisations, {cores} cores")
    print(f"load average before: {os.getloadavg()}")
    engines = [
        ("serial", Engine(scheduler="serial"), f"1 x {cores}"),
        ("local, 2 workers", Engine(scheduler="local", workers=2), f"2 x {max(1, cores // 2)}"),
        ("local, 1 worker", Engine(scheduler="local", workers=1), f"1 x {cores}"),
        ("oversubscribed", (2, cores), f"2 x {cores}"),
    ]
    walls: dict[str, list[float]] = {name: [] for name, _, _ in engines}
    steadies: dict[str, list[float]] = {name: [] for name, _, _ in engines}
    with tempfile.TemporaryDirectory() as root:
        for _ in range(a.repeats):  # interleaved, so that a change of load on a shared machine hits every engine
            for name, engine, _ in engines:
                wall, steady = _measure(engine, config, a.realisations, Path(root))
                walls[name].append(wall)
                steadies[name].append(steady)
                print(f"  {name}: {wall:.1f} s", flush=True)
    print(f"load average after: {os.getloadavg()}")
    print(f"median of {a.repeats} interleaved repeats (range of realisations per minute in brackets)")
    print(f"{'engine':>18} {'workers x threads':>18} {'wall [s]':>9} {'real./min':>18} {'steady real./min':>17} {'steps/s':>10}")
    for name, _, size in engines:
        wall, steady = statistics.median(walls[name]), statistics.median(steadies[name])
        rates = sorted(60.0 * a.realisations / w for w in walls[name])
        spread = f"{60.0 * a.realisations / wall:.1f} [{rates[0]:.1f}-{rates[-1]:.1f}]"
        print(f"{name:>18} {size:>18} {wall:9.1f} {spread:>18} {60.0 * (a.realisations - 1) / steady:17.1f} "
              f"{steps * a.realisations / wall:10.3g}")


if __name__ == "__main__":
    main()
