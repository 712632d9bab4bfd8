"""The picture of ``crmix simulate``: one realisation's sky map, the ensemble's C_l with errors, and K(T).

The sky map is healpy's Mollweide projection (``healpy.projview(..., return_only_data=True)``)
drawn on a matplotlib Mollweide axis: a diverging colour map with a range symmetric about zero (white
is zero), a graticule, and marked the direction of the regular field B0 (the pole of the frame
z = B0) and the dipole fitted to the map (``healpy.fit_dipole``), both as arrival directions.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from crmix.io import WriteFile, atomic_write
from crmix.plots.style import log_axis, log_limits, model_title, new_figure, save, style

__all__ = ["colour_range", "draw_sky_map", "write_run_summary"]


def colour_range(values: Any, ticks: int = 5) -> tuple[float, np.ndarray]:
    """(v, ticks): the symmetric range [-v, v] on round ticks that holds every finite value of ``values``."""
    from matplotlib import ticker

    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    vmax = float(np.max(np.abs(finite))) if finite.size else 1.0
    vmax = vmax if vmax > 0 else 1.0
    locator = ticker.MaxNLocator(nbins=ticks - 1, symmetric=True, steps=[1, 2, 2.5, 5, 10])
    marks = locator.tick_values(-vmax, vmax)
    v = float(marks[marks >= vmax * (1 - 1e-12)][0]) if np.any(marks >= vmax * (1 - 1e-12)) else vmax
    return v, marks[np.abs(marks) <= v * (1 + 1e-12)]


def _direction(vec: np.ndarray) -> tuple[float, float]:
    """(lon, lat) in radians of a 3-vector, lon = phi in (-pi, pi] (the projection's x, flip "geo")."""
    x, y, z = (float(c) for c in vec)
    return math.atan2(y, x), math.atan2(z, math.hypot(x, y))


def draw_sky_map(fig: Any, spec: Any, sky: np.ndarray, *, title: str, unit: str) -> Any:
    """A Mollweide panel of the RING map ``sky`` in the frame z = B0 at ``spec`` of ``fig``; returns the axis."""
    import healpy as hp

    lon, lat, grid = hp.projview(np.asarray(sky, dtype=float), return_only_data=True, flip="geo", xsize=800)
    v, ticks = colour_range(sky)
    ax = fig.add_subplot(spec, projection="mollweide")
    mesh = ax.pcolormesh(lon, lat, grid, cmap="RdBu_r", vmin=-v, vmax=v, shading="auto", rasterized=True)
    ax.grid(True, color="0.3", lw=0.4, alpha=0.6)
    ax.set_xticks(np.radians([-120, -60, 0, 60, 120]))
    ax.set_xticklabels(["-120°", "-60°", "0°", "60°", "120°"], fontsize=6, color="0.25")
    ax.set_yticks(np.radians([-60, -30, 0, 30, 60]))
    ax.tick_params(axis="y", labelsize=6)
    ax.plot(0.0, math.pi / 2 - 1e-3, marker="*", ms=11, color="gold", mec="k", mew=0.6, ls="none", clip_on=False,
            label=r"$\mathbf{B}_0$ (pole)")
    _, dipole = hp.fit_dipole(np.asarray(sky, dtype=float))
    amplitude = float(np.linalg.norm(dipole))
    if amplitude > 0:
        d_lon, d_lat = _direction(dipole)
        ax.plot(d_lon, d_lat, marker="X", ms=8, color="k", mec="w", mew=0.8, ls="none",
                label=f"dipole, amplitude {amplitude:.2g}")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=2, fontsize=7, handletextpad=0.3)
    bar = fig.colorbar(mesh, ax=ax, orientation="horizontal", ticks=ticks, shrink=0.7, pad=0.09, aspect=35)
    bar.set_label(unit)
    bar.ax.tick_params(labelsize=7)
    ax.set_title(title)
    return ax


