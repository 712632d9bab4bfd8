"""crmix simulate: backtrack test particles through synthetic turbulence to sky maps and <C_l>.

For each realisation of the turbulence (random numbers from --seed and the realisation index alone)
one particle per HEALPix pixel is backtracked from the observer (KPM Sec. 2.1), its sky map of the
relative intensity built by the Liouville mapping KPM (3) at every backtracking time in --times,
and C_l, the dipole vector and the local mean field measured.  Writes into --out:

  run.json                    what the realisations depend on (a folder of other parameters is refused)
  realisation_NNNNN.fits      the component maps r (pc), p-hat at t0 per T (HEALPix RING, pixel = arrival direction)
  realisation_NNNNN.npz       their cross spectra, dipole response, <r r>, local field (independent of K, g)
  ensemble_cl.ecsv            <C_l>^num, N_l, <C_l>^sub with errors, C_l/C_1 with errors, one row per T and l
  ensemble_transport.ecsv     K_zz(T), K_perp(T) with errors and a convergence test, N_l, C_1 three ways
  ensemble_realisations.ecsv  C_l^sub of every realisation (for covariances; read by crmix fit)
  ensemble.npz                the same statistics as arrays, and the record of the reduction
  simulate.png                one realisation's sky map, <C_l>^sub with errors, K_zz(T) and K_perp(T)

The Liouville mapping KPM (3) uses ONE diffusion tensor K for every T (--diffusion: the ensemble's
late-time <r r>/(2 T_max), slab QLT, or given values), so the map at T does not depend on which
other times were requested.  A killed run resumes: finished realisations are kept, the others are
computed; rerunning with another --diffusion, --noise or --lmax only re-reduces the ensemble.
The realisations run serially or as Dask tasks (--scheduler local, tcp://HOST:PORT, --cluster
slurm; see crmix.simulate.cluster): the files are the same bit for bit.
Times are given in units of 1/Omega (Omega = q B0 / p; with --eta 1, isotropic, the RMS field); the
tables and the maps' headers state them in yr beside Omega T, and every other number with its unit
(crmix.records).
"""

from __future__ import annotations

import argparse
from typing import Any

from crmix.commands.options import add_engine_options, add_model_options, add_output_options, engine_from_options, geometry_from_options
from crmix.simulate.boris import StepRule
from crmix.simulate.config import FIELD_METHODS, NOISE_ESTIMATORS, Analysis, SimulationConfig, check_steps

__all__ = ["DEFAULT_OUT", "add_arguments", "add_simulation_options", "config_from_args", "run"]

DEFAULT_OUT = "crmix-out/simulate"
DEFAULT_TIMES = "10,30,100,300"


