"""Shared fixtures: ``xp`` runs one test body on NumPy and (when a GPU answers) CuPy; ``cp`` is CuPy alone, for parity tests;
``units_everywhere`` checks that a table written by crmix states every unit and has clean column names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np
import pytest
from astropy.table import QTable

from crmix.backend import cupy_or_none


@pytest.fixture(params=["numpy", pytest.param("cupy", marks=pytest.mark.gpu)])
def xp(request):
    """The array namespace under test; the CuPy case skips cleanly without CuPy and a GPU."""
    if request.param == "numpy":
        return np
    cp = cupy_or_none()
    if cp is None:
        pytest.skip("CuPy with a CUDA device is not available")
    return cp


@pytest.fixture
def cp():
    """The CuPy module, for tests that compare a GPU result with the CPU's; skips cleanly without CuPy and a GPU."""
    module = cupy_or_none()
    if module is None:
        pytest.skip("CuPy with a CUDA device is not available")
    return module


#: a clean column name: words of letters and digits joined by "_", no float noise (no ".") and no unit in the name
CLEAN_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)*$")
_UNIT_SUFFIXES = ("TeV", "GeV", "PeV", "TV", "PV", "GV", "V", "pc", "kpc", "deg", "rad", "uG", "G", "yr", "cm")  # not "s": tau_s


def _bare_floats(value: Any, where: str) -> list[str]:
    """The places below ``value`` (metadata: dicts, lists, numbers) that hold a float without a unit."""
    if isinstance(value, u.Quantity):
        return []
    if isinstance(value, Mapping):
        return [w for k, v in value.items() for w in _bare_floats(v, f"{where}.{k}")]
    if isinstance(value, (list, tuple)):
        return [w for i, v in enumerate(value) for w in _bare_floats(v, f"{where}[{i}]")]
    if isinstance(value, (float, np.floating)):
        return [where]
    return []


def assert_units_everywhere(path: Path) -> QTable:
    """Read ``path`` with ``QTable.read``: every float column and every float of the metadata is a Quantity
    (dimensionless ones of unit one), every column name is clean."""
    table = QTable.read(path, format="ascii.ecsv")
    for name in table.colnames:
        assert CLEAN_NAME.match(name), f"{path.name}: column name {name!r} is not clean"
        assert not any(name.endswith(f"_{s}") for s in _UNIT_SUFFIXES), f"{path.name}: column {name!r} names a unit"
        column = table[name]
        if getattr(column, "dtype", np.dtype(object)).kind == "f":
            assert isinstance(column, u.Quantity), f"{path.name}: float column {name!r} has no unit"
    assert _bare_floats(table.meta, "meta") == [], f"{path.name}: floats without units in the metadata"
    return table


@pytest.fixture
def units_everywhere():
    """:func:`assert_units_everywhere`, for the tests of every command that writes a table."""
    return assert_units_everywhere