def _spectrum_panel(ax: Any, summary: Any) -> None:
    ell = np.arange(summary.lmax + 1)[1:]
    k = -1
    cl, err = summary.cl_sub[k, 1:], summary.cl_sub_error[k, 1:]
    pos = cl > 0
    ax.errorbar(ell[pos], cl[pos], yerr=err[pos], fmt="o", color="C0", label=r"$\langle C_\ell\rangle^{sub}$")
    if np.any(~pos):
        ax.errorbar(ell[~pos], -cl[~pos], yerr=err[~pos], fmt="o", mfc="none", color="C0",
                    label=r"$-\langle C_\ell\rangle^{sub}$ (negative)")
    ax.plot(ell, summary.cl_num[k, 1:], color="C1", label=r"$\langle C_\ell\rangle^{num}$")
    ax.plot(ell, summary.noise[k, 1:], "--", color="0.4", label=rf"$N_\ell$ ({summary.noise_estimator})")
    ax.set_xlim(0.8, ell[-1] * 1.25)
    ax.set_ylim(*log_limits(np.abs(cl), summary.cl_num[k, 1:], summary.noise[k, 1:]))
    log_axis(ax)
    ax.set_xlabel(r"multipole $\ell$")
    ax.set_ylabel(r"$C_\ell$")
    ax.set_title(rf"{summary.n_realisations} realisations, T = {summary.times[-1]:.4g} / $\Omega$")
    ax.legend(loc="lower left")


def _transport_panel(ax: Any, summary: Any, k_zz_qlt: float | None) -> None:
    ax.errorbar(summary.times, summary.K_zz.value, yerr=summary.K_zz.error, fmt="o-", color="C0", label=r"$K_{zz}(T)$")
    ax.errorbar(summary.times, summary.K_perp.value, yerr=summary.K_perp.error, fmt="s-", color="C2", label=r"$K_\perp(T)$")
    shown = [summary.K_zz.value, summary.K_perp.value]
    if math.isfinite(summary.K_zz.K_inf):
        ax.axhline(summary.K_zz.K_inf, color="C0", ls=":", lw=1, label=rf"fit $K_{{zz}}(\infty)$ = {summary.K_zz.K_inf:.3g}")
        shown.append([summary.K_zz.K_inf])
    if k_zz_qlt is not None and math.isfinite(k_zz_qlt):
        ax.axhline(k_zz_qlt, color="k", ls="--", lw=1, label=rf"QLT $K_{{zz}}$ = {k_zz_qlt:.3g}")
        shown.append([k_zz_qlt])
    ax.set_xlim(*log_limits(summary.times, margin=1.3))
    ax.set_ylim(*log_limits(*shown, margin=2.0))
    log_axis(ax)
    ax.set_xlabel(r"backtracking time $T$ [1/$\Omega$]")
    ax.set_ylabel(r"$K$ [$c^2/\Omega$]")
    ax.set_title("diffusion coefficients")
    ax.legend(loc="lower right")


def write_run_summary(path: str | Path, sky: np.ndarray, summary: Any, parameters: dict[str, Any], *,
                      k_zz_qlt: float | None = None, write: WriteFile = atomic_write) -> Path:
    """``path``: realisation 0's map ``sky`` at T_max, <C_l>^sub(T_max) with errors and N_l, K_zz(T) and K_perp(T).

    ``summary`` is the run's EnsembleSummary, ``parameters`` its run.json parameters (they name the run).
    """
    model = parameters["model"]
    with style():
        fig = new_figure(15.0, 4.9)
        grid = fig.add_gridspec(1, 3, width_ratios=[1.45, 1, 1])
        draw_sky_map(fig, grid[0, 0], sky, unit=r"relative intensity $\delta$",
                     title=rf"realisation 0, T = {summary.times[-1]:.4g} / $\Omega$; frame z = $\mathbf{{B}}_0$, arrival directions")
        _spectrum_panel(fig.add_subplot(grid[0, 1]), summary)
        _transport_panel(fig.add_subplot(grid[0, 2]), summary, k_zz_qlt)
        fig.suptitle(f"{Path(path).parent.name}: "
                     + model_title(model["geometry"], model["spectrum_kind"], model["spectrum_index"], model["eta"])
                     + rf", $\rho$ = $r_g/L_c$ = {model['rho']:.3g}, N$_{{side}}$ = {parameters['nside']}", fontsize=10)
        return save(fig, path, write)
