"""Benchmark: the generic mixing matrix (crmix.solver.axisymmetric) at l_max = 50 and 100.

Model: Kolmogorov, eta = 0.5, rho = 0.3, lambda_min = r_g/10 (k in [0.53, 89] Omega; the test model
of tests/simulate), Omega dt = 10, rtol = 1e-8.  Geometries:

* 2d            2D turbulence on the full band (a line in k_perp; the generic path);
* composite     slab + 2D at 20 : 80, the slab part by the closed forms (KPM (38), (47));
* composite-gen the same, the slab part by the generic path too;
* isotropic+B0  isotropic turbulence with the regular field, on a band cut at k_max = ``--iso-kmax`` Omega
                (a 2D cubature in (k, cos theta_k): its node count grows like k_max^2 dt / Omega).

For each it prints the wall and CPU time, the wave vectors used, the estimated relative error
(MixingMatrix.error / max |M^(1c)|) and the power-invariant residual
max_{l0 <= 5} |sum_l (2l+1)(2 M^(1a) + M^(1c))_{l l0}| / sum_l (2l+1)|2 M^(1a)_{l l0}|.

    python benchmarks/axisymmetric.py [--lmax 50 100] [--geometry 2d composite ...] [--iso-kmax 5]
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np
from mixing_matrix import cpu_name  # the sibling benchmark (this folder is on sys.path when a script runs)

from crmix.model import Spectrum, TurbulenceModel
from crmix.solver.axisymmetric import axisymmetric_mixing_matrix
from crmix.spectral_tensors import composite_tensor, isotropic_tensor, model_spectrum, tensor_from_model, two_d_tensor

GEOMETRIES = ("2d", "composite", "composite-gen", "isotropic+B0")


def tensors(iso_kmax: float):
    model = TurbulenceModel(geometry="slab", eta=0.5, rho=0.3, spectrum=Spectrum(kmax=2 * math.pi * 10 / 0.3))
    spectrum = model_spectrum(model)
    slab = tensor_from_model(model)
    two_d = two_d_tensor(spectrum, model.k_min, model.k_max)
    return model, {
        "2d": (two_d, True),
        "composite": (composite_tensor(slab, two_d), True),
        "composite-gen": (composite_tensor(slab, two_d), False),
        "isotropic+B0": (isotropic_tensor(spectrum, model.k_min, iso_kmax), True),
    }


def invariant_residual(m1a: np.ndarray, m1c: np.ndarray, columns: int = 6) -> float:
    ell = np.arange(m1c.shape[0])
    total = (2 * ell + 1) @ (2 * np.diag(m1a) + m1c)
    scale = np.abs(2 * (2 * ell + 1) * m1a)
    return float(np.max(np.abs(total[1:columns]) / scale[1:columns]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lmax", type=int, nargs="+", default=[50, 100])
    parser.add_argument("--geometry", nargs="+", choices=GEOMETRIES, default=list(GEOMETRIES))
    parser.add_argument("--iso-kmax", type=float, default=5.0, help="upper end of the isotropic band, in Omega")
    parser.add_argument("--omega-dt", type=float, default=10.0)
    args = parser.parse_args()
    model, cases = tensors(args.iso_kmax)
    print(f"# {cpu_name()}, {os.cpu_count()} logical cores; k in [{model.k_min:.3g}, {model.k_max:.3g}] Omega, "
          f"Omega dt = {args.omega_dt}, rtol = 1e-8")
    print("| geometry | l_max | wall [s] | CPU [s] | wave vectors | est. rel. error | invariant residual (l0 <= 5) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in args.geometry:
        tensor, closed = cases[name]
        for lmax in args.lmax:
            wall, cpu = time.perf_counter(), time.process_time()
            m = axisymmetric_mixing_matrix(tensor, 1.0, args.omega_dt, lmax, rtol=1e-8, slab_closed_form=closed)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            print(f"| {name} | {lmax} | {wall:.1f} | {cpu:.1f} | {m.nodes} | "
                  f"{m.error / np.max(np.abs(m.m1c)):.1e} | {invariant_residual(m.m1a, m.m1c):.1e} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
