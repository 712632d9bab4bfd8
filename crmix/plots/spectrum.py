"""The picture of ``crmix spectrum``: C_l/C_1 against l, with the multipoles the l_max truncation moves marked.

The steady state is exact at its truncation l_max, but C_l/C_1 near l_max depends on where the
hierarchy was cut (docs/errata.md, entry 22): the solver compares l_max with l_max/2 (the l_max
drift, ``AngularSpectrum.drift``).  From the first l whose C_l/C_1 moves by more than
:data:`DRIFT_LIMIT` between the two -- or from l_max/2, beyond which the comparison has no partner --
to l_max the curve is drawn dashed over a grey band: a truncation artefact, not physics.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from crmix.io import WriteFile, atomic_write
from crmix.plots.style import log_axis, log_limits, model_title, new_figure, save, style

__all__ = ["DRIFT_LIMIT", "truncation_onset", "write_spectrum_plot"]

#: |relative change of C_l/C_1| between l_max/2 and l_max from which a multipole counts as truncation-affected
DRIFT_LIMIT = 0.05


def truncation_onset(drift: np.ndarray, lmax_half: int, limit: float = DRIFT_LIMIT) -> int:
    """The first l >= 2 whose |drift| exceeds ``limit``; l_max/2 + 1 when none up to l_max/2 does."""
    drift = np.asarray(drift, dtype=float)
    ell = np.arange(drift.size)
    over = (ell >= 2) & (ell <= lmax_half) & (np.abs(np.nan_to_num(drift)) > limit)
    return int(ell[over][0]) if np.any(over) else lmax_half + 1


def write_spectrum_plot(path: str | Path, results: list[tuple[str, Any]], *, write: WriteFile = atomic_write) -> Path:
    """``path``: C_l/C_1 (l >= 1) of each (label, AngularSpectrum), the truncation-affected range dashed over grey."""
    with style():
        fig = new_figure(6.4, 4.4)
        ax = fig.add_subplot()
        onsets = []
        for k, (label, res) in enumerate(results):
            ell, ratio = res.ell[1:], res.ratio[1:]
            onset = truncation_onset(res.drift.drift, res.drift.lmax_half)
            onsets.append(onset)
            color = f"C{k}"
            kept = ell <= onset
            ax.plot(ell[kept], ratio[kept], color=color, marker=".", ms=3,
                    label=rf"{label}: $\Omega\Delta T$ = {res.timestep.omega_dt:.3g}")
            ax.plot(ell[ell >= onset], ratio[ell >= onset], color=color, ls="--", lw=0.9, alpha=0.7)
        lmax = results[0][1].steady.lmax
        first = min(onsets)
        ax.axvspan(first, lmax, color="0.85", zorder=0, lw=0,
                   label=rf"dashed, grey: truncation-affected, $C_\ell/C_1$ moves > {DRIFT_LIMIT:.0%} from $\ell_{{max}}$/2 to $\ell_{{max}}$")
        positive = [r.ratio[1:][r.ratio[1:] > 0] for _, r in results]
        ax.set_xlim(0.9, lmax * 1.1)
        ax.set_ylim(*log_limits(*positive))
        log_axis(ax)
        ax.set_xlabel(r"multipole $\ell$")
        ax.set_ylabel(r"$C_\ell / C_1$")
        model = results[0][1].model
        physical = model.physical
        ax.set_title(model_title(model.geometry, model.spectrum.kind, model.spectrum.index, model.eta,
                                 b_rms_uG=None if physical is None else physical.b_rms_G * 1e6,
                                 l_c_pc=None if physical is None else physical.l_c_pc)
                     + rf", $\ell_{{max}}$ = {lmax}")
        ax.legend(loc="lower left")
        return save(fig, path, write)
