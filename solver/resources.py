"""Memory and time of a steady-state spectrum before it is computed (crmix.resources; benchmarks/RESULTS.md).

Closed forms (slab; isotropic on straight lines): the mixing matrix dominates both.  Its m0
contraction holds a few (l_max+1)^3 arrays: about MATRIX_BYTES bytes and MATRIX_SECONDS seconds per
(l_max+1)^3 element.  kappa samples the time factors of 2 l_max + 1 multipoles at the k nodes of its
panels: about 32 ln(k_max/k_min)/0.5 nodes for the log-spaced panels and 128 per 256 of X = k_max dT
for the oscillating range (crmix.solver.integrals), KAPPA_SECONDS per multipole and node, and 32
bytes per multipole and node.  BASE_SECONDS per model beyond them; the command's start-up is
crmix.resources.STARTUP_SECONDS.  The seconds are CPU seconds of crmix spectrum at l_max = 60 and 150
on the 2-core CPU machine, less the start-up (benchmarks/estimates.py; memory at l_max = 50..200).

The generic path (crmix.solver.axisymmetric: isotropic + B0, 2D, composites; a composite's slab part
by the closed forms): the cubature's first pass (``initial_wave_vectors``) times REFINEMENT_LINE or
REFINEMENT_PLANE wave vectors, each GENERIC_SECONDS (1 + (k/GENERIC_K_SCALE)^2) ((l_max+1)/11)^0.7
seconds on helices (the Jacobi-Anger series of the helix grows with k_perp r_g), without the k term on
straight lines.  Fitted on the 2-core CPU machine (2D lines to k_max = 30, 100, 300 Omega at
Omega dT = 71 and l_max = 10, 20, 50: 0.75, 2.7, 15 ms per wave vector at l_max = 10, times 2.9-3.3 at
l_max = 50; isotropic + B0 to k_max = 3 Omega: 0.6 ms at l_max = 10, 1.3 ms at 30), refinement 1.1-1.9
for lines, 3-5 for the (k, c) plane (benchmarks/axisymmetric.py; isotropic + B0 to k_max = 8.9 Omega at
l_max = 8: 57 s, estimated 45 s).  A full-support component on helices is cubed only up to its k_split
(K_SPLIT Omega; crmix.solver.axisymmetric): beyond it the straight-line tail costs a kappa of its band.
The perpendicular modes of a 2D line with its reference polarisation (the real-space route, one FFT per
multipole: crmix.solver.axisymmetric_perpendicular) cost instead PERPENDICULAR_SECONDS + PERPENDICULAR_FFT
(R + 1)(x + 12 x^(1/3) + 24 + R) + PERPENDICULAR_GRAM (R + 1)^2 seconds each, x = 2k/Omega, R = min(2 l_max,
reach) the multipoles the mode reaches (crmix.solver.axisymmetric_nodes.multipole_reach), with the refinement
REFINEMENT_PERPENDICULAR (one wave vector at k = 0.5..1000 Omega, l_max = 10, 30, 100: 1-64 ms; 2D lines of
the default model at 10 TV, Omega dT = 20, l_max = 100: 1248 wave vectors in 9.5 s for lambda_min = r_g/10,
1792 in 25 s for r_g/30, 5216 in 193 s on the default band r_g/150; estimated 1.35, 0.92 and 0.74 times
that), and their Lambda in real space a time that does not grow with the band or Delta T.

Before any of it, the QLT scattering of a full-support component on helices (crmix.qlt_axisymmetric; the
solver's source and the QLT Delta T rules need it, whatever Delta T is given) sums the harmonics below
k_s = 32 Omega/|mu| and takes their straight-line continuum above (crmix.qlt_resonances): about
QLT_SECONDS (k_max/Omega)^QLT_POWER seconds (an envelope of benchmarks/qlt_scattering.py on the 2-core CPU
machine, one thread: 0.8, 2.2, 3.5, 4.8, 4.2 and 8 s at k_max = 35, 71, 142, 284, 942 and 1333 Omega;
the envelope gives 1.8, 2.5, 3.6, 5.1, 9.2 and 11 s).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from crmix.model import TurbulenceModel
from crmix.resources import ResourceEstimate
from crmix.solver.axisymmetric import K_SPLIT, initial_wave_vectors, is_standard_slab
from crmix.solver.axisymmetric_lambda import realspace_kind
from crmix.solver.axisymmetric_nodes import DLOGK0, multipole_reach

__all__ = ["spectrum_estimate"]

MATRIX_BYTES = 140.0
MATRIX_SECONDS = 2.5e-7
KAPPA_SECONDS = 2e-7
KAPPA_BYTES = 32.0
BASE_SECONDS = 0.05
REFINEMENT_LINE = 2.0
REFINEMENT_PLANE = 4.0
GENERIC_SECONDS = 6e-4
GENERIC_K_SCALE = 30.0
GENERIC_LMAX_POWER = 0.7
QLT_SECONDS = 0.3
QLT_POWER = 0.5
PERPENDICULAR_SECONDS = 1e-3
PERPENDICULAR_FFT = 1e-7
PERPENDICULAR_GRAM = 4e-7
REFINEMENT_PERPENDICULAR = 1.2


def _kappa_nodes(kmin: float, kmax: float, dt: float) -> float:
    log_panels = math.log(kmax / kmin) / 0.5
    return 32.0 * log_panels + 128.0 * kmax * dt / 256.0


def _model_cost(model: TurbulenceModel, dt: float, lmax: int) -> tuple[float, float]:
    """(seconds, kappa nodes) of one model's mixing matrix beyond the contraction (module docstring)."""
    ells = 2.0 * lmax + 1.0
    if model.turbulence.closed_form(model) is not None:
        nodes = _kappa_nodes(model.k_min, model.k_max, dt)
        return KAPPA_SECONDS * ells * nodes, nodes
    seconds, nodes = 0.0, 0.0
    per_lmax = ((lmax + 1.0) / 11.0) ** GENERIC_LMAX_POWER
    for component in model.turbulence.tensor(model).components:
        if is_standard_slab(component):
            n = _kappa_nodes(component.kmin, component.kmax, dt)
            seconds += KAPPA_SECONDS * ells * n
            nodes = max(nodes, n)
            continue
        split = K_SPLIT * model.Omega
        if component.where.full and model.Omega > 0 and component.kmin < split * math.exp(-DLOGK0) and split < component.kmax:  # the tail
            n = _kappa_nodes(split, component.kmax, dt)
            seconds += KAPPA_SECONDS * ells * n
            nodes = max(nodes, n)
            component = replace(component, kmax=split)
        counts, k_mid = initial_wave_vectors(component, model.Omega, dt, lmax)
        if component.where.perpendicular and model.Omega > 0 and realspace_kind(component) is not None:
            per_mode = [_perpendicular_seconds(k, model.Omega, dt, lmax) for k in k_mid]
            seconds += REFINEMENT_PERPENDICULAR * float(np.sum(counts * np.array(per_mode)))
            continue
        k_term = (k_mid / GENERIC_K_SCALE) ** 2 if model.Omega > 0 else 0.0 * k_mid
        refinement = REFINEMENT_PLANE if component.where.full else REFINEMENT_LINE
        seconds += refinement * GENERIC_SECONDS * per_lmax * float(np.sum(counts * (1.0 + k_term)))
    return seconds, nodes


