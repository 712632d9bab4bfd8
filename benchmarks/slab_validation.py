"""Slab validation run at KPM's 1 PV setting (rho = 8.9e-3, eta = 0.5), CPU-sized.

    python benchmarks/slab_validation.py [--out crmix-out/slab_validation] [--realisations 16]

Backtracks an ensemble through slab turbulence and prints the measured running K_zz(T), K_perp(T),
Omega tau_s = 3 K_zz (docs/physics.md), the QLT scattering time for the same model when
crmix.qlt is available, the noise level N_l (KPM (7)), <C_1>^sub against <C_1>^QLT (KPM (57)),
<cos alpha>, and <C_l>^sub / <C_1>^sub for l <= 10 with its jackknife error over realisations.

CPU-sized means: Nside 16 (3072 particles), lambda_min = r_g/30 instead of r_g/150 (a step 5x
longer; KPM's range needs the GPU), T up to 1000/Omega.  The run is resumable (crmix simulate's
runner): killed, it continues where it stopped.
"""

from __future__ import annotations

import argparse
import math

from crmix import Spectrum, TurbulenceModel
from crmix.simulate.config import SimulationConfig
from crmix.simulate.runner import run_ensemble
from crmix.simulate.tables import summary_lines


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="crmix-out/slab_validation")
    p.add_argument("--realisations", type=int, default=16)
    p.add_argument("--nside", type=int, default=16)
    p.add_argument("--rg-over-lambda-min", type=float, default=30.0)
    p.add_argument("--times", default="10,30,100,300,1000")
    p.add_argument("--backend", default="numba")
    a = p.parse_args()
    rho = 8.9e-3
    model = TurbulenceModel(geometry="slab", eta=0.5, rho=rho, spectrum=Spectrum(kmax=2 * math.pi * a.rg_over_lambda_min / rho))
    config = SimulationConfig(model=model, nside=a.nside, times=tuple(float(t) for t in a.times.split(",")), seed=2022,
                              backend=a.backend)
    print(f"slab, rho = {rho}, eta = 0.5, lambda_min = r_g/{a.rg_over_lambda_min:g}, dt = {config.dt:.4g}, "
          f"Nside = {a.nside}, {a.realisations} realisations")
    s = run_ensemble(config, a.out, a.realisations)
    for line in summary_lines(s):
        print(line)
    try:
        from crmix.qlt import qlt_scattering
    except ImportError:
        print("crmix.qlt not available: no QLT comparison")
    else:
        q = qlt_scattering(model)
        print(f"QLT: Omega tau_s = lambda_par = {q.tau_s:.4g}, K_zz = {q.K_zz:.4g} (gap contribution {q.gap_contribution:.3f}); "
              f"measured 3 K_zz(T_max) / QLT = {s.omega_tau_s / q.tau_s:.3f}")
    for k in range(len(s.times)):
        c1 = s.cl_sub[k, 1]
        ratios = " ".join(f"{s.ratio[k, ell]:.3g}+-{s.ratio_error[k, ell]:.1g}" for ell in range(2, 11))
        print(f"T = {s.times[k]:7.4g}: <C_l>^sub/<C_1>^sub, l = 2..10: {ratios}")
        print(f"              <C_1>^sub / <C_1>^QLT = {c1 / s.c1_qlt[k]:.3f}, 1/<cos a>^2 = {1 / s.cos_alpha**2:.3f}")


if __name__ == "__main__":
    main()
