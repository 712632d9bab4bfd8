"""crmix spectrum: the steady-state angular power spectrum <C_l> of the relative CR intensity.

Solves the mixing equation (Kuhlen, Phan & Mertsch (20); Mertsch & Ahlers (3.7)) for a turbulence
model given in physical units, truncated at --lmax (exact there), and writes

  DIR/spectrum.ecsv   one row per rigidity and l: rigidity, ell, C_ell, C_ell_over_C_1, lmax_drift; the
                      request and the derived rho, tau_s, Delta T, K_zz, power budget as metadata, each
                      with its unit (physical, and in the model's units as Omega_<name>: crmix.records)
  DIR/spectrum.png    C_l/C_1 against l, log axes, all rigidities

Default: slab, Kolmogorov, eta = 0.5, B_rms = 4 uG, L_c = 30 pc, R = 10 TV, l_max = 100,
Omega dt = 4 (Omega tau_s)^(1/3) with the QLT scattering time.  --geometry takes every registered
geometry (crmix.geometry): isotropic turbulence is Mertsch & Ahlers' setting by default (eta = 1,
straight-line orbits, --alpha = k_max dt or --omega-dt); with --eta < 1 it is isotropic + B0 on
helices (the generic path, QLT tau_s with its resonance structure).  2d (no QLT resonant
scattering: give --omega-dt or --alpha) and composite (slab + 2D, --slab-fraction, tau_s from the
slab part) take the generic path too, whose default l_max is 50.
--closure replaces the truncation at l_max by one of crmix.solver.closure's closures.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmix.commands.options import add_model_options, add_output_options, geometry_from_options
from crmix.solver.choices import CLOSURES, DEFAULT_LMAX, DEFAULT_LMAX_GENERIC
from crmix.solver.timestep import CROSSING_RULE, DT_RULES, KPM51_COEFFICIENT, SCATTERING_FRACTION

if TYPE_CHECKING:
    from crmix.solver.spectrum import AngularSpectrum

__all__ = ["add_arguments", "request_from_args", "run"]

TABLE_NAME = "spectrum.ecsv"
PLOT_NAME = "spectrum.png"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``crmix spectrum``."""
    add_model_options(parser, rigidity="10TV", several_rigidities=True)
    parser.add_argument("--lmax", type=int, default=None,
                        help=f"truncation l_max >= 2 (default: {DEFAULT_LMAX} for the closed forms, {DEFAULT_LMAX_GENERIC} for the "
                        "generic path: isotropic + B0, 2d, composite)")
    dt = parser.add_mutually_exclusive_group()
    dt.add_argument("--dt-rule", choices=DT_RULES, default=None,
                    help="kpm51: Omega dt = c (Omega tau_s)^(1/3) (KPM (51)) with the geometry's QLT tau_s, the default where one "
                    "exists; scattering: dt = c tau_s; crossing: dt = c tau_s + b L_c/v, the rule of a measured M "
                    "(--mixing-run; docs/validation.md)")
    dt.add_argument("--omega-dt", type=float, default=None, help="Omega dt given directly (> 0)")
    dt.add_argument("--alpha", type=float, default=None,
                    help="alpha = k_max dt (MA19; > 0); this or --omega-dt where QLT has no tau_s (isotropic, eta = 1; 2d)")
    parser.add_argument("--dt-coefficient", type=float, default=None,
                        help=f"c of the rule (default: kpm51 {KPM51_COEFFICIENT:g}, scattering {SCATTERING_FRACTION:g}, "
                        f"crossing {CROSSING_RULE[0]:g} with b = {CROSSING_RULE[1]:g})")
    parser.add_argument("--cos-alpha-correction", action="store_true", help="multiply the dipole source by 1/<cos a>^2 (KPM Sec. 3.3)")
    parser.add_argument(
        "--extrapolate", nargs="?", const="inf", default=None, metavar="LMAX",
        help="replace C_l by its extrapolation in l_max (KPM Sec. 2.2.3) to LMAX (default: inf; where C_l has no "
        "limit the result is NaN, and a finite LMAX, e.g. 400, is what can be extrapolated to)",
    )
    parser.add_argument(
        "--closure", choices=CLOSURES, default="truncated",
        help="what replaces the l_max truncation (docs/physics.md, Closures): truncated = the seeds' KPM (20) "
        "(default); flux = relative diffusion in conservative form, power into the noise; continuum = the "
        "l_max -> infinity limit of truncated; bourret = self-energy resummation",
    )
    parser.add_argument("--mixing-run", nargs="+", default=None, metavar="DIR",
                        help="crmix mixing run(s), one per rigidity: KPM (20) with the M measured by test particles instead of "
                        "the first order (docs/physics.md; --lmax <= the run's, --closure truncated)")
    parser.add_argument("--backend", choices=("numpy", "cupy"), default="numpy",
                        help="array library of the closed-form mixing matrix: numpy (CPU, default) or cupy (a CUDA GPU)")
    add_output_options(parser, "crmix-out")


