"""The exact helpers, the diagram enumeration and input validation of crmix.derive."""

from __future__ import annotations

import math

import pytest
import sympy as sp

from crmix.derive import bourret, diagrams, exact, operators


@pytest.mark.parametrize("a,b,c", [(0, 0, 0), (2, 0, 0), (2, 2, 0), (0, 0, 4), (2, 2, 2), (1, 0, 1), (4, 2, 0)])
def test_sphere_monomial_integral_matches_direct_integration(a, b, c):
    th, ph = sp.symbols("theta phi", real=True)
    x, y, z = sp.sin(th) * sp.cos(ph), sp.sin(th) * sp.sin(ph), sp.cos(th)
    direct = sp.integrate(sp.integrate(x**a * y**b * z**c * sp.sin(th), (ph, 0, 2 * sp.pi)), (th, 0, sp.pi))
    assert sp.simplify(exact.sphere_monomial_integral(a, b, c) - direct) == 0


def test_sphere_monomial_integral_rejects_negative_exponent():
    with pytest.raises(ValueError, match="exponents"):
        exact.sphere_monomial_integral(-1, 0, 0)


def test_vanishes_on_sphere_detects_identities_and_non_identities():
    th, ph = operators.theta, operators.phi
    assert exact.vanishes_on_sphere(sp.sin(th) ** 2 + sp.cos(th) ** 2 - 1, th, ph)
    assert exact.vanishes_on_sphere(sp.exp(2 * sp.I * ph) - (sp.cos(ph) + sp.I * sp.sin(ph)) ** 2, th, ph)
    assert not exact.vanishes_on_sphere(sp.sin(th) ** 2 - sp.cos(th) ** 2, th, ph)
    assert not exact.vanishes_on_sphere(sp.cos(ph) - sp.exp(sp.I * ph), th, ph)


def test_sphere_integral_orthonormality():
    Y = operators.ynm
    assert exact.sphere_integral(Y(3, 2) * sp.conjugate(Y(3, 2)), operators.theta, operators.phi) == 1
    assert exact.sphere_integral(Y(3, 2) * sp.conjugate(Y(2, 2)), operators.theta, operators.phi) == 0


@pytest.mark.parametrize("n", [0, 2, 4, 6, 8])
def test_wick_pairings_count_is_double_factorial(n):
    pairings = diagrams.wick_pairings(range(n))
    assert len(pairings) == (math.prod(range(n - 1, 0, -2)) if n else 1)
    assert len(set(frozenset(p) for p in pairings)) == len(pairings)  # all distinct
    assert diagrams.wick_pairings(range(3)) == []


def test_classify_names_second_order_diagrams():
    names = sorted(diagrams.classify(d) for d in diagrams.pair_diagrams(2))
    assert names == ["(1a)", "(1b)", "(1c)"]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: operators.ynm(2, 3), "l >= 0 and"),
        (lambda: operators.cartesian_L(sp.Integer(1), "Landau"), "convention"),
        (lambda: operators.angular_momentum_matrices(-1), "ell"),
        (lambda: diagrams.dyson_time_domains(domain_1c="diagonal"), "domain"),
        (lambda: bourret.bourret_markov_limit("infinity"), "evaluation_point"),
    ],
)
def test_bad_input_raises_value_error_naming_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_angular_momentum_matrices_are_the_spin_l_representation():
    for ell in (1, 2, 3):
        M = operators.angular_momentum_matrices(ell)
        assert M["L2"] == ell * (ell + 1) * sp.eye(2 * ell + 1)
        assert sp.simplify(M["x"] * M["y"] - M["y"] * M["x"] - sp.I * M["z"]) == sp.zeros(2 * ell + 1)
