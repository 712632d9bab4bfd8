"""Shared fixtures: the ``xp`` fixture runs one test body on NumPy and (when a GPU answers) CuPy."""

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
