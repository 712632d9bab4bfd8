"""The mixing time Delta T for axisymmetric turbulence: an explicit rule, replaceable, or given directly.

The mixing equation has one free parameter, Delta T (KPM Sec. 2.2.4; crmix.solver.timestep).  For
the new geometries the choice is a function ``rule(tensor, omega) -> Omega Delta T`` passed to
:func:`mixing_time`, or ``omega_dt`` itself:

* :func:`kpm51_rule` (the default): Omega Delta T = c (Omega tau_s)^(1/3), KPM (51) with c = 4 as
  fitted for slab in KPM Sec. 3.2, tau_s the QLT scattering time of crmix.qlt_axisymmetric (for
  isotropic + B0 with its resonance structure and edge cut; for a composite, its slab part --
  the 2D part has no resonance);
* 2D turbulence alone has no QLT resonant scattering (k_par = 0): the rule raises a ValueError
  that names the alternative, ``omega_dt``.  The coefficient c for geometries other than slab is
  not calibrated (fit it with ``crmix fit``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

from crmix.qlt_axisymmetric import NoResonantScattering, scattering_time
from crmix.solver.timestep import KPM51_COEFFICIENT, MixingTimeWarning
from crmix.spectral_tensors import AxisymmetricTensor
from crmix.validation import real

__all__ = ["MixingTimeRule", "kpm51_rule", "mixing_time"]

#: rule(tensor, omega) -> Omega Delta T
MixingTimeRule = Callable[[AxisymmetricTensor, float], float]


def kpm51_rule(tensor: AxisymmetricTensor, omega: float, coefficient: float = KPM51_COEFFICIENT) -> float:
    """Omega Delta T = c (Omega tau_s)^(1/3) (KPM (51)) with the generic QLT tau_s of ``tensor``."""
    coefficient = real("dt coefficient c", coefficient, gt=0)
    try:
        tau_s = scattering_time(tensor, omega)
    except NoResonantScattering as exc:
        names = "+".join(c.name for c in tensor.components)
        raise ValueError(f"the KPM (51) mixing-time rule needs a QLT scattering time, and {names} turbulence has none "
                         f"({exc}); give omega_dt (Omega Delta T) instead") from exc
    return coefficient * (omega * tau_s) ** (1.0 / 3.0)


def mixing_time(tensor: AxisymmetricTensor, omega: float, *, omega_dt: float | None = None,
                rule: MixingTimeRule = kpm51_rule) -> float:
    """Omega Delta T: ``omega_dt`` when given, else ``rule(tensor, omega)`` (module docstring).

    Warns (MixingTimeWarning) when Omega Delta T < 2 pi, too short for gyroresonant interactions.
    """
    if omega_dt is not None:
        value = real("omega_dt", omega_dt, gt=0)
    else:
        value = real("Omega Delta T from the rule", rule(tensor, real("omega", omega, gt=0)), gt=0)
    if value < 2.0 * math.pi:
        warnings.warn(f"mixing time outside the validity range: Omega dt = {value:.3g} < 2 pi: too short for "
                      "gyroresonant interactions (KPM Sec. 2.2.1)", MixingTimeWarning, stacklevel=2)
    return value
