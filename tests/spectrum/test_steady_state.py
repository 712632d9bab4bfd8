"""Steady state of KPM (20), its truncation diagnostics and the time evolution KPM (19), on constructed matrices."""

from __future__ import annotations

import math

import numpy as np
import pytest

from crmix.solver.evolution import evolve
from crmix.solver.steady_state import (
    MIN_EXPONENT_FOR_LIMIT,
    _fit_power_law,
    extrapolate_lmax,
    lmax_drift,
    steady_state,
    truncated_steady_states,
)

DT = 12.0
S = 0.7


def conserving_matrix(lmax: int, seed: int = 0, rate: float = 2e-3, band: int = 3, extra: int = 60) -> np.ndarray:
    """A mixing matrix with the structure of M = 1 + 2 M^(1a) + M^(1c) that obeys the exact invariant.

    M^(1c) >= 0 couples l0 -> l within ``band`` (including the monopole row, never its column); M^(1a) is
    diagonal and fixed by sum_l (2l+1)(2 M^(1a) + M^(1c))_{l l0} = 0 on a range ``extra`` beyond l_max,
    then the matrix is truncated at l_max (so power leaks past l_max as in the real system).
    """
    rng = np.random.default_rng(seed)
    n = lmax + extra + 1
    ell = np.arange(n)
    m1c = np.zeros((n, n))
    for l0 in range(1, n):
        for ll in range(max(0, l0 - band), min(n - 1, l0 + band) + 1):
            if ll != l0:
                m1c[ll, l0] = rate * rng.uniform(0.2, 1.0) * l0 * (l0 + 1) / (2 * ll + 1)
    m1a = -((2 * ell + 1) @ m1c) / (2 * (2 * ell + 1))
    M = np.eye(n) + 2 * np.diag(m1a) + m1c
    return M[: lmax + 1, : lmax + 1]


def test_constructed_matrix_obeys_the_invariant_before_truncation():
    M = conserving_matrix(30, extra=0)
    w = 2 * np.arange(31) + 1
    assert np.max(np.abs(w @ (M - np.eye(31)))[: 31 - 3]) < 1e-15 * 31**2 * 10


def test_no_mixing_out_of_the_dipole_gives_a_pure_dipole():
    """M^(1c) = 0: only the diagonal damping; KPM (20) gives C_1 = S dt / (-2 M^(1a)_11), C_l>1 = 0."""
    lmax = 20
    ell = np.arange(lmax + 1)
    m1a = -1e-3 * ell * (ell + 1)
    M = np.eye(lmax + 1) + 2 * np.diag(m1a)
    ss = steady_state(M, DT, S)
    assert ss.C[1] == pytest.approx(S * DT / (-2 * m1a[1]), rel=1e-14)
    assert np.all(ss.C[2:] == 0.0) and ss.C[0] == 0.0
    assert ss.monopole_rate == 0.0
    assert ss.leak_rate == pytest.approx(3 * S, rel=1e-12)  # with no mixing, M^(1a) alone is "leak"


def test_no_turbulence_has_no_steady_state_and_evolves_as_a_growing_dipole():
    """M = 1: no steady state; KPM (19) keeps a pure dipole that grows by S dt per step."""
    M = np.eye(11)
    with pytest.raises(ValueError, match="no steady state"):
        steady_state(M, DT, S)
    with pytest.warns(UserWarning, match="spectral radius"):
        ev = evolve(M, DT, S, 25)
    assert ev.spectral_radius == pytest.approx(1.0)
    assert np.all(ev.C[:, 2:] == 0.0) and np.all(ev.C[:, 0] == 0.0)
    assert np.allclose(ev.C[:, 1], S * ev.times, rtol=1e-14)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_steady_state_solves_kpm20_to_round_off_and_the_budget_closes(seed):
    lmax = 60
    M = conserving_matrix(lmax, seed)
    ss = steady_state(M, DT, S)
    # residual of (20), recomputed here
    r = (np.eye(lmax + 1) - M) @ ss.C / DT
    r[1] -= S
    assert np.max(np.abs(r[1:])) / S < 1e-12
    assert ss.residual < 1e-12
    # the monopole row is not satisfied: power flows into it, at the reported rate
    assert ss.monopole_rate == pytest.approx(M[0, 1:] @ ss.C[1:] / DT, rel=1e-12) and ss.monopole_rate > 0
    assert ss.monopole_rate + ss.leak_rate == pytest.approx(3 * S, rel=1e-10)
    assert np.all(ss.C[1:] > 0)


def test_truncations_are_leading_blocks():
    M = conserving_matrix(40, 3)
    table = truncated_steady_states(M, DT, S, [10, 40])
    direct = np.linalg.solve((np.eye(10) - M[1:11, 1:11]) / DT, np.eye(10)[0] * S)
    assert np.allclose(table[0, 1:11], direct, rtol=1e-12)
    assert np.all(np.isnan(table[0, 11:]))
    assert np.allclose(table[1], steady_state(M, DT, S).C, rtol=1e-12)


