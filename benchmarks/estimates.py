"""Each command's estimate (what it prints before it starts) against the time and peak memory it then takes.

    python benchmarks/estimates.py [--only simulate,spectrum,fit,compare]

Runs each command at a small setting as the console script, one thread, in a child process, with its
progress shown (so that it prints its estimate: ``crmix COMMAND: ...: about M of memory (...) and
about T``), and measures the child's wall-clock and CPU time and its peak resident memory
(``ru_maxrss`` of ``os.wait4``).  The estimate's seconds are "on this machine now" (scaled by
crmix.resources.speed_factor, the load included), so they are compared with the wall-clock time; the
CPU time and the load average are printed beside them.  ``crmix fit`` fits the run that the
``simulate`` row makes.  Prints a table and the ratios measured / estimated (the aim: between 1/2
and 2).  It also prints the probe workload's time: run on the reference machine, quiet, it is the
constant ``REFERENCE_PROBE_SECONDS`` of crmix.resources.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

UNITS = {"B": 1.0, "KiB": 2.0**10, "MiB": 2.0**20, "GiB": 2.0**30, "TiB": 2.0**40,
         "s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
ESTIMATE = re.compile(r"about ([\d.e+]+) (\w+) of memory .* and about ([\d.e+]+) ?(\w+)")


def _commands(folder: Path) -> dict[str, list[str]]:
    run = folder / "run"
    return {
        "simulate": ["simulate", "--out", str(run), "--nside", "8", "--times", "2,8", "--rigidity", "30PV",
                     "--rg-over-lambda-min", "10", "--realisations", "4", "--scheduler", "serial"],
        "spectrum": ["spectrum", "--lmax", "60", "--out", str(folder / "spectrum")],
        "fit": ["fit", str(run), "--lmax", "30,60", "--out", str(folder / "fit")],
        "compare": ["compare", "--tiers", "3", "4", "--lmax", "45", "--grid", "5", "--realisations", "16", "--nside", "32",
                    "--out", str(folder / "compare")],
    }


def measure(argv: list[str]) -> dict[str, float]:
    """Run ``crmix *argv`` in a child; its printed estimate, wall and CPU seconds, peak resident bytes."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    out = tempfile.TemporaryFile(mode="w+")
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "crmix.cli", *argv], stdout=out, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    text = out.read()
    if proc.returncode != 0:
        raise SystemExit(f"crmix {' '.join(argv)} failed ({proc.returncode}):\n{text}")
    m = ESTIMATE.search(text)
    if m is None:
        raise SystemExit(f"crmix {argv[0]} printed no estimate:\n{text}")
    return {"memory_estimate": float(m[1]) * UNITS[m[2]], "seconds_estimate": float(m[3]) * UNITS[m[4]],
            "wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak": usage.ru_maxrss * 1024.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="simulate,spectrum,fit,compare")
    args = parser.parse_args()
    from crmix.resources import _probe_workload, speed_factor

    _probe_workload()
    probe = []
    for _ in range(5):
        t = time.perf_counter()
        _probe_workload()
        probe.append(time.perf_counter() - t)
    print(f"load average {os.getloadavg()[0]:.2f}; probe workload {sorted(probe)[2] * 1e3:.1f} ms (median of 5), "
          f"speed factor {speed_factor():.2f}")
    print(f"{'command':>9} {'est. time':>10} {'wall':>8} {'CPU':>8} {'wall/est':>9} {'est. memory':>12} {'peak RSS':>9} "
          f"{'peak/est':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        commands = _commands(Path(tmp))
        for name in args.only.split(","):
            if name == "fit" and not (Path(tmp) / "run").exists():
                measure(commands["simulate"])
            r = measure(commands[name])
            print(f"{name:>9} {r['seconds_estimate']:9.3g}s {r['wall']:7.3g}s {r['cpu']:7.3g}s "
                  f"{r['wall'] / r['seconds_estimate']:9.2f} {r['memory_estimate'] / 2**20:8.0f} MiB {r['peak'] / 2**20:5.0f} MiB "
                  f"{r['peak'] / r['memory_estimate']:9.2f}", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
