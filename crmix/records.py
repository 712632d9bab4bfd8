"""Numbers leaving crmix, with their units: the metadata records and the columns of every table.

A value in the model's units (crmix.units: c = 1, times in 1/Omega_ref, lengths in c/Omega_ref) is
written twice: the physical value under its name (times in yr, lengths in pc, diffusion in cm^2/s,
...: crmix.units.DIMENSIONS), and the value in the model's units, a dimensionless number, under
``Omega_<name>`` (Omega T, Omega L/c, Omega K/c^2, k c/Omega, rate/Omega; the papers' Omega tau_s
and Omega Delta T are of this kind).  A model without a physical scale gives only the second.

:func:`with_units` turns a record (a dict of numbers, strings, lists and dicts) into one whose
every float is a Quantity, key by key through :data:`KEYS`:

* a dimension of the model's units (``"time"``, ``"length"``, ``"wavenumber"``, ``"rate"``,
  ``"diffusion"``): the pair above;
* ``"dimensionless"``: a Quantity of unit one;
* a unit: the value is in that unit already;
* a :class:`Renamed`: an old name that carried its unit (``energy_TeV``) becomes the name
  without it (``energy``), the value a Quantity in that unit;
* :data:`DROP`: a key that repeats another (``physical_l_c_pc`` is L_c).

A registered key's dimension applies to every number below it (``noise_levels``: one per tier).
Integers (counts, indices, multipoles, seeds), booleans, strings, None and Quantities stay as they
are.  A float under a key that :data:`KEYS` does not know stays a bare number: the tests that read
every table back (tests/test_units_in_tables.py) find it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import astropy.units as u
import numpy as np

from crmix.units import DIMENSIONS, ModelUnits

__all__ = ["DROP", "KEYS", "Renamed", "column_pair", "internal_name", "table_columns", "with_units"]


@dataclass(frozen=True)
class Renamed:
    """A key whose name carried its unit: written as ``name``, a Quantity of ``unit`` (shown in ``shown``)."""

    name: str
    unit: u.UnitBase
    shown: u.UnitBase | None = None


#: a key whose value another key states
DROP = "drop"

_DIMENSIONLESS = (
    # the model and its spectrum (k in 1/L_c)
    "eta", "rho", "slab_fraction", "spectrum_index", "index", "kmin", "kmax", "kbend", "kmin_Lc", "kmax_Lc", "omega_rms2",
    "rg_over_lambda_min", "box_over_lmax", "points_per_wavelength", "steps_per_gyration", "steps_per_wavelength",
    # the mixing time and the theory's diagnostics
    "alpha", "omega_dt", "dt_coefficient", "extrapolate", "C1_QLT", "C1_over_C1_QLT", "cos_alpha_correction", "mixing_rtol",
    "mixing_error", "steady_state_residual", "leak_fraction", "monopole_fraction", "lmax_drift_max", "mu_gap_low",
    "mu_gap_high", "gap_contribution", "closure_theta_resolved", "closure_monopole_fraction", "closure_sink_fraction",
    "closure_lmax_drift_max", "extrapolation_target", "extrapolation_fit_residual_max", "extrapolation_correction_max",
    "slope",
    # the ensembles
    "cos_alpha", "Omega_tau_s", "Omega_tau_s_err", "Omega_tau_s_QLT",
    # the fits (chi^2, the fitted Omega dT or alpha, c and p of KPM (51))
    "bounds", "best", "low", "high", "chi2", "chi2_dof", "chi2_per_dof", "value", "lo", "hi", "c", "c_err", "p", "p_err",
    # the comparison with data (pseudo-C_l and their amplitudes are relative intensities)
    "amplitude_C1", "amplitude_C1_lo", "amplitude_C1_hi", "noise_level", "noise_level_lo", "noise_level_hi", "noise_levels",
    "omega_dt_lo", "omega_dt_hi", "omega_dt_range", "omega_dt_grid", "chi2_profile", "omega_tau_s_qlt",
    "omega_dt_kpm51", "omega_tau_s_from_fit_kpm51", "c_kpm51_from_fit", "dipole_amplitude", "events_implied",
    "one_sky_mean_minus_kernel_max_sigma", "prediction_lmax_drift", "delta_chi2_at_kpm51", "delta_chi2_at_c4",
    "omega_dt_crossing", "delta_chi2_at_crossing",
    "omega_dt_joint", "chi2_joint", "f_sky", "w2_mean",
)

#: every key crmix writes with a number: its dimension, unit or new name (module docstring)
KEYS: dict[str, str | u.UnitBase | Renamed] = {
    **dict.fromkeys(_DIMENSIONLESS, "dimensionless"),
    # in the model's units
    "dt": "time", "tau_s": "time", "tau_s_err": "time", "time": "time", "times": "time", "recorded_times": "time",
    "step": "time", "simulated_time": "time", "K_zz_tau_fit": "time",
    "L_c": "length", "r_g": "length", "lambda_par": "length", "gradient_length": "length", "l_avg": "length",
    "k_min": "wavenumber", "k_max": "wavenumber", "gradient": "wavenumber",
    "source_rate": "rate", "monopole_rate": "rate", "leak_rate": "rate",
    "K_zz": "diffusion", "K_liouville": "diffusion", "K_zz_inf_fit": "diffusion",
    # physical already
    "seconds": u.s,
    "physical_rigidity_V": Renamed("rigidity", u.V), "physical_b_rms_G": Renamed("b_rms", u.G, u.uG),
    "physical_l_c_pc": DROP,
    "rigidity_TV": Renamed("rigidity", u.TV), "energy_TeV": Renamed("energy", u.TeV), "b_rms_uG": Renamed("b_rms", u.uG),
    "l_c_pc": Renamed("l_c", u.pc), "gradient_length_pc": Renamed("gradient_length", u.pc),
    "gradient_length_nominal_pc": Renamed("gradient_length_nominal", u.pc),
    "field_ra_deg": Renamed("field_ra", u.deg), "field_dec_deg": Renamed("field_dec", u.deg),
}


def internal_name(name: str) -> str:
    """The name of the value in the model's units beside the physical ``name`` (module docstring)."""
    return f"Omega_{name}"


