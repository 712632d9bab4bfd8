"""One whole shape fit of Omega dT at l_max = 100 (``crmix fit``'s work per run and truncation).

    python benchmarks/fit.py [--lmax 100] [--reference-points 48]

The data are the theory's own C_l/C_1 (l = 2..20) at Omega dT = 6 for KPM's default slab model
(rho = 8.9e-3, eta = 0.5, Kolmogorov, lambda_min = r_g/150), perturbed by 5 % Gaussian scatter with
10 % errors, so the fit must find Omega dT ~ 6.  Timed in one process:

* crmix.fit.shape.fit_shape: a coarse grid in ln(Omega dT), a cubic spline of ln(C_l/C_1) through
  the exact evaluations, refined until the spline's chi^2 agrees with the exact one at the best fit
  and at both ends of the Delta chi^2 = 1 interval;
* the reference: the same chi^2 evaluated exactly on a dense log grid of ``--reference-points``
  (the brute-force scan a fit would otherwise be), its minimum and its Delta chi^2 = 1 interval.

Each method starts from an empty SpectrumFamily (no shared cache).  Prints a table with wall and CPU
time, the number of mixing matrices solved, the best fit and the interval, and the ratio.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from crmix import TurbulenceModel
from crmix.fit.shape import fit_shape
from crmix.solver.family import SpectrumFamily

ELLS = np.arange(2, 21)
TRUE_OMEGA_DT = 6.0
BOUNDS = (2.0, 300.0)


def _data(lmax: int) -> tuple[np.ndarray, np.ndarray]:
    family = SpectrumFamily(TurbulenceModel(), lmax)
    truth = family.ratio(TRUE_OMEGA_DT)[ELLS]
    rng = np.random.default_rng(1)
    ratio = truth * (1.0 + 0.05 * rng.standard_normal(ELLS.size))
    return ratio, np.diag(1.0 / (0.1 * truth) ** 2)


def _reference(ratio: np.ndarray, inv: np.ndarray, lmax: int, points: int) -> tuple[float, float, float, int]:
    family = SpectrumFamily(TurbulenceModel(), lmax)
    xs = np.linspace(math.log(BOUNDS[0]), math.log(BOUNDS[1]), points)
    chi2 = []
    for x in xs:
        r = ratio - family.ratio(math.exp(x))[ELLS]
        chi2.append(float(r @ inv @ r))
    chi2 = np.array(chi2)
    i = int(np.argmin(chi2))
    inside = np.flatnonzero(chi2 <= chi2[i] + 1.0)
    return math.exp(xs[i]), math.exp(xs[inside[0]]), math.exp(xs[inside[-1]]), family.evaluations


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lmax", type=int, default=100)
    p.add_argument("--reference-points", type=int, default=48)
    args = p.parse_args()
    ratio, inv = _data(args.lmax)

    rows = []
    t0, c0 = time.perf_counter(), time.process_time()
    fit = fit_shape(ratio, inv, ELLS, SpectrumFamily(TurbulenceModel(), args.lmax), parameter="omega_dt", bounds=BOUNDS)
    rows.append(("fit_shape (spline, refined)", time.perf_counter() - t0, time.process_time() - c0, fit.evaluations,
                 fit.best, fit.low, fit.high))
    t0, c0 = time.perf_counter(), time.process_time()
    best, low, high, n = _reference(ratio, inv, args.lmax, args.reference_points)
    rows.append((f"reference: exact chi2 on {args.reference_points} points", time.perf_counter() - t0,
                 time.process_time() - c0, n, best, low, high))

    print(f"shape fit of Omega dT, slab default model, l = 2..20, l_max = {args.lmax}, truth Omega dT = {TRUE_OMEGA_DT}")
    print(f"{'method':40s} {'wall [s]':>9s} {'CPU [s]':>8s} {'matrices':>9s} {'best':>7s} {'interval':>17s}")
    for name, wall, cpu, n, b, lo, hi in rows:
        print(f"{name:40s} {wall:9.2f} {cpu:8.2f} {n:9d} {b:7.3f}   [{lo:6.3f}, {hi:6.3f}]")
    print(f"ratio reference / fit_shape (wall): {rows[1][1] / rows[0][1]:.2f}")


if __name__ == "__main__":
    main()
