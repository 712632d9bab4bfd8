"""TurbulenceModel: validation, normalisation, units."""

from __future__ import annotations

import math

import astropy.units as u
import numpy as np
import pytest
from scipy import integrate

from crmix import Spectrum, TurbulenceModel
from crmix.units import gyroradius, parse_quantity, reduced_rigidity


def test_kpm_reduced_rigidity():
    # KPM Sec. 2.1.3: 10 TV protons in 4 uG with L_c = 30 pc; r_g = R/(cB) by hand in SI units.
    r_g_m = 10e12 / (299792458.0 * 4e-10)
    pc_m = 3.0856775814913673e16
    assert reduced_rigidity(10 * u.TV, 4 * u.uG, 30 * u.pc) == pytest.approx(r_g_m / pc_m / 30, rel=1e-9)
    assert 8.5e-5 < reduced_rigidity(10 * u.TV, 4 * u.uG, 30 * u.pc) < 9.5e-5
    # 1 PV gives rho ~ 8.9e-3 (KPM Sec. 3.2)
    assert reduced_rigidity(1 * u.PV, 4 * u.uG, 30 * u.pc) == pytest.approx(100 * r_g_m / pc_m / 30, rel=1e-9)


def test_units_round_trip():
    q = parse_quantity("10TV", u.V, "rigidity")
    assert q.to_value(u.TV) == pytest.approx(10)
    assert parse_quantity("4uG", u.G, "brms").to_value(u.uG) == pytest.approx(4)
    assert parse_quantity("30 pc", u.pc, "lc").to_value(u.pc) == pytest.approx(30)
    rg = gyroradius(q, 4 * u.uG)
    m = TurbulenceModel.from_physical(rigidity=q, b_rms=4 * u.uG, l_c=30 * u.pc)
    assert m.physical.gyroradius_pc() == pytest.approx(rg.to_value(u.pc))
    assert m.rho == pytest.approx(rg.to_value(u.pc) / 30)
    with pytest.raises(ValueError, match="rigidity"):
        parse_quantity("10pc", u.V, "rigidity")
    with pytest.raises(ValueError, match="rigidity"):
        gyroradius(-1 * u.TV, 4 * u.uG)


@pytest.mark.parametrize("geometry", ["slab", "isotropic"])
@pytest.mark.parametrize(
    "spectrum",
    [Spectrum.kolmogorov(), Spectrum.kraichnan(), Spectrum.white(0.5, 50.0), Spectrum(kind="bendover", index=5 / 3, kmax=300.0)],
)
def test_power_normalised_to_eta(geometry, spectrum):
    m = TurbulenceModel(geometry=geometry, spectrum=spectrum, eta=0.3, rho=0.05)
    # brute force: adaptive quadrature in log k, just inside the band edges
    lo, hi = math.log(m.k_min) + 1e-13, math.log(m.k_max) - 1e-13
    total, _ = integrate.quad(lambda t: float(m.power(math.exp(t))) * math.exp(t), lo, hi, limit=500, epsrel=1e-11)
    assert total == pytest.approx(m.eta / (1 - m.eta), rel=1e-8)
    # g = E / (8 pi): <omega^2> = 8 pi int g dk in both papers' conventions
    g_total, _ = integrate.quad(lambda t: 8 * np.pi * float(m.g(math.exp(t))) * math.exp(t), lo, hi, limit=500, epsrel=1e-11)
    assert g_total == pytest.approx(total, rel=1e-9)
    assert m.power(np.array([m.k_min / 2, m.k_max * 2])).tolist() == [0.0, 0.0]


def test_derived_units_b0_reference():
    m = TurbulenceModel(eta=0.5, rho=1e-2)
    assert m.omega_reference == "B0" and m.Omega == 1.0
    assert m.r_g == pytest.approx(math.sqrt(0.5))  # Omega_rms = Omega / sqrt(1 - eta)
    assert m.L_c == pytest.approx(math.sqrt(0.5) / 1e-2)
    assert m.k_min * m.L_c == pytest.approx(2 * math.pi / 5)  # L_max = 5 L_c
    assert 2 * math.pi / m.k_max == pytest.approx(m.r_g / 150)  # lambda_min = r_g / 150


def test_ma19_model_has_no_regular_field():
    m = TurbulenceModel.ma19()
    assert m.omega_reference == "Brms" and m.Omega == 0.0 and m.omega_rms2 == 1.0
    assert m.k_min * m.r_g == pytest.approx(1e-3) and m.k_max * m.r_g == pytest.approx(1e2)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"eta": 0.0}, "eta"),
        ({"eta": 1.0}, "eta"),
        ({"eta": 1.2}, "eta"),
        ({"eta": float("nan")}, "eta"),
        ({"rho": 0.0}, "rho"),
        ({"rho": -1.0}, "rho"),
        ({"rho": float("inf")}, "rho"),
        ({"geometry": "toroidal"}, "geometry"),
    ],
)
def test_invalid_model(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TurbulenceModel(**kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"kmin": 2.0, "kmax": 1.0}, "kmin < kmax"),
        ({"kmin": -1.0}, "kmin"),
        ({"kind": "pink"}, "kind"),
        ({"index": float("inf")}, "index"),
        ({"kind": "white", "index": 1.0}, "index"),
    ],
)
def test_invalid_spectrum(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Spectrum(**kwargs)


def test_model_kmax_below_kmin_rejected():
    with pytest.raises(ValueError, match="kmin < kmax"):
        TurbulenceModel(spectrum=Spectrum(kmin=1e6), rho=1.0)
