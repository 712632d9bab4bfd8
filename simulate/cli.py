"""crmix simulate: backtrack test particles through synthetic turbulence to sky maps and <C_l>.

For each realisation of the turbulence (random numbers from --seed and the realisation index alone)
one particle per HEALPix pixel is backtracked from the observer (KPM Sec. 2.1), its sky map of the
relative intensity built by the Liouville mapping KPM (3) at every backtracking time in --times,
and C_l, the dipole vector and the local mean field measured.  Writes into --out:

  run.json                    what the realisations depend on (a folder of other parameters is refused)
  realisation_NNNNN.fits      the component maps r, p-hat at t0 per T (HEALPix RING, pixel = arrival direction)
  realisation_NNNNN.npz       their cross spectra, dipole response, <r r>, local field (independent of K, g)
  ensemble_cl.ecsv            <C_l>^num, N_l, <C_l>^sub with errors, C_l/C_1 with errors, per T
  ensemble_transport.ecsv     K_zz(T), K_perp(T) with errors and a convergence test, N_l, C_1 three ways
  ensemble_realisations.ecsv  C_l^sub of every realisation (for covariances; read by crmix fit)
  ensemble.npz                the same statistics as arrays
  simulate.png                one realisation's sky map, <C_l>^sub with errors, K_zz(T) and K_perp(T)

The Liouville mapping KPM (3) uses ONE diffusion tensor K for every T (--diffusion: the ensemble's
late-time <r r>/(2 T_max), slab QLT, or given values), so the map at T does not depend on which
other times were requested.  A killed run resumes: finished realisations are kept, the others are
computed; rerunning with another --diffusion, --noise or --lmax only re-reduces the ensemble.
The realisations run serially or as Dask tasks (--scheduler local, tcp://HOST:PORT, --cluster
slurm; see crmix.simulate.cluster): the files are the same bit for bit.
Times are in units of 1/Omega (Omega = q B0 / p; with --eta 1, isotropic, the RMS field).
"""

from __future__ import annotations

import argparse
import contextlib
import math
from collections.abc import Iterator

import astropy.constants as const
import astropy.units as u

from crmix.backend import cupy_or_none
from crmix.geometry import add_geometry_arguments, geometry_from_arguments
from crmix.io import check_output_folder
from crmix.model import NAMED_SPECTRA, RG_OVER_LAMBDA_MIN, TurbulenceModel
from crmix.resources import HOURS_WITHOUT_CONFIRMATION, require
from crmix.simulate.backtrack import record_steps, validate_nside
from crmix.simulate.boris import MIN_STEPS_PER_GYRATION, MIN_STEPS_PER_WAVELENGTH, StepRule
from crmix.simulate.cluster import add_engine_arguments, engine_from_args
from crmix.simulate.resources import simulation_estimate
from crmix.simulate.runner import FIELD_METHODS, Analysis, SimulationConfig, run_ensemble, summary_lines
from crmix.simulate.skymap import NOISE_ESTIMATORS
from crmix.units import parse_quantity, reduced_rigidity
from crmix.validation import integer, real

__all__ = ["add_arguments", "config_from_args", "run"]

SPECTRUM_CHOICES = tuple(NAMED_SPECTRA)
DEFAULT_OUT = "crmix-out/simulate"


