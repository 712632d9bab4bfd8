"""Coverage, the ring (m = 0) filter, the rotation to the field direction, antipodes."""

from __future__ import annotations

import math

import healpy as hp
import numpy as np
import pytest

from crmix.observe.forward import equatorial_maps, gaussian_skies
from crmix.observe.sky import (
    band_weights,
    field_axis,
    observed_map,
    read_weights,
    ring_filter,
    rotate_to_equatorial,
)


def test_band_weights_cover_the_band_area():
    nside = 64
    w = band_weights(nside, -90.0, -35.0)
    assert w.mean() == pytest.approx(0.5 * (1.0 - math.sin(math.radians(35.0))), abs=2.0 / (3 * nside))
    theta, _ = hp.pix2ang(nside, np.flatnonzero(w))
    assert np.all(90.0 - np.degrees(theta) <= -35.0)


def test_ring_filter_removes_declination_only_structure_and_is_a_projection():
    nside = 16
    w = band_weights(nside, -60.0, 20.0)
    theta, _ = hp.pix2ang(nside, np.arange(hp.nside2npix(nside)))
    dec_only = np.cos(3 * theta) + theta**2
    np.testing.assert_allclose(ring_filter(dec_only, w) * w, 0.0, atol=1e-13)
    sky = gaussian_skies(np.r_[0.0, np.ones(20)], nside, 1, seed=2)[0] + dec_only
    once = ring_filter(sky, w)
    np.testing.assert_allclose(ring_filter(once, w), once, atol=1e-13)
    start, *_ = hp.ringinfo(nside, np.arange(1, 4 * nside))
    np.testing.assert_allclose(np.add.reduceat(once * w, start), 0.0, atol=1e-12)
    assert np.abs(observed_map(sky, w, "none") - sky * w).max() == 0.0


def test_full_sky_ring_filter_zeroes_the_m0_coefficients():
    """Up to the pixelisation (polar rings of 4k pixels also see m = 4k), and leaves m != 0 alone."""
    nside, lmax = 32, 20
    sky = gaussian_skies(np.r_[0.0, np.ones(lmax)], nside, 1, seed=4)[0]
    before = hp.map2alm(sky, lmax=lmax, iter=10)
    after = hp.map2alm(ring_filter(sky, np.ones(sky.size)), lmax=lmax, iter=10)
    _, m = hp.Alm.getlm(lmax)
    assert np.abs(after[m == 0]).max() < 1e-3 * np.abs(before[m == 0]).max()
    assert np.abs(after[m != 0] - before[m != 0]).max() < 1e-3 * np.abs(before).max()


@pytest.mark.parametrize("ra, dec", [(229.2, 11.4), (10.0, -70.0), (300.0, 45.0)])
def test_rotation_puts_the_b0_axis_at_the_field_direction(ra, dec):
    lmax = 6
    alm = np.zeros(hp.Alm.getsize(lmax), dtype=complex)
    alm[hp.Alm.getidx(lmax, 1, 0)] = 1.0  # a dipole along z of the B0 frame
    rotated = hp.alm2map(rotate_to_equatorial(alm, ra, dec, lmax), 32, lmax=lmax)
    _, dipole = hp.fit_dipole(rotated)
    np.testing.assert_allclose(dipole / np.linalg.norm(dipole), field_axis(ra, dec), atol=1e-8)


def test_rotated_simulation_maps_keep_their_power_and_move_their_dipole():
    nside = 8
    npix = hp.nside2npix(nside)
    z = hp.pix2vec(nside, np.arange(npix))[2]
    maps = np.stack([z, gaussian_skies(np.r_[0.0, np.ones(3 * nside - 1)], nside, 1, seed=5)[0]])
    eq = equatorial_maps(maps, 229.2, 11.4, 32)
    _, dipole = hp.fit_dipole(eq[0])
    np.testing.assert_allclose(dipole / np.linalg.norm(dipole), field_axis(229.2, 11.4), atol=1e-6)
    lmax = 3 * nside - 1
    before = hp.alm2cl(hp.map2alm(maps[1], lmax=lmax))
    after = hp.alm2cl(hp.map2alm(eq[1], lmax=lmax, iter=10))
    np.testing.assert_allclose(after[1:], before[1:], rtol=1e-6)


def test_read_weights_turns_unseen_into_unobserved(tmp_path):
    w = band_weights(8, -90.0, -35.0)
    masked = np.where(w > 0, w, hp.UNSEEN)
    hp.write_map(str(tmp_path / "mask.fits"), masked, dtype=np.float64)
    np.testing.assert_array_equal(read_weights(tmp_path / "mask.fits"), w)
    hp.write_map(str(tmp_path / "bad.fits"), -w, dtype=np.float64)
    with pytest.raises(ValueError, match="weights must be >= 0"):
        read_weights(tmp_path / "bad.fits")
    with pytest.raises(ValueError, match="does not exist"):
        read_weights(tmp_path / "none.fits")


@pytest.mark.parametrize("ra, dec", [(360.0, 0.0), (0.0, 91.0), (float("nan"), 0.0)])
def test_bad_field_direction_is_a_clear_error(ra, dec):
    with pytest.raises(ValueError, match="field direction"):
        field_axis(ra, dec)
