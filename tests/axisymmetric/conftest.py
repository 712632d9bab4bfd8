"""Fixtures for the generic (axisymmetric) mixing-matrix tests: the narrow-band test model (rho = 0.3,
k_max L_c = 2 pi 10 / 0.3, lambda_min = r_g / 10, as tests/simulate uses) with and without a regular field."""

from __future__ import annotations

import math

import pytest

from crmix.model import Spectrum, TurbulenceModel


@pytest.fixture(scope="session")
def narrow_model() -> TurbulenceModel:
    """Slab, eta = 0.5, rho = 0.3, lambda_min = r_g/10: k in [0.53, 89] Omega."""
    return TurbulenceModel(geometry="slab", eta=0.5, rho=0.3, spectrum=Spectrum(kmax=2 * math.pi * 10 / 0.3))


@pytest.fixture(scope="session")
def ma19_narrow() -> TurbulenceModel:
    """Isotropic without a regular field (MA19), rho = 0.3, lambda_min = r_g/10: straight lines."""
    return TurbulenceModel(geometry="isotropic", eta=1.0, rho=0.3, spectrum=Spectrum(kmax=2 * math.pi * 10 / 0.3))
