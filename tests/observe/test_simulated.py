"""Reading a real (tiny) crmix simulate run as arrival-direction maps in the B0 frame."""

from __future__ import annotations

import json

import healpy as hp
import numpy as np
import pytest

from crmix.observe.simulated import read_simulated_sky_maps


def test_maps_are_the_momentum_maps_at_the_antipodes(simulate_run):
    sky = read_simulated_sky_maps(simulate_run, 10.0)
    assert sky.maps.shape == (2, hp.nside2npix(4)) and sky.realisations == (0, 1) and sky.nside == 4
    x, y, z = hp.pix2vec(4, np.arange(hp.nside2npix(4)))
    for i in range(2):
        momentum = hp.read_map(str(simulate_run / f"realisation_{i:05d}.fits"), field=1, dtype=np.float64)
        # arrival direction n = -p: the value at pixel n is the momentum map's value at -n
        np.testing.assert_array_equal(sky.maps[i], momentum[hp.vec2pix(4, -x, -y, -z)])
        lmax = 11
        a_arr, a_mom = hp.map2alm(sky.maps[i], lmax=lmax, iter=0), hp.map2alm(momentum, lmax=lmax, iter=0)
        ell, _ = hp.Alm.getlm(lmax)
        np.testing.assert_allclose(a_arr, (-1.0) ** ell * a_mom, atol=1e-12 * np.abs(a_mom).max())  # parity
        assert abs(a_mom[hp.Alm.getidx(lmax, 1, 0)]) > 0  # the dipole along B0 is there, and flips sign


def test_time_is_matched_to_requested_or_recorded_times(simulate_run):
    recorded = json.loads((simulate_run / "run.json").read_text())["recorded_times"]
    a = read_simulated_sky_maps(simulate_run, 5.0)
    b = read_simulated_sky_maps(simulate_run, recorded[0])
    np.testing.assert_array_equal(a.maps, b.maps)
    assert a.time == 5.0 and a.recorded_time == pytest.approx(recorded[0])
    assert not np.array_equal(a.maps, read_simulated_sky_maps(simulate_run, 10.0).maps)
    with pytest.raises(ValueError, match="backtracking times"):
        read_simulated_sky_maps(simulate_run, 7.0)


def test_a_folder_without_a_run_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match=r"run\.json"):
        read_simulated_sky_maps(tmp_path, 10.0)
