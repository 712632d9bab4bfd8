"""Shared fixtures: ``xp`` runs one test body on NumPy and (when a GPU answers) CuPy; ``cp`` is CuPy alone, for parity tests."""

from __future__ import annotations

import numpy as np
import pytest

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
