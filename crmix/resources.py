"""Resources before work: what a command will need, checked against this machine before it starts.

Each command estimates, before any heavy step, its work as a count of units (particle-steps,
mixing matrices at l_max, theory evaluations, ...; ``ResourceEstimate.work``, which the run reports
too and the tests compare), its peak memory by part (tables, grids, particles, maps, matrices) and
its run time: the work times the seconds per unit measured by benchmarks/estimates.py on the
reference machine (benchmarks/RESULTS.md), scaled by :func:`speed_factor`, a fraction of a second of
a fixed workload timed when the estimate is made -- how much slower this machine runs now, load
included, than the reference did.  :func:`calibrated` adds the start-up of a command (loading the
interpreter, crmix's libraries and numba's cached kernels, ``STARTUP_SECONDS``), that factor, and the
memory of the interpreter with those libraries (``LIBRARY_BYTES``).  :func:`require` refuses what cannot fit the
memory this machine has available, naming the options that set the size, and asks for an explicit
``--yes`` beyond ``HOURS_WITHOUT_CONFIRMATION`` hours.  The estimates aim at a factor 2 of the
measured time and peak memory (benchmarks/RESULTS.md, "Estimates against measurements").
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field, replace
from functools import cache

__all__ = [
    "HOURS_WITHOUT_CONFIRMATION",
    "LIBRARY_BYTES",
    "STARTUP_SECONDS",
    "ResourceEstimate",
    "available_memory",
    "calibrated",
    "format_bytes",
    "format_seconds",
    "require",
    "speed_factor",
]

#: Longer runs need an explicit --yes.
HOURS_WITHOUT_CONFIRMATION = 2.0
#: Fraction of the available memory a run may plan to use.
MEMORY_FRACTION = 0.85
#: peak memory of the interpreter with a command's libraries loaded and numba's kernels compiled (benchmarks/RESULTS.md)
LIBRARY_BYTES = 280.0 * 2**20
#: CPU seconds of a command's start-up on the reference machine, before its work (benchmarks/estimates.py)
STARTUP_SECONDS = 2.5
#: seconds of :func:`_probe_workload` on the reference machine, one thread: its CPU time (12-24 ms, median of 15, at
#: load 9; its wall-clock time when quiet), the scale of the CPU seconds of the estimates (benchmarks/estimates.py)
REFERENCE_PROBE_SECONDS = 0.02
#: the factor is kept within these bounds (a probe disturbed by a passing spike says nothing of a run of hours)
SPEED_FACTOR_RANGE = (0.25, 50.0)


def available_memory() -> float:
    """Bytes of memory available to a new process (MemAvailable of /proc/meminfo, else physical memory)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024.0
    except OSError:
        pass
    return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def format_bytes(n: float) -> str:
    for unit, size in (("TiB", 2.0**40), ("GiB", 2.0**30), ("MiB", 2.0**20), ("KiB", 2.0**10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.0f} B"


def format_seconds(s: float) -> str:
    if not math.isfinite(s):
        return "unknown"
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if s >= size:
            return f"{s / size:.3g} {unit}"
    return f"{s:.2g} s"


def _probe_workload() -> None:
    """A fixed mix of what crmix's hot loops do (elementwise transcendentals, a sort, a small matrix product)."""
    import numpy as np

    x = np.linspace(0.0, 10.0, 100_000)
    y = np.sort(np.sin(x) * np.exp(-0.1 * x))
    m = y[:10_000].reshape(100, 100)
    float((m @ m.T).trace())


@cache
def speed_factor() -> float:
    """How many times longer work takes on this machine now than on the reference machine (module docstring):
    the median wall-clock time of five runs of a fixed workload over REFERENCE_PROBE_SECONDS (a few tenths of a
    second in all, measured once per process)."""
    _probe_workload()  # first touch: imports and page faults are not the machine's speed
    times = []
    for _ in range(5):
        start = time.perf_counter()
        _probe_workload()
        times.append(time.perf_counter() - start)
    factor = sorted(times)[len(times) // 2] / REFERENCE_PROBE_SECONDS
    return min(max(factor, SPEED_FACTOR_RANGE[0]), SPEED_FACTOR_RANGE[1])


@dataclass(frozen=True)
class ResourceEstimate:
    """Peak memory by part (bytes), run time (seconds) and work (units -> count) of one command."""

    memory: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    work: dict[str, float] = field(default_factory=dict)

    @property
    def peak_memory(self) -> float:
        return float(sum(self.memory.values()))

    def describe(self) -> str:
        parts = ", ".join(f"{name} {format_bytes(b)}" for name, b in self.memory.items() if b > 0)
        return f"about {format_bytes(self.peak_memory)} of memory ({parts}) and about {format_seconds(self.seconds)}"


def calibrated(estimate: ResourceEstimate) -> ResourceEstimate:
    """``estimate`` on this machine now: its seconds and the start-up times :func:`speed_factor`, the interpreter and
    libraries added."""
    return replace(estimate, seconds=(estimate.seconds + STARTUP_SECONDS) * speed_factor(),
                   memory={"interpreter and libraries": LIBRARY_BYTES, **estimate.memory})


def require(estimate: ResourceEstimate, *, size_options: str, yes: bool, memory: float | None = None,
            hours: float = HOURS_WITHOUT_CONFIRMATION) -> None:
    """ValueError when ``estimate`` cannot fit the memory (naming ``size_options``) or needs --yes."""
    limit = MEMORY_FRACTION * (available_memory() if memory is None else memory)
    if estimate.peak_memory > limit:
        raise ValueError(
            f"this run needs {estimate.describe()}, more than the {format_bytes(limit)} this machine can give it: "
            f"reduce {size_options}"
        )
    if estimate.seconds > hours * 3600.0 and not yes:
        raise ValueError(f"this run needs {estimate.describe()}; pass --yes to start it anyway (or reduce {size_options})")