def test_lmax_drift_diagnostic():
    M = conserving_matrix(40, 4)
    d = lmax_drift(M, DT, S)
    half = np.linalg.solve(np.eye(20) - M[1:21, 1:21], np.eye(20)[0])
    full = np.linalg.solve(np.eye(40) - M[1:41, 1:41], np.eye(40)[0])
    expect = (full[1:20] / full[0]) / (half[1:20] / half[0]) - 1.0  # l = 2 .. 20
    assert np.allclose(d.drift[2:21], expect, rtol=1e-10, atol=1e-15)
    assert d.max_abs == pytest.approx(np.max(np.abs(expect)), rel=1e-10) and d.max_abs > 1e-3
    assert d.ell_range == (2, 20) and np.isnan(d.drift[21:]).all()


def test_lmax_drift_vanishes_when_nothing_reaches_the_truncation():
    """Block-diagonal M: multipoles above 8 are decoupled from the dipole, so l_max does not matter."""
    M = conserving_matrix(40, 5)
    M[:9, 9:] = 0.0
    M[9:, :9] = 0.0
    d = lmax_drift(M, DT, S)
    assert d.max_abs < 1e-12


def test_extrapolation_to_a_finite_lmax_beats_the_truncation():
    """Extrapolating the l_max = 30 .. 60 truncations to l_max = 120 lands closer to the l_max = 120 result."""
    M = conserving_matrix(120, 6)
    full = steady_state(M, DT, S).C
    ex = extrapolate_lmax(M[:61, :61], DT, S, target=120.0)
    trunc = steady_state(M[:61, :61], DT, S).C
    ell = np.arange(1, 21)
    err_extrap = np.abs(ex.C[ell] / full[ell] - 1)
    err_trunc = np.abs(trunc[ell] / full[ell] - 1)
    assert ex.ell_max == 52  # the last l with 8 truncations l_max' > l
    assert np.all(err_extrap <= err_trunc)


@pytest.mark.parametrize("p", [0.8, 2.0])
def test_power_law_fit_in_lmax_is_exact_on_a_power_law(p):
    L = np.arange(40, 81, dtype=float)
    c = 3.0 - 2.0 * L**-p
    at_inf, p_fit, resid = _fit_power_law(L, c, math.inf)
    assert p_fit == pytest.approx(p, rel=1e-4) and at_inf == pytest.approx(3.0, rel=1e-7) and resid < 1e-8
    assert _fit_power_law(L, c, 200.0)[0] == pytest.approx(3.0 - 2.0 * 200.0**-p, rel=1e-7)


def test_logarithmic_growth_has_no_limit_but_a_finite_target():
    """C(L) = 1 + 0.1 ln L (what KPM's slab models show): p = 0, the value at 2 L is still exact."""
    L = np.arange(40, 81, dtype=float)
    c = 1.0 + 0.1 * np.log(L)
    at_inf, p_fit, _ = _fit_power_law(L, c, math.inf)
    assert p_fit < 1e-3 and at_inf == math.inf
    assert _fit_power_law(L, c, 160.0)[0] == pytest.approx(1.0 + 0.1 * math.log(160.0), rel=1e-6)


def test_extrapolation_to_infinity_flags_multipoles_without_a_limit():
    M = conserving_matrix(60, 6)
    ex = extrapolate_lmax(M, DT, S)
    for ell in ex.no_limit:
        assert ex.exponent[ell] < MIN_EXPONENT_FOR_LIMIT and np.isnan(ex.C[ell])
    fitted = [ell for ell in range(1, ex.ell_max + 1) if ell not in ex.no_limit]
    assert all(np.isfinite(ex.C[ell]) for ell in fitted)


def test_evolution_is_the_sum_of_kpm19():
    M = conserving_matrix(15, 7, rate=5e-2)
    C0 = np.random.default_rng(0).uniform(size=16)
    n = 7
    ev = evolve(M, DT, S, n, C_init=C0)
    src = np.zeros(16)
    src[1] = S * DT
    expect = np.linalg.matrix_power(M, n) @ C0 + sum(np.linalg.matrix_power(M, k - 1) @ src for k in range(1, n + 1))
    assert np.allclose(ev.C[-1], expect, rtol=1e-12)
    assert ev.times[-1] == pytest.approx(n * DT)


def test_evolution_converges_to_the_steady_state_and_the_monopole_grows():
    M = conserving_matrix(30, 8, rate=8e-3)
    assert np.all(np.diag(M) > 0)  # a contraction on l >= 1
    ss = steady_state(M, DT, S)
    ev = evolve(M, DT, S, 20000, record_every=1000)
    assert np.allclose(ev.C[-1, 1:], ss.C[1:], rtol=1e-9)
    growth = (ev.C[-1, 0] - ev.C[-2, 0]) / (ev.times[-1] - ev.times[-2])
    assert growth == pytest.approx(ss.monopole_rate, rel=1e-8)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(M=np.eye(3)[:2]), "square"),
        (dict(M=np.eye(2)), "lmax must be >= 2"),
        (dict(dt=-1.0), "dt must be"),
        (dict(source_rate=0.0), "source_rate"),
        (dict(M=np.full((4, 4), np.nan)), "finite"),
    ],
)
def test_bad_input(kwargs, match):
    args = dict(M=conserving_matrix(5), dt=DT, source_rate=S) | kwargs
    with pytest.raises(ValueError, match=match):
        steady_state(**args)


def test_steady_state_on_every_namespace(xp):
    M = conserving_matrix(20, 9)
    ss = steady_state(xp.asarray(M), DT, S, xp=xp)
    assert np.allclose(ss.C, steady_state(M, DT, S).C, rtol=1e-12)
    assert math.isfinite(ss.leak_rate)