def add_arguments(parser: argparse.ArgumentParser, *, grid: bool = False, default_out: str = DEFAULT_OUT) -> None:
    """Options of ``crmix simulate`` (named as in ``crmix spectrum`` where they mean the same).

    ``grid``: --rigidity and --eta take several values (``crmix scan``, one ensemble per pair).
    """
    several = {"nargs": "+"} if grid else {}
    each = "; several values: one ensemble each" if grid else ""
    add_geometry_arguments(parser)
    parser.add_argument("--spectrum", choices=SPECTRUM_CHOICES, default="kolmogorov", help="turbulence spectrum (default: kolmogorov)")
    parser.add_argument("--eta", type=float, default=[0.5] if grid else 0.5, **several,
                        help=f"turbulence level dB^2/(B0^2+dB^2), 0 < eta < 1 (isotropic: <= 1){each} (default: 0.5)")
    parser.add_argument("--rigidity", default=["1PV"] if grid else "1PV", **several,
                        help=f"particle rigidity with unit{each} (default: 1PV, rho = 8.9e-3)")
    parser.add_argument("--brms", default="4uG", help="RMS field sqrt(B0^2 + dB^2) (default: 4uG)")
    parser.add_argument("--lc", default="30pc", help="correlation length L_c (default: 30pc)")
    parser.add_argument("--rg-over-lambda-min", type=float, default=RG_OVER_LAMBDA_MIN,
                        help=f"r_g / smallest wavelength (default: {RG_OVER_LAMBDA_MIN:g}, KPM Sec. 2.1.2)")
    parser.add_argument("--nside", type=int, default=8, help="HEALPix Nside of the initial directions, a power of two (default: 8)")
    parser.add_argument("--times", default="10,30,100,300", help="backtracking times T in 1/Omega, comma-separated (default: 10,30,100,300)")
    parser.add_argument("--realisations", type=int, default=4,
                        help=f"number of turbulence realisations{' per point' if grid else ''} (default: 4)")
    parser.add_argument("--seed", type=int, default=0, help="random seed >= 0 (default: 0)")
    parser.add_argument("--backend", choices=("numpy", "numba", "cupy"), default="numba", help="hot-loop backend (default: numba)")
    parser.add_argument("--field", choices=FIELD_METHODS, default="grid",
                        help="grid: slab table / nested grids; waves: plane-wave sum (default: grid)")
    parser.add_argument("--step", type=float, default=None, help="Boris step in 1/Omega (default: the rule below)")
    parser.add_argument("--steps-per-gyration", type=float, default=StepRule.steps_per_gyration,
                        help=f"step rule: dt <= 2 pi r_g / this (default: {StepRule.steps_per_gyration:g})")
    parser.add_argument("--steps-per-wavelength", type=float, default=StepRule.steps_per_wavelength,
                        help=f"step rule: dt <= lambda_min / this (default: {StepRule.steps_per_wavelength:g})")
    parser.add_argument("--gradient-length", default="1kpc", help="fbar/|grad fbar| along B0 (default: 1kpc); C_l scale as its inverse square")
    parser.add_argument("--lmax", type=int, default=None, help="largest multipole of the tables, <= 3 Nside - 1 (default: 2 Nside)")
    parser.add_argument("--diffusion", default=None,
                        help="the one K of the Liouville mapping KPM (3) for every T: 'qlt' (slab QLT K_zz), 'ensemble' "
                        "(<r r>/(2 T_max) of the ensemble: depends on the largest T), or K_zz[,K_perp] with units, e.g. "
                        "3e28cm2/s (default: qlt for slab turbulence, ensemble otherwise)")
    parser.add_argument("--noise", choices=NOISE_ESTIMATORS, default="pixel",
                        help="shot-noise estimator: pixel (from neighbouring pixels, unbiased at every l) or kpm "
                        "(KPM (5)-(7) from <r r>) (default: pixel)")
    parser.add_argument("--out", default=default_out, help=f"output folder (default: ./{default_out})")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument("--yes", action="store_true", help=f"start even when the estimate exceeds {HOURS_WITHOUT_CONFIRMATION:g} hours")
    add_engine_arguments(parser)


def _times(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(t) for t in text.split(",") if t.strip())
    except ValueError as exc:
        raise ValueError(f"--times must be comma-separated numbers (backtracking times in 1/Omega), got {text!r}") from exc
    if not values or not all(math.isfinite(t) and t > 0 for t in values):
        raise ValueError(f"--times must be backtracking times T > 0 (in 1/Omega), got {text!r}")
    if any(b <= a for a, b in zip(values, values[1:])):
        raise ValueError(f"--times must be strictly increasing, got {text!r}")
    return values


@contextlib.contextmanager
def _option(flag: str) -> Iterator[None]:
    """Name the option ``flag`` in a ValueError raised by a check of its value inside the block."""
    try:
        yield
    except ValueError as exc:
        raise ValueError(f"{flag}: {exc}") from None


def _diffusion(text: str | None, pc_per_unit: float) -> str | tuple[tuple[float, float, float], ...] | None:
    """--diffusion: 'ensemble', 'qlt', or K_zz[,K_perp] with units (length^2/time), in 1/Omega units (c = 1)."""
    if text is None or text in ("ensemble", "qlt"):
        return text
    parts = [p for p in text.split(",") if p.strip()]
    if not 1 <= len(parts) <= 2:
        raise ValueError(f"--diffusion must be 'ensemble', 'qlt' or K_zz[,K_perp] with units (e.g. 3e28cm2/s), got {text!r}")
    k = []
    for part, name in zip(parts, ("K_zz", "K_perp")):
        q = parse_quantity(part, u.cm**2 / u.s, f"--diffusion ({name})", positive=name == "K_zz", example="3e28cm2/s")
        k.append((q / const.c).to_value(u.pc) / pc_per_unit)  # K / c is a length; 1/Omega is pc_per_unit pc
    k_zz, k_perp = k[0], (k[1] if len(k) > 1 else 0.0)
    if k_perp < 0:
        raise ValueError(f"--diffusion: K_perp must be >= 0, got {parts[1]!r}")
    return ((k_perp, 0.0, 0.0), (0.0, k_perp, 0.0), (0.0, 0.0, k_zz))


