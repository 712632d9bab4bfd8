"""3j recursion and tables against pywigxjpf; 6j wrapper against closed forms; bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import pywigxjpf

from crmix.solver.wigner import ThreeJTable, sixj, threej_sequence, zero_m_threej
from crmix.wigxjpf import ensure_tables

ensure_tables(1000, 9)


def ref3j(j1, j2, j3, m1, m2):
    return pywigxjpf.wig3jj(2 * j1, 2 * j2, 2 * j3, 2 * m1, 2 * m2, -2 * (m1 + m2))


def test_threej_sequence_random_and_large():
    rng = np.random.default_rng(7)
    n = 600
    j1 = rng.integers(0, 230, n)
    j2 = rng.integers(0, 230, n)
    j1[:100] = rng.integers(150, 230, 100)  # l >= 150
    j2[:100] = rng.integers(150, 230, 100)
    m1 = np.array([rng.integers(-a, a + 1) for a in j1])
    m2 = np.array([rng.integers(-b, b + 1) for b in j2])
    # edge cases: stretched m, j_min = 0, zero j, m = 0
    j1 = np.concatenate([j1, [0, 5, 200, 200, 180, 1, 160]])
    j2 = np.concatenate([j2, [0, 5, 200, 199, 3, 200, 160]])
    m1 = np.concatenate([m1, [0, -5, 200, -200, 180, 1, 0]])
    m2 = np.concatenate([m2, [0, 5, -200, 199, -3, 0, 0]])
    jmin, x = threej_sequence(j1, j2, m1, m2)
    worst = 0.0
    for i in range(len(j1)):
        top = j1[i] + j2[i]
        for j in sorted({int(jmin[i]), top, *range(int(jmin[i]), top + 1, max(1, (top - int(jmin[i])) // 9))}):
            worst = max(worst, abs(x[j - jmin[i], i] - ref3j(j1[i], j2[i], j, m1[i], m2[i])))
        assert np.all(x[top - jmin[i] + 1:, i] == 0)
    assert worst <= 1e-12


def test_mixing_blocks_against_pywigxjpf():
    lmax = 160
    table = ThreeJTable(lmax)
    worst = 0.0
    for d in (0, 1, 2, 77, 158, 160):
        t = table.block(d)
        assert t.shape == (lmax - d + 1, d + 1, d + 1)
        for i in sorted({0, min(1, lmax - d), lmax - d, *range(0, lmax - d + 1, 11)}):
            ell = d + i
            for j in sorted({0, d, *range(0, d + 1, 7)}):
                for m0 in sorted({0, d, *range(0, d + 1, 13)}):
                    worst = max(worst, abs(t[i, j, m0] - ref3j(ell, d, i + 2 * j, -m0, m0)))
    assert worst <= 1e-12
    assert table.symbol(3, 150, 151, 2) == pytest.approx(ref3j(3, 150, 151, -2, 2), abs=1e-14)


def test_zero_m_symbols():
    lmax = 170
    z = zero_m_threej(lmax)
    worst = 0.0
    for ell in range(0, lmax + 1, 13):
        for ell0 in (0, 1, 2, 99, 150, 170):
            for j in range(0, min(ell, ell0) + 1, 5):
                worst = max(worst, abs(z[ell, ell0, j] - ref3j(ell, ell0, abs(ell - ell0) + 2 * j, 0, 0)))
            assert np.all(z[ell, ell0, min(ell, ell0) + 1:] == 0)
    assert worst <= 1e-12


def test_sixj_closed_forms():
    assert sixj(1, 1, 1, 1, 1, 1) == pytest.approx(1 / 6, abs=1e-15)
    assert sixj(2, 2, 2, 2, 2, 2) == pytest.approx(-3 / 70, abs=1e-15)
    for a, b, c in ((3, 4, 5), (10, 7, 4), (120, 100, 50)):
        expected = (-1) ** (a + b + c) / math.sqrt((2 * b + 1) * (2 * c + 1))  # {a b c; 0 c b}
        assert sixj(a, b, c, 0, c, b) == pytest.approx(expected, abs=1e-14)


def test_bad_input():
    table = ThreeJTable(10)
    with pytest.raises(ValueError, match="ell = 11"):
        table.symbol(11, 2, 10, 0)
    with pytest.raises(ValueError, match="ell_a = 21"):
        table.symbol(10, 10, 21, 0)
    with pytest.raises(ValueError, match="d = 11"):
        table.block(11)
    with pytest.raises(ValueError, match="l \\+ l0 \\+ lA even"):
        table.symbol(3, 2, 2, 0)
    with pytest.raises(ValueError, match="lmax"):
        ThreeJTable(-1)
    with pytest.raises(ValueError, match="m1"):
        threej_sequence([2], [2], [3], [0])
    with pytest.raises(ValueError, match="integers"):
        threej_sequence([2.5], [2], [0], [0])
    with pytest.raises(ValueError, match="6j"):
        sixj(1, 1, -1, 1, 1, 1)
