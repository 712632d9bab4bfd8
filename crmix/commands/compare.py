"""crmix compare: fit crmix's slab prediction, forward-modelled through a detector, to measured pseudo-C~_l.

The prediction (the mixing-matrix <C_l>, full sky, ensemble average) is passed through the detector:
its sky coverage (--coverage: a declination band, exact, or a HEALPix weight map), its map-making
filter (--filter m0: ground arrays lose the structure that depends on declination alone, i.e. the
m = 0 modes in equatorial coordinates; none: keep it) and shot noise.  Per tier (median energy E,
rigidity E/Z) the amplitude, the noise level and Omega dT are fitted; then one c of
Omega dT = c (Omega tau_s)^(1/3) (KPM (51)) for all tiers.  Writes into --out

  compare_spectra.ecsv   per (tier, l): data, best fit (signal, noise), model band, one-sky band, joint fit
  compare_fit.ecsv       per tier: best fits, 1-sigma intervals, chi^2/dof, derived numbers (metadata: all parameters)
  compare.png            the tiers: data with errors against the model bands

Default: the shipped IceTop 11-year spectra (4 tiers, 300 TeV - 6.6 PeV), band -90 <= Dec <= -35 deg,
filter m0, field direction RA 229.2, Dec 11.4 deg (ApJ 871, 96 (2019)), dipole along the field,
noise fitted, slab Kolmogorov eta = 0.5, 4 uG, 30 pc, protons, l_max = 123.  With --maps a
``crmix simulate`` run's sky maps replace the theory's shape.  See docs/observations.md.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from crmix.commands.options import DEFAULT_BRMS, DEFAULT_LC, DEFAULT_SPECTRUM, add_output_options
from crmix.observe.choices import COMPARE_SPECTRA, DEFAULT_FIELD, DEFAULT_LMAX, DIPOLES, FILTERS
from crmix.observe.request import CompareRequest

__all__ = ["add_arguments", "request_from_args", "run"]

DEFAULT_OUT = "crmix-out/compare"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``crmix compare``."""
    parser.add_argument("--data", default=None, metavar="TABLE",
                        help="measured table, CSV or ECSV: ell, Cl_tilde, stat_err_lo/stat_err_hi (or err), optional tier "
                        "(default: the shipped IceTop 11-year spectra)")
    parser.add_argument("--tiers", nargs="+", default=None, metavar="T", help="tiers to compare (default: all)")
    parser.add_argument("--energy", nargs="+", default=None, metavar="E",
                        help="median energy of each compared tier with units, e.g. 300TeV 900TeV (default for the shipped data)")
    parser.add_argument("--charge", type=int, default=1, help="charge Z: rigidity = E/Z (default: 1, protons)")
    parser.add_argument("--coverage", default="band:-90,-35", metavar="band:DEC1,DEC2|MAP.fits",
                        help="sky coverage: a declination band in degrees (exact kernel) or a HEALPix weight map "
                        "(0 = not observed) (default: band:-90,-35, IceTop)")
    parser.add_argument("--filter", choices=FILTERS, default="m0",
                        help="map-making filter: m0 removes, at each declination, the average over the observed right "
                        "ascensions (the m = 0 modes, equatorial), as time-scrambled backgrounds do; none (default: m0)")
    parser.add_argument("--field-direction", nargs=2, type=float, default=list(DEFAULT_FIELD), metavar=("RA", "DEC"),
                        help="direction of the local field B0 in degrees (default: 229.2 11.4, ApJ 871, 96 (2019))")
    parser.add_argument("--dipole", choices=DIPOLES, default="b0",
                        help="b0: the predicted dipole points along B0 (the gradient along B0, KPM (18)); isotropic: "
                        "treat it like the other multipoles (default: b0)")
    noise = parser.add_mutually_exclusive_group()
    noise.add_argument("--events", nargs="+", type=float, default=None, metavar="N",
                       help="events per compared tier: shot noise N_w = 4 pi <w>^2 / (<w^2> N) (default: noise fitted)")
    noise.add_argument("--noise-level", nargs="+", type=float, default=None, metavar="N_W",
                       help="full-sky shot-noise level N_w per compared tier (C_l of the noise; default: fitted)")
    parser.add_argument("--spectrum", choices=COMPARE_SPECTRA, default=DEFAULT_SPECTRUM, help=f"turbulence spectrum (default: {DEFAULT_SPECTRUM})")
    parser.add_argument("--eta", type=float, default=0.5, help="turbulence level, 0 < eta < 1 (default: 0.5)")
    parser.add_argument("--brms", default=DEFAULT_BRMS, help=f"RMS field (default: {DEFAULT_BRMS})")
    parser.add_argument("--lc", default=DEFAULT_LC, help=f"correlation length (default: {DEFAULT_LC})")
    parser.add_argument("--lmax", type=int, default=DEFAULT_LMAX,
                        help=f"truncation l_max of the prediction, >= the largest measured l (default: {DEFAULT_LMAX})")
    parser.add_argument("--omega-dt-range", nargs=2, type=float, default=None, metavar=("LO", "HI"),
                        help="range of Omega dT searched (default per tier: 2 pi .. Omega tau_s, the validity range)")
    parser.add_argument("--mixing-run", nargs="+", default=None, metavar="DIR",
                        help="crmix mixing runs, one per tier's model: the prediction with the M measured by test particles "
                        "instead of the first order (docs/physics.md); Omega dT within each run's recorded range")
    parser.add_argument("--grid", type=int, default=7, help="exact predictions per tier on a log grid in Omega dT (default: 7)")
    parser.add_argument("--maps", default=None, metavar="RUN",
                        help="a crmix simulate output folder: its sky maps (rotated to the field direction) give the shape")
    parser.add_argument("--time", type=float, default=None, help="backtracking time of the --maps run to use (in 1/Omega)")
    parser.add_argument("--realisations", type=int, default=200, help="Gaussian skies for the one-sky scatter (default: 200)")
    parser.add_argument("--nside", type=int, default=64, help="HEALPix Nside of the simulated skies (default: 64)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the Gaussian skies (default: 0)")
    parser.add_argument("--no-one-sky-variance", action="store_true",
                        help="chi^2 with the published errors alone, without the scatter of one sky around the ensemble average")
    add_output_options(parser, DEFAULT_OUT, extra="; predictions are cached in OUT/predictions")


