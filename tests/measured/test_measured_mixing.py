"""The measured-mixing run (crmix.simulate.measured_mixing): exact checks with particles, resuming, the files."""

from __future__ import annotations

import json
import math

import astropy.constants as const
import astropy.units as u
import numpy as np
import pytest

from crmix import Spectrum, TurbulenceModel
from crmix.simulate.config import Analysis, SimulationConfig
from crmix.simulate.fields import SlabTable
from crmix.simulate.measured_mixing import MixingConfig, jitter_rng, measure_field, run_mixing

MODEL = TurbulenceModel(geometry="slab", eta=0.3, rho=0.1, spectrum=Spectrum(kmax=2 * math.pi * 5 / 0.1))


def _config(times=(1.0, 4.0), nside=4, lmax=8, model=MODEL) -> MixingConfig:
    return MixingConfig(SimulationConfig(model=model, nside=nside, times=times), lmax)


@pytest.mark.parametrize("omega", [(0.0, 0.0), (0.35, -0.2)])
def test_without_turbulence_or_with_a_uniform_tilt_M_is_the_identity(omega):
    """delta B = 0: every direction turns about B0 by the same angle; a uniform delta B tilts the axis.  M = 1 exactly."""
    field = SlabTable(np.tile(np.asarray(omega, dtype=float), (64, 1)), 1.0)
    result = measure_field(_config(times=(0.7, 5.0, 23.0)), field, np.random.default_rng(0))
    for m in result.mixing:
        np.testing.assert_allclose(m, np.eye(9), atol=1e-11)


def test_turbulence_mixes_and_the_measured_M_obeys_the_sum_rule():
    """With turbulence M != 1, and sum_l (2l+1) M_{l l0} = 2 l0 + 1 over the resolved rows (l <= 3 N_side - 1)."""
    config = _config(times=(2.0,), nside=8, lmax=23)
    result = measure_field(config, _slab_field(), np.random.default_rng(1))
    m = result.mixing[0]
    ell = np.arange(24)
    assert np.max(np.abs(np.diag(m)[1:5] - 1)) > 0.05
    sums = np.sum((2 * ell + 1)[:, None] * m, axis=0)[:5] / (2 * ell[:5] + 1)
    np.testing.assert_allclose(sums, 1.0, atol=0.02)


def _slab_field() -> SlabTable:
    from crmix.simulate.synthesis import realisation_rng, slab_table

    return slab_table(MODEL, realisation_rng(4, 0))


def test_run_writes_tables_and_resumes_without_recomputing(tmp_path, monkeypatch, units_everywhere):
    config = _config()
    out = tmp_path / "m"
    first = run_mixing(config, out, 3, progress=False)
    assert first.mixing.shape == (2, 9, 9) and first.mixing_realisations.shape == (3, 2, 9, 9)
    table = units_everywhere(out / "mixing.ecsv")
    assert len(table) == 2 * 81 and table.meta["parameters"]["mixing_lmax"] == 8 and "provenance" in table.meta
    assert "dT" not in table.colnames  # a model without a physical scale: Omega Delta T alone
    np.testing.assert_array_equal(np.unique(table["Omega_dT"].to_value(u.one)), first.times)
    spectra = units_everywhere(out / "mixing_cl.ecsv")
    assert np.allclose(spectra["ratio"][spectra["ell"] == 1], 1.0)
    with np.load(out / "mixing.npz") as data:  # the record in the model's units, as crmix.fit.mixing reads it
        np.testing.assert_array_equal(data["times"], first.times)
        assert json.loads(str(data["metadata"]))["time_unit"] == "1/Omega"
    run = json.loads((out / "run.json").read_text())
    assert run["estimator"].startswith("two jittered")

    import crmix.simulate.measured_mixing as mm

    calls = []
    original = mm.measure_realisation
    monkeypatch.setattr(mm, "measure_realisation", lambda *a, **k: calls.append(a[1]) or original(*a, **k))
    (out / "mixing_00001.npz").write_bytes(b"truncated")  # a corrupt file is recomputed, never used
    again = run_mixing(config, out, 3, progress=False)
    assert calls == [1]
    np.testing.assert_array_equal(again.mixing, first.mixing)