def config_from_args(args: argparse.Namespace) -> tuple[SimulationConfig, Analysis]:
    """Every check before any work: ValueError naming the option and its allowed range."""
    geometry = geometry_from_arguments(args)
    try:
        geometry.check_eta(args.eta)
    except ValueError:
        raise ValueError(f"--eta must satisfy {geometry.eta_range()} for {geometry.name} turbulence, got {args.eta}") from None
    rigidity = parse_quantity(args.rigidity, u.V, "--rigidity", example="1PV")
    b_rms = parse_quantity(args.brms, u.G, "--brms", example="4uG")
    l_c = parse_quantity(args.lc, u.pc, "--lc", example="30pc")
    if not (math.isfinite(args.rg_over_lambda_min) and args.rg_over_lambda_min > 0):
        raise ValueError(f"--rg-over-lambda-min must be > 0, got {args.rg_over_lambda_min}")
    if args.realisations < 1:
        raise ValueError(f"--realisations must be >= 1, got {args.realisations}")
    with _option("--nside"):
        validate_nside(args.nside)
    integer("--seed", args.seed, ge=0)
    real("--steps-per-gyration", args.steps_per_gyration, ge=MIN_STEPS_PER_GYRATION)
    real("--steps-per-wavelength", args.steps_per_wavelength, ge=MIN_STEPS_PER_WAVELENGTH)
    if args.step is not None:
        real("--step", args.step, gt=0)
    times = _times(args.times)
    if args.backend == "cupy" and cupy_or_none() is None:
        raise ValueError("--backend cupy needs CuPy and a CUDA device; use numba or numpy")
    rho = reduced_rigidity(rigidity, b_rms, l_c)
    spectrum = NAMED_SPECTRA[args.spectrum](kmax=2.0 * math.pi * args.rg_over_lambda_min / rho)
    model = TurbulenceModel.from_physical(geometry, rigidity=rigidity, b_rms=b_rms, l_c=l_c, eta=args.eta, spectrum=spectrum)
    gradient_length = parse_quantity(args.gradient_length, u.pc, "--gradient-length", example="1kpc")
    pc_per_unit = l_c.to_value(u.pc) / model.L_c  # one length unit 1/Omega, in pc
    g = pc_per_unit / gradient_length.to_value(u.pc)
    step = StepRule(steps_per_gyration=args.steps_per_gyration, steps_per_wavelength=args.steps_per_wavelength, step=args.step)
    with _option("--step"):
        dt = step.dt(model)
    with _option("--times"):
        record_steps(times, dt)
    config = SimulationConfig(
        model=model, nside=args.nside, times=times, seed=args.seed, step=step, method=args.field,
        backend=args.backend,
    )
    analysis = Analysis(gradient=(0.0, 0.0, g), diffusion=_diffusion(args.diffusion, pc_per_unit), noise=args.noise, lmax=args.lmax)
    with _option("--lmax"):
        analysis.lmax_for(args.nside)
    return config, analysis


def run(args: argparse.Namespace) -> int:
    config, analysis = config_from_args(args)
    engine = engine_from_args(args)
    out = check_output_folder(args.out)
    estimate = simulation_estimate(config, args.realisations)
    require(estimate, size_options="--nside, --rigidity, --rg-over-lambda-min or --times", yes=args.yes)
    if not args.no_progress:
        print(f"crmix simulate: {args.realisations} realisations: {estimate.describe()}", flush=True)
    summary = run_ensemble(config, out, args.realisations, analysis=analysis, progress=not args.no_progress, engine=engine)
    from crmix.simulate.plots import write_summary_plot

    k_zz_qlt = summary.mapping["K_liouville"][2][2] if summary.mapping["diffusion_source"] == "qlt" else None
    write_summary_plot(out, summary, k_zz_qlt=k_zz_qlt)
    m = config.model
    print(f"{m.geometry}: rho = {m.rho:.4g}, eta = {m.eta:g}, dt = {config.dt:.4g}, Nside = {config.nside}, "
          f"T = {[float(t) for t in summary.times]}")
    for line in summary_lines(summary):
        print(line)
    print(f"written to {out}")
    return 0
