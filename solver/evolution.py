"""Time evolution of the angular power spectrum by repeated mixing, KPM (18)-(19).

    <C_l(t0 + n dt)> = sum_l0 M_{l l0}(dt) <C_l0(t0 + (n-1) dt)> + delta_{l1} S dt,
    S = (8 pi/3) K_zz (d_z fbar/fbar)^2,

applied n times (KPM (19) is this recursion summed).  All rows are evolved, the monopole
included: it accumulates power at the rate sum_l0 M_{0 l0} C_l0 / dt and never settles
(crmix.solver.steady_state explains why the steady state sets C_0 = 0); rows l >= 1 do not see
C_0 (column 0 of M is the unit vector) and converge to the steady state of KPM (20) exactly when
the spectral radius of M restricted to l >= 1 is below 1.

That is not the case at the mixing times KPM use: M is second order in the turbulence, its
diagonal 1 + 2 M^(1a)_ll = 1 - O(l^2 dt) turns large and negative at high l (at rho = 8.9e-3 and
Omega dt = 4 (Omega tau_s)^(1/3) = 15, M_22 = -1.85 already), and the recursion diverges while the
steady state of KPM (20) (a linear solve) stays well defined.  :func:`evolve` reports the spectral
radius and warns when it is >= 1.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from crmix.backend import to_numpy
from crmix.validation import integer, real

__all__ = ["Evolution", "evolve"]


@dataclass(frozen=True)
class Evolution:
    """C_l at the recorded times: ``C[i]`` is the spectrum at ``times[i]`` (units of 1/Omega_ref).

    ``spectral_radius`` of M on l >= 1: the recursion converges to the steady state iff it is < 1.
    """

    times: np.ndarray
    C: np.ndarray
    spectral_radius: float


def evolve(
    M: Any,
    dt: float,
    source_rate: float,
    steps: int,
    *,
    C_init: Any = None,
    record_every: int = 1,
    progress: bool = False,
    xp: ModuleType = np,
) -> Evolution:
    """Apply KPM (18) ``steps`` times from ``C_init`` (default: no anisotropy) and record every few steps."""
    M = xp.asarray(M, dtype=float)
    if M.ndim != 2 or M.shape[0] != M.shape[1] or M.shape[0] < 3:
        raise ValueError(f"mixing matrix must be square with lmax >= 2, got shape {tuple(M.shape)}")
    dt = real("dt", dt, gt=0)
    source_rate = real("source_rate", source_rate, ge=0)
    steps = integer("steps", steps)
    record_every = integer("record_every", record_every, ge=1)
    n = M.shape[0]
    C = xp.zeros(n) if C_init is None else xp.array(C_init, dtype=float)
    if C.shape != (n,):
        raise ValueError(f"C_init must have shape ({n},), got {tuple(C.shape)}")
    radius = float(np.max(np.abs(np.linalg.eigvals(to_numpy(M[1:, 1:])))))
    if radius >= 1.0:
        warnings.warn(
            f"KPM (19) diverges: the spectral radius of M on l >= 1 is {radius:.4g} >= 1 "
            "(the second-order M is no contraction at this dt and lmax); use the steady state of KPM (20)",
            stacklevel=2,
        )
    kick = xp.zeros(n)
    kick[1] = source_rate * dt
    times, history = [0.0], [C.copy()]
    for step in tqdm(range(1, steps + 1), desc="mixing steps", unit="step", disable=not progress):
        C = M @ C + kick
        if step % record_every == 0 or step == steps:
            times.append(step * dt)
            history.append(C.copy())
    return Evolution(times=np.asarray(times), C=to_numpy(xp.stack(history)), spectral_radius=radius)
