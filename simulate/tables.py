"""The ensemble tables (ECSV) of a run and its printed summary: C_l per T, transport per T, C_l per realisation.

Column names carry the backtracking time T by :func:`time_tag`; every table states its units and
what its columns are in its metadata (crmix.simulate.runner.reduce_ensemble adds the run's parameters).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from astropy.table import Table

from crmix.simulate.ensemble import EnsembleSummary, RealisationResult

__all__ = ["cl_table", "realisation_table", "summary_lines", "time_tag", "transport_table"]


def time_tag(t: float) -> str:
    """The tag of backtracking time T in column and map names: ``T30``, ``T24.9986``."""
    return f"T{t:.6g}"


def cl_table(summary: EnsembleSummary) -> Table:
    """One row per multipole; per T: <C_l>^num, <C_l>^sub and its errors, C_l/C_1 and its error."""
    columns: dict[str, Any] = {"ell": np.arange(summary.lmax + 1)}
    for k, t in enumerate(summary.times):
        tag = time_tag(t)
        columns[f"C_num_{tag}"] = summary.cl_num[k]
        columns[f"N_{tag}"] = summary.noise[k]
        columns[f"C_sub_{tag}"] = summary.cl_sub[k]
        columns[f"C_sub_err_{tag}"] = summary.cl_sub_error[k]
        columns[f"C_noise_err_{tag}"] = summary.cl_noise_error[k]
        columns[f"ratio_{tag}"] = summary.ratio[k]
        columns[f"ratio_err_{tag}"] = summary.ratio_error[k]
    table = Table(columns)
    table.meta["description"] = (
        "ensemble-averaged angular power spectra of the relative intensity per backtracking time T (KPM (4), (7)): "
        "C_num, the shot noise N, the noise-subtracted C_sub with its error (scatter of the realisations / sqrt N) and "
        "its shot-noise part, ratio = C_sub/C_sub(l=1) with a jackknife error; all C_l are dimensionless (relative "
        "intensity)"
    )
    table.meta["times"] = [float(t) for t in summary.times]
    return table


def transport_table(summary: EnsembleSummary) -> Table:
    """One row per backtracking time T: K_zz, K_perp with errors, N_l (KPM (7)), C_1 three ways (KPM (55), (57))."""
    n = summary.n_realisations
    c1_err = summary.cl_sub_error[:, 1]
    table = Table(
        {
            "T": summary.times,
            "K_zz": summary.K_zz.value,
            "K_zz_err": summary.K_zz.error,
            "K_perp": summary.K_perp.value,
            "K_perp_err": summary.K_perp.error,
            "noise_variance": summary.noise_variance,
            "N_1": summary.noise[:, 1],
            "C1_sub": summary.cl_sub[:, 1],
            "C1_sub_err": c1_err,
            "C1_dipole": summary.c1_dipole,
            "C1_QLT": summary.c1_qlt,
        }
    )
    for name in ("T",):
        table[name].unit = "1/Omega"
    for name in ("K_zz", "K_zz_err", "K_perp", "K_perp_err"):
        table[name].unit = "1/Omega"  # c^2/Omega with c = 1
    table.meta.update({
        "description": "transport diagnostics per backtracking time T; T and K in units of 1/Omega (c = 1)",
        "cos_alpha": summary.cos_alpha, "Omega_tau_s": summary.omega_tau_s, "Omega_tau_s_err": summary.omega_tau_s_error,
        "K_zz_inf_fit": summary.K_zz.K_inf, "K_zz_tau_fit": summary.K_zz.tau,
        "K_zz_converged": summary.K_zz.converged, "realisations": n,
    })
    return table


def realisation_table(summary: EnsembleSummary, results: list[RealisationResult]) -> Table:
    """C_l^sub of every realisation and T, long format (realisation, T, ell)."""
    sub = summary.cl_sub_realisations  # (N, n_T, L)
    n, n_t, n_l = sub.shape
    table = Table({
        "realisation": np.repeat([r.index for r in results], n_t * n_l),
        "T": np.tile(np.repeat(summary.times, n_l), n),
        "ell": np.tile(np.arange(n_l), n * n_t),
        "C_sub": sub.reshape(-1),
    })
    table["T"].unit = "1/Omega"
    table.meta["description"] = "noise-subtracted C_l of each realisation (relative intensity) per backtracking time T"
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