def request_from_args(args: argparse.Namespace) -> CompareRequest:
    """The :class:`crmix.observe.request.CompareRequest` of the options (its constructor checks them)."""
    return CompareRequest(
        data=args.data, tiers=args.tiers, energy=args.energy, charge=args.charge, coverage=args.coverage, filter=args.filter,
        field_direction=tuple(args.field_direction), dipole=args.dipole, events=args.events, noise_level=args.noise_level,
        spectrum=args.spectrum, eta=args.eta, b_rms=args.brms, l_c=args.lc, lmax=args.lmax, omega_dt_range=args.omega_dt_range,
        grid=args.grid, maps=args.maps, time=args.time, mixing_run=args.mixing_run, realisations=args.realisations, nside=args.nside,
        seed=args.seed, one_sky_variance=not args.no_one_sky_variance, out=args.out, progress=not args.no_progress,
    )


def _delta(extra: dict[str, Any], rule: str) -> str:
    """", Delta chi2 = 1.7" at the rule's Omega dT, or "" where it lies outside the searched range."""
    at = extra.get(f"delta_chi2_at_{rule}", math.nan)
    return f", Delta chi2 = {at:.1f}" if math.isfinite(at) else ""


def _summary(result: Any) -> list[str]:
    lines = []
    for tf, t in zip(result.fits, result.tiers):
        x = tf.extra
        shape = "" if tf.omega_dt is None else (
            f"Omega dT = {tf.omega_dt.text()} (KPM (51) with c = 4: {x['omega_dt_kpm51']:.3g}{_delta(x, 'kpm51')}; "
            f"crossing rule: {x['omega_dt_crossing']:.3g}{_delta(x, 'crossing')}; QLT Omega tau_s = {x['omega_tau_s_qlt']:.3g}), ")
        noise = "" if tf.noise_level is None else f", N_w = {tf.noise_level.text()} (N ~ {x['events_implied']:.2g} events)"
        energy = "" if t.data.energy_TeV is None else f" ({t.data.energy_TeV:g} TeV)"
        lines.append(f"tier {tf.tier}{energy}: {shape}C_1 = {tf.amplitude.text()} "
                     f"(dipole {x['dipole_amplitude']:.2g}){noise}, chi2/dof = {tf.chi2:.1f}/{tf.dof} = {tf.chi2 / tf.dof:.2f}")
    if result.joint is not None:
        j = result.joint
        at4 = j.extra.get("delta_chi2_at_c4")
        lines.append(f"joint KPM (51): c = {j.c.text()}, chi2/dof = {j.chi2:.1f}/{j.dof} = {j.chi2 / j.dof:.2f}"
                     + ("" if at4 is None else f"; c = 4 is worse by Delta chi2 = {at4:.1f}"))
    return lines


