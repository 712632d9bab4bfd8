"""The results of ``crmix compare``: two ECSV tables and a PNG, written atomically.

compare_spectra.ecsv   one row per (tier, l): the measured C~_l and errors, the best-fit model and its
                       signal and noise parts, the model band (Omega dT over its 1-sigma interval),
                       the one-sky band (mean and scatter of Gaussian skies at the best fit), and the
                       joint KPM (51) fit
compare_fit.ecsv       one row per tier: best fits, intervals, chi^2/dof, derived numbers; the joint
                       fit and every parameter of the run in the metadata
compare.png            one panel per tier: data with errors, model band, one-sky band, fits
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np

from crmix.checks import record_warnings, table_warnings
from crmix.io import WriteFile, atomic_write, plain
from crmix.plots.compare import write_compare_plot
from crmix.provenance import provenance
from crmix.records import table_columns, with_units
from crmix.units import ModelUnits

__all__ = ["FIT_TABLE", "PLOT", "SPECTRA_TABLE", "TierComparison", "write_plot", "write_tables"]

SPECTRA_TABLE = "compare_spectra.ecsv"
FIT_TABLE = "compare_fit.ecsv"
PLOT = "compare.png"


@dataclass
class TierComparison:
    """Everything reported for one tier (columns at the data's multipoles)."""

    data: Any
    model: np.ndarray
    signal: np.ndarray
    noise: np.ndarray
    band_lo: np.ndarray
    band_hi: np.ndarray
    one_sky_mean: np.ndarray
    one_sky_std: np.ndarray
    joint_model: np.ndarray | None
    row: dict[str, Any] = field(default_factory=dict)
    label: str = ""
    band_label: str = "model, ΩΔT over its 1σ interval"
    one_sky_label: str = "one sky: 1σ scatter of Gaussian skies"


def write_tables(out: Path, tiers: list[TierComparison], meta: dict[str, Any], units: ModelUnits | None = None,
                 write: WriteFile = atomic_write) -> list[str]:
    """The two tables, every number with its unit (crmix.records); ``units``: the simulated run's model's (``--maps``),
    for its backtracking time.  ``meta["warnings"]`` and the non-finite entries no fit explains (crmix.checks.table_warnings)
    are recorded in both; returns the warnings."""
    from astropy.table import QTable

    nan = np.nan
    spectra = QTable()
    spectra["tier"] = np.concatenate([[t.data.tier] * len(t.data.ell) for t in tiers])
    spectra["ell"] = np.concatenate([t.data.ell for t in tiers])
    columns = {
        "Cl_tilde": lambda t: t.data.cl, "stat_err_lo": lambda t: t.data.err_lo, "stat_err_hi": lambda t: t.data.err_hi,
        "model": lambda t: t.model, "model_signal": lambda t: t.signal, "model_noise": lambda t: t.noise,
        "model_band_lo": lambda t: t.band_lo, "model_band_hi": lambda t: t.band_hi,
        "one_sky_mean": lambda t: t.one_sky_mean, "one_sky_std": lambda t: t.one_sky_std,
        "joint_model": lambda t: t.joint_model if t.joint_model is not None else np.full(len(t.data.ell), nan),
    }
    for name, get in columns.items():
        spectra[name] = np.concatenate([get(t) for t in tiers]) * u.one
    spectra.meta["description"] = (
        "measured pseudo-C~_l against the crmix prediction passed through the detector (coverage, map-making filter, "
        "shot noise); model = A (K r)_l + N_w n_l at the best fit; band: Omega dT over its 1-sigma interval; one sky: "
        "mean and scatter of Gaussian skies at the best fit (docs/observations.md); pseudo-C~_l of the relative "
        "intensity, dimensionless"
    )
    meta = {**with_units(plain(meta), units), "provenance": provenance("numpy", "float64")}
    spectra.meta.update(meta)
    fits = QTable(table_columns([plain(t.row) for t in tiers], units))
    fits.meta["description"] = ("fit per tier (Delta chi^2 = 1 profile intervals; NaN edge = open at the allowed range; "
                                "delta_chi2_at_<rule> NaN = the rule's Omega dT outside the searched range); energy: "
                                "the tier's median energy, rigidity = energy / (Z e)")
    fits.meta.update(meta)
    # NaN edge: open at the allowed range; NaN Delta chi2 at a rule: its Omega dT outside the range (both stated)
    open_edges = [c for c in fits.colnames if c.endswith(("_lo", "_hi")) or c.startswith("delta_chi2_at_")]
    found = table_warnings(spectra, SPECTRA_TABLE, explained=("joint_model",), index=None)
    found += table_warnings(fits, FIT_TABLE, explained=open_edges)
    for table in (spectra, fits):
        recorded = record_warnings(table.meta, found)
    write(out / SPECTRA_TABLE, lambda tmp: spectra.write(tmp, format="ascii.ecsv", overwrite=True))
    write(out / FIT_TABLE, lambda tmp: fits.write(tmp, format="ascii.ecsv", overwrite=True))
    return recorded


def write_plot(out: Path, tiers: list[TierComparison], title: str, name: str = PLOT, write: WriteFile = atomic_write) -> None:
    write_compare_plot(out / name, tiers, title, write=write)
