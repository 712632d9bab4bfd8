"""The picture of a run: one realisation's sky map, the ensemble's <C_l>^sub with errors, and K(T).

Written by ``crmix simulate`` as ``simulate.png`` beside the tables (matplotlib, Agg).
"""

from __future__ import annotations

import math
from pathlib import Path

import healpy as hp
import numpy as np

from crmix.io import atomic_write
from crmix.simulate.ensemble import EnsembleSummary
from crmix.simulate.store import sky_maps

__all__ = ["PLOT_NAME", "write_summary_plot"]

PLOT_NAME = "simulate.png"


def write_summary_plot(out: str | Path, summary: EnsembleSummary, *, k_zz_qlt: float | None = None) -> Path:
    """``out``/simulate.png: sky map of realisation 0 at T_max, <C_l>^sub(T_max) with errors and N_l, K_zz(T), K_perp(T)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    maps, _ = sky_maps(out, realisations=[0])
    fig = plt.figure(figsize=(15, 4.3))
    hp.mollview(maps[0], fig=fig.number, sub=(1, 3, 1), title=f"realisation 0, T = {summary.times[-1]:.4g}/Omega (B0 frame, arrival)",
                unit="relative intensity", cmap="coolwarm", hold=False)
    ell = np.arange(summary.lmax + 1)
    ax = fig.add_subplot(1, 3, 2)
    k = -1
    pos = summary.cl_sub[k, 1:] > 0
    ax.errorbar(ell[1:][pos], summary.cl_sub[k, 1:][pos], yerr=summary.cl_sub_error[k, 1:][pos], fmt="o", ms=3, label=r"$\langle C_\ell\rangle^{sub}$")
    ax.errorbar(ell[1:][~pos], -summary.cl_sub[k, 1:][~pos], yerr=summary.cl_sub_error[k, 1:][~pos], fmt="o", ms=3, mfc="none",
                label=r"$-\langle C_\ell\rangle^{sub}$ (negative)")
    ax.plot(ell[1:], summary.cl_num[k, 1:], lw=1, label=r"$\langle C_\ell\rangle^{num}$")
    ax.plot(ell[1:], summary.noise[k, 1:], "--", lw=1, label=rf"$N_\ell$ ({summary.noise_estimator})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"$\ell$")
    ax.set_ylabel(r"$C_\ell$")
    ax.set_title(f"{summary.n_realisations} realisations, T = {summary.times[-1]:.4g}/Omega", fontsize=9)
    ax.legend(fontsize=7)
    ax = fig.add_subplot(1, 3, 3)
    ax.errorbar(summary.times, summary.K_zz.value, yerr=summary.K_zz.error, fmt="o-", ms=3, label=r"$K_{zz}(T)$")
    ax.errorbar(summary.times, summary.K_perp.value, yerr=summary.K_perp.error, fmt="s-", ms=3, label=r"$K_\perp(T)$")
    if math.isfinite(summary.K_zz.K_inf):
        ax.axhline(summary.K_zz.K_inf, color="C0", ls=":", lw=1, label=rf"fit $K_{{zz}}(\infty)$ = {summary.K_zz.K_inf:.3g}")
    if k_zz_qlt is not None and math.isfinite(k_zz_qlt):
        ax.axhline(k_zz_qlt, color="k", ls="--", lw=1, label=rf"QLT $K_{{zz}}$ = {k_zz_qlt:.3g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"$T\ [1/\Omega]$")
    ax.set_ylabel(r"$K\ [c^2/\Omega]$")
    ax.legend(fontsize=7)
    path = out / PLOT_NAME
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))
    plt.close(fig)
    return path
