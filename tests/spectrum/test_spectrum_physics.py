"""The steady state with the real mixing matrix: brute-force limit, the monopole, positivity, budget, evolution."""

from __future__ import annotations

import math

import numpy as np
import pytest

from crmix.model import Spectrum, TurbulenceModel
from crmix.solver.brute_force import brute_force_mixing, helix_orbit, slab_correlation
from crmix.solver.evolution import evolve
from crmix.solver.mixing import mixing_matrix
from crmix.solver.spectrum import angular_power_spectrum, length_unit_pc
from crmix.solver.steady_state import extrapolate_lmax, steady_state

S = 1.0


def narrow_band_model(k0: float = 2.0, width: float = 0.02) -> TurbulenceModel:
    """Slab white noise on k0 (1 -+ width) in Omega units (L_c = 1 with rho = r_g = sqrt(1 - eta))."""
    eta = 0.5
    rho = math.sqrt(1 - eta)
    return TurbulenceModel(spectrum=Spectrum.white(k0 * (1 - width), k0 * (1 + width)), eta=eta, rho=rho)


def test_single_mode_steady_state_matches_the_brute_force_matrix():
    """A (nearly) single k mode: KPM (20) at l_max = 3 from the closed-form M and from the defining integrals."""
    model = narrow_band_model()
    assert model.L_c == pytest.approx(1.0)
    k1, k2, G0 = model.k_min, model.k_max, 0.5 * model.power_amplitude
    dt = 7.0

    def R(z: np.ndarray) -> np.ndarray:  # int_{k1}^{k2} G0 cos(k z) dk
        zs = np.where(np.abs(z) > 1e-12, z, 1.0)
        return np.where(np.abs(z) > 1e-12, G0 * (np.sin(k2 * zs) - np.sin(k1 * zs)) / zs, G0 * (k2 - k1))

    bf = brute_force_mixing(slab_correlation(R), helix_orbit(model.Omega), dt, 3, n_mu=16, n_phi=8, n_t=32)
    M_bf = np.eye(4) + 2 * np.diag(np.diag(bf.m1a)) + bf.m1c
    M = mixing_matrix(model, dt, 3).full
    assert np.max(np.abs(M - M_bf)) < 1e-6 * np.max(np.abs(M - np.eye(4)))
    ss, ss_bf = steady_state(M, dt, S), steady_state(M_bf, dt, S)
    assert np.allclose(ss.C[1:], ss_bf.C[1:], rtol=1e-5)
    assert ss.C[2] > 0 and ss.C[3] > 0  # the mode mixes power out of the dipole


@pytest.fixture(scope="module")
def kpm_M():
    """The mixing matrix of KPM's rho = 8.9e-3 model (R = 1 PV) at Omega dt = 4 (Omega tau_s)^(1/3), l_max = 40."""
    from crmix.solver.timestep import mixing_time

    model = TurbulenceModel(eta=0.5, rho=8.9e-3)
    dt = mixing_time(model).dt
    return model, dt, mixing_matrix(model, dt, 40).full


def test_the_monopole_column_is_inert_and_the_row_is_not(kpm_M):
    """The basis of C_0 = 0 (crmix.solver.steady_state): column 0 of M is the unit vector, row 0 is not."""
    _, _, M = kpm_M
    assert M[0, 0] == 1.0 and np.all(M[1:, 0] == 0.0)
    assert np.any(M[0, 1:] > 0)


def test_real_steady_state_solves_kpm20_and_the_budget_closes(kpm_M):
    _, dt, M = kpm_M
    ss = steady_state(M, dt, S)
    r = (np.eye(41) - M) @ ss.C / dt
    r[1] -= S
    assert np.max(np.abs(r[1:])) < 1e-10 * S
    assert ss.monopole_rate + ss.leak_rate == pytest.approx(3 * S, rel=1e-9)
    assert np.all(ss.C[1:] > 0)


