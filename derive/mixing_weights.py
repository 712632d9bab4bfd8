"""SymPy expressions of the mixing-matrix assembly M = 1 + 2 M^(1a) + M^(1c) (KPM (17), MA19 (3.6)).

These are the scalar weights that ``crmix codegen`` turns into ``crmix.generated.mixing_weights``;
``crmix.solver.mixing`` contracts them with Wigner symbols and the integrals Lambda_l and
kappa_{lA lB}.  Conventions are those of docs/physics.md: L = -i p x d_p, slab weight G = E/2,
isotropic weight g = E/(8 pi).

Slab (helical orbits, B0 along z; docs/physics.md):

    M^(1a)_{l l0} = -delta_{l l0} l(l+1) [(2/3) Lambda_0 - (1/3) Lambda_2]            (KPM (38), (40))
    M^(1c)_{l l0} = (2 l0 + 1) sum_{lA, lB} c_{lA} c_{lB} kappa_{lA lB} (l l0 lA; 0 0 0)(l l0 lB; 0 0 0)
                    sum_{m0} (l0(l0+1) - m0^2) (l l0 lA; -m0 m0 0)(l l0 lB; -m0 m0 0)  (KPM (47))

with c_{lA} c_{lB} = (2lA+1)(2lB+1) i^{lA-lB} [1 + (-1)^{lA+lB}]/2 for lA, lB of one parity (the 3j
symbols with zero m vanish unless l + l0 + lA is even, so lA and lB always share the parity of
l + l0): c_l = (2l+1)(-1)^floor(l/2).

Isotropic (straight lines, Omega = 0; MA19):

    M^(1a)_{l l0} = -(8 pi/3) delta_{l l0} l(l+1) (Lambda_0 - Lambda_2/2)               (MA19 (3.15))
    M^(1c,0)_{l l0} = (8 pi/3) (2 l0+1) l0(l0+1) sum_{lA} (2lA+1) kappa_{lA lA} (l lA l0; 0 0 0)^2
                                                                                        (MA19 (3.21))
    M^(1c,2)_{l l0} = 4 pi (2 l0 + 1) sum_{lA, lB} c_{lA} c_{lB} kappa_{lA lB} (l l0 lA; 0 0 0)(l l0 lB; 0 0 0)
                      sum_{m0} (l0(l0+1)/3 - m0^2) (l l0 lA; -m0 m0 0)(l l0 lB; -m0 m0 0)

The last line is MA19 (3.23) without its 6j symbol: isotropic turbulence is the uniform average over
wave-vector directions of slab modes along k-hat, so for Omega = 0 it is 4 pi times the slab (1c)
element with the quadrupole part (1/3) delta_ab - k_a k_b of MA19 (3.20) in place of the slab
projector (m0 weight l0(l0+1)/3 - m0^2 instead of l0(l0+1) - m0^2).  It equals MA19 (3.23) for
l0 >= 1; at l0 = 0, where (3.23) reads 0/0 through (l0 2 l0; 0 0 0), it is 0.

The m0 weights are even polynomials of degree 2 in m0; the solver contracts them through the
coefficients w(m0) = w_0(l0) + w_2(l0) m0^2, which are split off here (``*_m0_weight_c0``/``_c2``).
"""

from __future__ import annotations

import sympy as sp

from crmix.derive.expressions import KernelExpr

ell, ell0, m0, ellA = sp.symbols("ell ell0 m0 ellA", integer=True, nonnegative=True)
lambda0, lambda2 = sp.symbols("Lambda0 Lambda2", real=True)

#: (1a) diagonal, slab: KPM (38) rewritten with G = 4 pi g (KPM (40) prints 8 pi instead of 4 pi).
SLAB_M1A = -ell * (ell + 1) * (sp.Rational(2, 3) * lambda0 - sp.Rational(1, 3) * lambda2)

#: (1a) diagonal, isotropic: MA19 (3.15) with g.
ISOTROPIC_M1A = -sp.Rational(8, 3) * sp.pi * ell * (ell + 1) * (lambda0 - lambda2 / 2)

#: m0 weight of the slab (1c) contraction: the operator part after the index shifts (C35)-(C36).
SLAB_M1C_M0_WEIGHT = ell0 * (ell0 + 1) - m0**2

#: m0 weight of the isotropic (1c,2) contraction: 4 pi x the slab weight of the quadrupole part of
#: MA19 (3.20), (1/3) L^A.L^B - L^A_z L^B_z -> l0(l0+1)/3 - m0^2 in the frame k-hat = z.
ISOTROPIC_M1C2_M0_WEIGHT = 4 * sp.pi * (ell0 * (ell0 + 1) / 3 - m0**2)