def result_warnings(result: Any) -> list[str]:
    """The result checks of a comparison (crmix.checks): a fit whose chi^2 or amplitude is not finite is refused;
    a fitted dipole amplitude >= 1 and the predictions' own warnings (validity of Omega dT) are recorded."""
    from crmix.checks import ResultError, dipole_amplitude

    found = []
    for tf in result.fits:
        if not (math.isfinite(tf.chi2) and math.isfinite(tf.amplitude.value)):
            raise ResultError(f"tier {tf.tier}: the fit gives chi^2 = {tf.chi2:.4g}, C_1 = {tf.amplitude.value:.4g}: no finite fit "
                              "(check --omega-dt-range, --noise-level, --events)")
        if tf.amplitude.value < 0:
            found.append(f"tier {tf.tier}: the fitted C_1 = {tf.amplitude.value:.3g} is negative: the data hold no dipole the "
                         "model can describe")
        elif dipole_amplitude(tf.amplitude.value) >= 1.0:
            found.append(f"tier {tf.tier}: the fitted dipole amplitude {dipole_amplitude(tf.amplitude.value):.3g} >= 1")
        found += [f"tier {tf.tier}: {w}" for w in tf.extra.get("prediction_warnings", [])]
    return found


def run(args: argparse.Namespace) -> int:
    """Validate everything (options, tables, maps, output folder, estimate), fit, check the fits, write the tables and
    the plot as one set, print a summary."""
    from crmix.checks import record_warnings
    from crmix.io import published_together
    from crmix.observe import report
    from crmix.observe.compare import run_comparison
    from crmix.observe.data import icetop11_path
    from crmix.observe.resources import compare_estimate
    from crmix.plots.style import spectrum_name
    from crmix.resources import calibrated, require

    cmp = request_from_args(args).comparison
    # refused before any work when it cannot fit or needs --yes; the comparison prints its finer estimate (timed on its
    # first prediction and fit, crmix.observe.budget) once it has started
    require(calibrated(compare_estimate(cmp)), size_options="--lmax, --grid, --realisations or --nside", yes=args.yes)
    result = run_comparison(cmp)
    warnings = result_warnings(result)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    meta = dict(result.meta)
    meta["data"] = str(icetop11_path().name if args.data is None else args.data)
    record_warnings(meta, warnings)
    title = (f"{out.name}: {meta['data']} against {'simulated sky maps' if cmp.maps is not None else 'the slab prediction'}\n"
             f"{cmp.coverage.describe()}, filter {cmp.filter}, B0 at RA {cmp.field_direction[0]:g}, Dec "
             f"{cmp.field_direction[1]:g}; slab, {spectrum_name(cmp.spectrum.kind, cmp.spectrum.index)}, eta = {cmp.eta:g}, l_max = {cmp.lmax}")
    with published_together() as files:
        recorded = report.write_tables(out, result.tiers, meta, result.units, files.write)  # the command line: in the provenance
        report.write_plot(out, result.tiers, title, write=files.write)
    for line in _summary(result):
        print(line)
    for text in recorded:
        print(f"WARNING: {text}")
    print(f"wrote {out / report.SPECTRA_TABLE}, {out / report.FIT_TABLE} and {out / report.PLOT}")
    return 0
