"""Mixing time rules (KPM (51), MA19 alpha), validity warnings, physical units, the 1/<cos a>^2 factor."""

from __future__ import annotations

import math

import astropy.constants as const
import astropy.units as u
import numpy as np
import pytest
from scipy import integrate

from crmix.model import TurbulenceModel
from crmix.qlt import scattering_time
from crmix.solver.spectrum import dipole_source, length_unit_pc, mean_cos_field_angle, spectral_slope
from crmix.solver.timestep import MixingTimeWarning, mixing_time
from crmix.units import parse_quantity


def kpm_default(rigidity: str = "10TV", eta: float = 0.5) -> TurbulenceModel:
    return TurbulenceModel.from_physical(
        rigidity=parse_quantity(rigidity, u.V, "rigidity"), b_rms=4 * u.uG, l_c=30 * u.pc, eta=eta
    )


def test_kpm51_rule():
    model = kpm_default()
    mt = mixing_time(model)
    tau = scattering_time(model)
    assert mt.source == "kpm51" and mt.tau_s == tau
    assert mt.omega_dt == pytest.approx(4.0 * tau ** (1 / 3), rel=1e-14)
    assert mixing_time(model, rule="kpm51", coefficient=3.0).dt == pytest.approx(3.0 * tau ** (1 / 3), rel=1e-14)
    assert mt.warnings == ()


def test_alpha_and_direct_dt():
    model = TurbulenceModel.ma19()
    mt = mixing_time(model, alpha=50.0)
    assert mt.dt == pytest.approx(50.0 / model.k_max) and mt.tau_s is None and mt.alpha == pytest.approx(50.0)
    assert mixing_time(kpm_default(), omega_dt=20.0).dt == 20.0


def test_validity_warnings():
    model = kpm_default()
    with pytest.warns(MixingTimeWarning, match="2 pi"):
        mt = mixing_time(model, omega_dt=3.0)
    assert len(mt.warnings) == 1
    tau = scattering_time(model)
    with pytest.warns(MixingTimeWarning, match="tau_s"):
        mixing_time(model, omega_dt=1.5 * tau)


@pytest.mark.parametrize(
    "model, kwargs, match",
    [
        (TurbulenceModel.ma19(), {}, "alpha"),
        (TurbulenceModel.ma19(), {"rule": "kpm51"}, "QLT scattering time"),
        (TurbulenceModel(), {"alpha": 1.0, "omega_dt": 2.0}, "at most one"),
        (TurbulenceModel(), {"alpha": -1.0}, "alpha must be"),
        (TurbulenceModel(), {"rule": "nope"}, "dt rule must be one of"),
        (TurbulenceModel(), {"coefficient": 0.0}, "coefficient"),
    ],
)
def test_bad_mixing_time(model, kwargs, match):
    with pytest.raises(ValueError, match=match):
        mixing_time(model, **kwargs)


def test_units_round_trip():
    """KPM Sec. 2.1.3: 10 TV, 4 uG, 30 pc -> rho ~ 9e-5; the length unit is the gyroradius in B0."""
    model = kpm_default()
    r_g = (10 * u.TV / (const.c * 4 * u.uG)).to(u.pc, equivalencies=[])  # R / (c B), SI volts and teslas
    assert model.rho == pytest.approx((r_g / (30 * u.pc)).decompose().value, rel=1e-12)
    assert model.rho == pytest.approx(9.0e-5, rel=0.01)
    assert kpm_default("0.01PV").rho == pytest.approx(model.rho, rel=1e-14)
    b0 = 4 * u.uG * math.sqrt(1 - model.eta)
    unit = length_unit_pc(model)
    assert unit == pytest.approx((10 * u.TV / (const.c * b0)).to_value(u.pc), rel=1e-12)
    assert model.L_c * unit == pytest.approx(30.0, rel=1e-12)
    with pytest.raises(ValueError, match="physical scale"):
        length_unit_pc(TurbulenceModel())


def test_dipole_source_coefficient():
    """KPM (18): (8 pi/3) K (grad f/f)^2 (MA19 (3.4) prints 8 pi/9)."""
    assert dipole_source(2.0, 0.5) == pytest.approx(8 * math.pi / 3 * 2.0 * 0.25, rel=1e-15)
    assert dipole_source(2.0, 0.5, correction=2.0) == pytest.approx(2 * 8 * math.pi / 3 * 0.5, rel=1e-15)
    with pytest.raises(ValueError, match="gradient"):
        dipole_source(1.0, 0.0)


@pytest.mark.parametrize("eta", [0.1, 0.5, 0.9])
def test_mean_cos_field_angle_by_direct_quadrature(eta):
    """<cos a> for Gaussian dB by plain quadrature over the field components (no closed form used)."""
    s = eta / (1 - eta)
    # slab: two transverse components of variance s/2, in Cartesian coordinates
    v = s / 2
    gauss = lambda t, var: math.exp(-t * t / (2 * var)) / math.sqrt(2 * math.pi * var)  # noqa: E731
    slab, _ = integrate.dblquad(
        lambda y, x: gauss(x, v) * gauss(y, v) / math.sqrt(1 + x * x + y * y), -np.inf, np.inf, -np.inf, np.inf,
        epsabs=1e-11,
    )
    assert mean_cos_field_angle(TurbulenceModel(eta=eta)) == pytest.approx(slab, rel=1e-7)
    # isotropic: three components of variance s/3, cos a = (1 + w_z)/|B|, transverse part in polar radius
    v = s / 3
    def inner(z: float) -> float:
        val, _ = integrate.quad(
            lambda r: r / v * math.exp(-r * r / (2 * v)) * (1 + z) / math.sqrt((1 + z) ** 2 + r * r), 0, np.inf,
            epsabs=1e-12,
        )
        return gauss(z, v) * val
    iso = sum(integrate.quad(inner, lo, hi, epsabs=1e-11)[0] for lo, hi in ((-np.inf, -1.0), (-1.0, np.inf)))
    model = TurbulenceModel(geometry="isotropic", eta=eta)
    assert mean_cos_field_angle(model) == pytest.approx(iso, rel=1e-7)
    with pytest.raises(ValueError, match="eta must be < 1"):
        mean_cos_field_angle(TurbulenceModel.ma19())


def test_kpm_estimate_of_the_normalisation_factor():
    """KPM Sec. 3.3 estimate 1/<cos a>^2 ~ 2 at eta = 0.5; the Gaussian slab field gives e pi erfc(1)^2 ... inverted."""
    exact = 1.0 / (math.sqrt(math.pi) * math.e * math.erfc(1.0)) ** 2
    assert 1.0 / mean_cos_field_angle(TurbulenceModel(eta=0.5)) ** 2 == pytest.approx(exact, rel=1e-12)
    assert 1.6 < exact < 1.8


def test_spectral_slope():
    ell = np.arange(40, dtype=float)
    C = np.zeros(40)
    C[1:] = 3.0 * ell[1:] ** -2.7
    assert spectral_slope(C) == pytest.approx(-2.7, rel=1e-12)
    assert math.isnan(spectral_slope(C[:5]))
