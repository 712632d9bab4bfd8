"""Reading a real (tiny) crmix simulate run as arrival-direction maps in the B0 frame."""

from __future__ import annotations

import healpy as hp
import numpy as np
import pytest

from crmix.observe.simulated import read_simulated_sky_maps
from crmix.simulate import skymap


def test_maps_are_the_runs_relative_intensity_in_arrival_directions(simulate_run):
    sky = read_simulated_sky_maps(simulate_run, 10.0)
    assert sky.maps.shape == (2, hp.nside2npix(4)) and sky.realisations == (0, 1) and sky.nside == 4
    from astropy.table import Table

    meta = Table.read(simulate_run / "ensemble_cl.ecsv").meta
    w = skymap.liouville_weights(np.asarray(meta["analysis"]["gradient"]), np.asarray(meta["analysis"]["K_liouville"]))
    for i in range(2):
        with np.load(simulate_run / f"realisation_{i:05d}.npz") as d:
            stored = skymap.quadratic_form(w, d["cross"][-1])
        np.testing.assert_allclose(skymap.angular_power(sky.maps[i], 11), stored, rtol=1e-4)
        # arrival direction n = -p: the momentum-pixel map is the arrival map at the antipodes, and its alm flip parity
        momentum = np.empty_like(sky.maps[i])
        momentum[skymap.arrival_order(4)] = sky.maps[i]
        a_arr, a_mom = hp.map2alm(sky.maps[i], lmax=11, iter=0), hp.map2alm(momentum, lmax=11, iter=0)
        ell, _ = hp.Alm.getlm(11)
        np.testing.assert_allclose(a_arr, (-1.0) ** ell * a_mom, atol=1e-10 * np.abs(a_mom).max())
        assert abs(a_mom[hp.Alm.getidx(11, 1, 0)]) > 0  # the dipole along B0 is there, and flips sign


def test_time_is_matched_to_a_recorded_time(simulate_run):
    a = read_simulated_sky_maps(simulate_run, 5.0)
    assert a.time == pytest.approx(5.0, rel=1e-3)
    assert not np.array_equal(a.maps, read_simulated_sky_maps(simulate_run, 10.0).maps)
    with pytest.raises(ValueError, match="backtracking time"):
        read_simulated_sky_maps(simulate_run, 7.0)


def test_a_folder_without_a_run_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match=r"ensemble_cl\.ecsv"):
        read_simulated_sky_maps(tmp_path, 10.0)
