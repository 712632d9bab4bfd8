"""The prediction hook and its caches (memory and folder)."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pytest

from crmix import TurbulenceModel
from crmix.observe.theory import GRADIENT_LENGTH_PC, PredictionCache, predicted_spectrum
from crmix.solver.spectrum import angular_power_spectrum, length_unit_pc

MODEL = TurbulenceModel.from_physical("slab", rigidity=1 * u.PV, b_rms=4 * u.uG, l_c=30 * u.pc, eta=0.5)


def test_prediction_is_the_solvers_spectrum_over_its_dipole():
    p = predicted_spectrum(MODEL, 10.0, 8)
    with pytest.warns(UserWarning):
        ref = angular_power_spectrum(MODEL, lmax=8, omega_dt=10.0, gradient_length=GRADIENT_LENGTH_PC / length_unit_pc(MODEL))
    np.testing.assert_allclose(p.ratio, ref.C / ref.C[1], rtol=1e-12)
    assert p.ratio[1] == 1.0 and p.C1 == pytest.approx(ref.C[1], rel=1e-12)
    assert p.tau_s == pytest.approx(ref.timestep.tau_s) and p.warnings  # the l_max drift is recorded, not hidden


def test_cache_evaluates_once_and_survives_on_disk(tmp_path):
    cache = PredictionCache(tmp_path)
    a = cache(MODEL, 10.0, 8)
    assert cache(MODEL, 10.0, 8) is a and cache.evaluations == 1
    again = PredictionCache(tmp_path)
    b = again(MODEL, 10.0, 8)
    assert again.evaluations == 0
    np.testing.assert_array_equal(a.ratio, b.ratio)
    assert (b.C1, b.tau_s, b.warnings) == (a.C1, a.tau_s, a.warnings)
    again(MODEL, 10.0, 9)
    again(MODEL.with_(eta=0.4), 10.0, 8)
    assert again.evaluations == 2 and len(list(tmp_path.glob("prediction-*.npz"))) == 3


def test_a_damaged_cache_file_is_recomputed(tmp_path):
    PredictionCache(tmp_path)(MODEL, 10.0, 8)
    (path,) = tmp_path.glob("prediction-*.npz")
    path.write_bytes(b"not an npz")
    cache = PredictionCache(tmp_path)
    cache(MODEL, 10.0, 8)
    assert cache.evaluations == 1


@pytest.mark.parametrize("omega_dt, lmax", [(0.0, 8), (float("inf"), 8), (10.0, 1)])
def test_bad_input_is_a_clear_error(omega_dt, lmax):
    with pytest.raises(ValueError):
        predicted_spectrum(MODEL, omega_dt, lmax)
