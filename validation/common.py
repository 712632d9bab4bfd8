"""What the validation scripts share: a ``crmix mixing`` run's measured M beside the first order, and the
number formats of their Markdown tables."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.table import Table

__all__ = ["MixingComparison", "markdown_row", "value_error"]


@dataclass(frozen=True)
class MixingComparison:
    """The measured M, its error and the first order 1 + 2 M^(1a) + M^(1c) of a ``crmix mixing`` run
    (its ``mixing_theory.ecsv``), each of shape (n_T, lmax+1, lmax+1), at the recorded Omega Delta T (its ``Omega_dT``)."""

    run: Path
    eta: float
    rho: float
    realisations: int
    times: np.ndarray
    measured: np.ndarray
    error: np.ndarray
    first_order: np.ndarray

    @classmethod
    def read(cls, run: str | Path) -> MixingComparison:
        run = Path(run)
        table = Table.read(run / "mixing_theory.ecsv")
        times = np.unique(np.asarray(table["Omega_dT"], dtype=float))
        size = int(np.max(table["ell"])) + 1
        shape = (len(times), size, size)
        columns = (np.asarray(table[c], dtype=float).reshape(shape) for c in ("M", "M_err", "M_first_order"))
        model = table.meta["model"]
        return cls(run, float(model["eta"]), float(model["rho"]), int(table.meta["realisations"]), times, *columns)

    @property
    def power(self) -> float:
        """<omega^2> = dB^2/B0^2 = eta/(1 - eta), the order of M - 1."""
        return self.eta / (1.0 - self.eta)

    def pulls(self, k: int) -> np.ndarray:
        """(M - M^(1))/sigma at the k-th Delta T for l, l0 >= 1 (the monopole row and column are exact)."""
        residual, error = (self.measured[k] - self.first_order[k])[1:, 1:], self.error[k][1:, 1:]
        return residual / error


def value_error(value: float, error: float) -> str:
    """``0.0123(4)``: the value to the first significant digit of its error."""
    if not (error > 0 and math.isfinite(error)):
        return f"{value:.4g}"
    digits = max(0, -int(math.floor(math.log10(error))))
    return f"{value:.{digits}f}({int(round(error * 10**digits))})"


def markdown_row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"
