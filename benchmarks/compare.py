"""crmix compare: the time printed before the fits start against the CPU time the comparison takes.

Runs the comparison of the shipped IceTop tiers at reduced settings (two tiers, three grid points,
l_max 60, 40 skies at Nside 32; an empty prediction cache) in this process and prints the estimated
predictions and seconds against the counted predictions and the measured CPU time (process_time:
run it with one thread, OMP_NUM_THREADS=1, on a loaded machine too).  Results: benchmarks/RESULTS.md.

    python benchmarks/compare.py [--tiers 1 2 3 4] [--grid 7] [--lmax 123] [--realisations 200] [--nside 64]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from crmix.commands import compare as cli
from crmix.observe.compare import run_comparison


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--tiers", nargs="+", default=["3", "4"])
    options.add_argument("--grid", default="3")
    options.add_argument("--lmax", default="60")
    options.add_argument("--realisations", default="40")
    options.add_argument("--nside", default="32")
    bench = options.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        parser = argparse.ArgumentParser()
        cli.add_arguments(parser)
        args = parser.parse_args(["--tiers", *bench.tiers, "--grid", bench.grid, "--lmax", bench.lmax, "--realisations",
                                  bench.realisations, "--nside", bench.nside, "--out", str(Path(tmp) / "cmp")])
        cmp = cli.request_from_args(args).comparison
        cpu, wall = time.process_time(), time.perf_counter()
        result = run_comparison(cmp)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    estimate = result.meta["estimate"]
    print(f"load average {os.getloadavg()[0]:.1f}; tiers {' '.join(bench.tiers)}, grid {bench.grid}, l_max {bench.lmax}, "
          f"{bench.realisations} skies at Nside {bench.nside}")
    print(f"{'':24s} {'estimated':>10s} {'measured':>10s} {'ratio':>6s}")
    print(f"{'exact predictions':24s} {estimate['predictions']:10d} {result.meta['predictions_evaluated']:10d} "
          f"{estimate['predictions'] / result.meta['predictions_evaluated']:6.2f}")
    print(f"{'CPU seconds':24s} {estimate['seconds']:10.1f} {cpu:10.1f} {estimate['seconds'] / cpu:6.2f}")
    print(f"{'wall seconds':24s} {'':10s} {wall:10.1f}")


if __name__ == "__main__":
    main()