def request_from_args(args: argparse.Namespace) -> Any:
    """The :class:`crmix.theory.SpectrumRequest` of the options (its constructor checks them all)."""
    from crmix.theory import SpectrumRequest

    return SpectrumRequest(
        rigidity=tuple(args.rigidity), geometry=geometry_from_options(args), spectrum=args.spectrum, eta=args.eta,
        b_rms=args.brms, l_c=args.lc, rg_over_lambda_min=args.rg_over_lambda_min, lmax=args.lmax, dt_rule=args.dt_rule,
        omega_dt=args.omega_dt, alpha=args.alpha, dt_coefficient=args.dt_coefficient, gradient_length=args.gradient_length,
        cos_alpha_correction=args.cos_alpha_correction, extrapolate=args.extrapolate, closure=args.closure, backend=args.backend,
        mixing_run=args.mixing_run,
    )


def _summary(label: str, res: AngularSpectrum) -> str:
    from crmix.solver.spectrum import SLOPE_RANGE

    m = res.metadata
    lines = [
        f"{label}: rho = {res.model.rho:.3g}, Omega dt = {res.timestep.omega_dt:.4g} (alpha = k_max dt = {res.timestep.alpha:.4g}), "
        + (f"Omega tau_s = {res.timestep.tau_s:.4g}" if res.timestep.tau_s is not None else "no QLT tau_s"),
        f"  slope of C_l/C_1 over l = {SLOPE_RANGE[0]}..{SLOPE_RANGE[1]}: {res.slope:.3f};  "
        f"{'truncated ' if res.closure is not None else ''}C_l/C_1 drift lmax {res.drift.lmax_half} -> {res.drift.lmax}: "
        f"up to {res.drift.max_abs:.2%} (l <= {res.drift.ell_range[1]})",
    ]
    if res.qlt is not None:
        lines.append(
            f"  C_1 = {res.C[1]:.3e}, C_1/C_1^QLT = {m['C1_over_C1_QLT']:.3f};  resonance gap |mu| < {res.qlt.mu_gap_low:.2g} "
            f"cut from lambda_par (continuing the spectrum would add {res.qlt.gap_contribution:.1%})"
        )
    if res.closure is not None:
        lines.append(
            f"  closure {res.closure.closure}: C_l/C_1 drift lmax {res.drift.lmax_half} -> {res.drift.lmax}: "
            f"{m['closure_lmax_drift_max']:.2%}; injected power into the monopole {res.closure.monopole_fraction:.1%}, "
            f"to small angles (noise) or lost {res.closure.sink_fraction:.1%}"
        )
    if res.extrapolation is not None:
        ex = res.extrapolation
        lines.append(
            f"  extrapolated to lmax = {ex.target:g} for l <= {ex.ell_max}: largest change {m['extrapolation_correction_max']:.2%}, "
            f"worst fit residual {m['extrapolation_fit_residual_max']:.1e}; no limit (NaN) for {len(ex.no_limit)} multipoles"
            + (f", NaN above l = {ex.ell_max}" if ex.ell_max < res.steady.lmax else "")
        )
    return "\n".join(lines)


