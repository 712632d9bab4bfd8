"""What ``crmix fit`` writes: the fit table, the shapes with the best-fit theory, the scaling relation, the warnings.

Each builder takes the fits of crmix.fit.shape (one list per run) and returns an astropy QTable (or
the warnings' lines); the command writes them atomically, and fit.png with crmix.plots.fit.
"""

from __future__ import annotations

import math
from typing import Any

import astropy.units as u
import numpy as np
from astropy.table import QTable

from crmix.fit.data import SimulatedShape
from crmix.fit.relation import scaling_relation
from crmix.fit.shape import ShapeFit
from crmix.provenance import provenance
from crmix.records import column_pair
from crmix.units import model_units

__all__ = ["bound_warnings", "fit_table", "relation_table", "shape_table"]


def _qlt_tau(shape: SimulatedShape) -> float:
    """Omega tau_s of slab QLT (crmix.qlt) for the run's model, NaN where it has none.

    The geometry's QLT (crmix.geometry) is cached per model: every table row and relation of the run reads one
    computation.
    """
    model = shape.model
    if not model.turbulence.slab_qlt:
        return math.nan
    try:
        qlt = model.turbulence.qlt(model)
    except ValueError:
        return math.nan
    return qlt.tau_s if qlt is not None else math.nan


def bound_warnings(results: list[tuple[SimulatedShape, list[ShapeFit]]]) -> list[str]:
    """One line per best fit that sits at a bound of the searched range: a bound, not a measurement."""
    return [f"{shape.run}, l_max = {f.lmax}: the best {f.parameter} = {f.best:.4g} sits at the {f.at_bound} bound of the "
            "searched range (a bound, not a measurement; --bounds widens it)" for shape, fits in results for f in fits if f.at_bound]


def fit_table(results: list[tuple[SimulatedShape, list[ShapeFit]]]) -> QTable:
    """One row per (run, l_max): the fit, the run's transport; T and tau_s in yr beside Omega_T and Omega_tau_s."""
    pairs = [(shape, f) for shape, fits in results for f in fits]
    units = [model_units(shape.model) for shape, _ in pairs]
    columns: dict[str, Any] = {
        "run": [str(shape.run) for shape, _ in pairs],
        "rho": [shape.model.rho for shape, _ in pairs] * u.one,
        "eta": [shape.model.eta for shape, _ in pairs] * u.one,
        **column_pair("T", [shape.time for shape, _ in pairs], "time", units),
        "lmax": [f.lmax for _, f in pairs],
        "parameter": [f.parameter for _, f in pairs],
    }
    for name in ("best", "low", "high"):
        columns[name] = [getattr(f, name) for _, f in pairs] * u.one
    columns.update({
        "at_bound": [f.at_bound for _, f in pairs],
        "chi2": [f.chi2 for _, f in pairs] * u.one,
        "dof": [f.dof for _, f in pairs],
        "chi2_dof": [f.reduced_chi2 for _, f in pairs] * u.one,
        **column_pair("tau_s_sim", [shape.omega_tau_s for shape, _ in pairs], "time", units),
        **column_pair("tau_s_sim_err", [shape.omega_tau_s_error for shape, _ in pairs], "time", units),
        **column_pair("tau_s_QLT", [_qlt_tau(shape) for shape, _ in pairs], "time", units),
        "K_zz_converged": [str(shape.k_zz_converged) for shape, _ in pairs],
        "C1_sub_over_C1_QLT": [shape.c1_sub_over_qlt for shape, _ in pairs] * u.one,
        "cos_alpha": [shape.cos_alpha for shape, _ in pairs] * u.one,
        "realisations": [shape.n_realisations for shape, _ in pairs],
        "evaluations": [f.evaluations for _, f in pairs],
    })
    table = QTable(columns)
    table.meta["description"] = (
        "chi^2 fits of the mixing time to simulated C_l/C_1 (KPM Sec. 3.2): best and the 1-sigma interval [low, high] of the "
        "parameter (omega_dt = Omega dT, alpha = k_max dT; dimensionless); at_bound names an open side; the backtracking "
        "time T and the scattering times tau_s = 3 K_zz(T_max) (sim) and lambda_par/c (QLT) in yr, beside Omega T and "
        "Omega tau_s"
    )
    return table


