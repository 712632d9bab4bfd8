"""The picture of a run, ``simulate.png`` beside the tables: drawn by :mod:`crmix.plots.skymap` from the run's files."""

from __future__ import annotations

from pathlib import Path

from crmix.plots.skymap import write_run_summary
from crmix.simulate.ensemble import EnsembleSummary
from crmix.simulate.store import sky_maps

__all__ = ["PLOT_NAME", "write_summary_plot"]

PLOT_NAME = "simulate.png"


def write_summary_plot(out: str | Path, summary: EnsembleSummary, *, k_zz_qlt: float | None = None) -> Path:
    """``out``/simulate.png: sky map of realisation 0 at T_max, <C_l>^sub(T_max) with errors and N_l, K_zz(T), K_perp(T)."""
    maps, meta = sky_maps(out, realisations=[0])
    return write_run_summary(Path(out) / PLOT_NAME, maps[0], summary, meta["parameters"], k_zz_qlt=k_zz_qlt)
