"""What ``crmix fit`` writes: the fit table, the shapes with the best-fit theory, the scaling relation, the warnings.

Each builder takes the fits of crmix.fit.shape (one list per run) and returns an astropy Table (or
the warnings' lines); the command writes them atomically, and fit.png with crmix.plots.fit.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from astropy.table import Table

from crmix.fit.data import SimulatedShape
from crmix.fit.relation import scaling_relation
from crmix.fit.shape import ShapeFit
from crmix.provenance import provenance

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


def fit_table(results: list[tuple[SimulatedShape, list[ShapeFit]]]) -> Table:
    rows: dict[str, list[Any]] = {k: [] for k in (
        "run", "rho", "eta", "T", "lmax", "parameter", "best", "low", "high", "at_bound", "chi2", "dof", "chi2_dof",
        "Omega_tau_s_sim", "Omega_tau_s_sim_err", "Omega_tau_s_QLT", "K_zz_converged", "C1_sub_over_C1_QLT", "cos_alpha",
        "realisations", "evaluations")}
    for shape, fits in results:
        for f in fits:
            for key, value in (
                ("run", str(shape.run)), ("rho", shape.model.rho), ("eta", shape.model.eta), ("T", shape.time), ("lmax", f.lmax),
                ("parameter", f.parameter), ("best", f.best), ("low", f.low), ("high", f.high), ("at_bound", f.at_bound),
                ("chi2", f.chi2), ("dof", f.dof), ("chi2_dof", f.reduced_chi2), ("Omega_tau_s_sim", shape.omega_tau_s),
                ("Omega_tau_s_sim_err", shape.omega_tau_s_error), ("Omega_tau_s_QLT", _qlt_tau(shape)),
                ("K_zz_converged", str(shape.k_zz_converged)), ("C1_sub_over_C1_QLT", shape.c1_sub_over_qlt),
                ("cos_alpha", shape.cos_alpha), ("realisations", shape.n_realisations), ("evaluations", f.evaluations),
            ):
                rows[key].append(value)
    table = Table(rows)
    table["T"].unit = "1/Omega"
    table.meta["description"] = (
        "chi^2 fits of the mixing time to simulated C_l/C_1 (KPM Sec. 3.2): best and the 1-sigma interval [low, high] of the "
        "parameter (omega_dt = Omega dT, alpha = k_max dT); at_bound names an open side; Omega tau_s = 3 K_zz(T_max) (sim) "
        "and lambda_par (QLT) in units of 1/Omega"
    )
    return table


def shape_table(results: list[tuple[SimulatedShape, list[ShapeFit]]]) -> Table:
    rows: dict[str, list[Any]] = {"run": [], "ell": [], "ratio": [], "ratio_err": []}
    lmaxes = sorted({f.lmax for _, fits in results for f in fits})
    for lmax in lmaxes:
        rows[f"theory_lmax{lmax}"] = []
    for shape, fits in results:
        by = {f.lmax: f for f in fits}
        for i, ell in enumerate(shape.ells):
            rows["run"].append(str(shape.run))
            rows["ell"].append(int(ell))
            rows["ratio"].append(shape.ratio[i])
            rows["ratio_err"].append(shape.error[i])
            for lmax in lmaxes:
                rows[f"theory_lmax{lmax}"].append(by[lmax].theory[i] if lmax in by else math.nan)
    table = Table(rows)
    table.meta["description"] = "simulated <C_l>^sub/<C_1>^sub with jackknife errors and the theory at each best fit"
    return table


def relation_table(results: list[tuple[SimulatedShape, list[ShapeFit]]]) -> Table | None:
    """Omega dT = c (Omega tau_s)^p over the runs, per l_max and per tau_s (simulated, QLT); None below two usable fits.

    A fit is usable when its parameter is Omega dT and its interval is closed (no open side).
    """
    rows: dict[str, list[Any]] = {k: [] for k in (
        "lmax", "tau_s", "fits", "c", "c_err", "p", "p_err", "chi2", "dof", "c_at_p_third", "c_at_p_third_err", "chi2_at_p_third")}
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
            for key, value in (("lmax", lmax), ("tau_s", source), ("fits", len(chosen)), ("c", rel.c), ("c_err", rel.c_error),
                               ("p", rel.p), ("p_err", rel.p_error), ("chi2", rel.chi2), ("dof", rel.dof),
                               ("c_at_p_third", rel.c_at_third), ("c_at_p_third_err", rel.c_at_third_error),
                               ("chi2_at_p_third", rel.chi2_at_third)):
                rows[key].append(value)
    if not rows["lmax"]:
        return None
    table = Table(rows)
    table.meta["description"] = (
        "Omega dT = c (Omega tau_s)^p fitted over the runs (KPM (51), Fig. 6; crmix.fit.relation), per truncation l_max and "
        "per scattering time (sim: 3 K_zz(T_max) of each run with its error; QLT: lambda_par); c_at_p_third: c at KPM's p = 1/3"
    )
    table.meta["provenance"] = provenance("numpy", "float64")
    return table
