"""QLT for the new geometries (crmix.qlt_axisymmetric) and the mixing-time rule on their models (crmix.solver.timestep)."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from generic_models import white

from crmix import qlt
from crmix import qlt_axisymmetric as qa
from crmix.model import Spectrum, TurbulenceModel
from crmix.solver.timestep import mixing_time
from crmix.spectral_tensors import composite_tensor, isotropic_tensor, model_spectrum, tensor_from_model, two_d_tensor


def test_slab_through_the_generic_formula_is_crmix_qlt(narrow_model):
    tensor = tensor_from_model(narrow_model)
    mu = np.array([-0.9, -0.2, 0.005, 0.05, 0.3, 0.99])
    np.testing.assert_allclose(qa.resonance_rate(tensor, mu, 1.0), qlt.resonance_frequency(narrow_model, mu), rtol=1e-13)
    ref, gen = qlt.qlt_scattering(narrow_model), qa.qlt_scattering(tensor, 1.0)
    assert math.isclose(gen.lambda_par, ref.lambda_par, rel_tol=1e-9)
    assert math.isclose(gen.gap_contribution, ref.gap_contribution, rel_tol=1e-6)
    assert (gen.mu_gap_low, gen.mu_gap_high) == (ref.mu_gap_low, ref.mu_gap_high)
    assert not gen.edge_cut


def test_composite_scatters_through_its_slab_part(narrow_model):
    """2D adds no resonance: the composite's lambda_par is the slab part's, i.e. lambda_slab / f."""
    slab = tensor_from_model(narrow_model)
    two_d = two_d_tensor(model_spectrum(narrow_model), narrow_model.k_min, narrow_model.k_max)
    f = 0.2
    comp = qa.qlt_scattering(composite_tensor(slab, two_d, f), 1.0)
    assert math.isclose(comp.lambda_par, qlt.qlt_scattering(narrow_model).lambda_par / f, rel_tol=1e-9)
    assert math.isclose(qa.scattering_time(composite_tensor(slab, two_d, f), 1.0), comp.tau_s, rel_tol=1e-15)
    assert np.all(qa.resonance_rate(two_d, np.linspace(-1, 1, 9), 1.0) == 0.0)


def test_two_d_alone_has_no_resonant_scattering():
    two_d = two_d_tensor(white(1.0), 0.5, 50.0)
    with pytest.raises(qa.NoResonantScattering, match="omega_dt"):
        qa.qlt_scattering(two_d, 1.0)
    model = TurbulenceModel(geometry="2d", eta=0.5, rho=0.3, spectrum=Spectrum(kmax=2 * math.pi * 10 / 0.3))
    with pytest.raises(ValueError, match="omega_dt"):
        mixing_time(model)
    with pytest.raises(ValueError, match="needs a QLT scattering time"):
        mixing_time(model, rule="kpm51")
    assert mixing_time(model, omega_dt=12.0).dt == 12.0

    def my_rule(m: TurbulenceModel) -> float:  # the explicit, replaceable choice
        return 3.0 * m.L_c

    step = mixing_time(model, rule=my_rule)
    assert step.dt == pytest.approx(3.0 * model.L_c, rel=1e-15) and "my_rule" in step.source


def _nu_mpmath(e0, kmin, kmax, mu, omega):
    """nu(mu) of isotropic white noise E = e0 by mpmath: pi/|mu| sum_N int dk/k C_N, c* = -N Omega/(k mu)."""
    total = mpmath.mpf(0)
    st = mpmath.sqrt(1 - mpmath.mpf(mu) ** 2)
    n_top = int(math.floor(kmax * abs(mu) / omega))
    for n in range(-n_top, n_top + 1):
        lo = max(kmin, abs(n) * omega / abs(mu))

        def f(k, n=n):
            c = -n * omega / (k * mu)
            z = k * mpmath.sqrt(max(1 - c * c, 0)) * st / omega
            jd = (mpmath.besselj(n - 1, z) - mpmath.besselj(n + 1, z)) / 2
            jr = (mpmath.besselj(n - 1, z) + mpmath.besselj(n + 1, z)) / 2
            return (e0 / 4) * (c * c * jd**2 + jr**2) / k

        if lo < kmax:
            total += mpmath.quad(f, mpmath.linspace(lo, kmax, 12))
    return float(mpmath.pi * total / abs(mu))


@pytest.mark.parametrize("mu", [0.15, -0.45, 0.8])
def test_isotropic_rate_against_mpmath(mu):
    """The isotropic resonances (N = 0, +-1 and the higher harmonics) by an independent quadrature."""
    e0, kmin, kmax, omega = 1.0, 0.5, 12.0, 1.0
    nu = float(qa.resonance_rate(isotropic_tensor(white(e0), kmin, kmax), mu, omega))
    assert math.isclose(nu, _nu_mpmath(e0, kmin, kmax, mu, omega), rel_tol=1e-9)


def test_isotropic_qlt_conventions():
    iso = isotropic_tensor(white(1.0), 0.5, 12.0)
    res = qa.qlt_scattering(iso, 1.0)
    assert res.edge_cut and math.isclose(res.mu_gap_low, qa.EDGE_FACTOR / 12.0)
    assert res.lambda_error <= qa.MU_RTOL * res.lambda_par
    assert math.isclose(res.tau_s, res.lambda_par) and math.isclose(res.K_zz, res.lambda_par / 3)  # tau_s = 3 K_zz / v^2
    # the rate vanishes linearly at the gap edge |mu| = Omega/k_max (the reason for the cut)
    eps = np.array([1e-7, 2e-7])
    nu = qa.resonance_rate(iso, 1.0 / 12.0 + eps, 1.0)
    assert nu[0] > 0 and math.isclose(nu[1] / nu[0], 2.0, rel_tol=1e-3)
    assert qa.resonance_rate(iso, 0.5 / 12.0, 1.0) == 0.0  # inside the gap
    moved = qa.qlt_scattering(iso, 1.0, edge_factor=3.0)
    assert moved.lambda_par < res.lambda_par  # the cut is a choice, and it matters: reported


def test_kpm51_rule_for_isotropic_with_b0() -> None:
    """The model-level KPM (51) takes the generic resonance sum's tau_s for isotropic + B0 (a narrow band: k_max = 12 Omega)."""
    r_g, rho = math.sqrt(0.5), 0.3
    model = TurbulenceModel(geometry="isotropic", eta=0.5, rho=rho, spectrum=Spectrum(kmax=12.0 * r_g / rho))
    tau = qa.scattering_time(model.turbulence.tensor(model), 1.0)
    step = mixing_time(model)
    assert step.source == "kpm51" and math.isclose(step.dt, 4.0 * tau ** (1.0 / 3.0), rel_tol=1e-12)
    assert math.isclose(step.tau_s, tau, rel_tol=1e-12)


def test_bad_input():
    iso = isotropic_tensor(white(1.0), 0.5, 12.0)
    with pytest.raises(ValueError, match="omega must be > 0"):
        qa.qlt_scattering(iso, 0.0)
    with pytest.raises(ValueError, match="mu"):
        qa.resonance_rate(iso, 1.5, 1.0)
    with pytest.raises(ValueError, match="edge_factor"):
        qa.qlt_scattering(iso, 1.0, edge_factor=0.5)
