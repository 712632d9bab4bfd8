"""Ensemble statistics: component maps, one Liouville K per run, noise estimators on known truths, errors."""

from __future__ import annotations

import math

import healpy as hp
import numpy as np
import pytest

from crmix import Spectrum, TurbulenceModel
from crmix.simulate import skymap
from crmix.simulate.backtrack import backtrack
from crmix.simulate.config import Analysis, SimulationConfig
from crmix.simulate.ensemble import LiouvilleMapping, RealisationResult, ensemble_statistics, running_diffusion
from crmix.simulate.fields import SlabTable
from crmix.simulate.realisation import simulate_realisation
from crmix.simulate.runner import liouville_mapping

NO_TURBULENCE = SlabTable(np.zeros((4, 2)), 1.0)


def _result(index: int, times: np.ndarray, comps: np.ndarray, directions: np.ndarray, nside: int, moments: np.ndarray | None = None,
            local_field=(0.0, 0.0, 1.0), period=(math.inf,) * 3) -> RealisationResult:
    """A RealisationResult built from given component maps (n_T, 6, N_pix)."""
    return RealisationResult(
        index=index, times=times,
        cross=np.stack([skymap.cross_spectra(c, 3 * nside - 1) for c in comps]),
        neighbour=np.stack([skymap.neighbour_difference_matrix(c, nside) for c in comps]),
        dipole=skymap.dipole_response(comps, directions),
        moments=skymap.displacement_moments(comps[:, :3]) if moments is None else moments,
        extent=np.max(np.abs(comps[:, :3]), axis=-1), period=np.asarray(period, dtype=float),
        local_field=np.asarray(local_field, dtype=float))


def test_quadratic_forms_equal_the_maps_they_stand_for() -> None:
    """w^T X_l w = anafast(w . c), w . D = dipole of w . c, w^T Q w = half the neighbour mean square difference."""
    nside = 8
    rng = np.random.default_rng(3)
    npix = hp.nside2npix(nside)
    comps = rng.standard_normal((6, npix)) + np.asarray(hp.pix2vec(nside, np.arange(npix)))[[2, 0, 1, 2, 1, 0]]
    g, K = np.array([0.1, -0.3, 1.0]), np.array([[1.0, 0.2, 0.0], [0.2, 2.0, 0.1], [0.0, 0.1, 5.0]])
    w = skymap.liouville_weights(g, K)
    np.testing.assert_allclose(w, np.concatenate([g, -3 * K @ g]))
    delta = w @ comps
    np.testing.assert_allclose(delta, skymap.relative_intensity(comps[:3], comps[3:], g, K))
    X = skymap.cross_spectra(comps, 3 * nside - 1)
    np.testing.assert_allclose(skymap.quadratic_form(w, X), hp.anafast(delta, lmax=3 * nside - 1, iter=0), rtol=1e-12)
    directions = np.asarray(hp.pix2vec(nside, np.arange(npix)))
    np.testing.assert_allclose(w @ skymap.dipole_response(comps, directions), skymap.dipole_vector(delta, directions), rtol=1e-12)
    nb = hp.get_all_neighbours(nside, np.arange(npix))
    pairs = [(i, j) for i in range(npix) for j in nb[:, i] if j >= 0]
    direct = np.mean([(delta[i] - delta[j]) ** 2 for i, j in pairs]) / 2
    assert skymap.quadratic_form(w, skymap.neighbour_difference_matrix(comps, nside)) == pytest.approx(direct, rel=1e-12)


def test_noise_response_is_the_white_noise_expectation() -> None:
    """KPM (7): the pixel-quadrature C_l of white noise average to 4 pi sigma^2 / N_pix at every l.

    Exact (not Monte Carlo): E[C_l] = (1/(2l+1)) sum_m sum_i |A_lm,i|^2 sigma^2 from one-pixel maps, for
    every pixel of every ring.
    """
    nside = 4
    npix = hp.nside2npix(nside)
    lmax = 3 * nside - 1
    R = skymap.noise_response(nside, lmax)
    exact = np.zeros(lmax + 1)
    for i in range(npix):
        m = np.zeros(npix)
        m[i] = 1.0
        exact += skymap.angular_power(m, lmax)
    np.testing.assert_allclose(exact, R, rtol=1e-12)
    np.testing.assert_allclose(R, 4 * math.pi / npix)


def test_arrival_order_is_the_antipodal_permutation() -> None:
    nside = 4
    order = skymap.arrival_order(nside)
    assert sorted(order) == list(range(hp.nside2npix(nside)))
    v = np.asarray(hp.pix2vec(nside, np.arange(hp.nside2npix(nside))))
    np.testing.assert_allclose(v[:, order], -v, atol=1e-12)


