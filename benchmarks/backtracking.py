"""Backtracking speed (particle-steps per second) and memory, slab and isotropic, CPU and GPU.

    python benchmarks/backtracking.py [--nside 32] [--seconds 5]

Prints, for each field kind and pusher backend (``crmix.simulate.kernels.PUSHERS``), the rate of the
hot loop alone (field synthesis excluded), with the CRPropa figure (about 3.5e6 Boris steps/s per
CPU thread on a grid) as the reference line,
then the memory: bytes per particle and per grid point (measured peak of the synthesis with
tracemalloc) and the estimate for KPM's 10 TV slab setting (rho = 8.9e-5, lambda_min = r_g/150,
table 8 L_max long, 10 points per lambda_min).
"""

from __future__ import annotations

import argparse
import math
import os
import time
import tracemalloc

import numpy as np

from crmix import Spectrum, TurbulenceModel
from crmix.backend import cupy_or_none
from crmix.simulate import kernels, synthesis
from crmix.simulate.backtrack import healpix_directions
from crmix.simulate.boris import StepRule
from crmix.simulate.fields import FieldSum, Grid2D
from crmix.simulate.synthesis import nested_grids, realisation_rng, slab_table, slab_table_size

CRPROPA_STEPS_PER_THREAD = 3.5e6
KPM_SLAB = TurbulenceModel(geometry="slab", eta=0.5, rho=8.9e-3)  # 1 PV in 4 uG, L_c = 30 pc
KPM_ISO = TurbulenceModel(geometry="isotropic", eta=0.5, rho=8.9e-3, spectrum=Spectrum(kmax=2 * math.pi * 30 / 8.9e-3))


def _rate(step, field, omega0: float, nside: int, dt: float, seconds: float, dtype=np.float64, xp=np) -> float:
    v = -healpix_directions(nside, xp, dtype)
    x = xp.zeros_like(v)
    v = xp.ascontiguousarray(v)
    n = v.shape[1]
    step(field, omega0, x, v, -1, dt, 2)  # compile / warm up
    steps, elapsed = 8, 0.0
    while elapsed < seconds:
        steps *= 2
        if xp is not np:
            xp.cuda.Stream.null.synchronize()
        t0 = time.perf_counter()
        step(field, omega0, x, v, -1, dt, steps)
        if xp is not np:
            xp.cuda.Stream.null.synchronize()
        elapsed = time.perf_counter() - t0
        if elapsed > seconds / 4:
            break
    return n * steps / elapsed


def speed(nside: int, seconds: float) -> None:
    print(f"hot loop, Nside = {nside} ({12 * nside * nside} particles), CPU threads available: {os.cpu_count()}")
    print(f"  reference: CRPropa Boris on a grid ~ {CRPROPA_STEPS_PER_THREAD:.1e} steps/s per CPU thread")
    slab = slab_table(KPM_SLAB, realisation_rng(0, 0))
    # the 2D part's values are random here (its synthesis is not part of the pusher): speed only
    planar = Grid2D(0.1 * np.random.default_rng(0).standard_normal((256, 256, 2)), 2.0 * math.pi / KPM_SLAB.k_max)
    cases = [
        ("slab table (KPM 1 PV)", KPM_SLAB, slab),
        ("isotropic nested grids", KPM_ISO, nested_grids(KPM_ISO, realisation_rng(0, 0), n=64, points_per_wavelength=8)),
        ("slab table + 2D grid", KPM_SLAB, FieldSum((slab, planar))),
    ]
    cp = cupy_or_none()
    numba, numpy, cupy = (kernels.pusher(name).advance for name in ("numba", "numpy", "cupy"))
    for name, model, field in cases:
        dt = StepRule().dt(model)
        numba_rate = _rate(numba, field, model.Omega, nside, dt, seconds)
        numpy_rate = _rate(numpy, field, model.Omega, min(nside, 16), dt, seconds / 2)
        print(f"  {name:26s} numba {numba_rate:9.3e} steps/s   numpy {numpy_rate:9.3e} steps/s")
        if cp is not None:
            for dtype in (np.float32, np.float64):
                gpu_field = field.to(cp, dtype=dtype)
                rate = _rate(cupy, gpu_field, model.Omega, max(nside, 256), dt, seconds, dtype, cp)
                print(f"  {name:26s} cupy/{np.dtype(dtype).name} {rate:9.3e} steps/s")
    if cp is None:
        print("  (no CUDA device: GPU rates not measured)")


def _synthesis_peak(model: TurbulenceModel, dtype) -> tuple[int, int]:
    """(n, peak bytes traced) of one slab-table synthesis."""
    tracemalloc.reset_peak()
    t = slab_table(model, realisation_rng(0, 0), dtype=dtype)
    return t.n, tracemalloc.get_traced_memory()[1]


def memory() -> None:
    print("memory")
    print("  per particle: state r, v 48 B + per recorded T (r, p) 48 B + direction 24 B (float64)")
    kpm_n, _ = slab_table_size(TurbulenceModel(geometry="slab", eta=0.5, rho=8.9e-5))  # 10 TV, 4 uG, 30 pc
    # the synthesis peak is a*n + b (b: the fixed-size chunk temporaries); fit a from two table sizes
    synthesis._CHUNK = 1 << 16
    tracemalloc.start()
    for dtype in (np.float64, np.float32):
        n1, p1 = _synthesis_peak(TurbulenceModel(geometry="slab", eta=0.5, rho=8.9e-2), dtype)
        n2, p2 = _synthesis_peak(TurbulenceModel(geometry="slab", eta=0.5, rho=8.9e-3), dtype)
        per_point = (p2 - p1) / (n2 - n1)
        fixed = p2 - per_point * n2
        stored = 2 * np.dtype(dtype).itemsize
        print(f"  slab table {np.dtype(dtype).name}: {stored} B per point stored, {per_point:.1f} B per point at the "
              f"synthesis peak (+ {fixed / 2**20:.0f} MiB of chunk temporaries)")
        print(f"    KPM 10 TV slab: n = {kpm_n:.3g} points -> table {kpm_n * stored / 2**30:.1f} GiB, "
              f"synthesis peak {kpm_n * per_point / 2**30:.1f} GiB + chunk temporaries (< 0.5 GiB) (limit 24 GiB)")
    iso = TurbulenceModel(geometry="isotropic", eta=0.5, rho=8.9e-2, spectrum=Spectrum(kmax=2 * math.pi * 5 / 8.9e-2))
    tracemalloc.reset_peak()
    g = nested_grids(iso, realisation_rng(0, 0), n=64)
    peak = tracemalloc.get_traced_memory()[1]
    points = g.grids.shape[0] * 64**3
    print(f"  nested grids: {g.grids.nbytes / points:.0f} B per point stored ({g.grids.shape[0]} grids of 64^3), "
          f"synthesis peak {peak / 64**3:.0f} B per point of one grid")
    tracemalloc.stop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--nside", type=int, default=32)
    p.add_argument("--seconds", type=float, default=4.0, help="target time per measurement")
    p.add_argument("--skip-memory", action="store_true")
    a = p.parse_args()
    speed(a.nside, a.seconds)
    if not a.skip_memory:
        memory()


if __name__ == "__main__":
    main()
