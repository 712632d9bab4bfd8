"""crmix mixing: the mixing matrix M_{l l0}(Delta T) of Kuhlen, Phan & Mertsch (17) measured by test particles.

For each realisation of the turbulence (the same fields as 'crmix simulate' for the same --seed),
two independent sets of particles, one direction drawn inside every HEALPix pixel per set, are
backtracked from the observer; at every time Delta T in --times the pair average of
(2 l0 + 1) P_l(p_A . p_B) P_l0(p'_A . p'_B) over pairs of distinct particles gives M_{l l0}(Delta T)
for l, l0 <= --lmax (transfer amplitudes, crmix.simulate.pair_propagator), and the cross spectrum of
the two sets' sky maps gives the C_l of the relative intensity at backtracking time T = Delta T
(KPM (3)-(4)) without noise bias.  Writes into --out:

  run.json            what the realisations depend on (a folder of other parameters is refused)
  mixing_NNNNN.npz    realisation N: M, the component cross spectra and <r r> per Delta T
  mixing.ecsv         M_{l l0}(Delta T) with its error (scatter of the realisations / sqrt N)
  mixing_cl.ecsv      C_l(T) with errors, C_l/C_1 with jackknife errors, K_zz(T)
  mixing.npz          the same as arrays, every realisation's M included
  mixing_theory.ecsv  (models with a closed-form M: slab) the first-order M = 1 + 2 M^(1a) + M^(1c) at
                      every Delta T beside the measured M, with the pulls (crmix.fit.mixing)

The tables state every number with its unit as those of 'crmix simulate' do: Delta T in yr (dT)
beside Omega_dT = Omega Delta T, K_zz in cm^2/s beside Omega_K_zz, M and C_l dimensionless.

Killed runs resume.  The model options are those of 'crmix simulate'; --lmax is the largest
multipole of M and of the spectra (<= 3 Nside - 1).  The realisations run serially; the shot-noise
estimator of 'crmix simulate' does not apply (the two-set cross spectrum has no noise bias).
"""

from __future__ import annotations

import argparse
from typing import Any

from crmix.commands.simulate import add_simulation_options, config_from_args

__all__ = ["add_arguments", "request_from_args", "run"]

DEFAULT_OUT = "crmix-out/mixing"
#: multipoles of M printed at the end
PRINT_LMAX = 6


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``crmix mixing``: the options of ``crmix simulate`` (the model, the particles, the times)."""
    add_simulation_options(parser, several=False, default_out=DEFAULT_OUT)


def _refuse_engine_options(args: argparse.Namespace) -> None:
    if args.scheduler not in ("auto", "serial") or args.cluster is not None or args.workers is not None:
        raise ValueError("crmix mixing runs its realisations serially: drop --scheduler, --cluster and --workers")
    if args.noise != "pixel":
        raise ValueError("--noise does not apply to crmix mixing: the cross spectrum of its two particle sets has no noise bias")


def request_from_args(args: argparse.Namespace) -> tuple[Any, Any]:
    """The run's :class:`crmix.simulate.measured_mixing.MixingConfig` (its constructor and the simulation's check
    every value) and the analysis of its spectra; ValueError naming an option that does not apply."""
    from crmix.simulate.measured_mixing import MixingConfig

    simulation, analysis = config_from_args(args)
    _refuse_engine_options(args)
    return MixingConfig(simulation, analysis.lmax_for(simulation.nside)), analysis


def run(args: argparse.Namespace) -> int:
    """Check everything, measure M over the realisations (resuming a killed run), write the tables, print the diagonal."""
    import numpy as np

    from crmix.io import atomic_write, check_output_folder
    from crmix.resources import require
    from crmix.simulate.measured_mixing import mixing_estimate, run_mixing

    config, analysis = request_from_args(args)
    simulation = config.simulation
    out = check_output_folder(args.out)
    estimate = mixing_estimate(config, args.realisations)
    require(estimate, size_options="--nside, --lmax, --rigidity, --rg-over-lambda-min or --times", yes=args.yes)
    if not args.no_progress:
        print(f"crmix mixing: {args.realisations} realisations: {estimate.describe()}", flush=True)
    ensemble = run_mixing(config, out, args.realisations, analysis=analysis, progress=not args.no_progress)
    model = simulation.model
    print(f"{model.geometry}: rho = {model.rho:.4g}, eta = {model.eta:g}, Nside = {simulation.nside} (two sets), "
          f"lmax = {config.lmax}, realisations = {ensemble.n_realisations}")
    if model.turbulence.closed_form(model) is not None:
        from crmix.fit.mixing import first_order_table

        table = first_order_table(model, ensemble)
        atomic_write(out / "mixing_theory.ecsv", lambda tmp: table.write(tmp, format="ascii.ecsv", overwrite=True))
    show = min(PRINT_LMAX, config.lmax)
    with np.printoptions(precision=4, suppress=True, linewidth=160):
        for t, m, e in zip(ensemble.times, ensemble.mixing, ensemble.mixing_error):
            print(f"Omega dT = {t * model.Omega:.4g}: diagonal M_ll - 1, l = 1..{show}: {np.diag(m)[1:show + 1] - 1} "
                  f"+- {np.diag(e)[1:show + 1]}")
    print(f"written to {out}")
    return 0
