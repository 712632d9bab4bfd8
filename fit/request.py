"""What ``crmix fit`` fits, checked once: :class:`FitRequest`.

Built by the command from its options and equally by a Python user; the constructor checks every
value (a ValueError names the option and its range) before any run is read.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

from crmix.solver.choices import CLOSURES

__all__ = ["COVARIANCES", "DEFAULT_LMAX", "FitRequest", "parse_lmax", "parse_pair"]

#: the jackknife covariance over realisations: its diagonal, or the full matrix (crmix.fit.data)
COVARIANCES = ("diagonal", "full")
#: the truncations of the theory (the fit is repeated at each; docs/errata.md)
DEFAULT_LMAX = (50, 100, 200)


def parse_pair(text: str, name: str, kind: type) -> tuple[float, float]:
    """``lo:hi`` of --ell or --bounds."""
    try:
        lo, hi = (kind(part) for part in text.split(":"))
    except ValueError as exc:
        raise ValueError(f"{name} must be lo:hi, got {text!r}") from exc
    return lo, hi


def parse_lmax(text: str) -> tuple[int, ...]:
    """--lmax: comma-separated integers >= 2."""
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise ValueError(f"--lmax must be comma-separated integers >= 2, got {text!r}") from exc
    if not values:
        raise ValueError(f"--lmax must be comma-separated integers >= 2, got {text!r}")
    return tuple(values)


@dataclass(frozen=True)
class FitRequest:
    """The runs to fit and how (crmix.fit.shape.fit_run), checked in the constructor.

    runs        crmix simulate output folders.
    time        backtracking time T in 1/Omega (None: the largest of each run).
    ell         the fitted multipoles (lo, hi), 2 <= lo <= hi.
    lmax        the truncations of the theory, each > hi (sorted, without repeats after construction).
    covariance  one of :data:`COVARIANCES`.
    bounds      (lo, hi) of the fitted parameter, 0 < lo < hi finite (None: Omega dT in 2..300, alpha in 2..3000).
    closure     the theory's steady state (crmix.solver.choices.CLOSURES).
    mixing_run  crmix mixing run folders, one per fitted run's model: KPM (20) with the M measured by test
                particles instead of the first order (crmix.fit.mixing; closure "truncated"), Omega dT
                within each run's recorded range.
    """

    runs: Sequence[str | os.PathLike[str]]
    time: float | None = None
    ell: tuple[int, int] = (2, 20)
    lmax: Sequence[int] = DEFAULT_LMAX
    covariance: str = "diagonal"
    bounds: tuple[float, float] | None = None
    closure: str = "truncated"
    mixing_run: Sequence[str | os.PathLike[str]] | None = None

    def __post_init__(self) -> None:
        if not self.runs:
            raise ValueError("give at least one crmix simulate output folder (RUN)")
        object.__setattr__(self, "runs", tuple(self.runs))
        lo, hi = self.ell
        if not 2 <= lo <= hi:
            raise ValueError(f"--ell must be lo:hi with 2 <= lo <= hi, got {lo}:{hi}")
        lmax = tuple(sorted(set(int(v) for v in self.lmax)))
        if not lmax or lmax[0] < 2:
            raise ValueError(f"--lmax must be comma-separated integers >= 2, got {list(self.lmax)}")
        if lmax[0] < hi + 1:
            raise ValueError(f"--lmax must exceed the largest fitted multipole {hi}, got {lmax[0]}")
        object.__setattr__(self, "lmax", lmax)
        if self.bounds is not None and not 0 < self.bounds[0] < self.bounds[1] < math.inf:
            raise ValueError(f"--bounds must satisfy 0 < lo < hi (finite), got {self.bounds[0]}:{self.bounds[1]}")
        if self.covariance not in COVARIANCES:
            raise ValueError(f"--covariance must be one of {COVARIANCES}, got {self.covariance!r}")
        if self.closure not in CLOSURES:
            raise ValueError(f"--closure must be one of {CLOSURES}, got {self.closure!r}")
        if self.time is not None and not (math.isfinite(self.time) and self.time > 0):
            raise ValueError(f"--time must be a backtracking time > 0 (in 1/Omega), got {self.time}")
        if self.mixing_run is not None:
            if self.closure != "truncated":
                raise ValueError(f"--mixing-run is solved by KPM (20) truncated at lmax: drop --closure {self.closure}")
            object.__setattr__(self, "mixing_run", tuple(str(r) for r in self.mixing_run))

    def parameters(self) -> dict[str, object]:
        """The record of the request in fit.ecsv's metadata."""
        return {"runs": [str(r) for r in self.runs], "time": self.time, "ell": list(self.ell), "lmax": list(self.lmax),
                "covariance": self.covariance, "closure": self.closure, "bounds": list(self.bounds) if self.bounds else None,
                "mixing_runs": None if self.mixing_run is None else list(self.mixing_run)}
