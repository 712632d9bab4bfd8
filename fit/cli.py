"""crmix fit: the mixing time that makes the theory's C_l/C_1 match a simulated ensemble (KPM Sec. 3.2, Fig. 6).

Reads one or more ``crmix simulate`` output folders, builds the SAME turbulence model for the theory
(spectrum, range, eta, rho from the run's run.json), and fits the free parameter of the mixing
equation -- Omega dT with a regular field (KPM), alpha = k_max dT without one (MA19) -- to
<C_l>^sub/<C_1>^sub over the chosen multipoles by chi^2, with the jackknife covariance over
realisations (crmix.fit.data).  The fit is repeated at every --lmax (the truncation changes the
theory; docs/errata.md).  Writes into --out:

  fit.ecsv          one row per (run, l_max): best fit, 1-sigma interval, chi^2/dof, the run's
                    Omega tau_s (simulated and QLT), <C_1>^sub/<C_1>^QLT, <cos alpha>
  fit_shapes.ecsv   per run: l, the simulated C_l/C_1 with errors, the theory at each best fit
  fit.png           the simulated shapes with error bars and the best-fit theory curves
  fit_relation.ecsv with two or more runs: Omega dT = c (Omega tau_s)^p per l_max, against the
                    simulated and the QLT scattering times (crmix.fit.relation; KPM (51), Fig. 6)
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import numpy as np
from astropy.table import Table

from crmix.fit.data import COVARIANCES, SimulatedShape, read_shape
from crmix.fit.relation import scaling_relation
from crmix.fit.shape import ShapeFit, fit_run
from crmix.io import atomic_write, check_output_folder
from crmix.provenance import provenance
from crmix.solver.closure import CLOSURES

__all__ = ["add_arguments", "run"]

DEFAULT_LMAX = "50,100,200"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``crmix fit``."""
    parser.add_argument("runs", nargs="+", metavar="RUN", help="crmix simulate output folders")
    parser.add_argument("--time", type=float, default=None, help="backtracking time T in 1/Omega (default: the largest of each run)")
    parser.add_argument("--ell", default="2:20", help="multipole range lo:hi of the fit (default: 2:20, cut to the run's tables)")
    parser.add_argument("--lmax", default=DEFAULT_LMAX, help=f"truncations of the theory, comma-separated (default: {DEFAULT_LMAX})")
    parser.add_argument("--covariance", choices=COVARIANCES, default="diagonal",
                        help="jackknife covariance over realisations: its diagonal, or the full matrix (needs more realisations "
                        "than multipoles + 2) (default: diagonal)")
    parser.add_argument("--bounds", default=None, metavar="LO:HI",
                        help="range of the fitted parameter (default: Omega dT in 2:300, alpha in 2:3000)")
    parser.add_argument("--closure", choices=CLOSURES, default="truncated",
                        help="the theory's steady state: KPM (20) truncated at l_max (default) or an l_max closure (docs/validation.md)")
    parser.add_argument("--mixing-run", nargs="+", default=None, metavar="DIR",
                        help="crmix mixing run(s), one per fitted run's model: KPM (20) with the M measured by test particles "
                        "instead of the first order (docs/physics.md); Omega dT within each run's recorded range")
    parser.add_argument("--out", default="crmix-out/fit", help="output folder (default: ./crmix-out/fit)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _pair(text: str, name: str, kind: type) -> tuple[Any, Any]:
    try:
        lo, hi = (kind(part) for part in text.split(":"))
    except ValueError as exc:
        raise ValueError(f"{name} must be lo:hi, got {text!r}") from exc
    return lo, hi


def _lmax_values(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise ValueError(f"--lmax must be comma-separated integers >= 2, got {text!r}") from exc
    if not values or any(v < 2 for v in values):
        raise ValueError(f"--lmax must be comma-separated integers >= 2, got {text!r}")
    return sorted(set(values))


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


def _fit_table(results: list[tuple[SimulatedShape, list[ShapeFit]]]) -> Table:
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


def _shape_table(results: list[tuple[SimulatedShape, list[ShapeFit]]]) -> Table:
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


def _relation_table(results: list[tuple[SimulatedShape, list[ShapeFit]]]) -> Table | None:
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


def _plot(path: Path, results: list[tuple[SimulatedShape, list[ShapeFit]]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(results)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 4.2 * rows), squeeze=False)
    for ax, (shape, fits) in zip(axes.ravel(), results):
        ok = shape.ratio > 0
        ax.errorbar(shape.ells[ok], shape.ratio[ok], yerr=shape.error[ok], fmt="o", ms=3, color="k", label="simulation")
        for f in fits:
            name = "Omega dT" if f.parameter == "omega_dt" else "alpha"
            ax.loglog(shape.ells, f.theory, lw=1.2,
                      label=f"l_max {f.lmax}: {name} = {f.best:.3g} [{f.low:.3g}, {f.high:.3g}], chi2/dof = {f.reduced_chi2:.2g}")
        ax.set_xlabel(r"$\ell$")
        ax.set_ylabel(r"$C_\ell / C_1$")
        ax.set_title(f"rho = {shape.model.rho:.3g}, eta = {shape.model.eta:g}, T = {shape.time:.4g}/Omega", fontsize=9)
        ax.legend(fontsize=7)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    plt.close(fig)


def run(args: argparse.Namespace) -> int:
    """Check everything, read the runs, fit each at each l_max, write the tables and the plot."""
    lo, hi = _pair(args.ell, "--ell", int)
    if not 2 <= lo <= hi:
        raise ValueError(f"--ell must be lo:hi with 2 <= lo <= hi, got {args.ell!r}")
    lmax_values = _lmax_values(args.lmax)
    bounds = None if args.bounds is None else _pair(args.bounds, "--bounds", float)
    if bounds is not None and not 0 < bounds[0] < bounds[1] < math.inf:
        raise ValueError(f"--bounds must satisfy 0 < lo < hi (finite), got {args.bounds!r}")
    if lmax_values[0] < hi + 1:
        raise ValueError(f"--lmax must exceed the largest fitted multipole {hi}, got {lmax_values[0]}")
    out = check_output_folder(args.out)
    shapes = [read_shape(run_dir, time=args.time, ells=(lo, hi), covariance=args.covariance) for run_dir in args.runs]
    from crmix.fit.mixing import measured_sources

    if args.mixing_run and args.closure != "truncated":
        raise ValueError(f"--mixing-run is solved by KPM (20) truncated at lmax: drop --closure {args.closure}")
    sources = measured_sources(args.mixing_run, [s.model for s in shapes], lmax_values[-1])
    from tqdm.auto import tqdm

    results = []
    with tqdm(desc="theory evaluations", unit="matrix", disable=args.no_progress) as bar:
        for shape, source in zip(shapes, sources):
            span = bounds if source is None else source.omega_dt_range(bounds)
            results.append((shape, fit_run(shape, lmax_values, bounds=span, closure=args.closure, progress=bar, mixing=source)))
    out.mkdir(parents=True, exist_ok=True)
    fit_table = _fit_table(results)
    fit_table.meta["parameters"] = {"runs": list(args.runs), "time": args.time, "ell": [lo, hi], "lmax": lmax_values,
                                    "covariance": args.covariance, "closure": args.closure, "bounds": list(bounds) if bounds else None,
                                    "mixing_runs": args.mixing_run}
    shape_table = _shape_table(results)
    for table in (fit_table, shape_table):
        table.meta["provenance"] = provenance("numpy", "float64")  # the theory's matrices
    atomic_write(out / "fit.ecsv", lambda tmp: fit_table.write(tmp, format="ascii.ecsv", overwrite=True))
    atomic_write(out / "fit_shapes.ecsv", lambda tmp: shape_table.write(tmp, format="ascii.ecsv", overwrite=True))
    _plot(out / "fit.png", results)
    relation = _relation_table(results)
    if relation is not None:
        atomic_write(out / "fit_relation.ecsv", lambda tmp: relation.write(tmp, format="ascii.ecsv", overwrite=True))
    for shape, fits in results:
        print(f"{shape.run}: rho = {shape.model.rho:.3g}, eta = {shape.model.eta:g}, T = {shape.time:.4g}, "
              f"l = {shape.ells[0]}..{shape.ells[-1]}, {shape.n_realisations} realisations, Omega tau_s (sim) = "
              f"{shape.omega_tau_s:.4g} +- {shape.omega_tau_s_error:.2g}")
        for f in fits:
            flag = f" (at the {f.at_bound} bound)" if f.at_bound else ""
            print(f"  l_max = {f.lmax:4d}: {f.parameter} = {f.best:.4g} [{f.low:.4g}, {f.high:.4g}]{flag}, "
                  f"chi2/dof = {f.chi2:.3g}/{f.dof} = {f.reduced_chi2:.3g} ({f.evaluations} theory evaluations)")
    if relation is not None:
        print("Omega dT = c (Omega tau_s)^p over the runs:")
        for r in relation:
            print(f"  l_max = {r['lmax']:4d}, tau_s {r['tau_s']:>3s} ({r['fits']} fits): c = {r['c']:.3g} +- {r['c_err']:.2g}, "
                  f"p = {r['p']:.3f} +- {r['p_err']:.3f}, chi2/dof = {r['chi2']:.3g}/{r['dof']}; at p = 1/3: "
                  f"c = {r['c_at_p_third']:.3g} +- {r['c_at_p_third_err']:.2g}, chi2 = {r['chi2_at_p_third']:.3g}")
    written = ["fit.ecsv", "fit_shapes.ecsv", "fit.png"] + (["fit_relation.ecsv"] if relation is not None else [])
    print("wrote " + ", ".join(str(out / name) for name in written))
    return 0
