"""QLT pitch-angle scattering (crmix.qlt) against independent integrals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from crmix.model import Spectrum, TurbulenceModel
from crmix.qlt import (
    parallel_diffusion,
    pitch_angle_diffusion,
    qlt_scattering,
    resonance_frequency,
    scattering_time,
)


def white_model(kmin_lc: float = 1.0, kmax_lc: float = 100.0, rho: float = 8.9e-3) -> TurbulenceModel:
    return TurbulenceModel(spectrum=Spectrum.white(kmin_lc, kmax_lc), eta=0.5, rho=rho)


def _dirichlet(a: float) -> float:
    """int_0^inf sin(a t)/t dt by quadrature: [0, 1] plainly, [1, inf) with QUADPACK's Fourier rule."""
    if a == 0.0:
        return 0.0
    head, _ = integrate.quad(lambda t: math.sin(a * t) / t, 0.0, 1.0, epsabs=1e-13)
    tail, _ = integrate.quad(lambda t: 1.0 / t, 1.0, math.inf, weight="sin", wvar=a, epsabs=1e-12, limlst=200)
    return head + tail


@pytest.mark.parametrize("mu", [0.3, -0.5, 0.9])
def test_nu_equals_time_integral_of_the_correlation_white_noise(mu):
    """nu(mu) = int_0^inf dtau R(mu tau) cos(Omega tau), R(s) = G0 (sin k2 s - sin k1 s)/s, integrated in time."""
    model = TurbulenceModel(spectrum=Spectrum.white(0.02 * 79.45, 4.0 * 79.45), eta=0.5, rho=8.9e-3)
    k1, k2, G0, W = model.k_min, model.k_max, 0.5 * model.power_amplitude, model.Omega
    # R(s) itself, against its defining k integral at one s
    s = 3.7
    R_num, _ = integrate.quad(lambda k: G0 * math.cos(k * s), k1, k2, epsabs=1e-14)
    assert R_num == pytest.approx(G0 * (math.sin(k2 * s) - math.sin(k1 * s)) / s, rel=1e-10)
    # R(mu t) cos(W t) = G0/(mu t) sum_k +-[sin((k mu + W) t) + sin((k mu - W) t)]/2
    m = abs(mu)
    nu_time = 0.5 * G0 / m * sum(
        sign * _dirichlet(k * m + pm * W) for k, sign in ((k2, 1.0), (k1, -1.0)) for pm in (1.0, -1.0)
    )
    assert float(resonance_frequency(model, mu)) == pytest.approx(nu_time, rel=1e-7)


@pytest.mark.parametrize("mu", [0.2, 0.55, 0.95])
def test_nu_equals_damped_time_integral_kolmogorov(mu):
    """Kolmogorov: nu_eps = int dtau e^{-eps tau} R(mu tau) cos(Omega tau) done per mode (a Lorentzian), eps -> 0."""
    model = TurbulenceModel(eta=0.5, rho=8.9e-3)

    def nu_eps(eps: float) -> float:
        def lorentz(k: float) -> float:
            G = 0.5 * float(model.power(k))
            return G * 0.5 * (eps / (eps**2 + (k * mu - 1.0) ** 2) + eps / (eps**2 + (k * mu + 1.0) ** 2))

        kres = 1.0 / mu
        pts = [kres - 50 * eps / mu, kres, kres + 50 * eps / mu]
        val, _ = integrate.quad(lorentz, model.k_min, model.k_max, points=pts, limit=500, epsabs=0, epsrel=1e-11)
        return val

    eps = 1e-4
    extrapolated = 2.0 * nu_eps(eps) - nu_eps(2.0 * eps)  # the O(eps) tail removed
    assert float(resonance_frequency(model, mu)) == pytest.approx(extrapolated, rel=2e-5)


def test_lambda_white_noise_closed_form():
    """White noise: (1-mu^2)/nu = 2 mu (1-mu^2)/(pi G0) on the resonant band, integrated by hand."""
    model = white_model()
    G0 = 0.5 * model.power_amplitude
    lo, hi = 1.0 / model.k_max, min(1.0, 1.0 / model.k_min)
    prim = lambda m: m * m / 2 - m**4 / 4  # noqa: E731
    lam = 3.0 / (2.0 * math.pi * G0) * (prim(hi) - prim(lo))
    q = qlt_scattering(model)
    assert q.lambda_par == pytest.approx(lam, rel=1e-9)
    assert q.mu_gap_low == pytest.approx(lo) and q.mu_gap_high == 1.0
    # the cut gap, continued with the same constant G: int_0^lo
    assert q.gap_contribution == pytest.approx((prim(lo) - prim(0.0)) / (prim(hi) - prim(lo)), rel=1e-7)


