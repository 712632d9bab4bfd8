"""QLT lambda_par of isotropic + B0 turbulence on wide bands: the continuum split against the previous sum.

Run: ./run python benchmarks/qlt_scattering.py [--old-max 71] [--rows scaling,ratio,default]

Prints CPU seconds (time.process_time, one thread) and the load average, and for each band:
* new     crmix.qlt_axisymmetric.qlt_scattering (exact harmonics below k_s = 32 Omega/|mu|, the
          straight-line continuum above; its error estimate lambda_error);
* old     the previous route, reproduced below for timing only: every harmonic at every mu node,
          Gauss panels in k (two periods of J_N^2, 16 nodes), the mu integral in pieces between all
          onsets N Omega/k_max with 24 and 12 nodes (the gap diagnostic left out); run where
          k_max/Omega <= --old-max.  Its nu is low at small mu on wide bands (the onset layer in k).
Rows: "scaling" k_max/Omega = 35 .. 942 (Kolmogorov, k_min = 0.01 Omega), "ratio" k_max/k_min = 1e2,
1e4, 1e6 at k_max = 142 Omega, "default" crmix spectrum's isotropic band at 10 TV and 1 PV (eta = 0.5,
B_rms = 4 uG, L_c = 30 pc: lambda_min = r_g/150 in B_rms, so k_max/Omega = 2 pi 150/sqrt(1 - eta) in B0).
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np
from scipy import special

from crmix import qlt_axisymmetric as qa
from crmix.spectral_tensors import AxisymmetricTensor, TensorComponent, isotropic_tensor


def kolmogorov(k, xp=np):
    return xp.asarray(k, dtype=float) ** (-5.0 / 3.0)


def _old_rate(comp: TensorComponent, mu: float) -> float:
    """The previous nu(mu) of a full-support component (Omega = 1): k panels per harmonic."""
    amu, st = abs(mu), math.sqrt(max(1.0 - mu * mu, 0.0))
    x, w = np.polynomial.legendre.leggauss(16)
    ts, ns, wts = [], [], []
    for big_n in range(-int(comp.kmax * amu), int(comp.kmax * amu) + 1):
        edges = [max(comp.kmin, abs(big_n) / amu * (1.0 + 1e-15))]
        if comp.kmax <= edges[0]:
            continue
        while edges[-1] < comp.kmax:
            edges.append(min(edges[-1] * math.exp(0.5), edges[-1] + 2.0 * math.pi / max(st, 1e-3), comp.kmax))
        t_edges = np.log(edges)
        half = 0.5 * np.diff(t_edges)
        ts.append(((t_edges[:-1] + half)[:, None] + half[:, None] * x[None, :]).ravel())
        wts.append((half[:, None] * w[None, :]).ravel())
        ns.append(np.full(ts[-1].shape, big_n))
    t, n, wt = np.concatenate(ts), np.concatenate(ns), np.concatenate(wts)
    k = np.exp(t)
    c = -n / (k * mu)
    s = np.asarray(comp.density(k, c, np), dtype=complex)
    z = k * np.sqrt(np.maximum(1.0 - c * c, 0.0)) * st
    jm, jp = special.jv(n - 1, z), special.jv(n + 1, z)
    d, r = 0.5 * (jm - jp), 0.5 * (jm + jp)
    return math.pi * float(np.sum(wt * (s[:, 0, 0].real * d**2 + s[:, 1, 1].real * r**2))) / amu


def _old_lambda(tensor: AxisymmetricTensor) -> float:
    comp = tensor.components[0]
    lo, kmax = 2.0 / comp.kmax, comp.kmax
    breaks = sorted({n / kmax for n in range(1, int(kmax) + 1)} | {n / comp.kmin for n in range(1, int(kmax) + 1)})
    edges = [lo] + [b for b in breaks if lo < b < 1.0] + [1.0]
    pieces = []
    for a, b in zip(edges[:-1], edges[1:]):
        m = max(1, math.ceil(math.log(b / a) / 0.25))
        g = np.geomspace(a, b, m + 1)
        pieces += list(zip(g[:-1], g[1:]))
    value = 0.0
    for nodes in (24, 12):
        x, w = np.polynomial.legendre.leggauss(nodes)
        total = 0.0
        for a, b in pieces:
            half = 0.5 * math.log(b / a)
            for xi, wi in zip(x, w):
                mu = math.exp(math.log(a) + half * (xi + 1.0))
                f = 0.5 * (1.0 / _old_rate(comp, mu) + 1.0 / _old_rate(comp, -mu))
                total += half * wi * mu * (1.0 - mu * mu) * f
        value = value or 0.75 * total
    return value


def _default_band(rigidity: str) -> tuple[str, AxisymmetricTensor, float]:
    import astropy.units as u

    from crmix.model import TurbulenceModel

    model = TurbulenceModel.from_physical("isotropic", rigidity=u.Quantity(rigidity), b_rms=4 * u.uG, l_c=30 * u.pc, eta=0.5)
    return f"default {rigidity}", model.turbulence.tensor(model), model.Omega


def _cpu(fn, *args, **kwargs):
    t0 = time.process_time()
    out = fn(*args, **kwargs)
    return out, time.process_time() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old-max", type=float, default=71.0, help="run the previous sum up to this k_max/Omega")
    parser.add_argument("--rows", default="scaling,ratio,default")
    args = parser.parse_args()
    rows: list[tuple[str, AxisymmetricTensor, float]] = []
    wanted = args.rows.split(",")
    if "scaling" in wanted:
        rows += [(f"k_max = {k:g}", isotropic_tensor(kolmogorov, 0.01, k), 1.0) for k in (35.0, 71.0, 142.0, 284.0, 942.0)]
    if "ratio" in wanted:
        rows += [(f"k_max/k_min = {r:.0e}", isotropic_tensor(kolmogorov, 142.0 / r, 142.0), 1.0) for r in (1e2, 1e4, 1e6)]
    if "default" in wanted:
        rows += [_default_band("10TV"), _default_band("1PV")]
    print(f"load average at start: {os.getloadavg()}")
    print("| band | k_max/Ω | k_min/Ω | new CPU [s] | Ωλ∥ new | est. rel. error | old CPU [s] | Ωλ∥ old | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, tensor, omega in rows:
        res, t_new = _cpu(qa.qlt_scattering, tensor, omega)
        kmax, kmin = tensor.k_max / omega, tensor.k_min / omega
        old = "–", "–", "–"
        if omega == 1.0 and kmax <= args.old_max:
            lam_old, t_old = _cpu(_old_lambda, tensor)
            old = f"{t_old:.2f}", f"{lam_old:.8g}", f"{t_old / t_new:.1f}"
        print(f"| {name} | {kmax:.4g} | {kmin:.3g} | {t_new:.2f} | {omega * res.lambda_par:.8g} | "
              f"{res.lambda_error / res.lambda_par:.1e} | {old[0]} | {old[1]} | {old[2]} |", flush=True)
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
