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
    import astropy.units as u
    from astropy.table import QTable

    # the mapping as the tables state it, in the model's units (g in Omega/c, K in c^2/Omega: crmix.records)
    analysis = QTable.read(simulate_run / "ensemble_cl.ecsv").meta["analysis"]
    g, K = (u.Quantity(analysis[name]).to_value(u.one) for name in ("Omega_gradient", "Omega_K_liouville"))
    w = skymap.liouville_weights(g, K)
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


def test_maps_of_a_physical_model_state_units_and_parameters(simulate_run):
    """1 PV in B_rms = 4 uG (eta = 0.5, L_c = 30 pc): r in pc, the times in yr beside Omega T, the physical parameters
    in the header with their units in the comments; 1/Omega_0 = R/(c^2 B0) by hand."""
    import astropy.constants as const
    import astropy.units as u
    from astropy.io import fits

    header = dict(hp.read_map(simulate_run / "realisation_00000.fits", field=0, h=True)[1])
    assert header["TTYPE1"] == "RX_1" and header["TUNIT1"] == "pc" and header["TUNIT4"] == ""
    assert header["CRRIGID"] == pytest.approx(1e15) and header["CRBRMS"] == pytest.approx(4.0) and header["CRLC"] == pytest.approx(30.0)
    assert header["CRB0"] == pytest.approx(4.0 * 0.5**0.5, rel=1e-12)
    gyration = (1e15 * u.V / (const.c**2 * header["CRB0"] * u.uG)).to_value(u.yr)
    assert header["CRUNITT"] == pytest.approx(gyration, rel=1e-12)
    assert header["CROMT2"] == pytest.approx(10.0, rel=1e-3) and header["CRT2"] == pytest.approx(header["CROMT2"] * gyration, rel=1e-12)
    with fits.open(simulate_run / "realisation_00000.fits") as hdul:
        comments = hdul[1].header.comments
        assert comments["CRRIGID"].startswith("[V]") and comments["CRLC"].startswith("[pc]") and comments["CRT1"].startswith("[yr]")
