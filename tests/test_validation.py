"""Scalar validation: messages name the parameter and the allowed range."""

from __future__ import annotations

import pytest

from crmix.validation import integer, real


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "abc", None, 0.0, -1.0])
def test_real_rejects_with_name_and_range(value):
    with pytest.raises(ValueError, match=r"dt .*> 0"):
        real("dt", value, gt=0)


def test_real_accepts_inside_bounds():
    assert real("eta", "0.5", gt=0, lt=1) == 0.5
    assert real("x", 1.0, ge=1.0, le=1.0) == 1.0
    with pytest.raises(ValueError, match=r"eta .*< 1"):
        real("eta", 1.0, gt=0, lt=1)


@pytest.mark.parametrize("value", [True, 2.5, -1, "3"])
def test_integer_rejects(value):
    with pytest.raises(ValueError, match="lmax must be an integer >= 0"):
        integer("lmax", value)


def test_integer_accepts_integral_floats():
    assert integer("lmax", 100.0) == 100 and integer("steps", 3, ge=1) == 3
