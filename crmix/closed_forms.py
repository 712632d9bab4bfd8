"""The closed forms of the mixing matrix that a geometry can carry (crmix.geometry: ``Elementary.form``).

A :class:`ClosedForm` names what the solver contracts for it: the generated weights of M^(1a) and
of M^(1c) (crmix.derive.mixing_weights, emitted into crmix.generated.mixing_weights) and the
spectral weight W = E / weight_divisor the time integrals Lambda_l and kappa take.  The geometry
hands the object itself to the solver (``geometry.closed_form(model)``: the form on the model's
orbit, or None for the generic path), and crmix.solver.dispatch chooses the path from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["ISOTROPIC_CLOSED_FORM", "SLAB_CLOSED_FORM", "ClosedForm"]


@dataclass(frozen=True)
class ClosedForm:
    """One closed form: the names of its generated weights and its spectral weight.

    weight_divisor  W = E / weight_divisor: G = E/2 for slab (docs/physics.md), g = E/(8 pi) isotropic (MA19 (3.12)).
    m1a_kernel      M^(1a)_ll(l, Lambda_0, Lambda_2): slab KPM (38), isotropic MA19 (3.15).
    m0_weight       prefix of the even m0 weight w_0 + w_2 m0^2 of M^(1c) (KPM (47); MA19 (3.23)).
    m1c0_kernel     the extra diagonal (lA = lB) term of MA19 (3.21), or None (slab).
    reference       the seed equations.
    """

    name: str
    weight_divisor: float
    m1a_kernel: str
    m0_weight: str
    m1c0_kernel: str | None = None
    reference: str = ""

    def __str__(self) -> str:
        return self.name


#: KPM (38), (47): slab turbulence on helices and on straight lines, weight G = E/2.
SLAB_CLOSED_FORM = ClosedForm("slab", 2.0, "slab_m1a", "slab_m1c_m0_weight", reference="KPM (38), (47)")
#: MA19 (3.15), (3.21)-(3.23): isotropic turbulence on straight lines, weight g = E/(8 pi).
ISOTROPIC_CLOSED_FORM = ClosedForm("isotropic", 8.0 * math.pi, "isotropic_m1a", "isotropic_m1c2_m0_weight", "isotropic_m1c0_weight",
                                   reference="MA19 (3.15), (3.21)-(3.23)")
