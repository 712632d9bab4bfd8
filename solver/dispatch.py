"""One place chooses the reduction of the mixing matrix: the closed form a geometry carries, or the generic path.

``model_mixing_matrix(model, dt, lmax)``: when the model's geometry carries a closed form on the
model's orbit (``geometry.closed_form(model)``, a crmix.closed_forms.ClosedForm: slab on helices and
straight lines, isotropic on straight lines), crmix.solver.mixing contracts it (KPM (38), (47);
MA19 (3.15), (3.21)-(3.23)); otherwise crmix.solver.axisymmetric integrates the geometry's tensor
(isotropic + B0, 2D, composites).  Nothing else in crmix branches on the path.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

from crmix.model import TurbulenceModel
from crmix.solver.axisymmetric import GENERIC_RTOL, axisymmetric_mixing_matrix
from crmix.solver.mixing import MixingMatrix, mixing_matrix
from crmix.validation import real

__all__ = ["mixing_rtol", "model_mixing_matrix"]


def model_mixing_matrix(model: TurbulenceModel, dt: float, lmax: int, *, rtol: float | None = None,
                        xp: ModuleType = np, progress: bool = False) -> MixingMatrix:
    """M(dt) of ``model`` through the reduction its geometry names (crmix.geometry).

    A closed form on the model's orbit (slab; isotropic on straight lines): crmix.solver.mixing, rtol
    default 1e-10.  Otherwise the generic path on the geometry's tensor, on helices (Omega > 0) or
    straight lines, rtol default :data:`GENERIC_RTOL`.  ``rtol`` of the result's path is in
    :func:`mixing_rtol`.  ``xp``: the closed forms' array namespace (the generic path runs in NumPy).
    """
    rtol = mixing_rtol(model, rtol)
    if model.turbulence.closed_form(model) is not None:  # the closed form the geometry carries
        return mixing_matrix(model, dt, lmax, rtol=rtol, xp=xp, progress=progress)
    return axisymmetric_mixing_matrix(model.turbulence.tensor(model), model.Omega, dt, lmax, rtol=rtol, progress=progress)


def mixing_rtol(model: TurbulenceModel, rtol: float | None = None) -> float:
    """``rtol``, or the default of the model's path: 1e-10 for a closed form, GENERIC_RTOL for the generic one."""
    if rtol is not None:
        return real("rtol", rtol, ge=1e-13, lt=1)
    return 1e-10 if model.turbulence.closed_form(model) is not None else GENERIC_RTOL
