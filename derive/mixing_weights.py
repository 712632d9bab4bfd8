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

#: Per-index factor c_l of the slab (1c) prefactor: c_lA c_lB = (2lA+1)(2lB+1) i^(lA-lB) for lA, lB
#: of equal parity (KPM (47) with [1 + (-1)^(lA+lB)]/2).
SLAB_M1C_INDEX_WEIGHT = (2 * ellA + 1) * (-1) ** sp.floor(ellA / 2)

#: Overall l0 factor of the slab (1c) element (KPM (47) with the 1/(4 pi) of (17) and G).
SLAB_M1C_L0_WEIGHT = 2 * ell0 + 1

#: (1c,0) weight of MA19 (3.21) per (l0, lA), multiplying kappa_{lA lA} (l lA l0; 0 0 0)^2.
ISOTROPIC_M1C0_WEIGHT = sp.Rational(8, 3) * sp.pi * (2 * ellA + 1) * (2 * ell0 + 1) * ell0 * (ell0 + 1)

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
        name="slab_m1c_m0_weight",
        args=(ell0, m0),
        expr=SLAB_M1C_M0_WEIGHT,
        doc="Weight l0(l0+1) - m0^2 of the m0 sum in the slab M^(1c) (KPM (47) after (C35)-(C36)).",
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
