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

import astropy.constants as const
import astropy.units as u

__all__ = [
    "gyrofrequency",
    "gyroradius",
    "parse_quantity",
    "quantity",
    "reduced_rigidity",
]


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
