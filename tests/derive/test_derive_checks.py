"""Every registered identity holds with its proved defaults, and fails when fed a broken claim.

The broken claims are the seed papers' printed forms where a seed is wrong (docs/errata.md), and
otherwise a flipped sign or a missing factor 2 -- so each check is shown able to fail.
"""

from __future__ import annotations

from dataclasses import replace

import mpmath
import pytest
import sympy as sp

from crmix.derive import axisymmetric_realspace as realspace
from crmix.derive import axisymmetric_weights, boris, bourret, closure, diagrams, lookups, operators
from crmix.derive import kernels as dk
from crmix.derive.axisymmetric import symbolic_polarisations
from crmix.derive.expressions import emitted
from crmix.derive.pair_age import K as _K
from crmix.derive.pair_age import g as _g
from crmix.derive.pair_age import gap as _gap
from crmix.derive.pair_age import tau as _tau
from crmix.derive.reductions import ell0, ellA, lambda_symbol
from crmix.derive.registry import load_all, run_check

CHECKS = load_all()

lam, theta = operators.lam, operators.theta
_f, _t2 = lookups.F, boris.tx**2 + boris.ty**2 + boris.tz**2
L0, L2 = lambda_symbol(0), lambda_symbol(2)


def weight(name: str) -> sp.Expr:
    """The emitted mixing weight ``name``."""
    return emitted("crmix.derive.mixing_weights", name).expr


REC = emitted("crmix.derive.kernels", "time_factor_recurrence")
LEGENDRE = emitted("crmix.derive.kernels", "legendre_polynomials")
SLAB_M1A, ISO_M1A = weight("slab_m1a"), weight("isotropic_m1a")
#: B's step with the end value phi(1) = e^{iw} (the boundary term of A's weight) instead of 0
B_STEP_WRONG_END = (
    dk.ell * dk.B_prev - (2 * dk.ell + 1) / dk.X * (dk.j * sp.exp(sp.I * dk.w) + dk.A - sp.KroneckerDelta(dk.ell, 0) - sp.I * dk.w * dk.B)
) / (dk.ell + 1)


def _with_flipped_coupling(case: str) -> dict:
    args, expr = axisymmetric_weights.COUPLINGS[case]
    return {**axisymmetric_weights.COUPLINGS, case: (args, -expr)}


#: <L M; 1 1 | L-1 M+1> written with M where the table has the total M + 1 (a real slip of hand tables)
_CG_SHIFTED = {**axisymmetric_weights.CLEBSCH_RANK_ONE,
               ("above", 1): sp.sqrt((axisymmetric_weights.L - axisymmetric_weights.M) * (axisymmetric_weights.L - axisymmetric_weights.M + 1)
                                     / (2 * axisymmetric_weights.L * (2 * axisymmetric_weights.L + 1)))}
_ISOTROPIC_WITHOUT_PROJECTOR = {**symbolic_polarisations(), "isotropic": ("full", sp.eye(3) / 6)}  # unit power, not solenoidal

