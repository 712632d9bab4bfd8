"""Backtracking test particles from the observer (KPM Sec. 2.1.1), recording at several times T.

Charge reversal, not a negative step: the trajectory that arrives at the observer r = 0 with
momentum direction p-hat at time t, followed backwards, is the forward trajectory of a particle of
opposite charge launched from r = 0 with velocity -p-hat.  After a time T of that forward motion
(position X, velocity V) the original particle was at r(t0) = X with p-hat(t0) = -V, t0 = t - T.
The pusher therefore always steps forward with dt > 0 and charge sign s = -1.

Initial directions: the centres of the HEALPix pixels (RING ordering, any Nside = 2^k); pixel i of
every sky map is the momentum direction p-hat_i at the observer (KPM's f(r_obs, p-hat)).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import healpy as hp
import numpy as np

from crmix.backend import namespace_by_name, to_numpy
from crmix.simulate import kernels
from crmix.simulate.boris import record_steps
from crmix.simulate.fields import Field

__all__ = ["BACKENDS", "BACKTRACK_CHARGE", "Backtracked", "backtrack", "healpix_directions", "validate_nside"]

#: the pusher backends (crmix.simulate.kernels.PUSHERS)
BACKENDS = tuple(kernels.PUSHERS)
#: backtracking reverses the charge (module docstring)
BACKTRACK_CHARGE = -1


def validate_nside(nside: int) -> int:
    """Nside must be a power of two (HEALPix), 1 <= Nside <= 2^13."""
    n = int(nside)
    if n != nside or n < 1 or n > 8192 or (n & (n - 1)) != 0:
        raise ValueError(f"nside must be a power of two between 1 and 8192, got {nside!r}")
    return n


def healpix_directions(nside: int, xp: ModuleType = np, dtype: Any = np.float64) -> Any:
    """Unit vectors of the HEALPix pixel centres, RING order, shape (3, 12 Nside^2)."""
    n = validate_nside(nside)
    vec = np.asarray(hp.pix2vec(n, np.arange(hp.nside2npix(n))))
    return xp.asarray(vec, dtype=dtype)


@dataclass(frozen=True)
class Backtracked:
    """Positions r(t0) and momentum directions p-hat(t0) of every pixel's particle at each T.

    ``times`` (n_T,) are the recorded times (multiples of dt); ``position``, ``momentum`` have shape
    (n_T, 3, N_pix), as NumPy arrays; ``observed`` (3, N_pix) is p-hat at the observer.
    """

    times: np.ndarray
    position: np.ndarray
    momentum: np.ndarray
    observed: np.ndarray
    dt: float
    particle_steps: int
    seconds: float


def backtrack(
    field: Field,
    omega0: float,
    nside: int,
    times: Sequence[float],
    dt: float,
    *,
    backend: str = "numba",
    dtype: Any = np.float64,
    progress: Any = None,
    chunk_particle_steps: float = 2e8,
    steps: np.ndarray | None = None,
    directions: Any = None,
) -> Backtracked:
    """Backtrack one particle per HEALPix pixel through ``field`` + Omega0 z-hat for all ``times``.

    The steps between records are cut into calls of about ``chunk_particle_steps`` particle-steps,
    after each of which ``progress.update(particle_steps)`` is called (a tqdm bar, or None).
    ``steps``: the step counts of ``times`` where the caller has them (``SimulationConfig.steps``),
    else :func:`crmix.simulate.boris.record_steps` rounds ``times`` here.
    ``directions`` (3, N) unit vectors replace the pixel centres as the momenta at the observer.
    """
    push = kernels.pusher(backend)
    steps = record_steps(times, dt) if steps is None else steps
    xp = namespace_by_name(push.namespace)
    field_x = push.place(field, xp, dtype)
    p_obs = healpix_directions(nside, xp, dtype) if directions is None else xp.asarray(directions, dtype=dtype)
    n = p_obs.shape[1]
    x = xp.zeros((3, n), dtype=dtype)
    v = xp.ascontiguousarray(-p_obs)
    chunk = max(1, int(chunk_particle_steps // n))
    positions, momenta = [], []
    done = 0
    start = time.perf_counter()
    for target in steps:
        while done < target:
            k = int(min(chunk, target - done))
            push.advance(field_x, omega0, x, v, BACKTRACK_CHARGE, dt, k)
            done += k
            if progress is not None:
                progress.update(k * n)
        positions.append(to_numpy(x).copy())  # copying device arrays to the host waits for the device
        momenta.append(-to_numpy(v))
    return Backtracked(
        times=steps * dt,
        position=np.stack(positions),
        momentum=np.stack(momenta),
        observed=to_numpy(p_obs),
        dt=float(dt),
        particle_steps=int(steps[-1]) * n,
        seconds=time.perf_counter() - start,
    )