def _setting(args: argparse.Namespace) -> str:
    """The options that set a spectrum, with their values (named when a result is refused)."""
    given = [f"--geometry {args.geometry}", f"--eta {args.eta if args.eta is not None else 'default'}"]
    dt = [f"{flag} {value:g}" for flag, value in (("--omega-dt", args.omega_dt), ("--alpha", args.alpha)) if value is not None]
    given += dt or [f"--dt-coefficient {args.dt_coefficient:g}" if args.dt_coefficient is not None else "the default Delta T rule"]
    if args.closure != "truncated":
        given.append(f"--closure {args.closure}")
    return "set by " + ", ".join(given) + "; see the validity range in docs/physics.md"


def check_results(args: argparse.Namespace, results: list[tuple[str, AngularSpectrum]]) -> list[str]:
    """The result checks of crmix.checks for every spectrum (ResultError: refused); each spectrum's warnings,
    its own and the solver's, are added to its metadata; returns them all, labelled when there are several."""
    from crmix.checks import check_spectrum, power_budget_warning, record_warnings

    collected: list[str] = []
    for label, res in results:
        reasons: dict[int, str] = {}
        ex = res.extrapolation
        if ex is not None:
            reasons.update({ell: f"the extrapolation to l_max = {ex.target:g} covers l <= {ex.ell_max}"
                            for ell in range(ex.ell_max + 1, len(res.C))})
            reasons.update({int(ell): "no l_max -> infinity limit there (C_l grows like ln l_max); extrapolate to a "
                            "finite --extrapolate LMAX instead" for ell in ex.no_limit})
        found = check_spectrum(label if len(results) > 1 else "", res.C, options=_setting(args), nan_reasons=reasons)
        if res.closure is None:
            found += power_budget_warning("", res.metadata["monopole_fraction"], res.metadata["leak_fraction"])
        mine = record_warnings(res.metadata, found)
        collected += [f"{label}: {w}" if len(results) > 1 and not w.startswith(f"{label}:") else w for w in mine]
    return collected


def run(args: argparse.Namespace) -> int:
    """Check everything (the request, the output folder, the estimates), solve, check the results, write the table and
    the plot together."""
    from crmix.checks import record_warnings
    from crmix.io import check_output_folder, published_together
    from crmix.plots.spectrum import write_spectrum_plot
    from crmix.resources import calibrated, require
    from crmix.theory import angular_power_spectra, spectrum_table

    request = request_from_args(args)
    out = Path(args.out)
    check_output_folder(out, "--out")
    shortest = request.shortest_estimate()
    if shortest is not None:  # a run too long even at the shortest valid Delta T is refused before tau_s is computed
        require(calibrated(shortest), size_options=request.size_options, yes=args.yes)
    estimate = calibrated(request.estimate())
    require(estimate, size_options=request.size_options, yes=args.yes)
    if not args.no_progress:
        print(f"crmix spectrum: {len(request.models)} model(s) at lmax = {request.lmax}: {estimate.describe()}", flush=True)
    results = angular_power_spectra(request, progress=not args.no_progress)
    warnings = check_results(args, results)
    for label, res in results:
        print(_summary(label, res))
        for text in res.metadata["warnings"]:
            print(f"  WARNING: {text}")
    table = spectrum_table(request, results)
    record_warnings(table.meta, warnings)
    out.mkdir(parents=True, exist_ok=True)
    with published_together() as files:
        files.write(out / TABLE_NAME, lambda tmp: table.write(tmp, format="ascii.ecsv", overwrite=True))
        write_spectrum_plot(out / PLOT_NAME, results, write=files.write)
    print(f"wrote {out / TABLE_NAME} and {out / PLOT_NAME}")
    return 0