def _perpendicular_seconds(k: float, omega: float, dt: float, lmax: int) -> float:
    """Time of one perpendicular mode by the FFT route (module docstring)."""
    x = 2.0 * k / omega
    reach = min(2 * lmax, multipole_reach(k, 0.0, omega, dt)) + 1.0
    return PERPENDICULAR_SECONDS + PERPENDICULAR_FFT * reach * (x + 12.0 * x ** (1.0 / 3.0) + 23.0 + reach) + PERPENDICULAR_GRAM * reach**2


def spectrum_estimate(models_and_dt: list[tuple[TurbulenceModel, float]], lmax: int) -> ResourceEstimate:
    """Peak memory (the largest model) and total time of the steady states of ``models_and_dt`` at ``lmax``."""
    cube = (lmax + 1.0) ** 3
    ells = 2.0 * lmax + 1.0
    costs = [_model_cost(m, dt, lmax) for m, dt in models_and_dt]
    nodes = max(n for _, n in costs)
    seconds = sum(BASE_SECONDS + MATRIX_SECONDS * cube + s + qlt_seconds(m) for (s, _), (m, _) in zip(costs, models_and_dt))
    return ResourceEstimate(memory={"mixing-matrix contraction": MATRIX_BYTES * cube, "kappa time factors": KAPPA_BYTES * ells * nodes},
                            seconds=seconds)


def qlt_seconds(model: TurbulenceModel) -> float:
    """Time of the QLT scattering of ``model``'s full-support components on helices (module docstring); 0 otherwise."""
    if model.Omega <= 0 or model.turbulence.closed_form(model) is not None:
        return 0.0
    return sum(QLT_SECONDS * (c.kmax / model.Omega) ** QLT_POWER for c in model.turbulence.tensor(model).components if c.where.full)
