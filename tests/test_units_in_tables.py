"""Numbers leaving crmix carry their units: the model's units (crmix.units.ModelUnits) against hand computations,
the records and columns of crmix.records, and the spectrum table read back with ``QTable.read``.

The tables of the other commands are read back the same way in their own tests (the ``units_everywhere``
fixture of tests/conftest.py): simulate (tests/simulate/test_runner.py), scan (tests/simulate/test_scan.py),
fit (tests/fit/test_fit.py), compare (tests/observe/test_compare_cli.py), mixing (tests/measured/test_measured_mixing.py,
tests/measured/test_measured_theory.py).
"""

from __future__ import annotations

import math
from pathlib import Path

import astropy.constants as const
import astropy.units as u
import pytest
from scipy import integrate

from crmix.cli import main
from crmix.model import TurbulenceModel
from crmix.qlt import parallel_diffusion
from crmix.records import DROP, KEYS, Renamed, column_pair, with_units
from crmix.units import model_units

#: crmix spectrum's default model: slab, Kolmogorov, eta = 0.5, B_rms = 4 uG, L_c = 30 pc, R = 10 TV
RIGIDITY, B_RMS, L_C, ETA = 10 * u.TV, 4 * u.uG, 30 * u.pc, 0.5
DEFAULT = TurbulenceModel.from_physical("slab", rigidity=RIGIDITY, b_rms=B_RMS, l_c=L_C, eta=ETA)


def _lambda_par_by_mu_quadrature(model: TurbulenceModel) -> float:
    """Slab QLT lambda_par = (3/8) int_{-1}^{1} (1 - mu^2)^2 / D_mumu dmu over the resonant band |mu| > 1/k_max, with
    D_mumu = (pi/2) G(1/|mu|) (1 - mu^2) / |mu|, in the model's units (tests/test_qlt.py checks D_mumu)."""

    def integrand(mu: float) -> float:
        d_mumu = 0.5 * math.pi * 0.5 * float(model.power(1.0 / mu)) / mu * (1.0 - mu * mu)
        return (1.0 - mu * mu) ** 2 / d_mumu

    half, _ = integrate.quad(integrand, 1.0 / model.k_max, 1.0, limit=500, epsrel=1e-11)
    return 3.0 / 8.0 * 2.0 * half


def test_model_units_by_hand() -> None:
    """1/Omega_0 = R/(c^2 B0) and c/Omega_0 = R/(c B0) with B0 = B_rms sqrt(1 - eta): 10 TV in 2.83 uG."""
    units = model_units(DEFAULT)
    b0 = (B_RMS * math.sqrt(1 - ETA)).to(u.T)
    length = (RIGIDITY.to(u.V) / (const.c * b0)).to(u.m)  # V s/m^2 = T: V/(m/s T) = m
    assert units.length.to_value(u.pc) == pytest.approx(length.to_value(u.pc), rel=1e-12)
    assert units.length.to_value(u.pc) == pytest.approx(3.8196e-3, rel=1e-3)  # the number quoted in crmix.units
    assert units.time.to_value(u.s) == pytest.approx((length / const.c).to_value(u.s), rel=1e-12)
    # L_c in the model's units, and back
    assert units.physical(DEFAULT.L_c, "length").to_value(u.pc) == pytest.approx(30.0, rel=1e-12)
    assert units.internal(30 * u.pc, "length") == pytest.approx(DEFAULT.L_c, rel=1e-12)
    assert units.physical(2.0, "rate").to_value(1 / u.s) == pytest.approx(2.0 / units.time.to_value(u.s), rel=1e-12)
    with pytest.raises(ValueError, match="not a time"):
        units.internal(3 * u.pc, "time")
    no_scale = model_units(TurbulenceModel(eta=0.5, rho=0.3))
    assert no_scale.length is None and no_scale.physical(1.0, "time") is None
    with pytest.raises(ValueError, match="no physical scale"):
        no_scale.internal(1 * u.yr, "time")


