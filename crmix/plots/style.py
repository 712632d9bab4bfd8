"""The one style of crmix's pictures: fonts, sizes, log axes whose labels do not overlap, legends off the data.

Every picture is drawn inside :func:`style` (matplotlib rcParams for the duration, nothing global
left behind), on a :func:`new_figure`, and written by :func:`save` (atomically, PNG, at :data:`DPI`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from crmix.io import WriteFile, atomic_write

__all__ = ["DPI", "RC", "log_axis", "log_limits", "model_title", "new_figure", "save", "spectrum_name", "style"]

#: resolution of every PNG
DPI = 150
#: matplotlib settings shared by every picture
RC: dict[str, Any] = {
    "font.size": 9, "axes.titlesize": 9, "axes.labelsize": 9, "legend.fontsize": 7.5, "xtick.labelsize": 8,
    "ytick.labelsize": 8, "axes.grid": True, "grid.alpha": 0.25, "grid.linewidth": 0.5, "axes.spines.top": True,
    "xtick.direction": "in", "ytick.direction": "in", "xtick.top": True, "ytick.right": True, "lines.linewidth": 1.2,
    "lines.markersize": 3.5, "errorbar.capsize": 0, "legend.frameon": False, "savefig.dpi": DPI, "image.cmap": "RdBu_r",
    "mathtext.default": "regular",
}

_NAMED_INDEX = {5.0 / 3.0: "Kolmogorov", 1.5: "Kraichnan"}


@contextmanager
def style() -> Iterator[None]:
    """crmix's rcParams for the pictures drawn inside (restored afterwards)."""
    import matplotlib

    with matplotlib.rc_context(RC):
        yield


def new_figure(width: float, height: float) -> Any:
    """A figure (inches) with constrained layout, on matplotlib's Agg canvas (no pyplot, no display)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def save(fig: Any, path: str | Path, write: WriteFile = atomic_write) -> Path:
    """Write ``fig`` to ``path`` as PNG through ``write`` (atomically, or as one file of a crmix.io.published_together
    set); returns the path."""
    path = Path(path)
    write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=DPI))
    return path


def spectrum_name(kind: str, index: float) -> str:
    """The turbulence spectrum by its name: "Kolmogorov (k^-5/3)", "white noise", ... (mathtext)."""
    if kind == "white":
        return "white noise"
    named = next((name for q, name in _NAMED_INDEX.items() if math.isclose(index, q, rel_tol=1e-9)), None)
    exponent = "5/3" if math.isclose(index, 5.0 / 3.0) else "3/2" if math.isclose(index, 1.5) else f"{index:.3g}"
    if kind == "bendover":
        return f"bend-over, $k^{{-{exponent}}}$ above $k_b$"
    return f"{named} ($k^{{-{exponent}}}$)" if named else f"power law $k^{{-{exponent}}}$"


def model_title(geometry: str, kind: str, index: float, eta: float, *, b_rms_uG: float | None = None,
                l_c_pc: float | None = None) -> str:
    """One line naming the turbulence: geometry, spectrum, B, L_c, eta."""
    parts = [f"{geometry} turbulence", spectrum_name(kind, index)]
    if b_rms_uG is not None:
        parts.append(rf"$B_{{rms}}$ = {b_rms_uG:.3g} $\mu$G")
    if l_c_pc is not None:
        parts.append(f"$L_c$ = {l_c_pc:.3g} pc")
    parts.append(rf"$\eta$ = {eta:.3g}")
    return ", ".join(parts)


def log_axis(ax: Any, which: str = "both") -> None:
    """Log scale on x and/or y with labels at whole decades only (never overlapping), minor ticks unlabelled.

    A range shorter than a decade gets labels at 1-2-5 steps instead, so that it is labelled at all.
    """
    from matplotlib import ticker

    for name in ("x", "y") if which == "both" else (which,):
        axis = ax.xaxis if name == "x" else ax.yaxis
        (ax.set_xscale if name == "x" else ax.set_yscale)("log")
        lo, hi = (ax.get_xlim if name == "x" else ax.get_ylim)()
        decades = math.log10(hi / lo) if lo > 0 and hi > lo else 0.0
        if decades < 1.2:
            axis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 3.0, 5.0), numticks=12))
            axis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
        else:
            step = max(1, math.ceil(decades / 6))  # at most about six labels
            axis.set_major_locator(ticker.LogLocator(base=10 ** step, numticks=12))
            axis.set_major_formatter(ticker.LogFormatterSciNotation())
        axis.set_minor_locator(ticker.LogLocator(base=10, subs=np.arange(2, 10), numticks=12))
        axis.set_minor_formatter(ticker.NullFormatter())


def log_limits(*arrays: Any, margin: float = 1.5) -> tuple[float, float]:
    """(lo, hi) of a log axis that shows every positive finite value of ``arrays``, with a margin factor."""
    values = np.concatenate([np.ravel(np.asarray(a, dtype=float)) for a in arrays])
    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0:
        return 0.1, 10.0
    return float(values.min() / margin), float(values.max() * margin)
