"""chi^2 of every candidate theory against simulated ensembles, with no constant tuned per run.

    python validation/candidates.py [--held-out ENSEMBLE] ENSEMBLE=MIXING [ENSEMBLE=MIXING ...]

ENSEMBLE: a ``crmix simulate`` folder (the simulated C_l/C_1 at its latest T, l = 2..20, diagonal
jackknife covariance: crmix.fit.data.read_shape); MIXING: a ``crmix mixing`` folder of the same model
whose recorded Delta T cover ~0.25-0.65 tau_s.  The candidates, each solved by KPM (20) at l_max 100
(the measured M at the run's l_max) with Delta T of KPM (51), Omega dT = 4 (Omega tau_s)^(1/3)
(QLT tau_s), unless stated:

  first order       M = 1 + 2 M^(1a) + M^(1c), truncated (the seeds' theory)
  dressed exp       M = expm(2 M^(1a) + M^(1c)): the large diagonal elements as an exponential
  Bourret           the self-energy resummation (crmix.solver.closure)
  flux              the conservative-form closure (crmix.solver.closure)
  age-ordered exp   no Delta T: the age integral of the age-ordered exponential of the first order
                    (crmix.solver.pair_age) at the ensemble's T
  measured M, KPM (51)      the M the particles realise, at KPM (51)'s Delta T
  measured M, c tau_s       the same at Delta T = c tau_s, ONE c for all runs (the c minimising the
                            summed chi^2, on a grid of 0.025)
  measured M, best c        (for reference, tuned per run) the best c of each run
  measured M, crossing      Delta T = c tau_s + b L_c/v (crmix.solver.timestep's ``crossing`` rule), c and
                            b fitted to all runs but the held-out one; each run also left out in turn

Prints the chi^2/dof table (dof = 19 points; 18 for the per-run c), the summed chi^2 against c, and
every rule of validation/rules.py fitted to the runs (the held-out run excluded) with its chi^2/dof per
run at the fitted constants and left out of the fit.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from common import markdown_row
from rules import RULES, Chi2Grid, fit_rule, leave_one_out
from scipy.linalg import expm

from crmix.fit.data import read_shape
from crmix.fit.mixing import MeasuredMixing
from crmix.solver.closure import bourret_matrix
from crmix.solver.family import SpectrumFamily
from crmix.solver.mixing import mixing_matrix
from crmix.solver.pair_age import age_integrated_spectrum, age_ordered_exponential, generator_path
from crmix.solver.steady_state import steady_state

LMAX = 100
#: l_max of the age-ordered exponential (its path costs ~ a minute of CPU per run at 40)
AGE_LMAX = 40
C_GRID = np.round(np.arange(0.25, 0.6501, 0.025), 3)
#: points of the chi^2(Delta T / tau_s) grid over each mixing run's range, for the rules
RULE_GRID = 121
CLOSED = ("first order", "dressed exp", "Bourret", "flux", "age-ordered exp")


def age_grid(T: float) -> np.ndarray:
    """Ages: steps of 0.25/Omega to 30, then 4 % apart to T (the path of X(s) resolves its oscillations)."""
    ages = list(np.arange(0.25, 30.001, 0.25))
    while ages[-1] < T:
        ages.append(min(ages[-1] * 1.04, T))
    return np.array(ages)


def closed_candidates(shape: Any) -> dict[str, np.ndarray]:
    """C_l/C_1 (index l) of every closed candidate for the ensemble's model."""
    model = shape.model
    dt = 4.0 * (model.Omega * model.turbulence.qlt(model).tau_s) ** (1.0 / 3.0) / model.Omega
    mm = mixing_matrix(model, dt, LMAX)
    meta = shape.metadata["analysis"]
    K, g = float(np.array(meta["K_liouville"])[2, 2]), float(meta["gradient"][2])
    ages = age_grid(shape.time)
    path = generator_path(lambda s: mixing_matrix(model, s, AGE_LMAX).full - np.eye(AGE_LMAX + 1), ages)
    C = age_integrated_spectrum(np.concatenate([[0.0], ages]), age_ordered_exponential(path)[:, :, 1], g, K)[-1]
    return {
        "first order": steady_state(mm.full, dt, 1.0).ratio,
        "dressed exp": steady_state(expm(mm.full - np.eye(LMAX + 1)), dt, 1.0).ratio,
        "Bourret": steady_state(bourret_matrix(mm.m1a, mm.m1c), dt, 1.0).ratio,
        "flux": SpectrumFamily(model, LMAX, closure="flux").ratio(dt),
        "age-ordered exp": C / C[1],
    }


