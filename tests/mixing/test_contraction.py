"""The closed-form m0 sum of solver.mixing against per-element m0 sums; MA19 (3.21)/(3.23); M^(1c) properties."""

from __future__ import annotations

import math

import numpy as np
import pytest

import crmix.generated.mixing_weights as generated
from crmix.solver.mixing import m1a_diagonal, m1c_matrix
from crmix.solver.wigner import ThreeJTable, sixj, zero_m_threej

LMAX = 8


@pytest.fixture(scope="module")
def kappa():
    rng = np.random.default_rng(3)
    k = rng.normal(size=(2 * LMAX + 1, 2 * LMAX + 1))
    return k + k.T


def per_element(kappa, weight):
    """(2l0+1) sum_AB c_A c_B kappa_AB t0_A t0_B sum_m0 w(l0, m0) T_A T_B with the m0 tables (KPM (47))."""
    table = ThreeJTable(LMAX)
    out = np.zeros((LMAX + 1, LMAX + 1))
    for ell in range(LMAX + 1):
        for ell0 in range(LMAX + 1):
            lo, hi = min(ell, ell0), max(ell, ell0)
            t = table.block(lo)[hi - lo]  # [j, m0], m0 >= 0
            a = hi - lo + 2 * np.arange(lo + 1)
            c = (2 * a + 1) * np.where((a // 2) % 2 == 0, 1.0, -1.0) * t[:, 0]  # i^(lA - lB) for one parity
            m0 = np.arange(lo + 1)
            w = weight(ell0, m0) * np.where(m0 == 0, 1.0, 2.0)  # +-m0 give the same symbols
            s = (t * w[None, :]) @ t.T
            out[ell, ell0] = (2 * ell0 + 1) * np.sum(np.outer(c, c) * kappa[np.ix_(a, a)] * s)
    return out


def test_slab_closed_m0_sum_equals_tables(kappa):
    m1c, _ = m1c_matrix(kappa, LMAX, "slab")
    ref = per_element(kappa, lambda l0, m0: l0 * (l0 + 1) - m0**2)
    assert np.max(np.abs(m1c - ref)) <= 1e-12 * np.max(np.abs(ref))


def test_isotropic_equals_ma19_321_plus_323(kappa):
    """MA19 (3.21) + (3.23) as printed, with 6j symbols, for l0 >= 1; at l0 = 0 (3.23) is 0/0."""
    m1c, _ = m1c_matrix(kappa, LMAX, "isotropic")

    def tj(a, b, c):
        return float(zero_m_threej(max(a, b, c))[a, b, (c - abs(a - b)) // 2]) if (a + b + c) % 2 == 0 and abs(a - b) <= c <= a + b else 0.0

    for ell in range(LMAX + 1):
        for ell0 in range(1, LMAX + 1):
            m0 = 8 * math.pi / 3 * (2 * ell0 + 1) * ell0 * (ell0 + 1) * sum(
                (2 * a + 1) * kappa[a, a] * tj(ell, a, ell0) ** 2 for a in range(abs(ell - ell0), ell + ell0 + 1))
            m2 = 0.0
            for a in range(abs(ell - ell0), ell + ell0 + 1):
                for b in range(abs(ell - ell0), ell + ell0 + 1):
                    m2 += ((1j ** (a + b)).real * kappa[a, b] * (2 * a + 1) * (2 * b + 1) * sixj(2, ell0, ell0, ell, a, b)
                           * tj(2, a, b) * tj(ell, a, ell0) * tj(ell, b, ell0))
            m2 *= 4 * math.pi / 3 * ell0 * (ell0 + 1) * (2 * ell0 + 1) / tj(ell0, 2, ell0) * (-1) ** ell0
            assert m1c[ell, ell0] == pytest.approx(m0 + m2, rel=1e-11, abs=1e-11 * np.max(np.abs(m1c)))
    assert tj(0, 2, 0) == 0.0  # the printed (3.23) divides by this at l0 = 0 ...
    assert np.all(m1c[:, 0] == 0.0)  # ... where the element is 0 (l0(l0+1) = 0, L annihilates P_0)


def test_m1c_properties(kappa):
    """Provable for any symmetric kappa:
    (i)  M^(1c)_{l,0} = 0: the weight l0(l0+1) - m0^2 vanishes at l0 = 0 (an isotropic distribution
         is not mixed);
    (ii) M_{l l0}/(2l0+1) - M_{l0 l}/(2l+1) = [l0(l0+1) - l(l+1)] sum_A (2A+1) kappa_AA (l l0 A;000)^2,
         because the two weights differ by a constant and sum_m0 T_A T_B = delta_AB/(2A+1);
    (iii) M^(1c)_{l l0} only sees kappa_AB with |l - l0| <= A, B <= l + l0 (triangle rule)."""
    m1c, _ = m1c_matrix(kappa, LMAX, "slab")
    assert np.all(m1c[:, 0] == 0.0)
    z = zero_m_threej(LMAX)
    for ell in range(LMAX + 1):
        for ell0 in range(LMAX + 1):
            a = abs(ell - ell0) + 2 * np.arange(min(ell, ell0) + 1)
            rhs = (ell0 * (ell0 + 1) - ell * (ell + 1)) * np.sum((2 * a + 1) * kappa[a, a] * z[ell, ell0, : len(a)] ** 2)
            lhs = m1c[ell, ell0] / (2 * ell0 + 1) - m1c[ell0, ell] / (2 * ell + 1)
            assert lhs == pytest.approx(rhs, abs=1e-11 * np.max(np.abs(m1c)))
    k2 = kappa.copy()
    k2[:3, :] = 0.0
    k2[:, :3] = 0.0
    m2, _ = m1c_matrix(k2, LMAX, "slab")
    far = np.abs(np.subtract.outer(np.arange(LMAX + 1), np.arange(LMAX + 1))) >= 3
    assert np.array_equal(m1c[far], m2[far])


def test_generated_kernels_drive_the_numbers(kappa, monkeypatch):
    """The solver evaluates crmix.generated.mixing_weights: changing a kernel changes M."""
    base, _ = m1c_matrix(kappa, LMAX, "slab")
    monkeypatch.setattr(generated, "slab_m1c_l0_weight", lambda ell0, xp=np: 2 * (2 * ell0 + 1))
    doubled, _ = m1c_matrix(kappa, LMAX, "slab")
    assert np.allclose(doubled, 2 * base, rtol=1e-14, atol=0)
    m1a, _ = m1a_diagonal(1.0, 0.5, LMAX, "slab")
    monkeypatch.setattr(generated, "slab_m1a", lambda ell, l0, l2, xp=np: 0 * ell)
    zero, _ = m1a_diagonal(1.0, 0.5, LMAX, "slab")
    assert np.any(m1a != 0) and np.all(zero == 0)


def test_error_bound_scales_with_kappa_error(kappa):
    _, err = m1c_matrix(kappa, LMAX, "slab", kappa_error=np.full_like(kappa, 1e-9))
    _, err2 = m1c_matrix(kappa, LMAX, "slab", kappa_error=np.full_like(kappa, 2e-9))
    assert 0 < err and err2 == pytest.approx(2 * err, rel=1e-12)
    # the bound holds: perturb kappa by at most 1e-9 per entry
    rng = np.random.default_rng(1)
    pert = rng.uniform(-1e-9, 1e-9, size=kappa.shape)
    a, _ = m1c_matrix(kappa, LMAX, "slab")
    b, _ = m1c_matrix(kappa + (pert + pert.T) / 2, LMAX, "slab")
    assert np.max(np.abs(a - b)) <= err


def test_bad_input(kappa):
    with pytest.raises(ValueError, match="lmax must be an integer >= 2"):
        m1c_matrix(kappa, 1, "slab")
    with pytest.raises(ValueError, match="kappa must be at least"):
        m1c_matrix(kappa[:10, :10], LMAX, "slab")
    with pytest.raises(ValueError, match="geometry"):
        m1c_matrix(kappa, LMAX, "2d")
    with pytest.raises(ValueError, match="lmax must be an integer >= 2"):
        m1a_diagonal(1.0, 0.5, 1, "slab")


def test_array_namespace(kappa, xp):
    """The contraction runs in the given namespace (NumPy; CuPy when a GPU answers) with the same numbers."""
    from crmix.backend import to_numpy

    ref, _ = m1c_matrix(kappa, LMAX, "slab")
    out, _ = m1c_matrix(xp.asarray(kappa), LMAX, "slab", xp=xp)
    assert np.max(np.abs(to_numpy(out) - ref)) <= 1e-13 * np.max(np.abs(ref))
