"""Each command's estimate against the CPU time and peak memory it then takes, at small settings.

    python benchmarks/estimates.py [--only simulate,spectrum,fit,compare]

For each command the estimate is made here as the command makes it (crmix.simulate.resources,
crmix.solver.resources through SpectrumRequest.estimate, crmix.fit.resources, crmix.observe.resources)
on the reference machine's scale, that is without crmix.resources.speed_factor: its seconds plus the
start-up ``STARTUP_SECONDS``, its memory plus ``LIBRARY_BYTES``.  The command then runs as the
console script, one thread, in a child process, and the child's CPU time and peak resident memory
(``ru_maxrss`` of ``os.wait4``) are measured; CPU time, unlike wall-clock time, hardly depends on how
loaded the machine is (the load average and the wall-clock time are printed beside it).  ``crmix fit``
fits the run that the ``simulate`` row makes.  The column ``wall/est x f`` compares the wall-clock time with
the estimate the command prints, scaled by the speed factor measured just before the run.  Prints a table and the ratios measured / estimated
(the aim: between 1/2 and 2), and the probe workload's time (on the reference machine, quiet, the
constant ``REFERENCE_PROBE_SECONDS`` of crmix.resources).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _commands(folder: Path) -> dict[str, list[str]]:
    run = folder / "run"
    simulation = ["--times", "2,8", "--rigidity", "30PV", "--rg-over-lambda-min", "10", "--scheduler", "serial"]
    return {
        "simulate": ["simulate", "--out", str(run), "--nside", "8", "--realisations", "4", *simulation],
        "simulate16": ["simulate", "--out", str(folder / "run16"), "--nside", "16", "--realisations", "16", *simulation],
        "spectrum": ["spectrum", "--lmax", "60", "--out", str(folder / "spectrum")],
        "spectrum150": ["spectrum", "--lmax", "150", "--out", str(folder / "spectrum150")],
        "fit": ["fit", str(run), "--lmax", "30,60", "--out", str(folder / "fit")],
        "compare": ["compare", "--tiers", "3", "4", "--lmax", "45", "--grid", "5", "--realisations", "16", "--nside", "32",
                    "--out", str(folder / "compare")],
    }


def estimate(argv: list[str]):  # -> crmix.resources.ResourceEstimate
    """The estimate ``crmix *argv`` makes before it starts, on the reference machine's scale (no speed factor)."""
    from crmix.commands import compare, fit, simulate, spectrum
    from crmix.commands.main import build_parser
    from crmix.fit.data import read_shape
    from crmix.fit.resources import fit_estimate
    from crmix.observe.resources import compare_estimate
    from crmix.simulate.resources import simulation_estimate

    args = build_parser(argv[0]).parse_args(argv)
    if argv[0] == "simulate":
        return simulation_estimate(simulate.config_from_args(args)[0], args.realisations)
    if argv[0] == "spectrum":
        return spectrum.request_from_args(args).estimate()
    if argv[0] == "fit":
        request = fit.request_from_args(args)
        return fit_estimate([read_shape(r, time=request.time).model for r in request.runs], list(request.lmax), request.bounds)
    return compare_estimate(compare.request_from_args(args).comparison)


def measure(argv: list[str]) -> dict[str, float]:
    """Run ``crmix *argv`` in a child: its wall and CPU seconds and peak resident bytes."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "crmix.cli", *argv, "--no-progress"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"crmix {' '.join(argv)} failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak": usage.ru_maxrss * 1024.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="simulate,simulate16,spectrum,spectrum150,fit,compare")
    args = parser.parse_args()
    from crmix.resources import LIBRARY_BYTES, STARTUP_SECONDS, _probe_workload, speed_factor

    _probe_workload()
    probe = []
    for _ in range(5):
        t = time.perf_counter()
        _probe_workload()
        probe.append(time.perf_counter() - t)
    print(f"load average {os.getloadavg()[0]:.2f}; probe workload {sorted(probe)[2] * 1e3:.1f} ms (median of 5)")
    print(f"{'command':>11} {'work':>28} {'est. CPU':>9} {'CPU':>7} {'wall':>7} {'CPU/est':>8} {'wall/est x f':>13} {'est. memory':>12} "
          f"{'peak RSS':>9} {'peak/est':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        commands = _commands(Path(tmp))
        for name in args.only.split(","):
            if name == "fit" and not (Path(tmp) / "run").exists():
                measure(commands["simulate"])
            argv = commands[name]
            e = estimate(argv)
            seconds, memory = e.seconds + STARTUP_SECONDS, e.peak_memory + LIBRARY_BYTES
            factor = speed_factor.__wrapped__()  # measured afresh, as the command measures it when it starts
            r = measure(argv)
            work = ", ".join(f"{v:.3g} {k}" for k, v in e.work.items())
            print(f"{name:>11} {work:>28} {seconds:8.3g}s {r['cpu']:6.3g}s {r['wall']:6.3g}s {r['cpu'] / seconds:8.2f} {r['wall'] / (seconds * factor):13.2f} "
                  f"{memory / 2**20:8.0f} MiB {r['peak'] / 2**20:5.0f} MiB {r['peak'] / memory:9.2f}", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
