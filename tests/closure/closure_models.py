"""Small models for the closure tests, and independent (test-local) computations they are checked against.

(A module of its own, not conftest.py, so that its name does not collide with other test folders' conftest.)

``slab``: KPM's 1 PV model with lambda_min = r_g/30 (rho = 8.9e-3, eta = 0.5) at Omega dT = 4.
``isotropic``: MA19's band-limited white noise at alpha = k_in dT = 10, where kappa_{lA lB} vanishes
beyond lA ~ 25, so that a(mu), b(mu) read off M at l_max = 40 are exact polynomials.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.polynomial import legendre

from crmix.model import Spectrum, TurbulenceModel
from crmix.solver.mixing import mixing_matrix

LMAX = 40


def slab_model() -> TurbulenceModel:
    rho = 8.9e-3
    return TurbulenceModel(eta=0.5, rho=rho, spectrum=Spectrum(kmax=2 * math.pi * 30 / rho))


def isotropic_model() -> TurbulenceModel:
    return TurbulenceModel.ma19()


CASES = {"slab": (slab_model, 4.0), "isotropic": (isotropic_model, 0.1)}


@pytest.fixture(scope="session", params=sorted(CASES))
def parts(request):
    """(name, model, dt, m1a, m1c) at l_max = LMAX."""
    make, dt = CASES[request.param]
    model = make()
    mm = mixing_matrix(model, dt, LMAX)
    return request.param, model, dt, mm.m1a, mm.m1c


@pytest.fixture(scope="session")
def isotropic_parts():
    model = isotropic_model()
    dt = CASES["isotropic"][1]
    mm = mixing_matrix(model, dt, LMAX)
    return model, dt, mm.m1a, mm.m1c


def zonal_matrix(a_coefficients, b_coefficients, lmax: int, *, flux_form: bool = False) -> np.ndarray:
    """X_{l l0} = (2l0+1)/2 int P_l (a P_l0'' + b P_l0') dmu by Gauss-Legendre quadrature, l, l0 <= lmax.

    ``flux_form``: the operator (a F')' instead, X_{l l0} = -(2l0+1)/2 int a P_l' P_l0' dmu.
    Independent of crmix.solver: Legendre values from numpy, derivatives from the textbook relations,
    nodes enough for the polynomials.
    """
    n = lmax + len(a_coefficients) + 8
    x, w = legendre.leggauss(n)
    V = legendre.legvander(x, lmax)
    ell = np.arange(lmax + 1)
    previous = np.hstack([np.zeros((n, 1)), V[:, :-1]])
    d1 = ell * (x[:, None] * V - previous) / (x[:, None] ** 2 - 1)  # (1 - x^2) P_l' = l (P_{l-1} - x P_l)
    a = legendre.legval(x, a_coefficients)
    scale = (2 * ell + 1) / 2.0
    if flux_form:
        return -((d1 * (a * w)[:, None]).T @ d1) * scale[None, :]
    d2 = (2 * x[:, None] * d1 - ell * (ell + 1) * V) / (1 - x[:, None] ** 2)  # Legendre's equation
    b = legendre.legval(x, b_coefficients)
    return (V * w[:, None]).T @ (a[:, None] * d2 + b[:, None] * d1) * scale[None, :]


def truncated_solution(X: np.ndarray, dt: float, S: float = 1.0) -> tuple[np.ndarray, float]:
    """Steady state of KPM (20) on l = 1..lmax for the generator X = M - 1; and the monopole fraction."""
    lmax = X.shape[0] - 1
    rhs = np.zeros(lmax)
    rhs[0] = S * dt
    C = np.linalg.solve(-X[1:, 1:], rhs)
    return np.concatenate([[0.0], C]), float(X[0, 1:] @ C) / (3 * S * dt)
