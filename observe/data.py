"""Measured pseudo-spectra: the table format ``crmix compare`` reads, and the shipped IceTop 11-year data.

A measured table (CSV with ``#`` comment lines, or ECSV) has one row per multipole:

    ell         multipole l >= 1 (integers, each once per tier)
    Cl_tilde    the pseudo-C~_l (``C_ell`` is accepted as well)
    errors      either ``stat_err_lo`` and ``stat_err_hi`` (asymmetric, both > 0) or ``err``
    tier        optional: several spectra in one table, one per tier (integers or names)

The shipped copy of IceTop's 11-year spectra (``crmix/observe/data/icetop11/``, README there with the
provenance) has four tiers with median energies 300 TeV, 900 TeV, 2.3 PeV and 6.6 PeV.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = ["ICETOP11_TIER_ENERGY_TEV", "MeasuredSpectrum", "icetop11", "icetop11_path", "read_measured"]

#: Median energies of the IceTop 11-year tiers in TeV (data/icetop11/README.md).
ICETOP11_TIER_ENERGY_TEV = {"1": 300.0, "2": 900.0, "3": 2300.0, "4": 6600.0}
_VALUE_COLUMNS = ("Cl_tilde", "C_ell")


@dataclass(frozen=True)
class MeasuredSpectrum:
    """One measured pseudo-spectrum: multipoles, values and their (asymmetric) 1-sigma errors."""

    tier: str
    ell: np.ndarray
    cl: np.ndarray
    err_lo: np.ndarray
    err_hi: np.ndarray
    energy_TeV: float | None = None

    def __post_init__(self) -> None:
        n = len(self.ell)
        if n == 0:
            raise ValueError(f"measured spectrum (tier {self.tier}) has no rows")
        for name in ("cl", "err_lo", "err_hi"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"measured spectrum (tier {self.tier}): column {name} has {len(getattr(self, name))} rows, ell has {n}")
        ell = np.asarray(self.ell)
        if np.any(ell != np.round(ell)) or np.any(ell < 1) or len(np.unique(ell)) != n:
            raise ValueError(f"measured spectrum (tier {self.tier}): ell must be distinct integers >= 1")
        if not np.all(np.isfinite(self.cl)):
            raise ValueError(f"measured spectrum (tier {self.tier}): Cl_tilde must be finite")
        for name in ("err_lo", "err_hi"):
            e = np.asarray(getattr(self, name))
            if not np.all(np.isfinite(e) & (e > 0)):
                raise ValueError(f"measured spectrum (tier {self.tier}): {name} must be finite and > 0")
        if self.energy_TeV is not None and not (math.isfinite(self.energy_TeV) and self.energy_TeV > 0):
            raise ValueError(f"measured spectrum (tier {self.tier}): energy must be > 0, got {self.energy_TeV!r}")

    @property
    def lmax(self) -> int:
        return int(np.max(self.ell))

    def with_energy(self, energy_TeV: float) -> MeasuredSpectrum:
        return MeasuredSpectrum(self.tier, self.ell, self.cl, self.err_lo, self.err_hi, float(energy_TeV))


def icetop11_path() -> Path:
    """Path of the shipped IceTop 11-year table (installed as package data)."""
    return Path(str(resources.files("crmix.observe").joinpath("data", "icetop11", "icetop11_pseudo_cl.csv")))


def _read_table(path: Path):
    from astropy.table import Table

    if not path.is_file():
        raise ValueError(f"measured table {str(path)!r} does not exist")
    fmt = "ascii.ecsv" if path.suffix.lower() == ".ecsv" else "ascii.csv"
    try:
        return Table.read(path, format=fmt, comment="#") if fmt == "ascii.csv" else Table.read(path, format=fmt)
    except Exception as exc:  # astropy raises many kinds for malformed tables
        raise ValueError(f"measured table {str(path)!r} cannot be read as {fmt}: {exc}") from exc


def read_measured(path: str | Path, energies_TeV: dict[str, float] | None = None) -> list[MeasuredSpectrum]:
    """The spectra of a measured table (module docstring), one per tier, sorted by tier and ell."""
    path = Path(path)
    table = _read_table(path)
    names = set(table.colnames)
    value = next((c for c in _VALUE_COLUMNS if c in names), None)
    if "ell" not in names or value is None:
        raise ValueError(f"measured table {str(path)!r} needs columns ell and Cl_tilde (or C_ell), has {sorted(names)}")
    if {"stat_err_lo", "stat_err_hi"} <= names:
        lo, hi = np.asarray(table["stat_err_lo"], float), np.asarray(table["stat_err_hi"], float)
    elif "err" in names:
        lo = hi = np.asarray(table["err"], float)
    else:
        raise ValueError(f"measured table {str(path)!r} needs error columns stat_err_lo and stat_err_hi, or err")
    tiers = np.asarray(table["tier"]).astype(str) if "tier" in names else np.full(len(table), "1")
    ell = np.asarray(table["ell"], float)
    cl = np.asarray(table[value], float)
    energies = energies_TeV or {}
    out = []
    for tier in sorted(set(tiers), key=lambda t: (len(t), t)):
        rows = np.flatnonzero(tiers == tier)
        rows = rows[np.argsort(ell[rows])]
        try:
            out.append(MeasuredSpectrum(str(tier), ell[rows].astype(int), cl[rows], lo[rows], hi[rows], energies.get(tier)))
        except ValueError as exc:
            raise ValueError(f"measured table {str(path)!r}: {exc}") from None
    return out


def icetop11() -> list[MeasuredSpectrum]:
    """IceTop's 11-year pseudo-C~_l in four tiers, with the tiers' median energies."""
    return read_measured(icetop11_path(), ICETOP11_TIER_ENERGY_TEV)
