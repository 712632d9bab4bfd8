"""The picture of ``crmix compare``: per tier, the measured pseudo-C~_l against the model through the detector.

Each panel shows the measurement with its errors, the best fit, the model band (the fitted shape
parameter over its 1-sigma interval), the one-sky band (the scatter of one sky around the ensemble
average, clipped to the panel, which is sized by the data and the model alone), the shot noise and,
when it was made, the joint fit of KPM (51).  One legend below the panels names what was drawn.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from crmix.io import WriteFile, atomic_write
from crmix.plots.style import log_axis, log_limits, new_figure, save, style

__all__ = ["compare_figure", "write_compare_plot"]


def _limits(t: Any) -> tuple[float, float]:
    d = t.data
    return log_limits(d.cl + d.err_hi, np.where(d.cl - d.err_lo > 0, d.cl - d.err_lo, np.nan), t.model, t.band_lo, t.band_hi,
                      margin=1.6)


def write_compare_plot(path: str | Path, tiers: list[Any], title: str, *, write: WriteFile = atomic_write) -> Path:
    """``path``: :func:`compare_figure` as PNG, written through ``write`` (crmix.plots.style.save)."""
    with style():
        return save(compare_figure(tiers, title), path, write)


def compare_figure(tiers: list[Any], title: str) -> Any:
    """One panel per TierComparison (crmix.observe.report), titled by its label; ``title`` names the run."""
    n = len(tiers)
    cols = 2 if n > 1 else 1
    rows = math.ceil(n / cols)
    with style():
        fig = new_figure(6.0 * cols, 3.6 * rows + 0.9)
        axes = fig.subplots(rows, cols, squeeze=False, sharex=True)
        labelled: dict[str, Any] = {}
        for ax, t in zip(axes.flat, tiers):
            ell = t.data.ell
            lo, hi = _limits(t)
            handles = {
                t.one_sky_label: ax.fill_between(ell, np.clip(t.one_sky_mean - t.one_sky_std, lo, hi),
                                                 np.clip(t.one_sky_mean + t.one_sky_std, lo, hi), color="C0", alpha=0.15, lw=0),
                t.band_label: ax.fill_between(ell, t.band_lo, t.band_hi, color="C0", alpha=0.45, lw=0),
                "best fit": ax.plot(ell, t.model, color="C0")[0],
            }
            if t.joint_model is not None:
                handles["joint fit, KPM (51)"] = ax.plot(ell, t.joint_model, color="C3", ls="--", lw=1.0)[0]
            if np.any(t.noise > 0):
                handles["shot noise"] = ax.plot(ell, t.noise, color="0.4", lw=0.8, ls=":")[0]
            handles["measured"] = ax.errorbar(ell, t.data.cl, yerr=[t.data.err_lo, t.data.err_hi], fmt="o", ms=3, color="k", lw=0.8)
            labelled.update(handles)
            ax.set_ylim(lo, hi)
            ax.set_xlim(0, ell.max() + 1)
            log_axis(ax, "y")
            ax.set_title(t.label)
            ax.set_ylabel(r"$\tilde C_\ell$")
        for ax in axes[-1]:
            ax.set_xlabel(r"multipole $\ell$")
        for ax in list(axes.flat)[n:]:
            ax.set_visible(False)
        fig.legend(list(labelled.values()), list(labelled), loc="outside lower center", ncol=min(len(labelled), 6))
        fig.suptitle(title)
        return fig
