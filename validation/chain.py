"""The mixing equation against the particles with no fitted constant: KPM (19) and (20) with the first-order
and with the measured M, and the age integral of the measured pair propagator.

    python validation/chain.py RUN [RUN ...]

RUN: ``crmix mixing`` folders recorded at many Delta T (from ~Delta T of KPM (51) / 8 to the late
time), whose two particle sets also give the simulated C_l(T) (``mixing_cl``).  Per run, starting
from the simulation's state at T = 0 (C_1(0) = 4 pi K^2 g^2 of the mapping KPM (3), S = (8 pi/3) K g^2):

1. C_1(T)/C_1(0) and R_l = C_l/C_1 at each recorded T that is a multiple of the chain's Delta T (the
   recorded Delta T nearest KPM (51)'s 4 (Omega tau_s)^(1/3), QLT tau_s): measured; KPM (19) iterated
   with (a) the first-order M(Delta T) and (b) the measured M(Delta T); and the age integral
   S int c dt + C_1(0) c(T) with the measured dipole column c(t) = M^ax(t) e_1 (crmix.solver.pair_age);
2. the steady state KPM (20) with the measured M(Delta T) at every recorded Delta T: chi^2 of its
   R_l (l = 2..20) against the simulated R_l at the latest T (the diagonal errors), and the same
   with the first-order M;
3. the Markov test: the dipole column of M(Delta T)^n against the measured M(n Delta T).
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from pathlib import Path

import numpy as np
from common import markdown_row, value_error

from crmix.fit.mixing import first_order
from crmix.model import TurbulenceModel
from crmix.solver.pair_age import age_integrated_spectrum
from crmix.solver.steady_state import steady_state

ELLS = (2, 5, 10, 20)
FIT_ELLS = np.arange(2, 21)


def chain(M: np.ndarray, dt: float, start: float, source: float, steps: int) -> list[np.ndarray]:
    """KPM (19): C <- M C + S dT e_1 from C = C_1(0) e_1, the state after each of ``steps`` steps."""
    C = np.zeros(M.shape[0])
    C[1] = start
    out = []
    for _ in range(steps):
        C = M @ C
        C[1] += source * dt
        out.append(C.copy())
    return out


def cells(C: np.ndarray, start: float) -> list[str]:
    return [f"{C[1] / start:.3g}", *(f"{C[ell] / C[1]:.3g}" for ell in ELLS)]


def report(folder: str) -> None:
    with np.load(Path(folder) / "mixing.npz") as z:
        meta = json.loads(str(z["metadata"]))
        T, M, M_err, A = z["times"], z["mixing"], z["mixing_error"], z["axial"]
        C, C_err, R, R_err = z["cl"], z["cl_error"], z["ratio"], z["ratio_error"]
    model = TurbulenceModel.from_description(meta["parameters"]["model"], meta["parameters"]["spectrum"])
    K = float(np.array(meta["analysis"]["K_liouville"])[2, 2])
    g = float(meta["analysis"]["gradient"][2])
    L = M.shape[-1] - 1
    S, C0 = 8.0 * math.pi / 3.0 * K * g**2, 4.0 * math.pi * (K * g) ** 2
    omega_tau = model.Omega * model.turbulence.qlt(model).tau_s
    j = int(np.argmin(np.abs(T * model.Omega - 4.0 * omega_tau ** (1.0 / 3.0))))
    dt = float(T[j])
    steps = int(round(T[-1] / dt))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = first_order(model, [dt], L)[0]
    chains = {"KPM (19), first-order M": chain(first, dt, C0, S, steps), "KPM (19), measured M": chain(M[j], dt, C0, S, steps)}
    ages = np.concatenate([[0.0], T])
    column = np.concatenate([np.eye(L + 1)[None, :, 1], A[:, :, 1]])
    age = age_integrated_spectrum(ages, column, g, K)[1:]
    print(f"### ρ = {model.rho:.2g}, η = {model.eta:g}: Ωτ_s (QLT) = {omega_tau:.0f}, chain ΩΔT = {dt * model.Omega:.3g}, "
          f"{meta['realisations']} realisations, l_max = {L}\n")
    print(markdown_row("ΩT", "", "C_1/C_1(0)", *(f"R_{ell}" for ell in ELLS)))
    print("|---|---|---|" + "---|" * len(ELLS))
    for k, t in enumerate(T):
        n = t / dt
        if abs(n - round(n)) > 1e-3 or round(n) < 1:
            continue
        print(markdown_row(f"{t * model.Omega:.4g}", "particles", value_error(C[k][1] / C0, C_err[k][1] / C0),
                           *(value_error(R[k][ell], R_err[k][ell]) for ell in ELLS)))
        print(markdown_row("", "age integral, measured c(t)", *cells(age[k], C0)))
        for name, states in chains.items():
            print(markdown_row("", name, *cells(states[int(round(n)) - 1], C0)))
    late = R[-1][FIT_ELLS], R_err[-1][FIT_ELLS]
    print(f"\nSteady state KPM (20) against the particles at ΩT = {T[-1] * model.Omega:.4g} (χ² over l = 2..20, 19 points):\n")
    print(markdown_row("ΩΔT", "χ², measured M", "χ², first-order M", *(f"R_{ell} measured M / first order" for ell in ELLS)))
    print("|---|---|---|" + "---|" * len(ELLS))
    for k, t in enumerate(T):
        if t * model.Omega < 2.0 * math.pi:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            measured = steady_state(M[k], float(t), S).ratio
            theory = steady_state(first_order(model, [float(t)], L)[0], float(t), S).ratio
        chi2 = [float(np.sum(((r[FIT_ELLS] - late[0]) / late[1]) ** 2)) for r in (measured, theory)]
        print(markdown_row(f"{t * model.Omega:.4g}", f"{chi2[0]:.1f}", f"{chi2[1]:.0f}",
                           *(f"{measured[ell]:.3g} / {theory[ell]:.3g}" for ell in ELLS)))
    print(f"\nMarkov test at ΩΔT = {dt * model.Omega:.3g}: M_l1 of M(ΔT)^n against the measured M(nΔT):\n")
    print(markdown_row("n", *(f"M_{ell},1: power / measured" for ell in (1, 2, 3, 5))))
    print("|---|" + "---|" * 4)
    for k, t in enumerate(T):
        n = t / dt
        if abs(n - round(n)) < 1e-3 and round(n) in (2, 4, 8, 16):
            power = np.linalg.matrix_power(M[j], int(round(n)))
            print(markdown_row(int(round(n)), *(f"{power[ell, 1]:.3g} / {value_error(M[k][ell, 1], M_err[k][ell, 1])}" for ell in (1, 2, 3, 5))))
    print()


if __name__ == "__main__":
    for run in sys.argv[1:]:
        report(run)