def test_time_evolution_converges_to_the_steady_state():
    """KPM (19) iterated from no anisotropy reaches the steady state of (20) on l >= 1 when M is a
    contraction: the real M at Omega dt = 1 (below the validity range; the algebra does not care)."""
    model = TurbulenceModel(eta=0.5, rho=8.9e-3)
    dt = 1.0
    M = mixing_matrix(model, dt, 10).full
    radius = np.max(np.abs(np.linalg.eigvals(M[1:, 1:])))
    assert 0.9 < radius < 1.0
    steps = int(math.ceil(35.0 / -math.log(radius)))
    ss = steady_state(M, dt, S)
    steps += steps % 2
    ev = evolve(M, dt, S, steps, record_every=steps // 2)
    assert ev.spectral_radius == pytest.approx(radius)
    assert np.allclose(ev.C[-1, 1:], ss.C[1:], rtol=1e-10)
    assert not np.allclose(ev.C[-2, 1:], ss.C[1:], rtol=1e-10)  # ... and was not there halfway
    growth = (ev.C[-1, 0] - ev.C[-2, 0]) / (ev.times[-1] - ev.times[-2])
    assert growth == pytest.approx(ss.monopole_rate, rel=1e-8)  # the monopole keeps growing at the budget's rate


def test_time_evolution_diverges_at_kpm_mixing_time(kpm_M):
    """At Omega dt = 4 (Omega tau_s)^(1/3) the second-order M is no contraction: (19) diverges, (20) is fine."""
    _, dt, M = kpm_M
    assert M[2, 2] < -1.0
    with pytest.warns(UserWarning, match="KPM \\(19\\) diverges"):
        ev = evolve(M, dt, S, 50)
    assert ev.spectral_radius > 10 and np.max(np.abs(ev.C[-1])) > 1e20
    assert np.all(steady_state(M, dt, S).C[1:] > 0)


def test_default_spectrum_is_nonnegative_with_diagnostics():
    """The CLI default (slab, Kolmogorov, eta = 0.5, 10 TV, 4 uG, 30 pc), C_l >= 0 for every l."""
    import astropy.units as u

    model = TurbulenceModel.from_physical(rigidity=10 * u.TV, b_rms=4 * u.uG, l_c=30 * u.pc, eta=0.5)
    with pytest.warns(UserWarning, match="C_l/C_1 drifts by up to"):
        res = angular_power_spectrum(model, lmax=100, gradient_length=1.0e3 / length_unit_pc(model))
    assert np.all(res.C >= 0) and res.C[0] == 0.0 and np.all(res.C[1:] > 0)
    assert res.steady.residual < 1e-10
    m = res.metadata
    for key in ("tau_s", "omega_dt", "rho", "lmax_drift_max", "leak_fraction", "monopole_fraction", "slope", "C1_over_C1_QLT"):
        assert key in m and np.isfinite(m[key]), key
    assert m["omega_dt"] == pytest.approx(4 * m["tau_s"] ** (1 / 3))


def test_extrapolation_from_lmax_50_against_lmax_100_for_the_default():
    """KPM Sec. 2.2.3's check on the CLI default (10 TV): the l_max <= 50 truncations, extrapolated in
    l_max, against the l_max = 100 result for l <= 30.  The truncated C_l grow like ln l_max, so the
    limit l_max -> infinity does not exist; the finite extrapolation to 100 does work."""
    import astropy.units as u

    from crmix.solver.timestep import mixing_time

    model = TurbulenceModel.from_physical(rigidity=10 * u.TV, b_rms=4 * u.uG, l_c=30 * u.pc, eta=0.5)
    dt = mixing_time(model).dt
    M = mixing_matrix(model, dt, 100).full
    full = steady_state(M, dt, S).C
    trunc = steady_state(M[:51, :51], dt, S).C
    ex = extrapolate_lmax(M[:51, :51], dt, S, target=100.0)
    ell = np.arange(1, 31)
    err_ex = np.abs(ex.C[ell] / full[ell] - 1)
    err_tr = np.abs(trunc[ell] / full[ell] - 1)
    assert np.all(err_ex < err_tr)
    assert err_ex[:20].max() < 0.01 and err_ex.max() < 0.1  # vs up to 35 % for the plain truncation
    assert err_tr[29] > 0.3
    to_inf = extrapolate_lmax(M, dt, S)
    assert set(range(1, 31)) <= set(to_inf.no_limit)  # fitted exponent < 0.5: logarithmic growth
    assert np.all(to_inf.exponent[1:11] < 0.05)
