"""Rules for the mixing time of the measured M, fitted to the ensembles' chi^2(Delta T) and tested left out.

A rule maps an ensemble's turbulence to Omega Delta T with one or two constants shared by all ensembles.
Each ensemble contributes its chi^2 of C_l/C_1 against KPM (20) with the measured M, tabulated on a
grid of Delta T / tau_s inside the measured run's range (:class:`Chi2Grid`); outside that range the
chi^2 is the edge value plus a steep wall, so no fit leaves the measured range.  ``fit_rule`` minimises
the summed chi^2; ``leave_one_out`` refits without each ensemble and evaluates it: a prediction for an
ensemble that did not shape the constants.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

__all__ = ["RULES", "Chi2Grid", "fit_rule", "leave_one_out"]


@dataclass(frozen=True)
class Chi2Grid:
    """chi^2 of one ensemble against the measured M at Delta T = c tau_s, c on ``c`` (ascending)."""

    name: str
    omega_tau_s: float
    omega_l_c: float  # Omega L_c / v: the time to cross a correlation length
    eta: float
    c: np.ndarray
    chi2: np.ndarray
    points: int

    def at(self, omega_dt: float) -> float:
        c = omega_dt / self.omega_tau_s
        inside = float(np.clip(c, self.c[0], self.c[-1]))
        return float(np.interp(inside, self.c, self.chi2)) + 1e3 * np.log(c / inside) ** 2


Rule = Callable[[np.ndarray, Chi2Grid], float]
#: name: (Omega Delta T as a function of the constants and the ensemble, starting constants)
RULES: dict[str, tuple[Rule, list[float]]] = {
    "c τ_s": (lambda p, g: p[0] * g.omega_tau_s, [0.45]),
    "c τ_s + b L_c/v": (lambda p, g: p[0] * g.omega_tau_s + p[1] * g.omega_l_c, [0.3, 0.1]),
    "(c + b η) τ_s": (lambda p, g: (p[0] + p[1] * g.eta) * g.omega_tau_s, [0.3, 0.3]),
    "c τ_s^p": (lambda p, g: p[0] * g.omega_tau_s ** p[1], [0.5, 1.0]),
    "(1/(c τ_s) + v/(b L_c))^-1": (lambda p, g: 1.0 / (1.0 / (p[0] * g.omega_tau_s) + 1.0 / (p[1] * g.omega_l_c)), [0.5, 4.0]),
}


def fit_rule(rule: str, grids: Sequence[Chi2Grid]) -> tuple[np.ndarray, float]:
    """The constants of ``rule`` that minimise the summed chi^2 over ``grids`` (Nelder-Mead from three starts)."""
    law, start = RULES[rule]

    def total(p: np.ndarray) -> float:
        return sum(g.at(law(p, g)) for g in grids)

    best = min((minimize(total, np.array(start) * f, method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-6, "maxiter": 4000})
                for f in (0.6, 1.0, 1.5)), key=lambda r: r.fun)
    return best.x, float(best.fun)


def leave_one_out(rule: str, grids: Sequence[Chi2Grid]) -> dict[str, float]:
    """chi^2 of each ensemble at the rule's Delta T with the constants fitted to the others."""
    law, _ = RULES[rule]
    out = {}
    for k, g in enumerate(grids):
        p, _ = fit_rule(rule, [h for j, h in enumerate(grids) if j != k])
        out[g.name] = g.at(law(p, g))
    return out
