"""Physical units at the API/CLI boundary (astropy), and the conversions to crmix's natural units.

Conventions (docs/physics.md, "Units and the model"): c = 1; inside crmix, times and lengths are measured in units of
1/Omega_ref, the inverse gyrofrequency of the *reference field* (B0 for a model with a regular
field, B_rms for MA19's purely turbulent field), so that a length 1 is the gyroradius at pitch
angle 90 degrees in that field.  The gyroradius used in rho = r_g/L_c is always the one in the
total RMS field B_rms = sqrt(B0^2 + dB^2) (KPM Sec. 2.1.3).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import astropy.constants as const
import astropy.units as u

if TYPE_CHECKING:
    from crmix.model import TurbulenceModel

__all__ = [
    "DIMENSIONS",
    "GRADIENT_LENGTH_RANGE_PC",
    "ModelUnits",
    "gradient_length",
    "gyrofrequency",
    "gyroradius",
    "model_units",
    "parse_quantity",
    "quantity",
    "reduced_rigidity",
]

#: The dimensions of a value in the model's units: (the physical unit it is written in, the powers (a, b) of the unit
#: length c/Omega_ref and the unit time 1/Omega_ref it carries).  Diffusion: K = <r r>/(2 T) is a length^2/time.
DIMENSIONS: dict[str, tuple[u.UnitBase, tuple[int, int]]] = {
    "time": (u.yr, (0, 1)),
    "length": (u.pc, (1, 0)),
    "wavenumber": (u.pc**-1, (-1, 0)),
    "rate": (u.yr**-1, (0, -1)),
    "diffusion": (u.cm**2 / u.s, (2, -1)),
}


def _check_positive(name: str, q: u.Quantity, unit: u.UnitBase) -> u.Quantity:
    q = u.Quantity(q)
    try:
        value = q.to_value(unit)
    except u.UnitConversionError as exc:
        raise ValueError(f"{name} must be given in units convertible to {unit}, got {q.unit}") from exc
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be finite and > 0, got {q}")
    return q


def gyroradius(rigidity: u.Quantity, b_field: u.Quantity) -> u.Quantity:
    """Gyroradius r_g = R / (c B) of an ultra-relativistic particle of rigidity R in field B."""
    rigidity = _check_positive("rigidity", rigidity, u.V)
    b_field = _check_positive("B", b_field, u.G)
    return (rigidity / (const.c * b_field)).to(u.pc, equivalencies=[])


def gyrofrequency(rigidity: u.Quantity, b_field: u.Quantity) -> u.Quantity:
    """Angular gyrofrequency Omega = c / r_g (c = 1 in crmix's natural units)."""
    return (const.c / gyroradius(rigidity, b_field)).to(1 / u.s)


def reduced_rigidity(rigidity: u.Quantity, b_rms: u.Quantity, l_c: u.Quantity) -> float:
    """rho = r_g / L_c, with r_g in the RMS field (KPM: 10 TV, 4 uG, 30 pc gives rho ~ 9e-5)."""
    l_c = _check_positive("L_c", l_c, u.pc)
    return float((gyroradius(rigidity, b_rms) / l_c).decompose())


_UNIT_ALIASES = {"muG": "uG", "μG": "uG"}
_NUMBER = r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"


def parse_quantity(text: str, unit: u.UnitBase, name: str, *, positive: bool = True, example: str | None = None) -> u.Quantity:
    """Parse ``"10TV"``, ``"1 PV"``, ``"4uG"``, ``"30pc"``, ``"3e28 cm2/s"`` into a Quantity convertible to ``unit``.

    The unit is required: a bare number is an error that shows the expected form.  The value must be
    finite (and > 0 unless ``positive=False``).  Errors name the parameter (``name``, e.g. the flag).
    """
    example = example or f"1{unit.to_string()}"
    m = re.fullmatch(rf"\s*({_NUMBER})\s*(.*?)\s*", str(text))
    if m is None:
        raise ValueError(f"{name}: cannot read {text!r}; expected a number with a unit, e.g. {example}")
    number, unit_text = m.groups()
    if not unit_text:
        raise ValueError(f"{name}: {text!r} has no unit; give one, e.g. {example}")
    try:
        given = u.Unit(_UNIT_ALIASES.get(unit_text, unit_text))
    except ValueError as exc:
        raise ValueError(f"{name}: {unit_text!r} is not a unit; expected a unit convertible to {unit}, e.g. {example}") from exc
    if not given.is_equivalent(unit):
        raise ValueError(f"{name}: unit {given} is not convertible to {unit} (e.g. {example})")
    value = float(number)
    if not math.isfinite(value) or (positive and value <= 0):
        allowed = "finite and > 0" if positive else "finite"
        raise ValueError(f"{name} must be {allowed}, got {text!r}")
    return value * given


def quantity(value: u.Quantity | str, unit: u.UnitBase, name: str, *, positive: bool = True, example: str | None = None) -> u.Quantity:
    """A dimensional input of the Python API or the command line: a Quantity convertible to ``unit``, or its text.

    Text is read by :func:`parse_quantity`; a bare number (no unit) is refused as on the command line,
    so that no internal unit is ever guessed.  ValueError names the parameter (``name``).
    """
    if isinstance(value, str):
        return parse_quantity(value, unit, name, positive=positive, example=example)
    example = example or f"1{unit.to_string()}"
    if not isinstance(value, u.Quantity) or value.isscalar is False:
        raise ValueError(f"{name} needs a unit: give an astropy Quantity or text such as {example!r}, got {value!r}")
    if not value.unit.is_equivalent(unit):
        raise ValueError(f"{name}: unit {value.unit} is not convertible to {unit} (e.g. {example})")
    number = float(value.value)
    if not math.isfinite(number) or (positive and number <= 0):
        raise ValueError(f"{name} must be {'finite and > 0' if positive else 'finite'}, got {value}")
    return value


#: fbar/|d_z fbar| in pc that a spectrum or a sky map can be scaled to (C_l ~ 1/L^2: beyond these, overflow or zero)
GRADIENT_LENGTH_RANGE_PC = (1e-3, 1e9)


def gradient_length(value: u.Quantity | str, name: str = "--gradient-length") -> u.Quantity:
    """The gradient length fbar/|d_z fbar| (a length), checked against GRADIENT_LENGTH_RANGE_PC; ValueError naming ``name``."""
    length = quantity(value, u.pc, name, example="1kpc")
    lo, hi = GRADIENT_LENGTH_RANGE_PC
    if not lo <= float(length.to_value(u.pc)) <= hi:
        raise ValueError(f"{name} must be between {lo:g} pc and {hi:g} pc (C_l scales as its inverse square), got {value}")
    return length


@dataclass(frozen=True)
class ModelUnits:
    """The units of a model (docs/physics.md, "Units and the model"): c = 1, times in 1/Omega_ref, lengths in c/Omega_ref.

    ``length`` is one unit of length c/Omega_ref in pc, None for a model without a physical scale (one
    built from rho alone): such a model's values have no physical counterpart.  Omega_ref is the
    gyrofrequency in B0 (with a regular field) or in B_rms (without one), the model's ``omega_reference``.
    """

    length: u.Quantity | None

    @property
    def time(self) -> u.Quantity | None:
        """One unit of time 1/Omega_ref, in yr (None without a physical scale)."""
        return None if self.length is None else (self.length / const.c).to(u.yr)

    def physical(self, value: Any, dimension: str) -> u.Quantity | None:
        """``value`` (a number or an array in the model's units) as a Quantity in the unit of ``dimension``
        (:data:`DIMENSIONS`: time in yr, length in pc, wavenumber in 1/pc, rate in 1/yr, diffusion in cm^2/s);
        None without a physical scale."""
        unit, (a, b) = DIMENSIONS[dimension]
        if self.length is None or self.time is None:
            return None
        return (u.Quantity(value, u.one) * self.length**a * self.time**b).to(unit)

    def internal(self, value: u.Quantity, dimension: str) -> Any:
        """The inverse of :meth:`physical`: a Quantity of ``dimension`` as a number in the model's units.

        ValueError when the model has no physical scale or the Quantity another dimension.
        """
        if self.length is None or self.time is None:
            raise ValueError("the model has no physical scale (build it with TurbulenceModel.from_physical)")
        unit, (a, b) = DIMENSIONS[dimension]
        try:
            return (u.Quantity(value) / (self.length**a * self.time**b)).to_value(u.one)
        except u.UnitConversionError as exc:
            raise ValueError(f"{value} is not a {dimension} (expected a Quantity convertible to {unit})") from exc


def model_units(model: TurbulenceModel) -> ModelUnits:
    """The units of ``model``: one length c/Omega_ref = L_c / (Omega_ref L_c / c) in pc, from its physical scale.

    With the model's L_c in its own units (``model.L_c`` = r_g/rho with r_g = sqrt(1 - eta), or 1 without a
    regular field), c/Omega_ref = (L_c in pc) / model.L_c: for KPM's 10 TV in 4 uG with eta = 0.5,
    c/Omega_0 = R/(c B0) = 3.8e-3 pc and 1/Omega_0 = 0.0125 yr.
    """
    if model.physical is None:
        return ModelUnits(None)
    return ModelUnits(model.physical.l_c_pc / model.L_c * u.pc)