def m0_coefficients(weight: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """(w_0, w_2) with weight = w_0 + w_2 m0^2; a ValueError if the weight has any other m0 power."""
    poly = sp.Poly(sp.expand(weight), m0)
    extra = [mon for mon in poly.monoms() if mon[0] not in (0, 2)]
    if extra:
        raise ValueError(f"m0 weight must be w0 + w2 m0^2, got {weight}")
    return sp.factor(poly.coeff_monomial(1)), sp.factor(poly.coeff_monomial(m0**2))

#: Per-index factor c_l of the slab (1c) prefactor: c_lA c_lB = (2lA+1)(2lB+1) i^(lA-lB) for lA, lB
#: of equal parity (KPM (47) with [1 + (-1)^(lA+lB)]/2).
SLAB_M1C_INDEX_WEIGHT = (2 * ellA + 1) * (-1) ** sp.floor(ellA / 2)

#: Overall l0 factor of the slab (1c) element (KPM (47) with the 1/(4 pi) of (17) and G).
SLAB_M1C_L0_WEIGHT = 2 * ell0 + 1

#: (1c,0) weight of MA19 (3.21) per (l0, lA), multiplying kappa_{lA lA} (l lA l0; 0 0 0)^2.
ISOTROPIC_M1C0_WEIGHT = sp.Rational(8, 3) * sp.pi * (2 * ellA + 1) * (2 * ell0 + 1) * ell0 * (ell0 + 1)

_SLAB_C0, _SLAB_C2 = m0_coefficients(SLAB_M1C_M0_WEIGHT)
_ISO_C0, _ISO_C2 = m0_coefficients(ISOTROPIC_M1C2_M0_WEIGHT)

KERNELS: list[KernelExpr] = [
    KernelExpr(
        name="slab_m1a",
        args=(ell, lambda0, lambda2),
        expr=SLAB_M1A,
        doc="Diagonal M^(1a)_{ll} for slab turbulence, -l(l+1)[(2/3)Lambda_0 - (1/3)Lambda_2] with "
        "Lambda_l weighted by G = E/2 (KPM (38)-(39); KPM (40) prints 8 pi for the 4 pi of (38)).",
    ),
    KernelExpr(
        name="isotropic_m1a",
        args=(ell, lambda0, lambda2),
        expr=ISOTROPIC_M1A,
        doc="Diagonal M^(1a)_{ll} for isotropic turbulence on straight lines, "
        "-(8 pi/3) l(l+1)(Lambda_0 - Lambda_2/2) with Lambda_l weighted by g = E/(8 pi) (MA19 (3.15)).",
    ),
    KernelExpr(
        name="slab_m1c_m0_weight_c0",
        args=(ell0,),
        expr=_SLAB_C0,
        doc="m0-independent part w_0 of the slab M^(1c) m0 weight l0(l0+1) - m0^2 "
        "(KPM (47) after (C35)-(C36)).",
    ),
    KernelExpr(
        name="slab_m1c_m0_weight_c2",
        args=(ell0,),
        expr=_SLAB_C2 + 0 * ell0,
        doc="Coefficient w_2 of m0^2 in the slab M^(1c) m0 weight l0(l0+1) - m0^2 (KPM (47)).",
    ),
    KernelExpr(
        name="isotropic_m1c2_m0_weight_c0",
        args=(ell0,),
        expr=_ISO_C0,
        doc="m0-independent part of the isotropic M^(1c,2) m0 weight 4 pi (l0(l0+1)/3 - m0^2), the "
        "quadrupole part of MA19 (3.20) in the frame k-hat = z (equivalent to MA19 (3.23) for l0 >= 1).",
    ),
    KernelExpr(
        name="isotropic_m1c2_m0_weight_c2",
        args=(ell0,),
        expr=_ISO_C2 + 0 * ell0,
        doc="Coefficient of m0^2 in the isotropic M^(1c,2) m0 weight 4 pi (l0(l0+1)/3 - m0^2) (MA19 (3.23)).",
    ),
    KernelExpr(
        name="slab_m1c_index_weight",
        args=(ellA,),
        expr=SLAB_M1C_INDEX_WEIGHT,
        doc="Factor c_l = (2l+1)(-1)^floor(l/2) with c_lA c_lB = (2lA+1)(2lB+1) i^(lA-lB) for lA, lB "
        "of equal parity: the lA, lB prefactor of the slab M^(1c) (KPM (47)).",
    ),
    KernelExpr(
        name="slab_m1c_l0_weight",
        args=(ell0,),
        expr=SLAB_M1C_L0_WEIGHT,
        doc="Overall factor 2 l0 + 1 of the slab M^(1c) element (KPM (47) with G = 4 pi g).",
    ),
    KernelExpr(
        name="isotropic_m1c0_weight",
        args=(ell0, ellA),
        expr=ISOTROPIC_M1C0_WEIGHT,
        doc="Weight (8 pi/3)(2lA+1)(2l0+1) l0(l0+1) of kappa_{lA lA} (l lA l0; 0 0 0)^2 in the "
        "isotropic M^(1c,0) (MA19 (3.21)).",
    ),
]
