"""crmix scan: ensembles over rigidities x turbulence levels eta, as one Dask task graph.

Every (rigidity, eta) pair is a point with the other options of ``crmix simulate``; all the
realisations of all the points are submitted together (crmix.simulate.cluster: serial, a
LocalCluster, an existing scheduler or Slurm), and each point is reduced on the client once the
tasks are done.  Writes into --out:

  scan.json        the points' run parameters (a folder holding another scan is refused)
  point_NNN/       one ordinary run folder per point, exactly what ``crmix simulate`` writes there
                   (run.json, realisation files, ensemble_cl.ecsv, ensemble_transport.ecsv,
                   ensemble_realisations.ecsv, ensemble.npz): ``crmix fit`` reads each
  scan.ecsv        one row per point: rigidity, rho, eta, realisations, tau_s from slab QLT
                   (crmix.qlt) and simulated (3 K_zz(T_max), with its error) in yr beside Omega tau_s,
                   <C_1>^sub/<C_1>^QLT at T_max with its error, <cos alpha>, whether K_zz(T)
                   converged, the folder

Points are numbered rigidity-major (rigidity 0 with every eta, then rigidity 1, ...).  A killed
scan resumes like a run: finished realisations are kept, the rest computed; a larger
--realisations extends every point.  Bad input, in any point, is refused before any work.
"""

from __future__ import annotations

import argparse
from typing import Any

from crmix.commands.options import engine_from_options
from crmix.commands.simulate import add_simulation_options, config_from_args

__all__ = ["DEFAULT_OUT", "add_arguments", "points_from_args", "run"]

DEFAULT_OUT = "crmix-out/scan"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``crmix simulate``, with several --rigidity and --eta values."""
    add_simulation_options(parser, several=True, default_out=DEFAULT_OUT)


def points_from_args(args: argparse.Namespace) -> list[Any]:
    """Every point's configuration, checked (ValueError naming the option) before any work."""
    import astropy.units as u

    from crmix.geometry import geometry_for
    from crmix.simulate.runner import liouville_mapping
    from crmix.simulate.scan import ScanPoint
    from crmix.units import quantity

    rigidities = [quantity(r, u.V, "--rigidity", example="1PV") for r in args.rigidity]
    etas = args.eta if args.eta is not None else [0.5 if geometry_for(args.geometry).needs_regular_field else 1.0]
    for name, values, given in (("--rigidity", [q.to_value(u.V) for q in rigidities], args.rigidity), ("--eta", list(etas), etas)):
        if len(set(values)) != len(values):
            raise ValueError(f"{name} values must be distinct, got {list(given)}")
    points = []
    for text, rigidity in zip(args.rigidity, rigidities):
        for eta in etas:
            config, analysis = config_from_args(args, rigidity=text, eta=eta)
            liouville_mapping(config, analysis)
            points.append(ScanPoint(rigidity=rigidity, config=config, analysis=analysis))
    return points


def run(args: argparse.Namespace) -> int:
    """Check every point (options, engine, output folder, estimate), run the realisations of all as one task graph,
    reduce each point and write the summary."""
    from functools import partial

    import numpy as np

    from crmix.commands.simulate import _plot
    from crmix.io import check_output_folder
    from crmix.resources import ResourceEstimate, calibrated, require
    from crmix.simulate.resources import simulation_estimate
    from crmix.simulate.scan import SUMMARY_FILE, folder_name, run_scan

    points = points_from_args(args)
    engine = engine_from_options(args)
    out = check_output_folder(args.out)
    estimates = [calibrated(simulation_estimate(p.config, args.realisations)) for p in points]
    total = ResourceEstimate(memory=max((e.memory for e in estimates), key=lambda m: sum(m.values())),
                             seconds=sum(e.seconds for e in estimates))
    require(total, size_options="--nside, --rigidity, --rg-over-lambda-min, --times or the number of points", yes=args.yes)
    engine.check_scheduler()
    if not args.no_progress:
        print(f"crmix scan: {len(points)} points x {args.realisations} realisations: {total.describe()}", flush=True)
    table, summaries = run_scan(points, out, args.realisations, engine=engine, progress=not args.no_progress,
                                extra=partial(_plot, k_zz_qlt=None))
    print(f"{len(points)} points x {args.realisations} realisations ({points[0].config.model.geometry}, "
          f"Nside = {points[0].config.nside}, T = {[float(t) for t in summaries[0].times]})")
    print(f"{'rigidity':>12} {'rho':>10} {'eta':>6} {'Omega tau_s QLT':>16} {'Omega tau_s sim':>20} "
          f"{'C1sub/C1QLT':>16} {'<cos a>':>8}  folder")
    for row in table:
        value = {name: row[name].value for name in ("Omega_tau_s", "Omega_tau_s_err", "C1_sub_over_C1_QLT", "C1_sub_over_C1_QLT_err",
                                                     "rho", "eta", "Omega_tau_s_QLT", "cos_alpha")}
        sim = f"{value['Omega_tau_s']:.4g}+-{value['Omega_tau_s_err']:.2g}"
        c1 = f"{value['C1_sub_over_C1_QLT']:.3g}+-{value['C1_sub_over_C1_QLT_err']:.2g}"
        state = "" if row["converged"] is np.ma.masked or row["converged"] else " (not converged)"
        print(f"{row['rigidity'].to_value('TV'):>10.4g}TV {value['rho']:10.4g} {value['eta']:6.3g} {value['Omega_tau_s_QLT']:16.4g} "
              f"{sim + state:>20} {c1:>16} {value['cos_alpha']:8.4f}  {row['folder']}")
    for k, s in enumerate(summaries):
        for w in s.warnings:
            print(f"WARNING ({folder_name(k)}): {w}")
    for w in table.meta.get("warnings", []):
        print(f"WARNING: {w}")
    print(f"written to {out} ({SUMMARY_FILE}, {folder_name(0)} ...)")
    return 0
