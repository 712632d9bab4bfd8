"""crmix simulate: backtrack test particles through synthetic turbulence to sky maps and <C_l>.

For each realisation of the turbulence (random numbers from --seed and the realisation index alone)
one particle per HEALPix pixel is backtracked from the observer (KPM Sec. 2.1), its sky map of the
relative intensity built by the Liouville mapping KPM (3) at every backtracking time in --times,
and C_l, the dipole vector and the local mean field measured.  Writes into --out:

  run.json                  the parameters (a folder of other parameters is refused)
  realisation_NNNNN.fits    sky maps (HEALPix RING, one column per T; pixel = momentum direction)
  realisation_NNNNN.npz     C_l, noise level, dipole, <r r>, local field, parameters
  ensemble.npz              <C_l>^num, N_l, <C_l>^sub and its variance, <C_1>^QLT, <cos a>, K_zz(T)
  ensemble_cl.ecsv          the spectra per T as a table; ensemble_transport.ecsv: K_zz, K_perp, N_l, C_1 per T

A killed run resumes: finished realisations are kept, the others are computed.  Times are in units
of 1/Omega (Omega = q B0 / p; with --eta 1, isotropic, the RMS field).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import astropy.units as u

from crmix.backend import cupy_or_none
from crmix.model import RG_OVER_LAMBDA_MIN, Spectrum, TurbulenceModel
from crmix.simulate.boris import StepRule
from crmix.simulate.runner import FIELD_METHODS, SimulationConfig, run_ensemble, summary_lines
from crmix.units import parse_quantity, reduced_rigidity

__all__ = ["add_arguments", "run"]

SPECTRUM_CHOICES = ("kolmogorov", "kraichnan", "bendover", "white")
DEFAULT_OUT = "crmix-out/simulate"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``crmix simulate`` (named as in ``crmix spectrum`` where they mean the same)."""
    parser.add_argument("--geometry", choices=("slab", "isotropic"), default="slab", help="turbulence geometry (default: slab)")
    parser.add_argument("--spectrum", choices=SPECTRUM_CHOICES, default="kolmogorov", help="turbulence spectrum (default: kolmogorov)")
    parser.add_argument("--eta", type=float, default=0.5, help="turbulence level dB^2/(B0^2+dB^2), 0 < eta < 1 (isotropic: <= 1) (default: 0.5)")
    parser.add_argument("--rigidity", default="1PV", help="particle rigidity with unit (default: 1PV, rho = 8.9e-3)")
    parser.add_argument("--brms", default="4uG", help="RMS field sqrt(B0^2 + dB^2) (default: 4uG)")
    parser.add_argument("--lc", default="30pc", help="correlation length L_c (default: 30pc)")
    parser.add_argument("--rg-over-lambda-min", type=float, default=RG_OVER_LAMBDA_MIN,
                        help=f"r_g / smallest wavelength (default: {RG_OVER_LAMBDA_MIN:g}, KPM Sec. 2.1.2)")
    parser.add_argument("--nside", type=int, default=8, help="HEALPix Nside of the initial directions, a power of two (default: 8)")
    parser.add_argument("--times", default="10,30,100,300", help="backtracking times T in 1/Omega, comma-separated (default: 10,30,100,300)")
    parser.add_argument("--realisations", type=int, default=4, help="number of turbulence realisations (default: 4)")
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
    parser.add_argument("--lmax", type=int, default=None, help="largest multipole (default: 3 Nside - 1)")
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default: ./{DEFAULT_OUT})")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _times(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(t) for t in text.split(",") if t.strip())
    except ValueError as exc:
        raise ValueError(f"--times must be comma-separated numbers (backtracking times in 1/Omega), got {text!r}") from exc
    if not values or not all(math.isfinite(t) and t > 0 for t in values):
        raise ValueError(f"--times must be backtracking times T > 0 (in 1/Omega), got {text!r}")
    return tuple(sorted(values))


def _spectrum(name: str, kmax_lc: float) -> Spectrum:
    if name == "white":
        return Spectrum(kind="white", index=0.0, kmax=kmax_lc)
    if name == "bendover":
        return Spectrum(kind="bendover", index=5.0 / 3.0, kmax=kmax_lc)
    return Spectrum(kind="power_law", index=5.0 / 3.0 if name == "kolmogorov" else 1.5, kmax=kmax_lc)


def config_from_args(args: argparse.Namespace) -> SimulationConfig:
    """Every check before any work: ValueError naming the option and its allowed range."""
    if not (math.isfinite(args.eta) and 0.0 < args.eta <= 1.0) or (args.eta == 1.0 and args.geometry == "slab"):
        raise ValueError(f"--eta must satisfy 0 < eta < 1 (isotropic: 0 < eta <= 1), got {args.eta}")
    rigidity = parse_quantity(args.rigidity, u.V, "--rigidity")
    if not (math.isfinite(rigidity.value) and rigidity.value > 0):
        raise ValueError(f"--rigidity must be > 0, got {args.rigidity!r}")
    b_rms = parse_quantity(args.brms, u.G, "--brms")
    l_c = parse_quantity(args.lc, u.pc, "--lc")
    if not (math.isfinite(args.rg_over_lambda_min) and args.rg_over_lambda_min > 0):
        raise ValueError(f"--rg-over-lambda-min must be > 0, got {args.rg_over_lambda_min}")
    if args.realisations < 1:
        raise ValueError(f"--realisations must be >= 1, got {args.realisations}")
    if args.backend == "cupy" and cupy_or_none() is None:
        raise ValueError("--backend cupy needs CuPy and a CUDA device; use numba or numpy")
    rho = reduced_rigidity(rigidity, b_rms, l_c)
    spectrum = _spectrum(args.spectrum, 2.0 * math.pi * args.rg_over_lambda_min / rho)
    model = TurbulenceModel.from_physical(args.geometry, rigidity=rigidity, b_rms=b_rms, l_c=l_c, eta=args.eta, spectrum=spectrum)
    gradient_length = parse_quantity(args.gradient_length, u.pc, "--gradient-length")
    if not (math.isfinite(gradient_length.value) and gradient_length.value > 0):
        raise ValueError(f"--gradient-length must be > 0, got {args.gradient_length!r}")
    pc_per_unit = l_c.to_value(u.pc) / model.L_c  # one length unit 1/Omega, in pc
    g = pc_per_unit / gradient_length.to_value(u.pc)
    step = StepRule(steps_per_gyration=args.steps_per_gyration, steps_per_wavelength=args.steps_per_wavelength, step=args.step)
    return SimulationConfig(
        model=model, nside=args.nside, times=_times(args.times), seed=args.seed, step=step, method=args.field,
        gradient=(0.0, 0.0, g), lmax=args.lmax,
    )


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    out = Path(args.out)
    summary = run_ensemble(config, out, args.realisations, backend=args.backend, progress=not args.no_progress)
    m = config.model
    print(f"{m.geometry}: rho = {m.rho:.4g}, eta = {m.eta:g}, dt = {config.dt:.4g}, Nside = {config.nside}, "
          f"T = {[float(t) for t in summary.times]}")
    for line in summary_lines(summary):
        print(line)
    print(f"written to {out}")
    return 0