def test_tables_of_a_physical_model_give_times_in_yr_and_K_zz_in_cm2_per_s(tmp_path, units_everywhere):
    """Delta T in yr beside Omega_dT, K_zz in cm^2/s beside Omega_K_zz, converted with Omega = c^2 B0 / R (B0 = B_rms
    sqrt(1 - eta) in a slab model), and the run's parameters with units, as in the tables of crmix simulate."""
    rigidity, b_rms, eta = 10 * u.PV, 4 * u.uG, 0.3
    model = TurbulenceModel.from_physical("slab", rigidity=rigidity, b_rms=b_rms, l_c=30 * u.pc, eta=eta,
                                          spectrum=Spectrum(kmax=2 * math.pi * 5 / 0.1))
    out = tmp_path / "m"
    ensemble = run_mixing(_config(model=model, lmax=4), out, 2, progress=False)
    omega = (const.c**2 * b_rms * math.sqrt(1 - eta) / rigidity).to(1 / u.s)
    table = units_everywhere(out / "mixing.ecsv")
    np.testing.assert_allclose(table["dT"].to_value(u.yr), (table["Omega_dT"] / omega).to_value(u.yr), rtol=1e-10)
    np.testing.assert_allclose(np.unique(table["dT"].to_value(u.yr)), (ensemble.times / omega).to_value(u.yr), rtol=1e-10)
    assert table.meta["parameters"]["model"]["rigidity"].to_value(u.PV) == pytest.approx(10.0)
    spectra = units_everywhere(out / "mixing_cl.ecsv")
    assert spectra["K_zz"].unit == u.cm**2 / u.s and np.all(spectra["K_zz"] > 0)
    np.testing.assert_allclose(spectra["K_zz"].to_value(u.cm**2 / u.s),
                               (spectra["Omega_K_zz"] * const.c**2 / omega).to_value(u.cm**2 / u.s), rtol=1e-10)
    assert spectra["dT"].unit == u.yr and spectra["C"].unit == u.one


def test_a_folder_of_other_parameters_is_refused(tmp_path):
    run_mixing(_config(), tmp_path / "m", 1, progress=False)
    with pytest.raises(ValueError, match="other parameters"):
        run_mixing(_config(lmax=6), tmp_path / "m", 1, progress=False)


def test_realisations_depend_on_seed_and_index_alone():
    config = _config(times=(3.0,))
    a = measure_field(config, _slab_field(), jitter_rng(0, 5))
    b = measure_field(config, _slab_field(), jitter_rng(0, 5))
    np.testing.assert_array_equal(a.mixing, b.mixing)


def test_bad_lmax_is_refused_before_work():
    with pytest.raises(ValueError, match="lmax must be <= 3 nside - 1"):
        _config(nside=2, lmax=6)


def test_spectra_follow_the_liouville_mapping():
    """C_l scales as |g|^2: the same realisations reduced with a gradient twice as large give 4 C_l, the same ratio."""
    from crmix.simulate.measured_mixing import reduce_mixing

    config = _config(times=(3.0,))
    results = [measure_field(config, _slab_field(), jitter_rng(0, i), index=i) for i in range(2)]
    one = reduce_mixing(config, Analysis(gradient=(0, 0, 1e-3), diffusion="qlt"), results)
    two = reduce_mixing(config, Analysis(gradient=(0, 0, 2e-3), diffusion="qlt"), results)
    np.testing.assert_allclose(two.cl, 4 * one.cl, rtol=1e-12)
    np.testing.assert_allclose(two.ratio, one.ratio, rtol=1e-12)


def test_a_mixing_run_folder_held_by_another_process_is_refused_before_any_work(tmp_path):
    """crmix mixing holds its folder as crmix simulate does: a second writer is refused, naming --out, and writes nothing."""
    from crmix.simulate.store import folder_lock

    out = tmp_path / "m"
    out.mkdir()
    with folder_lock(out), pytest.raises(ValueError, match=r"--out .* in use by another crmix process"):
        run_mixing(_config(), out, 1, progress=False)
    assert not any(out.iterdir())
    run_mixing(_config(), out, 1, progress=False)  # free again: the run goes on
    assert (out / "mixing.npz").exists()
