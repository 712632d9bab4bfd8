"""crmix.solver: Lambda/kappa integrals, the mixing matrix, steady state and time evolution (internal units; writes no file).

The public calls are imported on first use (``import crmix.solver.choices`` stays light).
"""

from __future__ import annotations

from crmix.lazy import lazy_exports

__all__ = [
    "CLOSURES",
    "DEFAULT_LMAX",
    "AngularSpectrum",
    "MixingMatrix",
    "MixingTime",
    "angular_power_spectrum",
    "check_spectrum_options",
    "mixing_matrix",
    "mixing_time",
    "model_mixing_matrix",
    "solve_spectrum",
    "steady_state",
]

__getattr__ = lazy_exports(__name__, {
    "AngularSpectrum": "crmix.solver.spectrum",
    "CLOSURES": "crmix.solver.choices",
    "DEFAULT_LMAX": "crmix.solver.choices",
    "MixingMatrix": "crmix.solver.mixing",
    "MixingTime": "crmix.solver.timestep",
    "angular_power_spectrum": "crmix.solver.spectrum",
    "check_spectrum_options": "crmix.solver.spectrum",
    "mixing_matrix": "crmix.solver.mixing",
    "mixing_time": "crmix.solver.timestep",
    "model_mixing_matrix": "crmix.solver.dispatch",
    "solve_spectrum": "crmix.solver.spectrum",
    "steady_state": "crmix.solver.steady_state",
})
