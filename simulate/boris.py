"""The Boris pusher (rigidity conserving) and the rule that fixes its step.

Equation of motion (c = 1, |v| = 1, times and lengths in 1/Omega_ref):

    dr/dt = v,    dv/dt = s v x W(r),    W = Omega0 z-hat + omega(r),

with s = +1 for the particle's own charge and s = -1 for the reversed charge used in backtracking
(:mod:`crmix.simulate.backtrack`).  One step is drift-kick-drift (Boris 1970 with the field taken at
the half-step position):

    r' = r + v dt/2;   t = s W(r') dt/2,  q = v + v x t,  v+ = v + (2/(1+t^2)) q x t;   r+ = r' + v+ dt/2.

The kick is an exact rotation of v (|v| is conserved to round-off) by the angle 2 atan(|t|) instead
of |W| dt, so in a uniform field the gyration phase lags by |W| dt - 2 atan(|W| dt/2) ~ (|W| dt)^3/12
per step.  Each step is reversible: stepping (r+, -v+) with -s returns exactly to (r, -v).

The step is defined once, in ``crmix.derive.boris`` (with its checks: rotation, reversibility,
phase lag); ``crmix codegen`` emits it, with the field lookups of ``crmix.derive.lookups``, for
NumPy/CuPy, numba and CUDA (``crmix.generated.pusher_*``).  :func:`advance` runs the NumPy/CuPy
emission (the ``numpy`` backend, the reference of the compiled ones in
:mod:`crmix.simulate.kernels`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from crmix.generated import pusher_numpy
from crmix.model import TurbulenceModel
from crmix.simulate.fields import Field, generated_for

__all__ = ["MAX_STEPS", "MIN_STEPS_PER_GYRATION", "MIN_STEPS_PER_WAVELENGTH", "StepRule", "advance", "record_steps", "step_scalars"]

#: hard limits: a step must resolve the smallest wave at Nyquist and the gyration in the RMS field
MIN_STEPS_PER_WAVELENGTH = 2.0
MIN_STEPS_PER_GYRATION = 8.0
#: the most steps of one particle: step counts stay exact integers (float64 holds 2^53), far beyond any run's --yes
MAX_STEPS = 2.0**53


@dataclass(frozen=True)
class StepRule:
    """dt = min(T_g / steps_per_gyration, lambda_min / steps_per_wavelength), or ``step`` if given.

    T_g = 2 pi r_g is the gyro-period in the RMS field B_rms (r_g = model.r_g, v = 1) and
    lambda_min = 2 pi / k_max the smallest turbulent wavelength (a particle moves lambda_min in a time
    lambda_min, so the rule also resolves the time the field seen along the orbit takes to change).
    An explicit ``step`` overrides the rule, but may not exceed T_g / 8 or lambda_min / 2.
    """

    steps_per_gyration: float = 100.0
    steps_per_wavelength: float = 5.0
    step: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.steps_per_gyration) and self.steps_per_gyration >= MIN_STEPS_PER_GYRATION):
            raise ValueError(f"steps_per_gyration must be finite and >= {MIN_STEPS_PER_GYRATION}, got {self.steps_per_gyration}")
        if not (math.isfinite(self.steps_per_wavelength) and self.steps_per_wavelength >= MIN_STEPS_PER_WAVELENGTH):
            raise ValueError(f"steps_per_wavelength must be finite and >= {MIN_STEPS_PER_WAVELENGTH}, got {self.steps_per_wavelength}")
        if self.step is not None and not (math.isfinite(self.step) and self.step > 0):
            raise ValueError(f"step must be finite and > 0, got {self.step}")

    def dt(self, model: TurbulenceModel) -> float:
        """The step for ``model``; ValueError when an explicit step is too large for it."""
        gyro_period = 2.0 * math.pi * model.r_g
        lambda_min = 2.0 * math.pi / model.k_max
        dt_max = min(gyro_period / MIN_STEPS_PER_GYRATION, lambda_min / MIN_STEPS_PER_WAVELENGTH)
        if self.step is None:
            return min(gyro_period / self.steps_per_gyration, lambda_min / self.steps_per_wavelength)
        if self.step > dt_max:
            raise ValueError(
                f"step must be <= {dt_max:.4g} (1/Omega) for this model: at most T_g/{MIN_STEPS_PER_GYRATION:g} "
                f"(T_g = {gyro_period:.4g}) and lambda_min/{MIN_STEPS_PER_WAVELENGTH:g} (lambda_min = {lambda_min:.4g}); "
                f"got {self.step}"
            )
        return float(self.step)


def step_scalars(omega0: float, charge_sign: int, dt: float) -> tuple[float, float, float]:
    """The step's parameters (omega0, half_kick = s dt/2, half = dt/2) (crmix.derive.boris), as every backend takes them."""
    return float(omega0), 0.5 * charge_sign * dt, 0.5 * dt


def advance(field: Field, omega0: float, x: Any, v: Any, charge_sign: int, dt: float, n_steps: int, xp: ModuleType) -> None:
    """``n_steps`` Boris steps in place, vectorised over particles; x, v have shape (3, N) in ``xp``."""
    lookup = generated_for(pusher_numpy.LOOKUPS, field, "numpy")
    pusher_numpy.advance(lookup, field.kernel_data(), *step_scalars(omega0, charge_sign, dt), x, v, int(n_steps), xp)


def record_steps(times: Sequence[float], dt: float) -> np.ndarray:
    """Step counts at which the backtracking times T are recorded (T rounded to a multiple of dt).

    T must be > 0, finite and strictly increasing, and no two may round to the same step.
    """
    t = np.asarray(times, dtype=float)
    if t.ndim != 1 or t.size == 0:
        raise ValueError(f"times must be a non-empty list of backtracking times, got {times!r}")
    if not np.all(np.isfinite(t)) or np.any(t <= 0):
        raise ValueError(f"times (backtracking times T, in 1/Omega) must be finite and > 0, got {t.tolist()}")
    if np.any(np.diff(t) <= 0):
        raise ValueError(f"times must be strictly increasing, got {t.tolist()}")
    if not t[-1] / dt <= MAX_STEPS:
        raise ValueError(f"times up to T = {t[-1]:g} need {t[-1] / dt:.3g} Boris steps of dt = {dt:.4g}, more than the "
                         f"{MAX_STEPS:.0e} a step counter holds exactly; T must be <= {MAX_STEPS * dt:.4g} (1/Omega)")
    steps = np.maximum(1, np.rint(t / dt)).astype(np.int64)
    if np.any(np.diff(steps) <= 0):
        raise ValueError(f"times {t.tolist()} are closer than the step dt = {dt:.4g}")
    return steps
