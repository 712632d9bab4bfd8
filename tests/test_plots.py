"""The pictures (crmix.plots): each one is drawn and written, the sky map's colours are centred on zero, its marks sit
where the field and the dipole point, the truncation-affected multipoles are found, bands stay inside the data's range."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import healpy as hp
import numpy as np
import pytest

from crmix import TurbulenceModel
from crmix.plots.compare import compare_figure, write_compare_plot
from crmix.plots.fit import write_fit_plot
from crmix.plots.skymap import colour_range, draw_sky_map, write_run_summary
from crmix.plots.spectrum import truncation_onset, write_spectrum_plot
from crmix.plots.style import new_figure, spectrum_name, style

PNG = b"\x89PNG\r\n\x1a\n"


def _is_png(path: Path) -> bool:
    return path.is_file() and path.read_bytes()[:8] == PNG and path.stat().st_size > 10_000


def test_truncation_onset_is_the_first_multipole_beyond_the_drift_limit() -> None:
    drift = np.array([np.nan, np.nan, 0.01, -0.03, -0.07, 0.2, 0.4])
    assert truncation_onset(drift, lmax_half=6) == 4
    assert truncation_onset(np.array([np.nan, np.nan, 0.01, 0.02]), lmax_half=3) == 4  # none: from l_max/2 + 1 on


def test_spectra_are_named_as_physicists_name_them() -> None:
    assert spectrum_name("power_law", 5.0 / 3.0).startswith("Kolmogorov")
    assert spectrum_name("power_law", 1.5).startswith("Kraichnan")
    assert spectrum_name("white", 0.0) == "white noise"
    assert "1.2" in spectrum_name("power_law", 1.2)


def test_the_spectrum_plot_is_written(tmp_path: Path) -> None:
    import astropy.units as u

    from crmix.solver.spectrum import angular_power_spectrum

    model = TurbulenceModel.from_physical("slab", rigidity=1 * u.PV, b_rms=4 * u.uG, l_c=30 * u.pc, eta=0.5)
    with pytest.warns(UserWarning):
        res = angular_power_spectrum(model, lmax=16, omega_dt=15.0, gradient_length=100.0)
    assert _is_png(write_spectrum_plot(tmp_path / "spectrum.png", [("1PV", res)]))


def test_the_sky_map_is_centred_on_zero_and_marks_b0_and_the_dipole() -> None:
    nside = 16
    theta, phi = math.radians(60.0), math.radians(100.0)
    n = np.asarray(hp.pix2vec(nside, np.arange(hp.nside2npix(nside))))
    sky = 0.03 * np.dot(hp.ang2vec(theta, phi), n) + 0.004 * np.random.default_rng(1).standard_normal(n.shape[1]) + 0.01
    with style():
        fig = new_figure(6.0, 4.0)
        ax = draw_sky_map(fig, 111, sky, title="test", unit="relative intensity")
    low, high = ax.collections[0].get_clim()
    assert low == -high and high >= np.max(np.abs(sky))
    (_, b0_lat), (d_lon, d_lat) = (line.get_xydata()[0] for line in ax.lines[:2])
    assert b0_lat == pytest.approx(math.pi / 2, abs=1e-2)
    assert math.degrees(d_lon) == pytest.approx(100.0, abs=3.0) and math.degrees(d_lat) == pytest.approx(30.0, abs=3.0)


def test_the_colour_range_is_symmetric_round_and_holds_every_value() -> None:
    v, ticks = colour_range(np.array([-0.0425494, 0.0380508]))
    assert v == pytest.approx(0.05) and ticks[0] == -ticks[-1] == -v and 0.0 in ticks and len(ticks) <= 7


def _estimate(value: float) -> SimpleNamespace:
    return SimpleNamespace(value=value, error=0.1 * value)


def test_the_run_summary_is_written(tmp_path: Path) -> None:
    nside, lmax = 8, 16
    ell = np.arange(lmax + 1)
    cl = np.where(ell > 0, 1e-5 * np.maximum(ell, 1.0) ** -2.0, 0.0)[None, :] * np.ones((2, 1))
    k = SimpleNamespace(value=np.array([1.0, 2.0]), error=np.array([0.1, 0.2]), K_inf=2.5)
    summary = SimpleNamespace(lmax=lmax, cl_sub=cl, cl_sub_error=0.1 * cl, cl_num=cl * 1.1, noise=0.1 * cl, noise_estimator="pixel",
                              times=np.array([20.0, 60.0]), n_realisations=4, K_zz=k, K_perp=k)
    parameters = {"nside": nside, "model": {"geometry": "slab", "spectrum_kind": "power_law", "spectrum_index": 5 / 3, "eta": 0.5,
                                            "rho": 0.01}}
    sky = np.random.default_rng(0).standard_normal(hp.nside2npix(nside))
    (tmp_path / "run").mkdir()
    assert _is_png(write_run_summary(tmp_path / "run" / "simulate.png", sky, summary, parameters, k_zz_qlt=3.0))


def test_the_fit_plot_is_written(tmp_path: Path) -> None:
    ells = np.arange(2, 11)
    shape = SimpleNamespace(ells=ells, ratio=0.1 * (ells / 2.0) ** -2.0, error=0.01 * np.ones(ells.size), n_realisations=8,
                            run=tmp_path / "run", time=60.0, model=TurbulenceModel(geometry="slab", eta=0.5, rho=0.01))
    fits = [SimpleNamespace(parameter="omega_dt", lmax=lmax, best=10.0, low=8.0, high=12.0, at_bound=None, reduced_chi2=1.1,
                            theory=0.1 * (ells / 2.0) ** -2.2) for lmax in (20, 40)]
    assert _is_png(write_fit_plot(tmp_path / "fit.png", [(shape, fits)]))


def test_the_compare_plot_keeps_the_one_sky_band_inside_the_datas_range(tmp_path: Path) -> None:
    ell = np.arange(1, 42)
    cl = 1e-8 * ell**-1.0 + 2e-9
    data = SimpleNamespace(ell=ell, cl=cl, err_lo=0.2 * cl, err_hi=0.25 * cl)
    tier = SimpleNamespace(data=data, model=cl, band_lo=0.9 * cl, band_hi=1.1 * cl, one_sky_mean=cl, one_sky_std=cl,
                           joint_model=None, noise=np.full(ell.size, 2e-9), label="tier 1", band_label="model band",
                           one_sky_label="one sky")
    assert _is_png(write_compare_plot(tmp_path / "compare.png", [tier], "a run"))
    with style():
        ax = compare_figure([tier], "a run").axes[0]
    low, high = ax.get_ylim()
    assert np.min(cl - data.err_lo) / 2 < low < np.min(cl - data.err_lo)  # the band reaching zero does not stretch the axis
    assert np.max(cl + data.err_hi) < high < 2 * np.max(cl + data.err_hi)
    assert [t.get_text() for t in ax.figure.legends[0].get_texts()] == ["one sky", "model band", "best fit", "shot noise", "measured"]