def test_pixel_noise_is_unbiased_for_white_noise_and_a_smooth_signal_at_every_l() -> None:
    """A known truth: synfast signal C_l (power beyond 3 N_side included) plus white noise of known variance.

    The pixel estimator returns the noise variance, and <C_l>^sub the input C_l at every l <= 3 N_side - 1;
    KPM's <r r> estimate counts the signal's variance as noise.
    """
    nside = 8
    npix = hp.nside2npix(nside)
    lmax = 3 * nside - 1
    rng = np.random.default_rng(11)
    ell = np.arange(8 * nside + 1)
    cl_in = np.zeros(ell.size)
    cl_in[1:] = 0.3 * ell[1:] ** -2.7
    signal_variance = np.sum((2 * ell + 1) * cl_in) / (4 * math.pi)
    sigma = 0.5
    sub, var_pixel, var_kpm = [], [], []
    for _ in range(300):
        signal = hp.synfast(cl_in, nside, lmax=ell[-1], new=True)
        m = signal + sigma * rng.standard_normal(npix)
        comps = np.zeros((6, npix))
        comps[2] = m  # r_z carries the map; g = z-hat
        X = skymap.cross_spectra(comps, lmax)
        w = skymap.liouville_weights(np.array([0.0, 0.0, 1.0]), np.zeros((3, 3)))
        cl = skymap.quadratic_form(w, X)
        v = skymap.pixel_noise_variance(skymap.quadratic_form(w, skymap.neighbour_difference_matrix(comps, nside)), cl, nside)
        var_pixel.append(v)
        var_kpm.append(skymap.kpm_noise_variance(skymap.displacement_moments(comps[:3]), [0.0, 0.0, 1.0]))
        sub.append(cl - skymap.noise_level(v, nside, lmax))
    assert np.mean(var_pixel) == pytest.approx(sigma**2, rel=0.03)
    assert np.mean(var_kpm) - sigma**2 == pytest.approx(signal_variance, rel=0.15)  # the signal's variance, counted as noise
    sub = np.array(sub)
    err = sub.std(axis=0, ddof=1) / math.sqrt(len(sub))
    pull = (sub.mean(axis=0)[1:] - cl_in[1 : lmax + 1]) / err[1:]
    assert np.all(np.abs(pull) < 4.5), pull
    assert abs(pull.mean()) < 4 / math.sqrt(pull.size)  # no common bias across l


def test_uniform_field_exact_dipole_has_no_noise() -> None:
    """Helices in a uniform field: an exact dipole, C_l = 0 for l >= 2.  The pixel estimator finds no noise;
    KPM (5) would subtract (4 pi/N_pix) g^2 <z^2> = (4 pi/N_pix) g^2 T^2/3 from every multipole."""
    nside, g, T = 8, 0.01, 40.0
    bt = backtrack(NO_TURBULENCE, 1.0, nside, [T], 0.01, backend="numpy")
    comps = skymap.component_maps(bt.position, bt.momentum)
    r = _result(0, bt.times, comps, bt.observed, nside)
    s = ensemble_statistics([r], LiouvilleMapping(gradient=(0.0, 0.0, g), source="given", K=((0, 0, 0), (0, 0, 0), (0, 0, 2.0))),
                            lmax=3 * nside - 1)
    c1 = s.cl_sub[0, 1]
    assert np.all(np.abs(s.cl_sub[0, 2:]) < 1e-4 * c1)  # the quadrature's leakage of an exact dipole: ~2e-5 C_1
    assert np.all(np.abs(s.noise[0]) < 1e-4 * c1)
    kpm = ensemble_statistics([r], LiouvilleMapping(gradient=(0.0, 0.0, g), source="given", K=((0, 0, 0), (0, 0, 0), (0, 0, 2.0))),
                              lmax=3 * nside - 1, noise="kpm")
    want = 4 * math.pi / hp.nside2npix(nside) * g**2 * T**2 * np.mean(bt.observed[2] ** 2)
    np.testing.assert_allclose(kpm.noise[0], want, rtol=1e-6)
    assert want > 1e-3 * c1  # 30 times the threshold above: KPM (5) subtracts the dipole's own variance


