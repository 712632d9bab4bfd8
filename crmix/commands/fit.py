"""crmix fit: the mixing time that makes the theory's C_l/C_1 match a simulated ensemble (KPM Sec. 3.2, Fig. 6).

Reads one or more ``crmix simulate`` output folders, builds the SAME turbulence model for the theory
(spectrum, range, eta, rho from the run's run.json), and fits the free parameter of the mixing
equation -- Omega dT with a regular field (KPM), alpha = k_max dT without one (MA19) -- to
<C_l>^sub/<C_1>^sub over the chosen multipoles by chi^2, with the jackknife covariance over
realisations (crmix.fit.data).  The fit is repeated at every --lmax (the truncation changes the
theory; docs/errata.md).  Writes into --out:

  fit.ecsv          one row per (run, l_max): best fit, 1-sigma interval, chi^2/dof, the run's
                    Omega tau_s (simulated and QLT), <C_1>^sub/<C_1>^QLT, <cos alpha>
  fit_shapes.ecsv   per run, l_max and l: the simulated C_l/C_1 with errors, the theory at the best fit
  fit.png           the simulated shapes with error bars and the best-fit theory curves
  fit_relation.ecsv with two or more runs: Omega dT = c (Omega tau_s)^p per l_max, against the
                    simulated and the QLT scattering times (crmix.fit.relation; KPM (51), Fig. 6)
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from crmix.commands.options import add_output_options
from crmix.fit.request import COVARIANCES, DEFAULT_LMAX, FitRequest, parse_lmax, parse_pair
from crmix.solver.choices import CLOSURES

__all__ = ["add_arguments", "request_from_args", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``crmix fit``."""
    default_lmax = ",".join(str(v) for v in DEFAULT_LMAX)
    parser.add_argument("runs", nargs="+", metavar="RUN", help="crmix simulate output folders")
    parser.add_argument("--time", type=float, default=None, help="backtracking time T in 1/Omega (default: the largest of each run)")
    parser.add_argument("--ell", default="2:20", help="multipole range lo:hi of the fit (default: 2:20, cut to the run's tables)")
    parser.add_argument("--lmax", default=default_lmax, help=f"truncations of the theory, comma-separated (default: {default_lmax})")
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
    add_output_options(parser, "crmix-out/fit")


def request_from_args(args: argparse.Namespace) -> FitRequest:
    """The :class:`crmix.fit.request.FitRequest` of the options (its constructor checks them)."""
    lo, hi = parse_pair(args.ell, "--ell", int)
    bounds = None if args.bounds is None else parse_pair(args.bounds, "--bounds", float)
    return FitRequest(runs=args.runs, time=args.time, ell=(int(lo), int(hi)), lmax=parse_lmax(args.lmax), covariance=args.covariance,
                      bounds=bounds, closure=args.closure, mixing_run=args.mixing_run)


def result_warnings(results: list[tuple[Any, list[Any]]]) -> list[str]:
    """The result checks of the fits (crmix.checks): a chi^2 or a best fit that is not finite is refused
    (ResultError naming the run and l_max); a best fit at a bound is a warning (crmix.fit.report.bound_warnings)."""
    import numpy as np

    from crmix.checks import ResultError
    from crmix.fit.report import bound_warnings

    for shape, fits in results:
        for f in fits:
            values = (f.best, f.low, f.high, f.chi2)
            if not all(math.isfinite(v) for v in values) or not np.all(np.isfinite(f.theory) & (f.theory > 0)):
                raise ResultError(f"{shape.run}, l_max = {f.lmax}: the fit gives {f.parameter} = {f.best:.4g} [{f.low:.4g}, "
                                  f"{f.high:.4g}] with chi^2 = {f.chi2:.4g}: no finite fit within --bounds; narrow --bounds or --ell")
    return bound_warnings(results)


