"""crmix spectrum: the steady-state angular power spectrum <C_l> of the relative CR intensity.

Solves the mixing equation (Kuhlen, Phan & Mertsch (20); Mertsch & Ahlers (3.7)) for a turbulence
model given in physical units, truncated at --lmax (exact there), and writes

  DIR/spectrum.ecsv   columns ell, C_ell, C_ell_over_C_1 (one pair per rigidity), every parameter
                      and the derived rho, tau_s, Omega dt, l_max drift and power budget as metadata
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
import math
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import astropy.units as u

from crmix.backend import namespace_by_name
from crmix.geometry import add_geometry_arguments, geometry_from_arguments
from crmix.io import atomic_write, check_output_folder, plain
from crmix.model import NAMED_SPECTRA, RG_OVER_LAMBDA_MIN, TurbulenceModel
from crmix.provenance import provenance
from crmix.resources import HOURS_WITHOUT_CONFIRMATION, require
from crmix.solver.closure import CLOSURES, ZONAL_CLOSURES
from crmix.solver.resources import spectrum_estimate
from crmix.solver.spectrum import (
    DEFAULT_LMAX,
    DEFAULT_LMAX_GENERIC,
    MIN_LMAX_EXTRAPOLATION,
    SLOPE_RANGE,
    AngularSpectrum,
    angular_power_spectrum,
    length_unit_pc,
)
from crmix.solver.timestep import DT_RULES, KPM51_COEFFICIENT, mixing_time
from crmix.units import parse_quantity
from crmix.validation import real

__all__ = ["add_arguments", "run"]

TABLE_NAME = "spectrum.ecsv"
PLOT_NAME = "spectrum.png"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``crmix spectrum``."""
    add_geometry_arguments(parser)
    parser.add_argument(
        "--spectrum", choices=tuple(NAMED_SPECTRA), default="kolmogorov",
        help="turbulence spectrum on [2 pi/L_max, 2 pi 150/r_g], L_max = 5 L_c (default: kolmogorov)",
    )
    parser.add_argument(
        "--eta", type=float, default=None,
        help="turbulence level dB^2/(B0^2+dB^2): 0 < eta < 1 for slab, 2d and composite (default 0.5); isotropic "
        "turbulence defaults to MA19's, without a regular field: eta = 1 (eta < 1: isotropic + B0 on helices)",
    )
    parser.add_argument("--rigidity", nargs="+", default=["10TV"], metavar="R", help="one or several rigidities with units, e.g. 10TV 1PV (default: 10TV)")
    parser.add_argument("--brms", default="4uG", help="RMS field sqrt(B0^2 + dB^2) (default: 4uG)")
    parser.add_argument("--lc", default="30pc", help="correlation length L_c (default: 30pc)")
    parser.add_argument("--rg-over-lambda-min", type=float, default=None,
                        help=f"r_g / smallest wavelength (default: {RG_OVER_LAMBDA_MIN:g}, KPM Sec. 2.1.2); the generic path's "
                        "cost grows with k_max, e.g. 10 keeps a 2d or composite run to minutes (as crmix simulate)")
    parser.add_argument("--lmax", type=int, default=None,
                        help=f"truncation l_max >= 2 (default: {DEFAULT_LMAX} for the closed forms, {DEFAULT_LMAX_GENERIC} for the "
                        "generic path: isotropic + B0, 2d, composite)")
    dt = parser.add_mutually_exclusive_group()
    dt.add_argument("--dt-rule", choices=DT_RULES, default=None,
                    help="Omega dt = c (Omega tau_s)^(1/3) (KPM (51)) with the geometry's QLT tau_s; the default where one exists")
    dt.add_argument("--omega-dt", type=float, default=None, help="Omega dt given directly (> 0)")
    dt.add_argument("--alpha", type=float, default=None,
                    help="alpha = k_max dt (MA19; > 0); this or --omega-dt where QLT has no tau_s (isotropic, eta = 1; 2d)")
    parser.add_argument("--dt-coefficient", type=float, default=KPM51_COEFFICIENT, help="c in the kpm51 rule (default: 4)")
    parser.add_argument("--gradient-length", default="1kpc", help="fbar/|d_z fbar| along B0, sets the absolute C_l (default: 1kpc)")
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
    parser.add_argument("--out", default="crmix-out", help="output folder (default: ./crmix-out)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    parser.add_argument("--yes", action="store_true", help=f"start even when the estimate exceeds {HOURS_WITHOUT_CONFIRMATION:g} hours")


def _label(q: u.Quantity) -> str:
    for unit in (u.EV, u.PV, u.TV, u.GV, u.V):
        value = q.to_value(unit)
        if value >= 1:
            return f"{value:g}{unit}"
    return f"{q.to_value(u.V):g}V"


def _models(args: argparse.Namespace) -> list[tuple[str, TurbulenceModel]]:
    b_rms = parse_quantity(args.brms, u.G, "--brms", example="4uG")
    l_c = parse_quantity(args.lc, u.pc, "--lc", example="30pc")
    geometry = geometry_from_arguments(args)
    if args.eta is None:
        args.eta = 0.5 if geometry.needs_regular_field else 1.0
    try:
        geometry.check_eta(args.eta)
    except ValueError:
        raise ValueError(f"--eta must satisfy {geometry.eta_range()} for {geometry.name} turbulence, got {args.eta}") from None
    models = []
    for text in args.rigidity:
        rigidity = parse_quantity(text, u.V, "--rigidity", example="10TV")
        model = TurbulenceModel.from_physical(
            geometry, rigidity=rigidity, b_rms=b_rms, l_c=l_c, eta=args.eta, spectrum=NAMED_SPECTRA[args.spectrum]()
        )
        if args.rg_over_lambda_min is not None:
            kmax_lc = 2.0 * math.pi * real("--rg-over-lambda-min", args.rg_over_lambda_min, gt=0) / model.rho
            if not kmax_lc > model.spectrum.kmin:
                raise ValueError(f"--rg-over-lambda-min is too small: k_max L_c = {kmax_lc:.3g} <= k_min L_c = "
                                 f"{model.spectrum.kmin:.3g}")
            model = model.with_(spectrum=replace(model.spectrum, kmax=kmax_lc))
        models.append((_label(rigidity), model))
    labels = [label for label, _ in models]
    if len(set(labels)) != len(labels):
        raise ValueError(f"--rigidity values must differ, got {labels}")
    return models


def _validate(args: argparse.Namespace) -> tuple[list[tuple[str, TurbulenceModel]], u.Quantity, Path]:
    """Check every input before any heavy computation (ValueError names the parameter and range)."""
    models = _models(args)
    generic = any(m.turbulence.closed_form(m) is None for _, m in models)
    if args.lmax is None:
        args.lmax = DEFAULT_LMAX_GENERIC if generic else DEFAULT_LMAX
    if args.lmax < 2:
        raise ValueError(f"--lmax must be >= 2, got {args.lmax}")
    if args.extrapolate is not None:
        try:
            args.extrapolate = float(args.extrapolate)
        except ValueError as exc:
            raise ValueError(f"--extrapolate must be an lmax >= --lmax or inf, got {args.extrapolate!r}") from exc
        if not args.extrapolate >= args.lmax:
            raise ValueError(f"--extrapolate must be an lmax >= --lmax = {args.lmax} or inf, got {args.extrapolate:g}")
        if args.lmax < MIN_LMAX_EXTRAPOLATION:
            raise ValueError(f"--lmax must be >= {MIN_LMAX_EXTRAPOLATION} with --extrapolate, got {args.lmax}")
        if args.closure != "truncated":
            raise ValueError(f"--extrapolate applies to --closure truncated only, got --closure {args.closure}")
    for name, value in (("--omega-dt", args.omega_dt), ("--alpha", args.alpha), ("--dt-coefficient", args.dt_coefficient)):
        if value is not None:
            real(name, value, gt=0)
    model = models[0][1]
    qlt_time = model.turbulence.has_qlt(model)
    if not qlt_time:
        why = ("no QLT resonant scattering (k_par = 0)" if model.Omega > 0
               else "no regular field (eta = 1): no gyroresonance")
        if args.dt_rule is not None:
            raise ValueError(f"--dt-rule kpm51 needs a QLT scattering time, and {model.geometry} turbulence with eta = {args.eta} "
                             f"has none ({why}); pass --omega-dt or --alpha")
        if args.alpha is None and args.omega_dt is None:
            raise ValueError(f"--alpha (> 0) or --omega-dt (> 0) is required for {model.geometry} turbulence with eta = {args.eta} "
                             f"({why}: no QLT scattering time)")
    if args.backend == "cupy":
        if generic:
            raise ValueError("--backend cupy runs the closed forms (slab; isotropic with eta = 1); "
                             f"{models[0][1].geometry} turbulence with eta = {args.eta} takes the generic path, which runs on numpy")
        try:
            namespace_by_name("cupy")
        except RuntimeError as exc:
            raise ValueError(f"--backend cupy: {exc}") from exc
    if args.closure in ZONAL_CLOSURES and generic:
        raise ValueError(f"--closure {args.closure} needs the closed-form columns of M (slab; isotropic with eta = 1), and "
                         f"{model.geometry} turbulence with eta = {args.eta} takes the generic path: use --closure truncated or bourret")
    gradient = parse_quantity(args.gradient_length, u.pc, "--gradient-length", example="1kpc")
    if args.cos_alpha_correction and args.eta >= 1.0:
        raise ValueError("--cos-alpha-correction needs a regular field: eta < 1")
    out = Path(args.out)
    check_output_folder(out, "--out")
    if generic and args.omega_dt is None and args.alpha is None:
        # the generic path's QLT tau_s takes time too: a run too long even at the shortest valid Delta T
        # (Omega dt = 2 pi; its cost grows with dt) is refused before tau_s is computed
        shortest = [(m, 2.0 * math.pi / m.Omega) for _, m in models]
        require(spectrum_estimate(shortest, args.lmax), size_options="--lmax, --rg-over-lambda-min or --rigidity", yes=args.yes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the validity warnings come again, recorded, with the result
        steps = [mixing_time(m, omega_dt=args.omega_dt, alpha=args.alpha, rule=args.dt_rule, coefficient=args.dt_coefficient)
                 for _, m in models]
    estimate = spectrum_estimate([(m, step.dt) for (_, m), step in zip(models, steps)], args.lmax)
    require(estimate, size_options="--lmax" if not generic else "--lmax, --rg-over-lambda-min or --rigidity", yes=args.yes)
    if not args.no_progress:
        print(f"crmix spectrum: {len(models)} model(s) at lmax = {args.lmax}: {estimate.describe()}", flush=True)
    return models, gradient, out


def _write_table(path: Path, results: list[tuple[str, AngularSpectrum]], parameters: dict[str, Any], backend: str) -> None:
    from astropy.table import Table

    table = Table()
    table["ell"] = results[0][1].ell
    several = len(results) > 1
    for label, res in results:
        suffix = f"_{label}" if several else ""
        table[f"C_ell{suffix}"] = res.C
        table[f"C_ell_over_C_1{suffix}"] = res.ratio
    table.meta["description"] = (
        "steady-state <C_l> of the relative intensity (Kuhlen, Phan & Mertsch (4), (20)); C_0 = 0 by "
        "construction (the monopole is not a dynamical degree of freedom; see monopole_rate)"
    )
    table.meta["parameters"] = plain(parameters)
    table.meta["runs"] = {label: plain(res.metadata) for label, res in results}
    table.meta["provenance"] = provenance(backend, "float64")
    atomic_write(path, lambda tmp: table.write(tmp, format="ascii.ecsv", overwrite=True))


def _write_plot(path: Path, results: list[tuple[str, AngularSpectrum]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    for label, res in results:
        ell, ratio = res.ell[1:], res.ratio[1:]
        ax.loglog(ell, ratio, marker=".", lw=1, label=f"{label}: Omega dt = {res.timestep.omega_dt:.3g}")
    ax.set_xlabel(r"multipole $\ell$")
    ax.set_ylabel(r"$C_\ell / C_1$")
    model = results[0][1].model
    shape = "white" if model.spectrum.kind == "white" else f"{model.spectrum.kind} {model.spectrum.index:.3g}"
    ax.set_title(f"{model.geometry}, {shape}, eta = {model.eta:g}, lmax = {results[0][1].steady.lmax}")
    ax.legend()
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=120))
    plt.close(fig)


def _summary(label: str, res: AngularSpectrum) -> str:
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
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Validate everything, build and solve, write the table and the plot atomically, print a summary."""
    models, gradient, out = _validate(args)
    from crmix.fit.mixing import measured_sources

    sources = measured_sources(args.mixing_run, [m for _, m in models], args.lmax)
    if args.mixing_run and args.closure != "truncated":
        raise ValueError(f"--mixing-run is solved by KPM (20) truncated at lmax: drop --closure {args.closure}")
    results = []
    for (label, model), source in zip(models, sources):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = angular_power_spectrum(
                model,
                lmax=args.lmax,
                omega_dt=args.omega_dt,
                alpha=args.alpha,
                dt_rule=args.dt_rule,
                dt_coefficient=args.dt_coefficient,
                gradient_length=float(gradient.to_value(u.pc)) / length_unit_pc(model),
                cos_alpha_correction=args.cos_alpha_correction,
                extrapolate=args.extrapolate,
                closure=args.closure,
                progress=not args.no_progress,
                xp=namespace_by_name(args.backend),
                mixing=source,
            )
        messages = [str(w.message) for w in caught]
        res.metadata["warnings"] = messages
        results.append((label, res))
        print(_summary(label, res))
        for text in messages:
            print(f"  WARNING: {text}")
    parameters = {k: v for k, v in vars(args).items() if not k.startswith("_") and k != "command"}
    parameters["gradient_length_pc"] = float(gradient.to_value(u.pc))
    out.mkdir(parents=True, exist_ok=True)
    _write_table(out / TABLE_NAME, results, parameters, args.backend)
    _write_plot(out / PLOT_NAME, results)
    print(f"wrote {out / TABLE_NAME} and {out / PLOT_NAME}")
    return 0