def add_simulation_options(parser: argparse.ArgumentParser, *, several: bool, default_out: str) -> None:
    """Options of ``crmix simulate``; ``several``: --rigidity and --eta take several values (``crmix scan``)."""
    add_model_options(parser, rigidity="1PV", several_rigidities=several, several_eta=several)
    parser.add_argument("--nside", type=int, default=8, help="HEALPix Nside of the initial directions, a power of two (default: 8)")
    parser.add_argument("--times", default=DEFAULT_TIMES, help=f"backtracking times T in 1/Omega, comma-separated (default: {DEFAULT_TIMES})")
    parser.add_argument("--realisations", type=int, default=4,
                        help=f"number of turbulence realisations{' per point' if several else ''} (default: 4)")
    parser.add_argument("--seed", type=int, default=0, help="random seed >= 0 (default: 0)")
    parser.add_argument("--backend", choices=("numpy", "numba", "cupy"), default="numba", help="hot-loop backend (default: numba)")
    parser.add_argument("--field", choices=FIELD_METHODS, default="grid",
                        help="grid: slab table / nested grids; waves: plane-wave sum (default: grid)")
    parser.add_argument("--step", type=float, default=None, help="Boris step in 1/Omega (default: the rule below)")
    parser.add_argument("--steps-per-gyration", type=float, default=StepRule.steps_per_gyration,
                        help=f"step rule: dt <= 2 pi r_g / this (default: {StepRule.steps_per_gyration:g})")
    parser.add_argument("--steps-per-wavelength", type=float, default=StepRule.steps_per_wavelength,
                        help=f"step rule: dt <= lambda_min / this (default: {StepRule.steps_per_wavelength:g})")
    parser.add_argument("--lmax", type=int, default=None, help="largest multipole of the tables, <= 3 Nside - 1 (default: 2 Nside)")
    parser.add_argument("--diffusion", default=None,
                        help="the one K of the Liouville mapping KPM (3) for every T: 'qlt' (slab QLT K_zz), 'ensemble' "
                        "(<r r>/(2 T_max) of the ensemble: depends on the largest T), or K_zz[,K_perp] with units, e.g. "
                        "3e28cm2/s (default: qlt for slab turbulence, ensemble otherwise)")
    parser.add_argument("--noise", choices=NOISE_ESTIMATORS, default="pixel",
                        help="shot-noise estimator: pixel (from neighbouring pixels, unbiased at every l) or kpm "
                        "(KPM (5)-(7) from <r r>) (default: pixel)")
    add_output_options(parser, default_out)
    add_engine_options(parser)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``crmix simulate``."""
    add_simulation_options(parser, several=False, default_out=DEFAULT_OUT)


def config_from_args(args: argparse.Namespace, **point: Any) -> tuple[SimulationConfig, Analysis]:
    """The run's configuration and analysis of the options (``point``: a scan's rigidity and eta); their
    constructors check every value (ValueError naming the option and its allowed range)."""
    if args.realisations < 1:
        raise ValueError(f"--realisations must be >= 1, got {args.realisations}")
    step = check_steps(args.steps_per_gyration, args.steps_per_wavelength, args.step)
    values = {"rigidity": args.rigidity, "eta": args.eta, **point}
    config = SimulationConfig.from_physical(
        geometry_from_options(args), rigidity=values["rigidity"], b_rms=args.brms, l_c=args.lc, eta=values["eta"],
        spectrum=args.spectrum, rg_over_lambda_min=args.rg_over_lambda_min, times=args.times, step=step, nside=args.nside,
        seed=args.seed, method=args.field, backend=args.backend,
    )
    analysis = Analysis.from_physical(config, gradient_length=args.gradient_length, diffusion=args.diffusion, noise=args.noise,
                                      lmax=args.lmax)
    return config, analysis


def run(args: argparse.Namespace) -> int:
    """Check everything (options, engine, output folder, estimate), run or resume the realisations, reduce them and
    write the tables and the plot as one set."""
    from functools import partial

    from crmix.io import check_output_folder
    from crmix.resources import calibrated, require
    from crmix.simulate.resources import simulation_estimate
    from crmix.simulate.runner import liouville_mapping, run_ensemble
    from crmix.simulate.store import check_folder, run_parameters
    from crmix.simulate.tables import summary_lines

    config, analysis = config_from_args(args)
    engine = engine_from_options(args)
    out = check_output_folder(args.out)
    mapping = liouville_mapping(config, analysis)
    check_folder(out, run_parameters(config))
    estimate = calibrated(simulation_estimate(config, args.realisations))
    require(estimate, size_options="--nside, --rigidity, --rg-over-lambda-min or --times", yes=args.yes)
    engine.check_scheduler()
    if not args.no_progress:
        print(f"crmix simulate: {args.realisations} realisations: {estimate.describe()}", flush=True)
    k_zz_qlt = mapping.K[2][2] if mapping.source == "qlt" and mapping.K is not None else None
    summary = run_ensemble(config, out, args.realisations, analysis=analysis, progress=not args.no_progress, engine=engine,
                           extra=partial(_plot, k_zz_qlt=k_zz_qlt))
    m = config.model
    print(f"{m.geometry}: rho = {m.rho:.4g}, eta = {m.eta:g}, dt = {config.dt:.4g}, Nside = {config.nside}, "
          f"T = {[float(t) for t in summary.times]}")
    for line in summary_lines(summary):
        print(line)
    print(f"written to {out}")
    return 0


def _plot(out: Any, summary: Any, write: Any, *, k_zz_qlt: float | None) -> None:
    """simulate.png, written with the reduction's tables (crmix.simulate.runner.reduce_ensemble's ``extra``)."""
    from crmix.simulate.plots import write_summary_plot

    write_summary_plot(out, summary, k_zz_qlt=k_zz_qlt, write=write)
