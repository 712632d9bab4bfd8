"""Benchmark: the generic mixing matrix on the default band (lambda_min = r_g/150, as KPM) at l_max = 100.

For each geometry and rigidity (defaults of ``crmix spectrum``: B_rms, L_c, eta = 0.5, Kolmogorov; Delta T
by KPM (51) where QLT scatters, Omega dT = 20 for 2D; isotropic + B0 takes the KPM (51) Delta T of the slab
model at the same rigidity, as in the first measurements, so that rows stay comparable: its own QLT
tau_s takes seconds now, benchmarks/qlt_scattering.py) it computes M(dT) once through the dispatch of
``crmix spectrum`` and prints the CPU time, the peak resident memory of the process so far, the wave vectors
of the cubatures, the estimated relative error (MixingMatrix.error / max |M^(1c)|, and the straight-line
tail's share of it), the time ``crmix spectrum`` estimates beforehand (crmix.solver.resources) and the
ratio measured / estimated; ``--rg-over-lambda-min`` narrows the band as ``crmix spectrum``'s option does.
``--kmax-over-kmin`` instead scans the width of the band of isotropic + B0;
``--against-cubature KMAX ...`` compares, on isotropic + B0 bands [0.53, KMAX] Omega (the test model of
benchmarks/axisymmetric.py, Omega dT = 10, l_max = 50; with ``--geometry 2d`` the 2D line of that band), the
route of crmix.solver.axisymmetric with the whole-band cubature it replaces (``generic_integrals``: the mu
projection of every wave vector and Lambda from it), in CPU time and in M; ``--omega-dt`` and ``--lmax`` set
Omega dT and l_max there.
Run it with one thread (OMP_NUM_THREADS=1); the CPU column is what to compare on a shared machine.

    python benchmarks/generic_defaults.py [--geometry isotropic 2d composite slab] [--rigidity 10TV 1PV]
                                          [--lmax 100] [--kmax-over-kmin 1e2 1e4 1e6] [--against-cubature 2.5 5]
                                          [--omega-dt 10] [--rg-over-lambda-min 10]
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import time
from dataclasses import replace

import astropy.units as u
import numpy as np
from mixing_matrix import cpu_name  # the sibling benchmark (this folder is on sys.path when a script runs)

from crmix.commands.options import DEFAULT_BRMS, DEFAULT_LC
from crmix.model import Spectrum, TurbulenceModel
from crmix.solver.axisymmetric import axisymmetric_mixing_matrix, generic_integrals
from crmix.solver.axisymmetric_coupling import contract_m1c
from crmix.solver.dispatch import model_mixing_matrix
from crmix.solver.resources import spectrum_estimate
from crmix.solver.timestep import mixing_time
from crmix.spectral_tensors import isotropic_tensor, model_spectrum, two_d_tensor

GEOMETRIES = ("isotropic", "2d", "composite", "slab")
#: Omega dT where QLT gives no scattering time (2D), as the README example
TWO_D_OMEGA_DT = 20.0


def model_and_dt(geometry: str, rigidity: str, kmax_over_kmin: float | None = None,
                 rg_over_lambda_min: float | None = None) -> tuple[TurbulenceModel, float]:
    model = TurbulenceModel.from_physical(geometry, rigidity=u.Quantity(rigidity), b_rms=u.Quantity(DEFAULT_BRMS),
                                          l_c=u.Quantity(DEFAULT_LC), eta=0.5)
    if kmax_over_kmin is not None:
        model = model.with_(spectrum=replace(model.spectrum, kmax=model.spectrum.kmin * kmax_over_kmin))
    if rg_over_lambda_min is not None:  # as crmix spectrum --rg-over-lambda-min (crmix.theory)
        model = model.with_(spectrum=replace(model.spectrum, kmax=2.0 * math.pi * rg_over_lambda_min / model.rho))
    if geometry == "2d":
        return model, mixing_time(model, omega_dt=TWO_D_OMEGA_DT).dt
    if geometry == "isotropic":  # KPM (51) of the slab model at the same rigidity (module docstring)
        slab, _ = model_and_dt("slab", rigidity, kmax_over_kmin, rg_over_lambda_min)
        return model, mixing_time(slab).dt
    return model, mixing_time(model).dt


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def row(label: str, model: TurbulenceModel, dt: float, lmax: int) -> str:
    estimate = spectrum_estimate([(model, dt)], lmax).seconds
    cpu = time.process_time()
    m = model_mixing_matrix(model, dt, lmax)
    cpu = time.process_time() - cpu
    scale = float(np.max(np.abs(m.m1c)))
    nodes = getattr(m, "nodes", 0)
    tail = getattr(m, "tail_error", 0.0) / scale
    return (f"| {label} | {model.k_max / model.k_min:.3g} | {model.Omega * dt:.3g} | {lmax} | {cpu:.1f} | {peak_mib():.0f} | {nodes} | "
            f"{m.error / scale:.1e} | {tail:.1e} | {estimate:.1f} | {cpu / estimate:.2f} |")


def against_cubature(kmax: float, lmax: int = 50, omega_dt: float = 10.0, geometry: str = "isotropic") -> str:
    model = TurbulenceModel(geometry="slab", eta=0.5, rho=0.3, spectrum=Spectrum(kmax=2 * math.pi * 10 / 0.3))
    build, name = (two_d_tensor, "2D") if geometry == "2d" else (isotropic_tensor, "isotropic + B0")
    tensor = build(model_spectrum(model), model.k_min, kmax)
    cpu = time.process_time()
    old = generic_integrals(tensor, 1.0, omega_dt, lmax)
    old_m1c, _ = contract_m1c(old.gram, lmax, old.gram_error)
    cpu_old = time.process_time() - cpu
    cpu = time.process_time()
    new = axisymmetric_mixing_matrix(tensor, 1.0, omega_dt, lmax)
    cpu_new = time.process_time() - cpu
    ell = np.arange(lmax + 1.0)
    diff = max(float(np.max(np.abs(new.m1c - old_m1c)) / np.max(np.abs(old_m1c))),
               float(np.max(np.abs(new.m1a + ell * (ell + 1) * old.lam)) / np.max(np.abs(ell * (ell + 1) * old.lam))))
    return (f"| {name}, k in [{model.k_min:.2f}, {kmax:g}] Omega | {omega_dt:g} | {lmax} | {cpu_old:.1f} | {old.nodes} | {cpu_new:.1f} | {new.nodes} "
            f"| {cpu_old / cpu_new:.2f} | {diff:.1e} | {new.tail_error / np.max(np.abs(new.m1c)):.1e} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--geometry", nargs="+", choices=GEOMETRIES, default=list(GEOMETRIES))
    parser.add_argument("--rigidity", nargs="+", default=["10TV", "1PV"])
    parser.add_argument("--lmax", type=int, default=100)
    parser.add_argument("--kmax-over-kmin", type=float, nargs="+", help="scan the band of isotropic + B0 at 10 TV instead")
    parser.add_argument("--against-cubature", type=float, nargs="+", metavar="KMAX", help="compare with the whole-band cubature")
    parser.add_argument("--omega-dt", type=float, nargs="+", default=[10.0], help="Omega dT of --against-cubature")
    parser.add_argument("--rg-over-lambda-min", type=float, help="narrow the band (default: 150, the default band)")
    args = parser.parse_args()
    if args.against_cubature:
        print(f"# {cpu_name()}, load average {os.getloadavg()[0]:.1f} at the start")
        print("| band | Omega dT | l_max | cubature CPU [s] | its wave vectors | route CPU [s] | its wave vectors | ratio "
              "| max rel. difference | est. tail error |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        geometry = "2d" if args.geometry == ["2d"] else "isotropic"
        lmax = 50 if args.lmax == parser.get_default("lmax") else args.lmax
        for kmax in args.against_cubature:
            for omega_dt in args.omega_dt:
                print(against_cubature(kmax, lmax, omega_dt, geometry), flush=True)
        return 0
    print(f"# {cpu_name()}, {os.cpu_count()} logical cores, load average {os.getloadavg()[0]:.1f} at the start")
    print("| geometry, rigidity | k_max/k_min | Omega dT | l_max | CPU [s] | peak RSS [MiB] | wave vectors | est. rel. error "
          "| of it tail | estimated [s] | measured / estimated |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    if args.kmax_over_kmin:
        for ratio in args.kmax_over_kmin:
            model, dt = model_and_dt("isotropic", "10TV", ratio)
            print(row(f"isotropic + B0, 10TV, band {ratio:g}", model, dt, args.lmax), flush=True)
        return 0
    for geometry in args.geometry:
        for rigidity in args.rigidity:
            model, dt = model_and_dt(geometry, rigidity, rg_over_lambda_min=args.rg_over_lambda_min)
            print(row(f"{geometry}, {rigidity}", model, dt, args.lmax), flush=True)
    print(f"# load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
