"""The picture of a run, ``simulate.png`` beside the tables: drawn by :mod:`crmix.plots.skymap` from the run's files."""

from __future__ import annotations

from pathlib import Path

from crmix.io import WriteFile, atomic_write
from crmix.plots.skymap import write_run_summary
from crmix.simulate.ensemble import EnsembleSummary
from crmix.simulate.store import recorded_parameters, weighted_maps

__all__ = ["PLOT_NAME", "write_summary_plot"]

PLOT_NAME = "simulate.png"


def write_summary_plot(out: str | Path, summary: EnsembleSummary, *, k_zz_qlt: float | None = None,
                       write: WriteFile = atomic_write) -> Path:
    """``out``/simulate.png: sky map of realisation 0 at T_max, <C_l>^sub(T_max) with errors and N_l, K_zz(T), K_perp(T);
    ``write``: how the file is written (atomically, or as part of a crmix.io.published_together set, before the
    reduction's tables are published: the maps and parameters come from the realisations and run.json)."""
    parameters = recorded_parameters(Path(out))
    maps = weighted_maps(out, parameters, summary.mapping, float(summary.times[-1]), [0])
    return write_run_summary(Path(out) / PLOT_NAME, maps[0], summary, parameters, k_zz_qlt=k_zz_qlt, write=write)