def shape_table(results: list[tuple[SimulatedShape, list[ShapeFit]]]) -> QTable:
    """One row per (run, l_max, l): the simulated C_l/C_1 with its error and the theory at the best fit at that l_max."""
    rows = [(shape, f, i) for shape, fits in results for f in fits for i in range(len(shape.ells))]
    table = QTable({
        "run": [str(shape.run) for shape, _, _ in rows],
        "lmax": [f.lmax for _, f, _ in rows],
        "ell": [int(shape.ells[i]) for shape, _, i in rows],
        "ratio": [shape.ratio[i] for shape, _, i in rows] * u.one,
        "ratio_err": [shape.error[i] for shape, _, i in rows] * u.one,
        "theory": [f.theory[i] for _, f, i in rows] * u.one,
    })
    table.meta["description"] = ("simulated <C_l>^sub/<C_1>^sub with jackknife errors and the theory at the best fit for each "
                                 "truncation l_max (dimensionless)")
    return table


def relation_table(results: list[tuple[SimulatedShape, list[ShapeFit]]]) -> QTable | None:
    """Omega dT = c (Omega tau_s)^p over the runs, per l_max and per tau_s (simulated, QLT); None below two usable fits.

    A fit is usable when its parameter is Omega dT and its interval is closed (no open side).
    """
    rows: dict[str, list[Any]] = {k: [] for k in (
        "lmax", "tau_s_source", "fits", "c", "c_err", "p", "p_err", "chi2", "dof", "c_at_p_third", "c_at_p_third_err",
        "chi2_at_p_third")}
    for lmax in sorted({f.lmax for _, fits in results for f in fits}):
        usable = [(shape, f) for shape, fits in results for f in fits
                  if f.lmax == lmax and f.parameter == "omega_dt" and not f.at_bound]
        for source in ("sim", "QLT"):
            tau = np.array([s.omega_tau_s if source == "sim" else _qlt_tau(s) for s, _ in usable])
            tau_err = np.array([s.omega_tau_s_error if source == "sim" else 0.0 for s, _ in usable])
            keep = np.isfinite(tau) & (tau > 0)
            if np.count_nonzero(keep) < 2:
                continue
            chosen = [f for f, k in zip((f for _, f in usable), keep) if k]
            rel = scaling_relation(tau[keep], tau_err[keep], np.array([f.best for f in chosen]),
                                   np.array([f.low for f in chosen]), np.array([f.high for f in chosen]))
            for key, value in (("lmax", lmax), ("tau_s_source", source), ("fits", len(chosen)), ("c", rel.c), ("c_err", rel.c_error),
                               ("p", rel.p), ("p_err", rel.p_error), ("chi2", rel.chi2), ("dof", rel.dof),
                               ("c_at_p_third", rel.c_at_third), ("c_at_p_third_err", rel.c_at_third_error),
                               ("chi2_at_p_third", rel.chi2_at_third)):
                rows[key].append(value)
    if not rows["lmax"]:
        return None
    table = QTable({k: v if k in ("lmax", "tau_s_source", "fits", "dof") else np.asarray(v, dtype=float) * u.one for k, v in rows.items()})
    table.meta["description"] = (
        "Omega dT = c (Omega tau_s)^p fitted over the runs (KPM (51), Fig. 6; crmix.fit.relation), per truncation l_max and "
        "per scattering time (tau_s_source sim: 3 K_zz(T_max) of each run with its error; QLT: lambda_par); c_at_p_third: "
        "c at KPM's p = 1/3; every number dimensionless"
    )
    table.meta["provenance"] = provenance("numpy", "float64")
    return table