def test_qlt_k_zz_of_the_default_model_in_cm2_per_s() -> None:
    """K_zz = v lambda_par / 3, lambda_par from the mu quadrature of its definition; in physical units
    K = (Omega K / c^2) c^2 / Omega_0 = (Omega lambda_par / c) R / (3 B0) (R in V, B0 in T: m^2/s)."""
    lam = _lambda_par_by_mu_quadrature(DEFAULT)
    b0 = (B_RMS * math.sqrt(1 - ETA)).to_value(u.T)
    k_zz_by_hand = lam * RIGIDITY.to_value(u.V) / (3 * b0) * 1e4  # m^2/s -> cm^2/s
    physical = model_units(DEFAULT).physical(parallel_diffusion(DEFAULT), "diffusion")
    assert physical.unit == u.cm**2 / u.s
    assert physical.value == pytest.approx(k_zz_by_hand, rel=1e-7)
    assert physical.value == pytest.approx(1.316e29, rel=1e-3)  # KPM's 10 TV: lambda_par = 4.27 pc, K = c lambda / 3


def test_records_give_every_float_its_unit() -> None:
    units = model_units(DEFAULT)
    record = with_units({"tau_s": 100.0, "eta": 0.5, "lmax": 30, "geometry": "slab", "seconds": 2.5, "energy_TeV": 300.0,
                         "physical_l_c_pc": 30.0, "noise_levels": [1.0, 2.0], "nested": {"K_zz": 3.0, "warnings": []},
                         "unknown": 1.5}, units)
    assert record["tau_s"] == units.physical(100.0, "time") and record["tau_s"].unit == u.yr
    assert record["Omega_tau_s"] == 100.0 * u.one
    assert record["eta"] == 0.5 * u.one and record["lmax"] == 30 and record["geometry"] == "slab"
    assert record["seconds"] == 2.5 * u.s
    assert "energy_TeV" not in record and record["energy"] == 300 * u.TeV
    assert "physical_l_c_pc" not in record  # L_c is stated once
    assert record["noise_levels"] == [1.0 * u.one, 2.0 * u.one]
    assert record["nested"]["K_zz"].unit == u.cm**2 / u.s and record["nested"]["Omega_K_zz"] == 3.0 * u.one
    assert record["unknown"] == 1.5  # not in KEYS: left bare, and the read-back tests find it
    # a model without a physical scale: the value in its own units alone
    alone = with_units({"tau_s": 100.0}, model_units(TurbulenceModel(eta=0.5, rho=0.3)))
    assert alone == {"Omega_tau_s": 100.0 * u.one}
    # a column with one model per row: NaN where a row's model has no physical scale
    columns = column_pair("T", [1.0, 2.0], "time", [units, model_units(TurbulenceModel(eta=0.5, rho=0.3))])
    assert columns["T"][0] == units.physical(1.0, "time") and math.isnan(columns["T"][1].value)
    assert list(columns["Omega_T"]) == [1.0 * u.one, 2.0 * u.one]
    assert all(isinstance(k, (str, u.UnitBase, Renamed)) for k in KEYS.values()) and DROP in KEYS.values()


def test_spectrum_table_states_every_unit(tmp_path: Path, units_everywhere) -> None:
    out = tmp_path / "spectrum"
    assert main(["spectrum", "--lmax", "20", "--no-progress", "--out", str(out)]) == 0
    table = units_everywhere(out / "spectrum.ecsv")
    run = table.meta["runs"]["10TV"]
    assert run["K_zz"].unit == u.cm**2 / u.s and run["K_zz"].value == pytest.approx(1.316e29, rel=1e-3)
    assert run["tau_s"].unit == u.yr and run["L_c"].to_value(u.pc) == pytest.approx(30.0, rel=1e-12)
    assert run["gradient_length"].to_value(u.pc) == pytest.approx(1000.0, rel=1e-12)
    assert run["Omega_tau_s"].unit == u.one and run["Omega_K_zz"].value == pytest.approx(run["Omega_tau_s"].value / 3, rel=1e-12)