def test_lambda_white_noise_with_upper_gap():
    """k_min > Omega: no mode resonates for |mu| > Omega/k_min either; both gaps cut and reported."""
    model = white_model(kmin_lc=200.0, kmax_lc=2000.0, rho=1.0)  # k_min = 200/0.707 > Omega = 1
    G0 = 0.5 * model.power_amplitude
    lo, hi = 1.0 / model.k_max, 1.0 / model.k_min
    assert hi < 1.0
    prim = lambda m: m * m / 2 - m**4 / 4  # noqa: E731
    q = qlt_scattering(model)
    assert q.lambda_par == pytest.approx(3.0 / (2.0 * math.pi * G0) * (prim(hi) - prim(lo)), rel=1e-9)
    assert q.mu_gap_high == pytest.approx(hi)
    gap = (prim(lo) - prim(0.0)) + (prim(1.0) - prim(hi))
    assert q.gap_contribution == pytest.approx(gap / (prim(hi) - prim(lo)), rel=1e-7)


@pytest.mark.parametrize("kind", ["kolmogorov", "bendover"])
def test_lambda_against_mu_quadrature_of_Dmumu(kind):
    """lambda_par = (3/8) int_{-1}^{1} (1-mu^2)^2 / D_mumu dmu, integrated in mu (the code integrates in ln k)."""
    spec = Spectrum.kolmogorov() if kind == "kolmogorov" else Spectrum(kind="bendover", index=5 / 3, kbend=30.0)
    model = TurbulenceModel(spectrum=spec, eta=0.3, rho=8.9e-3)

    def integrand(mu: float) -> float:
        G = 0.5 * float(model.power(1.0 / abs(mu)))
        D = 0.5 * math.pi * G / abs(mu) * (1.0 - mu * mu)
        return (1.0 - mu * mu) ** 2 / D

    lo = 1.0 / model.k_max
    pts = [1.0 / model.k_bend] if kind == "bendover" else None
    half, _ = integrate.quad(integrand, lo, 1.0, points=pts, limit=500, epsrel=1e-11)
    lam = 3.0 / 8.0 * 2.0 * half
    assert scattering_time(model) == pytest.approx(lam, rel=1e-8)
    assert parallel_diffusion(model) == pytest.approx(lam / 3.0, rel=1e-8)
    assert float(pitch_angle_diffusion(model, 0.5)) == pytest.approx(
        0.5 * math.pi * 0.5 * float(model.power(2.0)) / 0.5 * 0.75, rel=1e-12
    )


def test_kolmogorov_rigidity_scaling():
    """Power law: lambda_par proportional to 1/A with the resonant mu band fixed, so
    Omega tau_s rho^(2/3) / (1 - (k_min/k_max)^(2/3)) does not depend on rho (K_zz ~ R^(1/3) in physical units)."""
    values = []
    for rho in (1e-4, 1e-3, 1e-2):
        m = TurbulenceModel(eta=0.5, rho=rho)
        values.append(scattering_time(m) * rho ** (2 / 3) / (1 - (m.k_min / m.k_max) ** (2 / 3)))
    assert np.allclose(values, values[0], rtol=1e-8)


def test_gap_contribution_equals_extending_the_band():
    """Kolmogorov: the reported gap share equals what a much wider band adds, at fixed amplitude."""
    base = TurbulenceModel(eta=0.5, rho=8.9e-3)
    wide = base.with_(spectrum=Spectrum.kolmogorov(kmax=base.kmax_lc * 1e9))
    lam_base = qlt_scattering(base).lambda_par * base.power_amplitude
    lam_wide = qlt_scattering(wide).lambda_par * wide.power_amplitude
    # the band beyond 1e9 k_max would add (1e-9)^(1/3) = 1e-3 of the gap part
    assert (lam_wide - lam_base) / lam_base == pytest.approx(qlt_scattering(base).gap_contribution, rel=2e-3)


def test_steep_spectrum_gap_diverges():
    model = TurbulenceModel(spectrum=Spectrum(kind="bendover", index=2.5), eta=0.5, rho=8.9e-3)
    assert math.isinf(qlt_scattering(model).gap_contribution)


@pytest.mark.parametrize("model", [TurbulenceModel.ma19(), TurbulenceModel(geometry="isotropic", eta=0.5)])
def test_no_slab_qlt_time_for_isotropic_turbulence(model):
    with pytest.raises(ValueError, match="geometry must be 'slab'"):
        scattering_time(model)
