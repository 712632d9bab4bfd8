"""Memory and time of a steady-state spectrum before it is computed (crmix.resources; benchmarks/RESULTS.md).

The mixing matrix dominates both.  Its m0 contraction holds a few (l_max+1)^3 arrays: about
MATRIX_BYTES bytes and MATRIX_SECONDS seconds per (l_max+1)^3 element (measured at l_max = 50..200 on
the 2-core CPU machine).  kappa samples the time factors of 2 l_max + 1 multipoles at the k nodes of
its panels: about 32 ln(k_max/k_min)/0.5 nodes for the log-spaced panels and 128 per 256 of
X = k_max dT for the oscillating range (crmix.solver.integrals), KAPPA_SECONDS per multipole and
node, and 32 bytes per multipole and node.
"""

from __future__ import annotations

import math

from crmix.model import TurbulenceModel
from crmix.resources import ResourceEstimate

__all__ = ["spectrum_estimate"]

MATRIX_BYTES = 140.0
MATRIX_SECONDS = 6e-7
KAPPA_SECONDS = 1.5e-6
KAPPA_BYTES = 32.0
BASE_SECONDS = 1.0


def _kappa_nodes(model: TurbulenceModel, dt: float) -> float:
    log_panels = math.log(model.k_max / model.k_min) / 0.5
    return 32.0 * log_panels + 128.0 * model.k_max * dt / 256.0


def spectrum_estimate(models_and_dt: list[tuple[TurbulenceModel, float]], lmax: int) -> ResourceEstimate:
    """Peak memory (the largest model) and total time of the steady states of ``models_and_dt`` at ``lmax``."""
    cube = (lmax + 1.0) ** 3
    ells = 2.0 * lmax + 1.0
    nodes = max(_kappa_nodes(m, dt) for m, dt in models_and_dt)
    seconds = sum(BASE_SECONDS + MATRIX_SECONDS * cube + KAPPA_SECONDS * ells * _kappa_nodes(m, dt) for m, dt in models_and_dt)
    return ResourceEstimate(memory={"mixing-matrix contraction": MATRIX_BYTES * cube, "kappa time factors": KAPPA_BYTES * ells * nodes},
                            seconds=seconds)