#: check name -> list of broken keyword claims (seed's printed form first where it is wrong)
BROKEN: dict[str, list[dict]] = {
    "commutator_hermitian": [{"structure_constant": -sp.I}],
    "commutator_kpm": [{"structure_constant": 1}],  # KPM's printed [L_m, L_n] = eps_mnk L_k
    "convention_map": [{"k_over_l": -sp.I}, {"liouville_coefficient": sp.I}],
    "spherical_form": [{"ladder_theta_sign": -1}],
    "ladder_action": [
        {"sigma_fn": lambda ell, m, s: sp.sqrt(ell * (ell + 1) - m * (m - s))},
        {"lz_eigenvalue": lambda m: -m},
    ],
    "ladder_on_conjugate": [{"sign": 1}],  # KPM's printed L_+- Y* = sigma_-+ Y*
    "ladder_products": [{"sym_coeff": 1}, {"antisym_coeff": -1 / (2 * sp.I)}],
    "hadamard_matrix": [{"rotated_x": (sp.cos(lam), sp.sin(lam))}, {"rotated_y": (-sp.sin(lam), sp.cos(lam))}],
    "hadamard_differential": [{"rotated_x": (sp.cos(lam), sp.sin(lam))}],
    "hadamard_sandwich": [
        {"rotation_sign": -1, "l2_coeff": 0, "sin_coeff": 1, "lz2_coeff": 0},  # KPM (30) as printed
        {"rotation_sign": 1, "l2_coeff": 1, "sin_coeff": 1, "lz2_coeff": -1},  # KPM (A22)'s +i sin with exp(+i..)
    ],
    "condon_shortley": [{"phase": 1}],
    "addition_theorem": [{"prefactor": lambda ell: 2 * sp.pi / (2 * ell + 1)}],
    "unsold": [{"claim": lambda ell: sp.Integer(2 * ell + 1) / (2 * sp.pi)}],
    "unsold_first_moment": [{"claim": lambda ell: sp.Integer(ell) / (4 * sp.pi)}],
    "unsold_second_moment": [{"claim": lambda ell: sp.Integer(ell * (ell + 1) * (2 * ell + 1)) / (4 * sp.pi) * sp.sin(theta) ** 2}],
    "plane_wave_expansion": [{"phase_base": -sp.I}, {"prefactor": 2 * sp.pi}],
    "gaunt_integral": [{"normalisation": lambda a, b, c: sp.sqrt(sp.Integer((2 * a + 1) * (2 * b + 1) * (2 * c + 1)) / (2 * sp.pi))}],
    "index_shift_c35": [{"weight": lambda l0, m0: 2 * l0 * (l0 + 1) - m0**2}],
    "index_shift_c36": [{"weight": lambda l0, m0: m0}],
    "isserlis": [{"pairings": diagrams.nearest_neighbour_pairings}],  # MA19 (2.8) without "+ permut."
    "pair_diagrams_second_order": [{"claimed": {**diagrams.SECOND_ORDER, "(1c)": (1, 1, sp.Rational(1, 2))}}],  # KPM (41)
    "pair_diagrams_fourth_order": [{"claimed": {**diagrams.FOURTH_ORDER_COUNTS, "two interactions": 1}}],
    "dyson_time_domains": [{"domain_1c": "ordered"}, {"domain_1a": "square"}],
    "helical_orbit": [
        {"position": bourret.KPM29_ORBIT},
        {"position": bourret.orbit(bourret.u)[1].multiply_elementwise(sp.Matrix([1, 1, -1]))},  # z sign alone
    ],
    "scattering_time": [{"coefficient": sp.Rational(1, 3)}],  # KPM Sec. 2.2.1: tau_s = K_zz/3
    "free_propagator": [{"sign": -1}],  # KPM (26)
    "laplace_free_propagator": [{"sign": -1}],
    "bourret_geometric_series": [{"power_u": lambda n: n}],
    "bourret_markov_limit": [{"evaluation_point": "zero"}],  # KPM (A17)
    "fokker_planck_operator": [{"phi_coeff": 1 / sp.sin(theta) ** 2}],
    "fokker_planck_sign": [{"sign": -1}],  # KPM (A28)
    "resonance_function": [{"prefactor": sp.Rational(1, 2)}],  # KPM (B31)
    "qlt_rate": [{"prefactor": sp.pi}],
    "narrow_pitch_angle_state": [{"prefactor": 1}],  # KPM (B33)
    "pitch_angle_limit": [{"exponent_factor": sp.Rational(1, 2)}],  # KPM (B34)
    "pitch_angle_projection": [{"y20_coeff": sp.Rational(4, 3) * sp.sqrt(sp.pi / 5)}],
    "m1a_slab_reduction": [{"kernels": {"slab_m1a": 2 * SLAB_M1A}}, {"kernels": {"slab_m1a": SLAB_M1A.subs(L2, -L2)}}],  # KPM (40)
    "m1a_isotropic_reduction": [
        {"kernels": {"isotropic_m1a": ISO_M1A.subs(L2, 2 * L2 / 3)}},  # Lambda_2 weight 1/3
        {"kernels": {"isotropic_m1a": ISO_M1A / 2}},  # prefactor 4 pi/3
    ],
    "m1a_white_noise": [
        {"sin_term": lambda a: a**2 * mpmath.sin(a)},  # MA19 (3.16)
        {"prefactor": 2 * sp.pi},
        {"kernels": {"isotropic_m1a": 2 * ISO_M1A}},
    ],
    "source_term": [{"coefficient": sp.Rational(8, 9) * sp.pi}],  # MA19 (3.4)
    "m1c_operator_part": [{"sin_sign": -1}, {"kernels": {"slab_m1c_m0_weight_c2": sp.Integer(1)}}],
    "m1c_index_weight": [{"kernels": {"slab_m1c_index_weight": -weight("slab_m1c_index_weight")}}, {"kernels": {"slab_m1c_index_weight": 2 * ellA + 1}}],
    "isotropic_m1c_ma19": [
        {"kernels": {"isotropic_m1c2_m0_weight_c0": 4 * sp.pi * ell0 * (ell0 + 1)}},  # the full projector for the quadrupole part
        {"kernels": {"isotropic_m1c0_weight": 2 * weight("isotropic_m1c0_weight")}},
    ],
    "threej_m0_moments": [
        {"kernels": {"m0_moment_2_offdiagonal": -weight("m0_moment_2_offdiagonal")}},
        {"kernels": {"m0_moment_0": 1 / (2 * ellA + 3)}},
    ],
    "unitarity_second_order": [{"interaction_domain": "ordered"}],
    "invariant_numeric": [{"kernels": {"slab_m1a": 2 * SLAB_M1A}}, {"kappa_domain_factor": 0.5}],  # KPM (40), KPM (41)
    "plane_wave_legendre_projection": [{"phase_base": -sp.I}],
    "bessel_derivative_recurrence": [{"upper_coeff": 1}],
    "time_factor_recurrence_boundary_terms": [{"end_value_b": sp.exp(sp.I * sp.Symbol("w", real=True))}],
    "exponential_integral_E": [{"euler_gamma_sign": 1}],
    "h_kernels_defining_integrals": [{"kernels": {"h_a": dk.with_taylor("h_a", dk.h_a_closed(), degree=8)}}],
    "time_factor_recurrence": [
        {"recurrence": REC.with_expression("A.step", REC.term("A").step.subs(sp.KroneckerDelta(0, dk.ell), 0))},  # no boundary term
        {"recurrence": REC.with_expression("B.step", B_STEP_WRONG_END)},
    ],
    "legendre_recurrence": [{"recurrence": LEGENDRE.with_expression("P.step", ((2 * dk.ell + 1) * dk.mu * dk.P + dk.ell * dk.P_prev) / (dk.ell + 1))}],
    "zonal_generator_1c": [{"order": 1}],  # M^(1c) on zonal states is no first-order operator
    "zonal_generator_1a": [{"first_derivative": -closure.mu}],
    "zonal_power_invariant": [{"weight": lambda ell: 1}],
    "flux_form_monopole": [{"drift": lambda a: -sp.diff(a, closure.mu)}, {"drift": lambda a: sp.diff(a, closure.mu) + 1 - closure.mu**2}],
    "flux_steady_state": [{"prefactor": 1}],
    "legendre_by_parts": [{"sign": -1}],
    "continuum_steady_state": [{"exponent_sign": -1}],
    "bourret_dressing": [{"phi1": lambda x, y: (mpmath.exp(x) + mpmath.exp(y)) / 2}],  # trapezoid, not the mean
    "pair_geometry": [{"transverse_factor": lambda st, sp_: 1 - (1 - st**2) * sp_**2}],
    "axisymmetric_tensor_normalisation": [
        {"polarisations": _ISOTROPIC_WITHOUT_PROJECTOR},
        {"polarisations": {**symbolic_polarisations(), "slab": ("slab", sp.diag(1, 1, 0) / 2)}},  # twice the power
    ],
    "two_d_azimuthal_average": [{"prefactor": 2 * sp.pi}, {"j2_sign": -1}],
    "helix_jacobi_anger": [{"gyro_sign": -1}, {"index_shift": -1}],
    "straight_line_multipoles": [{"phase_base": sp.I}],  # the plane-wave phase of r = +s p
    "transverse_unsold": [{"coefficient": 1 / (4 * sp.pi)}],
    "m1a_gyrophase_average": [{"pair_shift": 1}],
    "rank_one_clebsch_gordan": [{"table": _CG_SHIFTED}],
    "axisymmetric_sixj_couplings": [{"couplings": _with_flipped_coupling("above")}],
    "coupled_m_sum": [{"couplings": _with_flipped_coupling("above")}, {"couplings": _with_flipped_coupling("below")},
                      {"clebsch": _CG_SHIFTED}],
    "qlt_gyrophase_weights": [{"swap": True}],
    "qlt_straight_line_continuum": [{"weight_x": sp.Symbol("x", real=True) ** 2 / sp.sqrt(1 - sp.Symbol("x", real=True) ** 2),
                                     "weight_y": sp.sqrt(1 - sp.Symbol("x", real=True) ** 2)},
                                    {"weight_x": 2 * sp.sqrt(1 - sp.Symbol("x", real=True) ** 2)}, {"coefficient": sp.pi / 4}],
    "invariant_mixing": [
        {"kernels": {"slab_m1a": 2 * SLAB_M1A}},  # KPM (40): 8 pi for the 4 pi of (38)
        {"kappa_domain_factor": sp.Rational(1, 2)},  # KPM (41): (1c) on the ordered triangle
        {"kernels": {"slab_m1c_l0_weight": 2 * (2 * ell0 + 1)}},
        {"kernels": {"isotropic_m1a": 2 * ISO_M1A}},
    ],
    "realspace_lambda_weights": [
        {"weights": {"realspace_two_d_g": 1 - realspace.mu**2}},  # sign of the J2 weight
        {"weights": {"realspace_isotropic_f": (1 - realspace.mu**2) + (1 - realspace.mu**2) * sp.cos(realspace.w)}},
    ],
    "realspace_lambda_reduction": [{"time_weight": 2}],  # the ordered time triangle counted twice
    "uniform_field_cancels": [
        {"kernels": {"uniform_lambda": 2 * emitted("crmix.derive.axisymmetric_realspace", "uniform_lambda").expr}},
        {"kernels": {"uniform_gram": emitted("crmix.derive.axisymmetric_realspace", "uniform_gram").expr.subs(realspace.b0, 0)}},
    ],
    "boris_kick_is_rotation": [{"step": boris.with_assignment(boris.BORIS_STEP, "f", 1 / (1 + _t2))}],  # 2/(1+t^2) halved
    "boris_time_reversible": [
        {"step": boris.with_assignment(boris.BORIS_STEP, "rx_new", boris.px + boris.half * boris.vx)},  # second drift with the old v
        {"step": boris.with_assignment(boris.BORIS_STEP, "f", 1 / (1 + _t2))},
    ],
    "boris_gyration_phase": [{"coefficient": sp.Rational(1, 24)}, {"step": boris.with_assignment(boris.BORIS_STEP, "f", 2 / (1 + 2 * _t2))}],
    "multilinear_interpolation": [
        {"lookups": (replace(lookups.NESTED_GRIDS, weights=(_f, 1 - _f)),)},  # nodes swapped
        {"lookups": (replace(lookups.TABLE_Z, weights=(1 - _f, _f**2)),)},
    ],
    "age_integral_two_time": [{"kernels": {"age_weight": 2 * _tau * (1 - sp.exp(-_gap / _tau)) + 3 * _K * sp.exp(-_gap / _tau)}}],
    "age_integral_kpm_source": [{"kernels": {"age_prefactor": 4 * sp.pi * _g**2 / 3}}],  # MA19 (3.4)'s 8 pi/9 source
    "age_integral_fick_dipole": [{"kernels": {"age_weight": _tau * (1 - sp.exp(-_gap / _tau)) + 6 * _K * sp.exp(-_gap / _tau)}}],  # int rho halved
    "age_integral_kpm19": [{"kernels": {"age_present_weight": sp.Integer(0)}}],  # the initial dipole dropped
    "plane_wave_divergence_free": [
        {"lookup": replace(lookups.PLANE_WAVES, phase=lookups.PLANE_WAVES.phase - sp.Symbol("k_z", real=True) * lookups.POSITION[2])},
        {"lookup": replace(lookups.PLANE_WAVES, phase=2 * lookups.PLANE_WAVES.phase)},
    ],
}


def test_every_check_has_a_broken_variant():
    assert set(BROKEN) == set(CHECKS), f"missing: {set(CHECKS) - set(BROKEN)}; stale: {set(BROKEN) - set(CHECKS)}"


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_check_passes_with_proved_form(name):
    result, _ = run_check(name)
    assert result.passed, result.detail


@pytest.mark.parametrize(
    "name, claim",
    [(name, claim) for name, claims in sorted(BROKEN.items()) for claim in claims],
    ids=lambda v: v if isinstance(v, str) else ",".join(sorted(v)),
)
def test_check_fails_with_broken_claim(name, claim):
    result = CHECKS[name].func(**claim)
    assert not result.passed, f"{name} accepted a broken claim {claim}: {result.detail}"