def run(args: argparse.Namespace) -> int:
    """Check everything (options, run folders, output folder, estimate), fit each run at each l_max, check the fits,
    write the tables and the plot as one set."""
    from tqdm.auto import tqdm

    from crmix.checks import record_warnings
    from crmix.fit.data import read_shape
    from crmix.fit.mixing import measured_sources
    from crmix.fit.report import fit_table, relation_table, shape_table
    from crmix.fit.resources import fit_estimate
    from crmix.fit.shape import fit_run
    from crmix.io import check_output_folder, published_together
    from crmix.plots.fit import write_fit_plot
    from crmix.provenance import provenance
    from crmix.records import with_units
    from crmix.resources import calibrated, require

    request = request_from_args(args)
    out = check_output_folder(args.out)
    shapes = [read_shape(Path(run_dir), time=request.time, ells=request.ell, covariance=request.covariance) for run_dir in request.runs]
    estimate = calibrated(fit_estimate([s.model for s in shapes], list(request.lmax), request.bounds))
    require(estimate, size_options="--lmax (or the number of runs)", yes=args.yes)
    if not args.no_progress:
        print(f"crmix fit: {len(shapes)} run(s) x {len(request.lmax)} l_max: {estimate.describe()}", flush=True)
    sources = measured_sources(request.mixing_run, [s.model for s in shapes], request.lmax[-1])

    results = []
    with tqdm(desc="theory evaluations", unit="matrix", disable=args.no_progress) as bar:
        for shape, source in zip(shapes, sources):
            span = request.bounds if source is None else source.omega_dt_range(request.bounds)
            results.append((shape, fit_run(shape, list(request.lmax), bounds=span, closure=request.closure, progress=bar,
                                           mixing=source)))
    warnings = result_warnings(results)
    fits = fit_table(results)
    fits.meta["parameters"] = with_units(request.parameters())
    shapes_table = shape_table(results)
    relation = relation_table(results)
    for table in (fits, shapes_table):
        table.meta["provenance"] = provenance("numpy", "float64")  # the theory's matrices
    for table in (fits, shapes_table, relation):
        if table is not None:
            record_warnings(table.meta, warnings)
    out.mkdir(parents=True, exist_ok=True)
    with published_together() as files:
        files.write(out / "fit.ecsv", lambda tmp: fits.write(tmp, format="ascii.ecsv", overwrite=True))
        files.write(out / "fit_shapes.ecsv", lambda tmp: shapes_table.write(tmp, format="ascii.ecsv", overwrite=True))
        write_fit_plot(out / "fit.png", results, write=files.write)
        if relation is not None:
            files.write(out / "fit_relation.ecsv", lambda tmp: relation.write(tmp, format="ascii.ecsv", overwrite=True))
    for shape, fits in results:
        print(f"{shape.run}: rho = {shape.model.rho:.3g}, eta = {shape.model.eta:g}, T = {shape.time:.4g}, "
              f"l = {shape.ells[0]}..{shape.ells[-1]}, {shape.n_realisations} realisations, Omega tau_s (sim) = "
              f"{shape.omega_tau_s:.4g} +- {shape.omega_tau_s_error:.2g}")
        for f in fits:
            flag = f" (at the {f.at_bound} bound)" if f.at_bound else ""
            print(f"  l_max = {f.lmax:4d}: {f.parameter} = {f.best:.4g} [{f.low:.4g}, {f.high:.4g}]{flag}, "
                  f"chi2/dof = {f.chi2:.3g}/{f.dof} = {f.reduced_chi2:.3g} ({f.evaluations} theory evaluations)")
    for line in warnings:
        print(f"WARNING: {line}")
    if relation is not None:
        print("Omega dT = c (Omega tau_s)^p over the runs:")
        for r in relation:
            print(f"  l_max = {r['lmax']:4d}, tau_s {r['tau_s_source']:>3s} ({r['fits']} fits): c = {r['c'].value:.3g} +- {r['c_err'].value:.2g}, "
                  f"p = {r['p'].value:.3f} +- {r['p_err'].value:.3f}, chi2/dof = {r['chi2'].value:.3g}/{r['dof']}; at p = 1/3: "
                  f"c = {r['c_at_p_third'].value:.3g} +- {r['c_at_p_third_err'].value:.2g}, chi2 = {r['chi2_at_p_third'].value:.3g}")
    written = ["fit.ecsv", "fit_shapes.ecsv", "fit.png"] + (["fit_relation.ecsv"] if relation is not None else [])
    print("wrote " + ", ".join(str(out / name) for name in written))
    return 0
