"""The generic path against the defining integrals (crmix.solver.brute_force) at l, l0 <= 3, where no
closed form exists: isotropic turbulence with a regular field, 2D turbulence, and the slab + 2D composite."""

from __future__ import annotations

import math

import numpy as np
import pytest
from generic_models import relative, slab_white_r, white
from scipy import integrate, special

from crmix.solver.axisymmetric import axisymmetric_mixing_matrix
from crmix.solver.brute_force import (
    brute_force_mixing,
    helix_orbit,
    isotropic_white_correlation,
    slab_correlation,
    sum_correlation,
    two_d_white_correlation,
)
from crmix.spectral_tensors import composite_tensor, isotropic_tensor, slab_tensor, two_d_tensor

#: the brute force's own accuracy at these node counts (crmix.solver.brute_force)
RTOL = 1e-6
LMAX = 3


def check(generic, bf):
    assert relative(generic.m1c, bf.m1c) <= RTOL
    assert relative(np.diag(generic.m1a), bf.m1a) <= RTOL  # (1a) diagonal, off-diagonal 0
    assert relative(2 * generic.m1c, bf.m1c) > 0.5


@pytest.mark.slow
def test_isotropic_with_a_regular_field():
    g0, k1, k2, dt, omega = 0.05, 0.1, 1.0, 3.0, 1.0
    gen = axisymmetric_mixing_matrix(isotropic_tensor(white(8 * math.pi * g0), k1, k2), omega, dt, LMAX, rtol=1e-10)
    bf = brute_force_mixing(isotropic_white_correlation(g0, k1, k2), helix_orbit(omega), dt, LMAX,
                            n_mu=24, n_phi=12, n_t=24)
    check(gen, bf)


@pytest.mark.slow
def test_two_d():
    e0, k1, k2, dt, omega = 0.7, 0.3, 2.0, 3.0, 1.0
    gen = axisymmetric_mixing_matrix(two_d_tensor(white(e0), k1, k2), omega, dt, LMAX, rtol=1e-10)
    bf = brute_force_mixing(two_d_white_correlation(e0, k1, k2), helix_orbit(omega), dt, LMAX, n_mu=20, n_phi=14, n_t=20)
    check(gen, bf)


@pytest.mark.slow
@pytest.mark.parametrize("slab_closed_form", [True, False])
def test_slab_plus_two_d_composite(slab_closed_form):
    """20 : 80 in power (the default); slab G = E/2 on [0.5, 0.9], 2D E on [0.3, 2]."""
    dt, omega, f = 3.0, 1.0, 0.2
    e_slab, e_2d = 1.4, 0.7
    tensor = composite_tensor(slab_tensor(white(e_slab), 0.5, 0.9), two_d_tensor(white(e_2d), 0.3, 2.0))
    gen = axisymmetric_mixing_matrix(tensor, omega, dt, LMAX, rtol=1e-10, slab_closed_form=slab_closed_form)
    corr = sum_correlation((f, slab_correlation(slab_white_r(e_slab / 2, 0.5, 0.9))),
                           (1 - f, two_d_white_correlation(e_2d, 0.3, 2.0)))
    bf = brute_force_mixing(corr, helix_orbit(omega), dt, LMAX, n_mu=20, n_phi=14, n_t=20)
    check(gen, bf)


def test_two_d_correlation_against_its_defining_integral():
    """The brute force's 2D tensor: Gauss sum in k against scipy.quad and the closed form in Struve functions."""
    e0, k1, k2 = 0.7, 0.3, 2.0
    corr = two_d_white_correlation(e0, k1, k2)

    def j0_integral(x):  # int_0^x J_0 = x J_0 + (pi x/2)(J_1 H_0 - J_0 H_1)
        return x * special.j0(x) + 0.5 * math.pi * x * (special.j1(x) * special.struve(0, x) - special.j0(x) * special.struve(1, x))

    for dr in ([0.4, 0.9, 0.3], [1e-6, 2e-6, 1.0], [3.0, -1.0, 0.0], [20.0, 3.0, -5.0]):
        dr = np.array(dr)
        r = math.hypot(dr[0], dr[1])
        rh = dr[:2] / r
        q = 2 * np.outer(rh, rh) - np.eye(2)

        def component(a, b, r=r, q=q):
            return 0.5 * e0 * integrate.quad(lambda k: special.j0(k * r) * (a == b) + special.jv(2, k * r) * q[a, b],
                                             k1, k2, epsabs=1e-15, limit=400)[0]

        quad = np.array([[component(a, b) for b in range(2)] for a in range(2)])
        value = corr(dr[None])[0]
        assert np.max(np.abs(value[:2, :2] - quad)) <= 1e-14
        assert np.all(value[2] == 0) and np.all(value[:, 2] == 0)
        if r > 1e-3:
            i0 = (j0_integral(k2 * r) - j0_integral(k1 * r)) / r
            assert abs(value[0, 0] + value[1, 1] - e0 * i0) <= 1e-13  # trace: e0 int J_0 (the J_2 part is traceless)
