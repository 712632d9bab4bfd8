"""The ensemble tables (ECSV) of a run, their metadata with units, the check of a table's layout, the printed summary.

Every column and every number of the metadata carries its unit (crmix.records): the backtracking
time T in yr beside Omega_T, K in cm^2/s beside Omega_K (c^2/Omega), the C_l dimensionless
(relative intensity).  A table has one row per backtracking time (and multipole, and realisation):
no column name holds a time.  :func:`read_table` reads one back and refuses one written before
(times in 1/Omega alone, names such as ``C_sub_T24.9986``), naming the file and how to re-reduce it
(crmix.simulate.runner.rereduce).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np
from astropy.table import QTable

from crmix.model import TurbulenceModel
from crmix.records import column_pair, with_units
from crmix.simulate.ensemble import EnsembleSummary, RealisationResult
from crmix.units import ModelUnits, model_units

__all__ = ["cl_table", "read_table", "realisation_table", "run_record", "summary_lines", "transport_table"]

#: the column every ensemble table of the current layout has (module docstring)
TIME_COLUMN = "Omega_T"


def run_record(params: dict[str, Any]) -> dict[str, Any]:
    """A run's parameters (run.json) with units: physical values beside those in the model's units (crmix.records)."""
    return with_units(params, model_units(TurbulenceModel.from_description(params["model"], params["spectrum"])))


def _per_time(times: np.ndarray, units: ModelUnits, repeat: int = 1, tile: int = 1) -> dict[str, Any]:
    """The columns T and Omega_T of rows ordered (tile, time, repeat)."""
    return column_pair("T", np.tile(np.repeat(times, repeat), tile), "time", units)


def cl_table(summary: EnsembleSummary, units: ModelUnits) -> QTable:
    """One row per (T, l): <C_l>^num, N_l, <C_l>^sub and its errors, C_l/C_1 and its error (all dimensionless)."""
    n_l = summary.lmax + 1
    columns: dict[str, Any] = {**_per_time(summary.times, units, repeat=n_l), "ell": np.tile(np.arange(n_l), len(summary.times))}
    for name, values in (("C_num", summary.cl_num), ("N", summary.noise), ("C_sub", summary.cl_sub), ("C_sub_err", summary.cl_sub_error),
                         ("C_noise_err", summary.cl_noise_error), ("ratio", summary.ratio), ("ratio_err", summary.ratio_error)):
        columns[name] = np.asarray(values).reshape(-1) * u.one
    table = QTable(columns)
    table.meta["description"] = (
        "ensemble-averaged angular power spectra of the relative intensity, one row per backtracking time T and multipole "
        "(KPM (4), (7)): C_num, the shot noise N, the noise-subtracted C_sub with its error (scatter of the realisations / "
        "sqrt N) and its shot-noise part, ratio = C_sub/C_sub(l=1) with a jackknife error; all C_l are dimensionless "
        "(relative intensity); T in yr and Omega_T = Omega T"
    )
    return table


def transport_table(summary: EnsembleSummary, units: ModelUnits) -> QTable:
    """One row per backtracking time T: K_zz, K_perp with errors, N_l (KPM (7)), C_1 three ways (KPM (55), (57))."""
    columns: dict[str, Any] = dict(_per_time(summary.times, units))
    for name, values in (("K_zz", summary.K_zz.value), ("K_zz_err", summary.K_zz.error), ("K_perp", summary.K_perp.value),
                         ("K_perp_err", summary.K_perp.error)):
        columns.update(column_pair(name, values, "diffusion", units))
    for name, values in (("noise_variance", summary.noise_variance), ("N_1", summary.noise[:, 1]), ("C1_sub", summary.cl_sub[:, 1]),
                         ("C1_sub_err", summary.cl_sub_error[:, 1]), ("C1_dipole", summary.c1_dipole), ("C1_QLT", summary.c1_qlt)):
        columns[name] = np.asarray(values) * u.one
    table = QTable(columns)
    table.meta["description"] = (
        "transport diagnostics per backtracking time T: the running diffusion coefficients K = <r r>/(2 T) in cm^2/s and "
        "Omega_K = Omega K/c^2; the pixel noise variance, N_1 and C_1 (subtracted, from the dipole, QLT) of the relative "
        "intensity (dimensionless); tau_s = 3 K_zz(T_max)/c^2"
    )
    table.meta.update(with_units({
        "cos_alpha": summary.cos_alpha, "tau_s": summary.omega_tau_s, "tau_s_err": summary.omega_tau_s_error,
        "K_zz_inf_fit": summary.K_zz.K_inf, "K_zz_tau_fit": summary.K_zz.tau, "K_zz_converged": summary.K_zz.converged,
        "realisations": summary.n_realisations,
    }, units))
    return table


def realisation_table(summary: EnsembleSummary, results: list[RealisationResult], units: ModelUnits) -> QTable:
    """C_l^sub of every realisation and T, one row per (realisation, T, l)."""
    sub = summary.cl_sub_realisations  # (N, n_T, L)
    n, n_t, n_l = sub.shape
    table = QTable({
        "realisation": np.repeat([r.index for r in results], n_t * n_l),
        **_per_time(summary.times, units, repeat=n_l, tile=n),
        "ell": np.tile(np.arange(n_l), n * n_t),
        "C_sub": sub.reshape(-1) * u.one,
    })
    table.meta["description"] = "noise-subtracted C_l of each realisation (relative intensity, dimensionless) per backtracking time T"
    return table


def read_table(path: Path) -> QTable:
    """An ensemble table of a run, or ValueError naming it when it has an earlier layout (module docstring)."""
    if not path.is_file():
        raise ValueError(f"run folder {str(path.parent)!r} holds no {path.name}: give the --out folder of a crmix simulate run")
    table = QTable.read(path, format="ascii.ecsv")
    if TIME_COLUMN not in table.colnames:
        raise ValueError(
            f"{path} was written by an earlier crmix (times in 1/Omega without units, a column per time); re-reduce the "
            f"run, which rewrites its tables from its realisation files: python -c \"from crmix.simulate import rereduce; "
            f"rereduce('{path.parent}')\" (or rerun the crmix simulate command that made it, with the same --out)"
        )
    return table


def summary_lines(summary: EnsembleSummary, lmax_print: int = 10) -> list[str]:
    """Human-readable table of the ensemble (K_zz, Omega tau_s, <C_l>^sub / <C_1>^sub with errors)."""
    K = np.asarray(summary.mapping["K_liouville"])
    lines = [f"realisations: {summary.n_realisations}   <cos alpha> = {summary.cos_alpha:.4f}   "
             f"Liouville K ({summary.mapping['diffusion_source']}): K_zz = {K[2, 2]:.4g}, K_xx = {K[0, 0]:.4g}   "
             f"noise: {summary.noise_estimator}"]
    lines.append(f"{'T':>10} {'K_zz':>18} {'K_perp':>18} {'N_1':>10} {'C1_sub':>20} {'C1_QLT':>10}")
    for k, t in enumerate(summary.times):
        kzz = f"{summary.K_zz.value[k]:.4g}+-{summary.K_zz.error[k]:.2g}"
        kp = f"{summary.K_perp.value[k]:.4g}+-{summary.K_perp.error[k]:.2g}"
        c1 = f"{summary.cl_sub[k, 1]:.3g}+-{summary.cl_sub_error[k, 1]:.2g}"
        lines.append(f"{t:10.4g} {kzz:>18} {kp:>18} {summary.noise[k, 1]:10.3g} {c1:>20} {summary.c1_qlt[k]:10.3g}")
    state = {True: "converged", False: "NOT converged", None: "convergence unknown (one T)"}[summary.K_zz.converged]
    lines.append(f"Omega tau_s = 3 K_zz(T_max) = {summary.omega_tau_s:.4g} +- {summary.omega_tau_s_error:.2g} ({state}; "
                 f"fit K_zz(inf) = {summary.K_zz.K_inf:.4g})")
    lmax = min(lmax_print, summary.lmax)
    lines.append("<C_l>^sub / <C_1>^sub at T_max: " + " ".join(
        f"l={ell}:{summary.ratio[-1, ell]:.3g}+-{summary.ratio_error[-1, ell]:.2g}" for ell in range(2, lmax + 1)))
    lines.extend(f"WARNING: {w}" for w in summary.warnings)
    return lines
