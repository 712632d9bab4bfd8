"""Benchmark: slab mixing matrix for l_max = 50, 100, 200 (Kolmogorov, rho = 8.9e-4, eta = 0.5).

Omega dt = 4 (Omega tau_s)^(1/3) (KPM (51)) with tau_s from crmix.qlt.scattering_time, or
``--omega-dt``.  For each l_max it prints the wall time of ``mixing_matrix`` (integrals + contraction),
the estimated relative error (MixingMatrix.error / max |M^(1c)|), and the speed-up of the closed-form
m0 sum over a per-element reference (pywigxjpf 3j symbols, explicit m0 and lA, lB sums, same kappa),
timed on a few elements and scaled to all (l_max + 1)^2 elements; the few elements are also compared.

    python benchmarks/mixing_matrix.py [--omega-dt 20] [--lmax 50 100 200]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import pywigxjpf

from crmix import TurbulenceModel
from crmix.solver.mixing import m1c_matrix, mixing_matrix, spectral_weight
from crmix.wigxjpf import ensure_tables


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def reference_element(kappa: np.ndarray, ell: int, ell0: int) -> float:
    """KPM (47) (G form, docs/physics.md) for one element with one pywigxjpf call per symbol."""
    total = 0.0
    lo = min(ell, ell0)
    for a in range(abs(ell - ell0), ell + ell0 + 1, 2):
        for b in range(abs(ell - ell0), ell + ell0 + 1, 2):
            s = sum((ell0 * (ell0 + 1) - m * m) * pywigxjpf.wig3jj(2 * ell, 2 * ell0, 2 * a, -2 * m, 2 * m, 0)
                    * pywigxjpf.wig3jj(2 * ell, 2 * ell0, 2 * b, -2 * m, 2 * m, 0) for m in range(-lo, lo + 1))
            total += ((2 * a + 1) * (2 * b + 1) * (-1) ** ((a - b) // 2) * kappa[a, b]
                      * pywigxjpf.wig3jj(2 * ell, 2 * ell0, 2 * a, 0, 0, 0) * pywigxjpf.wig3jj(2 * ell, 2 * ell0, 2 * b, 0, 0, 0) * s)
    return (2 * ell0 + 1) * total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--omega-dt", type=float, default=None, help="Omega dt (default: 4 (Omega tau_s)^(1/3))")
    parser.add_argument("--lmax", type=int, nargs="+", default=[50, 100, 200])
    args = parser.parse_args()
    model = TurbulenceModel(geometry="slab", rho=8.9e-4, eta=0.5)
    if args.omega_dt is None:
        from crmix.qlt import scattering_time

        tau_s = scattering_time(model)
        omega_dt = 4.0 * tau_s ** (1.0 / 3.0)
        source = f"4 (Omega tau_s)^(1/3), Omega tau_s = {tau_s:.4g}"
    else:
        omega_dt, source = args.omega_dt, "command line"
    print(f"machine: {cpu_name()}, {os.cpu_count()} logical cores, {platform.python_implementation()} {platform.python_version()}")
    print(f"model: slab Kolmogorov, rho = {model.rho}, eta = {model.eta}; Omega dt = {omega_dt:.4g} ({source})")
    ensure_tables(4 * max(args.lmax) + 4, 9)
    print(f"{'l_max':>6} {'M [s]':>8} {'kappa [s]':>10} {'contract [s]':>13} {'est. rel. err':>14} "
          f"{'ref/elem [s]':>13} {'speed-up':>10} {'max rel. diff':>14}")
    for lmax in args.lmax:
        t0 = time.perf_counter()
        mm = mixing_matrix(model, omega_dt, lmax)
        t_total = time.perf_counter() - t0
        from crmix.solver.integrals import kappa as kappa_integral

        t0 = time.perf_counter()
        kap = kappa_integral(spectral_weight(model), model.k_min, model.k_max, omega_dt, model.Omega, 2 * lmax)
        t_kappa = time.perf_counter() - t0
        t0 = time.perf_counter()
        m1c, _ = m1c_matrix(kap.value, lmax, "slab")
        t_contract = time.perf_counter() - t0
        elements = [(1, 1), (2, 1), (lmax // 2, lmax // 2 - 2), (lmax, lmax // 3)]
        t0 = time.perf_counter()
        ref = [reference_element(np.asarray(kap.value), ell, ell0) for ell, ell0 in elements]
        per_element = (time.perf_counter() - t0) / len(elements)
        diff = max(abs(r - m1c[e]) / max(abs(r), 1e-300) for r, e in zip(ref, elements))
        speedup = per_element * (lmax + 1) ** 2 / t_contract
        rel_err = mm.error / np.max(np.abs(mm.m1c))
        print(f"{lmax:6d} {t_total:8.3f} {t_kappa:10.3f} {t_contract:13.4f} {rel_err:14.2e} "
              f"{per_element:13.4f} {speedup:10.3g} {diff:14.2e}")
    print("speed-up: per-element reference time x (l_max+1)^2 / contraction time (same kappa for both)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