def main(arguments: list[str]) -> None:
    warnings.simplefilter("ignore")
    held_out = arguments[arguments.index("--held-out") + 1] if "--held-out" in arguments else None
    pairs = [a for a in arguments if "=" in a]
    rows, grids = [], []
    for pair in pairs:
        ensemble, mixing_run = pair.split("=")
        shape = read_shape(ensemble, ells=(2, 20))
        model = shape.model
        tau = model.turbulence.qlt(model).tau_s

        def chi2(ratio: np.ndarray, shape: Any = shape) -> float:
            d = shape.ratio - ratio[shape.ells]
            return float(d @ shape.inverse_covariance @ d)

        closed = {name: chi2(r) for name, r in closed_candidates(shape).items()}
        mix = MeasuredMixing.read(mixing_run)
        mix.check_model(model)
        family = SpectrumFamily(model, mix.lmax, mixing=mix)
        dt51 = 4.0 * (model.Omega * tau) ** (1.0 / 3.0) / model.Omega
        at51 = chi2(family.ratio(dt51)) if mix.times[0] <= dt51 <= mix.times[-1] else np.nan
        by_c = np.array([chi2(family.ratio(c * tau)) if mix.times[0] <= c * tau <= mix.times[-1] else np.nan for c in C_GRID])
        cs = np.linspace(mix.times[0] / tau, mix.times[-1] / tau, RULE_GRID)
        grids.append(Chi2Grid(Path(ensemble).name, model.Omega * tau, model.Omega * model.L_c, model.eta, cs,
                              np.array([chi2(family.ratio(c * tau)) for c in cs]), len(shape.ells)))
        rows.append((model, model.Omega * tau, shape, closed, at51, by_c))
        print(f"{ensemble}: done", file=sys.stderr, flush=True)
    total = np.sum([r[5] for r in rows], axis=0)
    best = int(np.nanargmin(total))
    c = C_GRID[best]
    dof = len(rows[0][2].ells)
    print(markdown_row("ρ, η", "Ωτ_s (QLT)", "ΩT", *CLOSED, "measured M, KPM (51)", f"measured M, c = {c:g}", "measured M, best c (per run)"))
    print("|---|---|---|" + "---|" * (len(CLOSED) + 3))
    for model, omega_tau, shape, closed, at51, by_c in rows:
        k = int(np.nanargmin(by_c))
        print(markdown_row(f"{model.rho:.2g}, {model.eta:g}", f"{omega_tau:.0f}", f"{shape.time * model.Omega:.0f}",
                           *(f"{closed[n] / dof:.1f}" for n in CLOSED), f"{at51 / dof:.2f}", f"{by_c[best] / dof:.2f}",
                           f"{by_c[k] / (dof - 1):.2f} (c = {C_GRID[k]:g})"))
    print(f"\nχ²/dof with dof = {dof} (l = 2..20); the per-run c: dof = {dof - 1}.  Summed χ² of the measured M over the "
          f"{len(rows)} runs against the global c:\n")
    print(markdown_row("c", *(f"{x:g}" for x in C_GRID)))
    print("|---|" + "---|" * len(C_GRID))
    print(markdown_row("Σχ²", *(f"{x:.0f}" if np.isfinite(x) else "—" for x in total)))
    print_rules(grids, held_out)


def print_rules(grids: list[Chi2Grid], held_out: str | None) -> None:
    """Every rule of validation/rules.py: constants, chi^2/dof per run fitted and left out (module docstring)."""
    train = [g for g in grids if g.name != held_out]
    print(f"\nRules for Delta T fitted to {len(train)} runs" + (f" ({held_out} held out)" if held_out else "")
          + ": χ²/dof per run at the fitted constants / with the run left out of the fit\n")
    print(markdown_row("rule", "constants", "Σχ² (fitted runs)", *(g.name for g in grids), "runs ≤ 1.5 left out"))
    print("|---|---|---|" + "---|" * (len(grids) + 1))
    for rule, (law, _) in RULES.items():
        p, total = fit_rule(rule, train)
        out = leave_one_out(rule, train)
        cells = []
        for g in grids:
            fitted = g.at(law(p, g)) / g.points
            predicted = out[g.name] / g.points if g.name in out else fitted  # the held-out run: a prediction already
            cells.append(f"{fitted:.2f} / {predicted:.2f}" + (" (held out)" if g.name == held_out else ""))
        good = sum(out[g.name] / g.points <= 1.5 for g in train) + sum(g.at(law(p, g)) / g.points <= 1.5 for g in grids
                                                                       if g.name == held_out)
        print(markdown_row(rule, ", ".join(f"{x:.4g}" for x in p), f"{total:.1f}", *cells, f"{good} of {len(grids)}"))


if __name__ == "__main__":
    main(sys.argv[1:])
