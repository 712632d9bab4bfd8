"""Resources before work: what a command will need, checked against this machine before it starts.

Each command estimates its peak memory (by part: tables, grids, particles, maps, matrices) and its
run time (work x a measured rate, benchmarks/RESULTS.md) before any heavy step.  :func:`require`
refuses what cannot fit the memory this machine has available, naming the options that set the size,
and asks for an explicit ``--yes`` beyond ``HOURS_WITHOUT_CONFIRMATION`` hours.  Estimates are
deliberately round: they decide between "runs", "runs for hours" and "cannot run here".
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

__all__ = ["HOURS_WITHOUT_CONFIRMATION", "ResourceEstimate", "available_memory", "format_bytes", "format_seconds", "require"]

#: Longer runs need an explicit --yes.
HOURS_WITHOUT_CONFIRMATION = 2.0
#: Fraction of the available memory a run may plan to use.
MEMORY_FRACTION = 0.85


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


@dataclass(frozen=True)
class ResourceEstimate:
    """Peak memory by part (bytes) and run time (seconds) of one command."""

    memory: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def peak_memory(self) -> float:
        return float(sum(self.memory.values()))

    def describe(self) -> str:
        parts = ", ".join(f"{name} {format_bytes(b)}" for name, b in self.memory.items() if b > 0)
        return f"about {format_bytes(self.peak_memory)} of memory ({parts}) and about {format_seconds(self.seconds)}"


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
