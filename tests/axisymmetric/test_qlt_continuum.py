"""The QLT rate of full-support tensors on wide bands (crmix.qlt_resonances): k_perp panels and the continuum split."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special

from crmix import qlt_axisymmetric as qa
from crmix import qlt_resonances as qr
from crmix.model import Spectrum, TurbulenceModel
from crmix.spectral_tensors import AxisymmetricTensor, TensorComponent, isotropic_tensor


def kolmogorov(k, xp=np):
    return xp.asarray(k, dtype=float) ** (-5.0 / 3.0)


def _nu_quad(kmin: float, kmax: float, mu: float) -> float:
    """nu(mu) of isotropic Kolmogorov turbulence by QUADPACK, harmonic by harmonic in k (onset as an endpoint)."""
    total = 0.0
    st = math.sqrt(1 - mu * mu)
    for n in range(1, int(kmax * abs(mu)) + 1):

        def f(k: float, n: int = n) -> float:
            c = n / (k * abs(mu))
            z = k * math.sqrt(max(1 - c * c, 0.0)) * st
            jd, jr = special.jvp(n, z), 0.5 * (special.jv(n - 1, z) + special.jv(n + 1, z))
            return 0.25 * k ** (-5 / 3) * (c * c * jd * jd + jr * jr) / k

        total += integrate.quad(f, max(kmin, n / abs(mu)), kmax, limit=4000, epsabs=0.0, epsrel=1e-12)[0]
    return 2.0 * math.pi * total / abs(mu)  # N and -N


@pytest.mark.parametrize("mu", [0.015, 0.04])
def test_exact_sum_resolves_the_onsets_on_a_wide_band(mu):
    """At k_max = 300 Omega and small mu harmonic N enters at k = N Omega/|mu| with J_N changing on
    k - k_N ~ |mu|/(2 N): the k_perp panels resolve it (QUADPACK in k as the independent check).
    mu = 0.015 takes the z panels shared by all mu (their width set by the Bessel period), 0.04 the general grid."""
    comp = isotropic_tensor(kolmogorov, 0.01, 300.0).components[0]
    plus, minus = qr.harmonic_rates(comp, mu, 1.0, math.inf)
    ref = _nu_quad(0.01, 300.0, mu)
    assert plus == pytest.approx(ref, rel=1e-8) and minus == pytest.approx(ref, rel=1e-8)
    double = qr.harmonic_rates(comp, mu, 1.0, math.inf, nodes=2 * qr.NODES)[0]
    assert plus == pytest.approx(double, rel=1e-10)


def test_isotropic_continuum_is_the_straight_line_rate():
    """(pi/8) int E/k dk at every mu (derive: qlt_straight_line_continuum)."""
    comp = isotropic_tensor(kolmogorov, 0.5, 400.0).components[0]
    for k_lo in (3.0, 50.0):
        want = math.pi / 8 * integrate.quad(lambda k: k ** (-8 / 3), k_lo, 400.0, epsrel=1e-13)[0]
        for mu in (0.05, 0.5, 0.99):
            assert qr.continuum_rate(comp, mu, k_lo) == pytest.approx(want, rel=1e-11)
    assert qr.continuum_rate(comp, 0.5, 500.0) == 0.0


def _oblique(k, c, xp=np):
    """(3/8)(1 - c^2)(delta - k^ k^): a full-support tensor with its power away from B0."""
    s = xp.sqrt(xp.maximum(1.0 - c * c, 0.0))
    kh = xp.stack([s, xp.zeros_like(c), c], axis=-1)
    return (0.375 * (1.0 - c * c))[..., None, None] * (xp.eye(3) - kh[..., :, None] * kh[..., None, :])


@pytest.mark.parametrize("mu", [0.6, -0.85])
def test_continuum_is_the_limit_of_the_harmonic_sum_for_an_anisotropic_tensor(mu):
    """A thin shell band at k |mu| ~ 300 Omega (no helix returns at these mu): the exact sum -> the continuum."""
    band = (300.0 / abs(mu), 330.0 / abs(mu))
    comp = TensorComponent("oblique", "full", kolmogorov, *band, _oblique)
    exact = qr.harmonic_rates(comp, abs(mu), 1.0, math.inf)[0 if mu > 0 else 1]
    cont = qr.continuum_rate(comp, abs(mu), 0.0)
    assert cont == pytest.approx(exact, rel=1e-4)
    assert abs(cont - exact) > 1e-9 * exact  # a limit, not an identity at finite k


def _isotropic_model_tensor(eta: float, kmax_over_omega: float) -> AxisymmetricTensor:
    probe = TurbulenceModel(geometry="isotropic", eta=eta, rho=0.3, spectrum=Spectrum(kmax=100.0))
    model = TurbulenceModel(geometry="isotropic", eta=eta, rho=0.3,
                            spectrum=Spectrum(kmax=kmax_over_omega * probe.L_c * probe.Omega))
    assert model.k_max / model.Omega == pytest.approx(kmax_over_omega, rel=1e-12)
    return model.turbulence.tensor(model)


@pytest.mark.parametrize("eta", [0.5, 0.1])
@pytest.mark.parametrize("kmax", [10.0, 17.8, 35.5])
def test_split_lambda_against_the_exact_harmonic_sum(eta, kmax):
    """lambda_par with the continuum above k_s = K Omega/|mu| against every harmonic over the whole band;
    the error estimate (K against K/2, plus the mu quadrature's) bounds the actual error."""
    tensor = _isotropic_model_tensor(eta, kmax)
    exact = qa.qlt_scattering(tensor, 1.0, harmonics=None, rtol=1e-8)
    assert exact.continuum_error == 0.0 and exact.lambda_error < 1e-7 * exact.lambda_par
    for harmonics, rtol, worst in ((qa.HARMONICS, qa.MU_RTOL, 1e-4), (qa.HARMONICS, 1e-8, 1e-7), (4, 1e-8, 1e-2), (8, 1e-8, 1e-3)):
        fast = qa.qlt_scattering(tensor, 1.0, harmonics=harmonics, rtol=rtol)
        actual = abs(fast.lambda_par - exact.lambda_par)
        assert actual <= worst * exact.lambda_par
        assert actual <= fast.lambda_error + exact.lambda_error
        assert fast.lambda_error <= 10 * worst * exact.lambda_par
        assert fast.gap_contribution == pytest.approx(exact.gap_contribution, rel=1e-2)
        if harmonics < kmax:  # the split enters the band
            assert fast.continuum_error > 0.0


def test_split_rate_error_falls_with_k():
    """nu(mu) at k_max = 400 Omega: the split's error more than halves per doubling of K, so that
    |nu(K) - nu(K/2)| >= the error of nu(K) (the premise of the estimate)."""
    comp = isotropic_tensor(kolmogorov, 0.01, 400.0).components[0]
    for mu in (0.12, 0.45):
        exact = qr.harmonic_rates(comp, mu, 1.0, math.inf)[0]
        errors = [abs(qr.full_support_rates(comp, mu, 1.0, k)[0] - exact) / exact for k in (4, 8, 16)]
        assert errors[2] < 1e-4
        assert errors[1] < errors[0] / 3 and errors[2] < errors[1] / 3


def test_bad_harmonics():
    iso = isotropic_tensor(kolmogorov, 0.5, 12.0)
    with pytest.raises(ValueError, match="harmonics"):
        qa.qlt_scattering(iso, 1.0, harmonics=1)
    with pytest.raises(ValueError, match="harmonics"):
        qa.resonance_rate(iso, 0.3, 1.0, harmonics=2.5)
    with pytest.raises(ValueError, match="rtol"):
        qa.qlt_scattering(iso, 1.0, rtol=0.1)


def test_transit_time_term_of_a_tensor_with_s_xx_at_c_zero():
    """pol = identity/6 (not divergence-free, S_xx(c = 0) != 0): the N = 0 resonance at k_par = 0 adds
    (pi/|mu|) int dk/k S_xx J_1(z)^2 (QUADPACK over every N as the check); divergence-free tensors have none."""
    comp = TensorComponent("flat", "full", kolmogorov, 0.5, 12.0, lambda k, c, xp=np: np.broadcast_to(
        np.eye(3) / 6.0, np.broadcast_shapes(np.shape(k), np.shape(c)) + (3, 3)))
    mu = 0.3
    st = math.sqrt(1 - mu * mu)
    parts = {}
    for n in range(-int(12.0 * mu), int(12.0 * mu) + 1):

        def f(k: float, n: int = n) -> float:
            z = k * math.sqrt(max(1 - (n / (k * mu)) ** 2, 0.0)) * st
            jr = 0.5 * (special.jv(n - 1, z) + special.jv(n + 1, z))
            return k ** (-5 / 3) / 6.0 * (special.jvp(n, z) ** 2 + jr * jr) / k

        parts[n] = math.pi / mu * integrate.quad(f, max(0.5, abs(n) / mu), 12.0, limit=400, epsabs=0.0, epsrel=1e-12)[0]
    plus, minus = qr.harmonic_rates(comp, mu, 1.0, math.inf)
    assert plus == pytest.approx(sum(parts.values()), rel=1e-9) and minus == pytest.approx(plus, rel=1e-12)
    assert parts[0] > 0.01 * plus  # the N = 0 term is there, and counted once
