"""The far end of a full-support band: M^(1c) on straight lines beyond k_split, with its error estimated.

For k r_g >> 1 a particle crosses many wavelengths per gyration and, over the time 1/k in which a mode
decorrelates, the helix is a straight line: the straight-line reduction of MA19 is the limit.  For the
isotropic polarisation that limit is MA19's closed form, M^(1c) = (3.21) + (3.23) with kappa_{lA lB} =
int dk g a_lA a_lB, g = E/(8 pi), a_l = int_0^dT j_l(ks) ds (crmix.solver.mixing, crmix.solver.integrals),
here on [k_split, k_max].  What it leaves out -- the returns of the gyrating particle to a wave crest,
strongest for nearly perpendicular modes -- falls off with k (measured: the difference per unit power
like k^-2 between k r_g = 3 and 30); it is estimated from the last ring of the cubature below k_split,
where both are known: the difference there, continued over the tail with the weight E(k) k^-TAIL_DECAY
(TAIL_DECAY = 1.5, slower than measured), is the tail's error.  (1a) needs no such limit: the real-space
Lambda (crmix.solver.axisymmetric_lambda) covers the whole band.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import integrate

from crmix.solver.integrals import kappa
from crmix.solver.mixing import m1c_matrix
from crmix.spectral_tensors import TensorComponent

__all__ = ["TAIL_DECAY", "straight_m1c", "tail_error"]

#: Power of k by which the helix-minus-straight difference per unit power is assumed to fall beyond k_split.
TAIL_DECAY = 1.5


def straight_m1c(component: TensorComponent, dt: float, lmax: int, kmin: float, kmax: float,
                 rtol: float) -> tuple[np.ndarray, float]:
    """M^(1c) of the isotropic component's modes on [kmin, kmax] on straight lines (MA19 (3.21) + (3.23)), and its error."""

    def weight(k, xp=np):
        return component.spectrum(xp.asarray(k, dtype=float), xp) / (8.0 * math.pi)

    kap = kappa(weight, kmin, kmax, dt, 0.0, 2 * lmax, rtol=rtol)
    m1c, err = m1c_matrix(kap.value, lmax, "isotropic", kappa_error=kap.error)
    return np.asarray(m1c), float(err)


def tail_error(component: TensorComponent, ring: tuple[float, float], difference: float) -> float:
    """The ring's helix-minus-straight difference (max over l, l0) continued over [ring[1], k_max] (module docstring)."""
    lo, split = ring

    def weighted(a: float, b: float) -> float:  # int_a^b E k^-TAIL_DECAY dk, in ln k
        value, _ = integrate.quad(lambda t: float(component.spectrum(np.float64(math.exp(t)), np)) * math.exp(t * (1 - TAIL_DECAY)),
                                  math.log(a), math.log(b), epsrel=1e-8, limit=200)
        return value

    if split >= component.kmax:
        return 0.0
    return difference * weighted(split, component.kmax) / weighted(lo, split)