def _map_numbers(value: Any, f: Any) -> Any:
    """``f`` applied to every number (int or float, not bool) below ``value``: a number, a list or a dict (a Quantity
    has its unit already)."""
    if isinstance(value, u.Quantity):
        return _listed(value)
    if isinstance(value, Mapping):
        return {k: _map_numbers(v, f) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_map_numbers(x, f) for x in (value.tolist() if isinstance(value, np.ndarray) else value)]
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        return f(float(value))
    return value


def _listed(q: u.Quantity) -> Any:
    """A Quantity array as (nested) lists of scalar Quantities: each number readable in the ECSV header."""
    return q if q.isscalar else [_listed(x) for x in q]


def _entries(name: str, value: Any, kind: str | u.UnitBase | Renamed, units: ModelUnits | None) -> dict[str, Any]:
    """The entries of one key of a record (module docstring)."""
    if kind == DROP:
        return {}
    if isinstance(value, u.Quantity):
        return {name: _listed(value)}
    if isinstance(kind, Renamed):
        shown = kind.shown or kind.unit
        return {kind.name: _map_numbers(value, lambda x: u.Quantity(x, kind.unit).to(shown))}
    if isinstance(kind, u.UnitBase) or kind == "dimensionless":
        unit = u.one if kind == "dimensionless" else kind
        return {name: _map_numbers(value, lambda x: u.Quantity(x, unit))}
    out: dict[str, Any] = {}
    if units is not None and units.length is not None:
        out[name] = _map_numbers(value, lambda x: units.physical(x, str(kind)))
    out[internal_name(name)] = _map_numbers(value, lambda x: u.Quantity(x, u.one))
    return out


def with_units(record: Mapping[str, Any], units: ModelUnits | None = None) -> dict[str, Any]:
    """``record`` with every float a Quantity (module docstring); ``units``: the model's, for values in its units
    (None: those are written in the model's units alone)."""
    out: dict[str, Any] = {}
    for name, value in record.items():
        kind = KEYS.get(name)
        if kind is None:
            out[name] = with_units(value, units) if isinstance(value, Mapping) else value
        else:
            out.update(_entries(name, value, kind, units))
    return out


def column_pair(name: str, values: Any, dimension: str, units: Sequence[ModelUnits | None] | ModelUnits | None) -> dict[str, Any]:
    """The columns of values in the model's units (module docstring): ``name`` physical and ``Omega_<name>``.

    ``units``: one for the whole column, or one per row (NaN where a row's model has no physical
    scale; the physical column is left out when none has one).
    """
    values = np.asarray(values, dtype=float)
    unit = DIMENSIONS[dimension][0]
    per_row = list(units) if isinstance(units, Sequence) else [units] * len(values)
    physical = [None if (m is None or m.length is None) else m.physical(v, dimension) for m, v in zip(per_row, values)]
    columns: dict[str, Any] = {}
    if any(p is not None for p in physical):
        columns[name] = u.Quantity([math.nan * unit if p is None else p for p in physical]).to(unit)
    columns[internal_name(name)] = values * u.one
    return columns


def table_columns(rows: Sequence[Mapping[str, Any]], units: ModelUnits | None = None) -> dict[str, Any]:
    """The columns of a table of ``rows`` (dicts of the same keys), each through :data:`KEYS` as :func:`with_units`
    treats a record: a Quantity column of its unit, renamed, or the pair of a value in the model's units."""
    columns: dict[str, Any] = {}
    for name in rows[0]:
        values = [row[name] for row in rows]
        kind = KEYS.get(name)
        if kind is None or kind == DROP:
            if kind is None:
                columns[name] = values
        elif isinstance(kind, str) and kind != "dimensionless":
            columns.update(column_pair(name, values, kind, units))
        else:
            entries = _entries(name, np.asarray(values, dtype=float), kind, units)
            columns.update({key: u.Quantity(value) for key, value in entries.items()})
    return columns