def test_ensemble_definitions_errors_and_jackknife() -> None:
    nside, n = 4, 5
    npix = hp.nside2npix(nside)
    rng = np.random.default_rng(1)
    times = np.array([1.0, 2.0])
    directions = np.asarray(hp.pix2vec(nside, np.arange(npix)))
    results = []
    for i in range(n):
        comps = rng.standard_normal((2, 6, npix)) + 2 * directions[2]
        results.append(_result(i, times, comps, directions, nside, local_field=(rng.standard_normal(), 0.0, 1.0)))
    g, K = (0.0, 0.0, 0.7), ((0.5, 0, 0), (0, 0.5, 0), (0, 0, 2.0))
    s = ensemble_statistics(results, LiouvilleMapping(gradient=g, source="given", K=K), lmax=6, noise="kpm")
    w = skymap.liouville_weights(np.array(g), np.array(K))
    cl = np.array([skymap.quadratic_form(w, r.cross)[:, :7] for r in results])
    noise = np.array([skymap.noise_level(skymap.kpm_noise_variance(r.moments, g), nside, 6) for r in results])
    sub = cl - noise
    np.testing.assert_allclose(s.cl_num, cl.mean(axis=0))
    np.testing.assert_allclose(s.cl_sub, sub.mean(axis=0))
    np.testing.assert_allclose(s.cl_sub_error, sub.std(axis=0, ddof=1) / math.sqrt(n))
    np.testing.assert_allclose(s.cl_noise_error[:, 3], np.sqrt(2 * noise.mean(axis=0)[:, 3] ** 2 / (7 * n)))
    jack = []
    for k in range(n):
        keep = [j for j in range(n) if j != k]
        m = sub[keep].mean(axis=0)
        jack.append(m / m[:, 1:2])
    jack = np.array(jack)
    np.testing.assert_allclose(s.ratio_error, np.sqrt((n - 1) / n * ((jack - jack.mean(axis=0)) ** 2).sum(axis=0)), rtol=1e-10)
    dip = np.array([np.einsum("j,tja->ta", w, r.dipole) for r in results])
    np.testing.assert_allclose(s.c1_qlt, 4 * math.pi * (dip.mean(axis=0) ** 2).sum(axis=1))  # KPM (57)
    np.testing.assert_allclose(s.c1_dipole, 4 * math.pi * (dip**2).sum(axis=2).mean(axis=0))  # KPM (55)
    assert s.cos_alpha == pytest.approx(np.mean([1 / math.hypot(r.local_field[0], 1.0) for r in results]))
    kzz = np.array([r.moments[:, 2, 2] / (2 * times) for r in results])
    np.testing.assert_allclose(s.K_zz.value, kzz.mean(axis=0))
    np.testing.assert_allclose(s.K_zz.error, kzz.std(axis=0, ddof=1) / math.sqrt(n))
    assert s.omega_tau_s == pytest.approx(3 * s.K_zz.value[-1])


def test_running_diffusion_says_whether_it_has_converged() -> None:
    times = np.array([10.0, 30.0, 100.0, 300.0, 1000.0])
    tau, k_inf = 40.0, 13.0
    exact = k_inf * (1 - tau / times * (1 - np.exp(-times / tau)))
    rng = np.random.default_rng(0)
    samples = exact * (1 + 0.02 * rng.standard_normal((8, times.size)))
    full = running_diffusion(times, samples)
    assert full.converged is True
    assert full.K_inf == pytest.approx(k_inf, rel=0.05) and full.tau == pytest.approx(tau, rel=0.2)
    early = running_diffusion(times[:3], samples[:, :3])  # T_max = 2.5 tau: K(T_max) ~ 0.68 K_inf
    assert early.converged is False
    assert running_diffusion(times[:1], samples[:, :1]).converged is None
    # still growing fast at the last T, a fit that falls short of the data: not converged
    rising = np.array([[2.0, 5.0, 8.7]] * 6) * (1 + 0.01 * rng.standard_normal((6, 3)))
    assert running_diffusion(np.array([30.0, 100.0, 300.0]), rising).converged is False


def test_period_warning_when_particles_outrun_the_slab_table() -> None:
    model = TurbulenceModel(eta=0.5, rho=0.3, spectrum=Spectrum(kmax=2 * math.pi * 5 / 0.3))
    config = SimulationConfig(model=model, nside=2, times=(400.0,), seed=0, synthesis_options=(("box_over_lmax", 1.0),))
    result = simulate_realisation(config, 0)[0]
    assert result.period[2] < 2 * result.extent[-1, 2]
    s = ensemble_statistics([result], liouville_mapping(config, Analysis()), lmax=4)
    assert any("period" in w for w in s.warnings)


def test_the_map_at_T_does_not_depend_on_the_other_times_requested() -> None:
    """One K for the whole run (default for slab: QLT): C_l, noise and dipole at T = 10 are the same whether
    the run also goes to T = 300 or not (the mapping once took K from <r r>/(2 T_max) of each realisation)."""
    model = TurbulenceModel(eta=0.5, rho=0.1, spectrum=Spectrum(kmax=2 * math.pi * 10 / 0.1))
    short = SimulationConfig(model=model, nside=4, times=(10.0, 30.0), seed=7)
    long = SimulationConfig(model=model, nside=4, times=(10.0, 30.0, 100.0, 300.0), seed=7)
    stats = []
    for config in (short, long):
        results = [simulate_realisation(config, i)[0] for i in range(2)]
        stats.append(ensemble_statistics(results, liouville_mapping(config, Analysis()), lmax=8))
    a, b = stats
    assert a.mapping["diffusion_source"] == "qlt"
    np.testing.assert_allclose(b.cl_num[:2], a.cl_num, rtol=1e-12)
    np.testing.assert_allclose(b.noise[:2], a.noise, rtol=1e-12)
    np.testing.assert_allclose(b.mean_dipole[:2], a.mean_dipole, rtol=1e-12, atol=1e-18)
    ens = [ensemble_statistics([simulate_realisation(c, i)[0] for i in range(2)],
                               liouville_mapping(c, Analysis(diffusion="ensemble")), lmax=8) for c in (short, long)]
    assert not np.allclose(ens[0].cl_num[0], ens[1].cl_num[0], rtol=1e-3)  # the ensemble K depends on T_max: stated
