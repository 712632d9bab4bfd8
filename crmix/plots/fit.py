"""The picture of ``crmix fit``: each run's simulated C_l/C_1 with errors against the best-fit theory at each l_max."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from crmix.io import WriteFile, atomic_write
from crmix.plots.style import log_axis, log_limits, model_title, new_figure, save, style

__all__ = ["write_fit_plot"]


def write_fit_plot(path: str | Path, results: list[tuple[Any, list[Any]]], *, write: WriteFile = atomic_write) -> Path:
    """``path``: one panel per (SimulatedShape, [ShapeFit, ...]), named by its run folder; the fits' legend below the panel."""
    n = len(results)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    with style():
        fig = new_figure(5.0 * cols, 4.6 * rows)
        axes = fig.subplots(rows, cols, squeeze=False)
        for ax, (shape, fits) in zip(axes.ravel(), results):
            ok = shape.ratio > 0
            ax.errorbar(shape.ells[ok], shape.ratio[ok], yerr=shape.error[ok], fmt="o", color="k",
                        label=f"simulation, {shape.n_realisations} realisations")
            curves = [shape.ratio[ok]]
            for k, f in enumerate(fits):
                name = r"$\Omega\Delta T$" if f.parameter == "omega_dt" else r"$\alpha$"
                bound = f" (at the {f.at_bound} bound)" if f.at_bound else ""
                ax.plot(shape.ells, f.theory, color=f"C{k}",
                        label=rf"theory $\ell_{{max}}$ = {f.lmax}: {name} = {f.best:.3g} [{f.low:.3g}, {f.high:.3g}]{bound}, "
                        rf"$\chi^2$/dof = {f.reduced_chi2:.2g}")
                curves.append(f.theory)
            ax.set_xlim(shape.ells[0] / 1.15, shape.ells[-1] * 1.15)
            ax.set_ylim(*log_limits(*curves, np.where(ok, shape.ratio + shape.error, np.nan)))
            log_axis(ax)
            ax.set_xlabel(r"multipole $\ell$")
            ax.set_ylabel(r"$C_\ell / C_1$")
            model = shape.model
            ax.set_title(f"{Path(str(shape.run)).name}: T = {shape.time:.4g}/Ω\n"
                         + model_title(model.geometry, model.spectrum.kind, model.spectrum.index, model.eta)
                         + rf", $\rho$ = {model.rho:.3g}")
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=7)
        for ax in axes.ravel()[n:]:
            ax.set_visible(False)
        return save(fig, path, write)
