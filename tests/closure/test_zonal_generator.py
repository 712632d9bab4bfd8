"""The zonal pair generator X F = a F'' + b F' read off columns 1, 2 of M (crmix.solver.closure)."""

from __future__ import annotations

import numpy as np
import pytest
from closure_models import LMAX, truncated_solution, zonal_matrix
from numpy.polynomial import legendre

from crmix.solver.closure import solve_closure, zonal_columns, zonal_generator
from crmix.solver.mixing import mixing_matrix


def test_columns_1_and_2_predict_every_other_column(parts):
    """M - 1 on zonal states is a second-order differential operator: two columns give all of them."""
    name, _, _, m1a, m1c = parts
    X = 2 * np.diag(m1a) + m1c
    zg = zonal_generator(m1a, m1c)
    predicted = zonal_matrix(zg.a_coefficients, zg.b_coefficients, LMAX)
    # rows l <= LMAX - l0 - 2 see every term of the series of a, b (which stops at row LMAX)
    for l0 in range(3, 16):
        rows = slice(1, LMAX - l0 - 2)
        scale = np.max(np.abs(X[:, l0]))
        assert np.max(np.abs(predicted[rows, l0] - X[rows, l0])) < 1e-8 * scale, (name, l0)
    # a first-order operator would not do: the column P_2 is not b P_2' alone
    assert np.max(np.abs(zg.a_coefficients)) > 1e-3 * np.max(np.abs(zg.b_coefficients))


def test_coefficients_vanish_where_the_invariant_says(parts):
    """a(1) = b(1) = 0 (power invariant), a(-1) = 0, a > 0 inside, up to the tail of the series (none for
    the band-limited isotropic kernel); b differs from a' (the monopole is pumped)."""
    _, _, _, m1a, m1c = parts
    zg = zonal_generator(m1a, m1c)
    grid = np.linspace(-1, 1, 201)
    allowed = 5 * zg.tail + 1e-10 * np.max(np.abs(zg.a(grid)))
    assert abs(zg.a(np.array([1.0]))[0]) < allowed and abs(zg.a(np.array([-1.0]))[0]) < allowed
    assert abs(zg.b(np.array([1.0]))[0]) < 5 * np.sum(np.abs(zg.b_coefficients[-10:])) + 1e-10 * np.max(np.abs(zg.b(grid)))
    inside = np.linspace(-0.99, 0.9, 100)
    assert np.all(zg.a(inside) > 0)
    drift = zg.b(inside) - legendre.legval(inside, legendre.legder(zg.a_coefficients))
    assert np.max(np.abs(drift)) > 0.05 * np.max(np.abs(zg.b(inside)))


def test_zonal_columns_are_the_mixing_matrix_columns(parts):
    name, model, dt, m1a, m1c = parts
    a3, c3 = zonal_columns(model, dt, LMAX)
    assert np.allclose(a3, m1a[:3], rtol=1e-12, atol=0)
    assert np.max(np.abs(c3[:, 1:] - m1c[:, 1:3])) < 1e-11 * np.max(np.abs(m1c[:, 1:3])), name
    assert np.all(c3[:, 0] == 0)


def test_truncated_steady_state_is_the_continuum_solution_with_its_monopole_fraction(isotropic_parts):
    """What l_max does to l << l_max: it fixes the fraction of the injected power that flows into the
    monopole; the continuum steady state with that fraction is the truncated one (exact coefficients)."""
    _, dt, m1a, m1c = isotropic_parts
    zg = zonal_generator(m1a, m1c)
    for L in (30, LMAX):
        X = 2 * np.diag(m1a[: L + 1]) + m1c[: L + 1, : L + 1]
        C, phi0 = truncated_solution(X, dt)
        cont = solve_closure("continuum", m1a, m1c, dt, 1.0, monopole_fraction=phi0, coefficients=zg)
        assert 0.05 < phi0 < 1
        ell = slice(1, L // 3)
        assert np.allclose(cont.C[ell], C[ell], rtol=2e-3), L


def test_continuum_closure_is_the_lmax_limit_of_the_truncation(isotropic_parts):
    """Truncating the exact zonal operator ever later: the monopole fraction climbs towards 1 and C_l/C_1
    towards the continuum closure (zero flux to small angles), monotonically and ever closer."""
    _, dt, m1a, m1c = isotropic_parts
    zg = zonal_generator(m1a, m1c)
    limit = solve_closure("continuum", m1a, m1c, dt, 1.0, coefficients=zg)
    assert limit.monopole_fraction == 1.0 and np.all(limit.C[1:] > 0)
    fractions, distance = [], []
    for L in (50, 100, 200, 400):
        C, phi0 = truncated_solution(zonal_matrix(zg.a_coefficients, zg.b_coefficients, L), dt)
        fractions.append(phi0)
        distance.append(np.max(np.abs(C[2:6] / C[1] / limit.ratio[2:6] - 1)))
    assert np.all(np.diff(fractions) > 0) and fractions[-1] < 1
    assert np.all(np.diff(distance) < 0)


def test_flux_closure_against_the_truncated_flux_operator(isotropic_parts):
    """(a F')' truncated at L conserves the monopole, so its only sink is past L: its steady state tends
    to the closed form G = c (1 - mu^2)/(2a) of the flux closure as L grows (independent solve)."""
    _, dt, m1a, m1c = isotropic_parts
    zg = zonal_generator(m1a, m1c)
    flux = solve_closure("flux", m1a, m1c, dt, 1.0, coefficients=zg)
    assert flux.monopole_fraction == 0 and flux.sink_fraction == 1 and np.all(flux.C[1:] > 0)
    errors = []
    for L in (100, 400):
        Xd = zonal_matrix(zg.a_coefficients, zg.b_coefficients, L, flux_form=True)
        assert np.max(np.abs(Xd[0, 1:])) < 1e-12 * np.max(np.abs(Xd))  # no monopole row
        C, _ = truncated_solution(Xd, dt)
        errors.append(np.max(np.abs(C[1:11] / flux.C[1:11] - 1)))
    assert errors[1] < errors[0] and errors[1] < 0.02


def test_zonal_closures_do_not_depend_on_lmax(isotropic_parts):
    """Once M holds the band of the kernel (l_max >= 30 here), the zonal closures no longer move with l_max."""
    _, dt, m1a, m1c = isotropic_parts
    for closure in ("continuum", "flux"):
        low = solve_closure(closure, m1a[:31], m1c[:31, :31], dt, 1.0).ratio
        high = solve_closure(closure, m1a, m1c, dt, 1.0).ratio
        assert np.allclose(low[2:31], high[2:31], rtol=1e-8), closure
    X = 2 * np.diag(m1a) + m1c
    C30, _ = truncated_solution(X[:31, :31], dt)
    C40, _ = truncated_solution(X, dt)
    assert np.max(np.abs(C40[2:11] / C40[1] / (C30[2:11] / C30[1]) - 1)) > 0.01  # the truncated form does


def test_a_broad_spectrum_needs_the_rows_that_resolve_small_angles():
    """Slab with lambda_min = r_g/150: M at l_max = 40 resolves a(mu) only down to several degrees; the zonal
    closures refuse it and ask for more rows (crmix.solver.closure.zonal_columns)."""
    from crmix.model import TurbulenceModel

    model = TurbulenceModel(eta=0.5, rho=8.9e-3)
    mm = mixing_matrix(model, 15.0, LMAX)
    with pytest.raises(ValueError, match="give more rows of M"):
        solve_closure("flux", mm.m1a, mm.m1c, 15.0, 1.0)
