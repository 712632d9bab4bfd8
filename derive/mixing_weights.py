"""The weights of the mixing-matrix assembly M = 1 + 2 M^(1a) + M^(1c) (KPM (17), MA19 (3.6)), as emitted.

``KERNELS`` is what ``crmix codegen`` turns into ``crmix.generated.mixing_weights``; ``crmix.solver.mixing``
contracts these weights with Wigner symbols and the integrals Lambda_l and kappa_{lA lB}.  Nothing is
typed in here: every expression is derived in ``crmix.derive.reductions`` (from Unsoeld, the plane-wave
expansion, the Gaunt integral, the k measure and the operator part of the correlation tensor) and
``crmix.derive.threej`` (the Schulten-Gordon recursion), and verified by the registered checks that
name it in ``covers`` (``crmix derive --list``), which read this list when they run.  Conventions are
those of docs/physics.md: L = -i p x d_p, slab weight G = E/2, isotropic weight g = E/(8 pi).  The
derived forms:

Slab (helical orbits, B0 along z):

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
coefficients w(m0) = w_0(l0) + w_2(l0) m0^2 (``*_m0_weight_c0``/``_c2``) and the m0 moments of the 3j
symbols (``m0_moment_*``), which make the m0 sum tridiagonal in lA.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from crmix.derive import reductions, threej
from crmix.derive.expressions import KernelExpr
from crmix.derive.reductions import ell, ell0, ellA, lambda_symbol, m0

__all__ = ["KERNELS", "m0_coefficients"]  # noqa: F822 - KERNELS comes from the module __getattr__


def m0_coefficients(weight: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """(w_0, w_2) with weight = w_0 + w_2 m0^2; a ValueError if the weight has any other m0 power."""
    poly = sp.Poly(sp.expand(weight), m0)
    extra = [mon for mon in poly.monoms() if mon[0] not in (0, 2)]
    if extra:
        raise ValueError(f"m0 weight must be w0 + w2 m0^2, got {weight}")
    return sp.factor(poly.coeff_monomial(1)), sp.factor(poly.coeff_monomial(m0**2))


@cache
def _kernels() -> tuple[KernelExpr, ...]:
    lam = (lambda_symbol(0), lambda_symbol(2))
    slab_c0, slab_c2 = m0_coefficients(reductions.slab_m1c_m0_weight())
    iso_m1c0, iso_m0_weight = reductions.isotropic_m1c_weights()
    iso_c0, iso_c2 = m0_coefficients(iso_m0_weight)
    l0_weight, index_weight = reductions.harmonic_weights()
    return (
        KernelExpr(
            name="slab_m1a",
            args=(ell, *lam),
            expr=reductions.slab_m1a(),
            doc="Diagonal M^(1a)_{ll} for slab turbulence, -l(l+1)[(2/3)Lambda_0 - (1/3)Lambda_2] with "
            "Lambda_l weighted by G = E/2 (KPM (38)-(39); KPM (40) prints 8 pi for the 4 pi of (38)).",
        ),
        KernelExpr(
            name="isotropic_m1a",
            args=(ell, *lam),
            expr=reductions.isotropic_m1a(),
            doc="Diagonal M^(1a)_{ll} for isotropic turbulence on straight lines, "
            "-(8 pi/3) l(l+1)(Lambda_0 - Lambda_2/2) with Lambda_l weighted by g = E/(8 pi) (MA19 (3.15)).",
        ),
        KernelExpr(
            name="slab_m1c_m0_weight_c0",
            args=(ell0,),
            expr=slab_c0,
            doc="m0-independent part w_0 of the slab M^(1c) m0 weight l0(l0+1) - m0^2 "
            "(KPM (47) after (C35)-(C36)).",
        ),
        KernelExpr(
            name="slab_m1c_m0_weight_c2",
            args=(ell0,),
            expr=slab_c2,
            doc="Coefficient w_2 of m0^2 in the slab M^(1c) m0 weight l0(l0+1) - m0^2 (KPM (47)).",
        ),
        KernelExpr(
            name="isotropic_m1c2_m0_weight_c0",
            args=(ell0,),
            expr=iso_c0,
            doc="m0-independent part of the isotropic M^(1c,2) m0 weight 4 pi (l0(l0+1)/3 - m0^2), the "
            "quadrupole part of MA19 (3.20) in the frame k-hat = z (equivalent to MA19 (3.23) for l0 >= 1).",
        ),
        KernelExpr(
            name="isotropic_m1c2_m0_weight_c2",
            args=(ell0,),
            expr=iso_c2,
            doc="Coefficient of m0^2 in the isotropic M^(1c,2) m0 weight 4 pi (l0(l0+1)/3 - m0^2) (MA19 (3.23)).",
        ),
        KernelExpr(
            name="slab_m1c_index_weight",
            args=(ellA,),
            expr=index_weight,
            doc="Factor c_l = (2l+1)(-1)^floor(l/2) with c_lA c_lB = (2lA+1)(2lB+1) i^(lA-lB) for lA, lB "
            "of equal parity: the lA, lB prefactor of the slab M^(1c) (KPM (47)).",
        ),
        KernelExpr(
            name="slab_m1c_l0_weight",
            args=(ell0,),
            expr=l0_weight,
            doc="Overall factor 2 l0 + 1 of the slab M^(1c) element (KPM (47) with G = 4 pi g).",
        ),
        KernelExpr(
            name="isotropic_m1c0_weight",
            args=(ell0, ellA),
            expr=iso_m1c0,
            doc="Weight (8 pi/3)(2lA+1)(2l0+1) l0(l0+1) of kappa_{lA lA} (l lA l0; 0 0 0)^2 in the "
            "isotropic M^(1c,0) (MA19 (3.21)).",
        ),
        KernelExpr(
            name="m0_moment_0",
            args=(ellA,),
            expr=threej.m0_moment_0(),
            doc="sum_m0 (l l0 lA; -m0 m0 0)^2 = 1/(2lA+1): the zeroth m0 moment of the 3j symbols "
            "(orthogonality), for |l - l0| <= lA <= l + l0.",
        ),
        KernelExpr(
            name="m0_moment_2_diagonal",
            args=(ell, ell0, ellA),
            expr=threej.m0_moment_2_diagonal(),
            doc="sum_m0 m0^2 (l l0 lA; -m0 m0 0)^2 = alpha_lA^2/(2lA+3) + beta_lA^2/(2lA-1) from the "
            "Schulten-Gordon recursion read as an eigen-relation for m0, for |l - l0| <= lA <= l + l0.",
        ),
        KernelExpr(
            name="m0_moment_2_offdiagonal",
            args=(ell, ell0, ellA),
            expr=threej.m0_moment_2_offdiagonal(),
            doc="sum_m0 m0^2 (l l0 lA; -m0 m0 0)(l l0 lA+2; -m0 m0 0) = alpha_lA beta_(lA+2)/(2lA+3) "
            "(Schulten-Gordon), 0 where lA + 2 > l + l0; for lA >= |l - l0|.",
        ),
    )


def __getattr__(name: str):  # KERNELS is derived on first use (SymPy work takes about a second)
    if name == "KERNELS":
        return list(_kernels())
    raise AttributeError(name)
