"""The exact invariant sum_l (2l+1)(2 M^(1a) + M^(1c))_{l l0} = 0 (docs/physics.md), monopole row, KPM (40)."""

from __future__ import annotations

import numpy as np
import pytest

from crmix.solver.mixing import MixingMatrix, m1a_diagonal, m1c_matrix

# l0 <= 10 and kappa_{lA .} < 1e-16 beyond lA ~ 30 for k dt <= 7: l <= 40 covers the support
LMAX = 40
CASES = {
    "slab": dict(w0=0.7, band=(0.5, 0.9), dt=7.0, omega=1.0),
    "isotropic": dict(w0=0.05, band=(0.1, 1.0), dt=7.0, omega=0.0),
}


def matrix(geometry, reference_integrals, m1a_factor=1.0):
    c = CASES[geometry]
    lam, kappa = reference_integrals(c["w0"], *c["band"], c["dt"], c["omega"], 2 * LMAX, ns=240)
    assert np.max(np.abs(kappa[LMAX - 10:, :])) < 1e-16 * np.max(np.abs(kappa))  # the sum is complete
    m1a, _ = m1a_diagonal(lam[0], lam[2], LMAX, geometry)
    m1c, _ = m1c_matrix(kappa, LMAX, geometry)
    return MixingMatrix(dt=c["dt"], lmax=LMAX, m1a=m1a_factor * m1a, m1c=m1c, error=0.0)


def residual(mm):
    ell = np.arange(LMAX + 1)
    total = (2 * ell + 1) @ (2 * np.diag(mm.m1a) + mm.m1c)
    diagonal = (2 * ell + 1) * 2 * mm.m1a
    return total[1:11], diagonal[1:11]


@pytest.mark.parametrize("geometry", ["slab", "isotropic"])
def test_power_is_conserved(geometry, reference_integrals):
    mm = matrix(geometry, reference_integrals)
    total, diagonal = residual(mm)
    assert np.all(np.abs(total) <= 1e-6 * np.abs(diagonal))
    assert np.allclose(mm.full, np.eye(LMAX + 1) + 2 * np.diag(mm.m1a) + mm.m1c, rtol=0, atol=0)


@pytest.mark.parametrize("geometry", ["slab", "isotropic"])
def test_monopole_row_is_not_conserved(geometry, reference_integrals):
    mm = matrix(geometry, reference_integrals)
    assert mm.m1a[0] == 0.0
    row = np.abs(mm.m1c[0, 1:5])  # needs kappa_{l0 l0}, which falls fast with l0 at k dt = 7
    assert np.all(row > 1e-6 * np.abs(mm.m1c).max()) and row[0] > 0.1 * np.abs(mm.m1c[1, 1])


def test_kpm_40_printed_prefactor_breaks_the_invariant(reference_integrals):
    """KPM (40) prints 8 pi where (38) has 4 pi: twice our M^(1a), and the power budget fails by O(1)."""
    mm = matrix("slab", reference_integrals, m1a_factor=2.0)
    total, diagonal = residual(mm)
    assert np.all(np.abs(total) > 0.2 * np.abs(diagonal))
