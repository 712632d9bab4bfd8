"""SymPy derivation of the time kernels behind Lambda_l (KPM (39)) and kappa_{lA lB} (KPM (48)).

In X = k dT, w = Omega dT the two time factors are (``crmix.solver.integrals``)

    A_l(X, w) = int_0^1 du j_l(X u) e^{i w u}             (a_l = dT A_l; KPM (48), MA19 (3.22) at w = 0)
    B_l(X, w) = int_0^1 du (1 - u) j_l(X u) e^{i w u}     (b_l = dT^2 Re B_l; KPM (39), MA19 (3.14))

and, by j_l(x) = (1/(2 i^l)) int_{-1}^{1} P_l(mu) e^{i x mu} dmu, Legendre projections of

    h_a(z)      = int_0^1 e^{i z u} du,          z = X mu + w,
    h_lambda(z) = int_0^1 (1 - u) e^{i z u} du.

This module derives their closed forms (written without the cancellation of e^{iz} - 1 near z = 0)
and Taylor series at the removable singularity z = 0, the starting values A_0, B_0 of the
l-recurrence (in Si and Ci), and j_0, j_1 for the Bessel recurrence.  ``KERNELS`` hands them to
``crmix codegen``, which writes ``crmix.generated.integrands``.  The identities used along the way
are registered checks (``crmix.derive.registry``).
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from crmix.derive.expressions import KernelExpr
from crmix.derive.registry import Verdict, identity, verdict

__all__ = ["KERNELS", "a0_closed", "b0_closed", "h_a_closed", "h_lambda_closed"]  # noqa: F822 - KERNELS comes from the module __getattr__

z, u, mu = sp.symbols("z u mu", real=True)
X, w = sp.symbols("X w", real=True)
x = sp.symbols("x", positive=True)

#: Below |z| < TAYLOR_RADIUS the kernels use their Taylor polynomial (degree TAYLOR_DEGREE); the
#: remainder there is below 1e-19, and the closed form above it loses at most ~6 eps (h_lambda).
TAYLOR_RADIUS = {"h_a": sp.Rational(1, 8), "h_lambda": sp.Integer(1)}
TAYLOR_DEGREE = {"h_a": 12, "h_lambda": 18}


def _defining_integral(weight: sp.Expr) -> sp.Expr:
    """int_0^1 weight(u) e^{i z u} du for z != 0, as SymPy integrates it."""
    result = sp.integrate(weight * sp.exp(sp.I * z * u), (u, 0, 1))
    if isinstance(result, sp.Piecewise):  # (z != 0 branch, z = 0 branch)
        result = result.args[0][0]
    return result


@cache
def h_a_closed() -> sp.Expr:
    """h_a(z) = (e^{iz} - 1)/(iz) = sin z / z + 2 i sin^2(z/2) / z (no cancellation near z = 0)."""
    form = sp.sin(z) / z + 2 * sp.I * sp.sin(z / 2) ** 2 / z
    assert sp.simplify((_defining_integral(sp.Integer(1)) - form).rewrite(sp.exp)) == 0
    return form


@cache
def h_lambda_closed() -> sp.Expr:
    """h_lambda(z) = (e^{iz} - 1 - iz)/(iz)^2 = 2 sin^2(z/2)/z^2 + i (z - sin z)/z^2."""
    form = 2 * sp.sin(z / 2) ** 2 / z**2 + sp.I * (z - sp.sin(z)) / z**2
    assert sp.simplify((_defining_integral(1 - u) - form).rewrite(sp.exp)) == 0
    return form


def _taylor(expr: sp.Expr, degree: int) -> sp.Expr:
    """Taylor polynomial of ``expr`` at z = 0 up to z^degree, in Horner form."""
    poly = sp.series(expr, z, 0, degree + 1).removeO()
    re, im = (sp.horner(sp.expand(part)) for part in (sp.re(poly), sp.im(poly)))
    return re + sp.I * im


def _with_taylor(name: str, closed: sp.Expr) -> sp.Expr:
    return sp.Piecewise((_taylor(closed, TAYLOR_DEGREE[name]), sp.Abs(z) < TAYLOR_RADIUS[name]), (closed, True))


def _ein(a: sp.Expr) -> sp.Expr:
    """E(a) = int_0^1 (e^{i a u} - 1)/u du = Ci|a| - gamma - ln|a| + i Si(a) (checked below)."""
    return sp.Ci(sp.Abs(a)) - sp.EulerGamma - sp.log(sp.Abs(a)) + sp.I * sp.Si(a)


@cache
def a0_closed() -> sp.Expr:
    """A_0(X, w) = int_0^1 j_0(X u) e^{iwu} du = (E(X + w) - E(w - X))/(2 i X), for X > |w|.

    j_0(Xu) = (e^{iXu} - e^{-iXu})/(2 i X u) splits A_0 into two E's.  With p = X + w > 0 and
    q = X - w > 0 the absolute values resolve and the Euler constants cancel:
    A_0 = [Si(p) + Si(q)]/(2X) + i [ln(p/q) - Ci(p) + Ci(q)]/(2X).
    """
    p, q = sp.symbols("p q", positive=True)
    # Si and Ci are real on the positive axis: stand-in real symbols while splitting re/im.
    values = {f(arg): sp.Symbol(f"{f.__name__}_{arg}", real=True) for f in (sp.Si, sp.Ci) for arg in (p, q)}
    times_2x = ((_ein(p) - _ein(-q)) / sp.I).subs(values)  # = 2 X A_0
    back = {v: k for k, v in values.items()}
    re, im = (sp.simplify(part(sp.expand(times_2x))).subs(back) for part in (sp.re, sp.im))
    return ((re + sp.I * im) / (2 * X)).subs({p: X + w, q: X - w})


@cache
def b0_closed() -> sp.Expr:
    """B_0(X, w) = A_0 - (1/X) int_0^1 e^{iwu} sin(Xu) du, for X > |w| ((1 - u) j_0(Xu) = j_0 - sin(Xu)/X)."""
    sine = sp.integrate(sp.exp(sp.I * w * u) * sp.sin(X * u), (u, 0, 1), conds="none")
    if isinstance(sine, sp.Piecewise):  # the X != w branch
        sine = sine.args[0][0]
    sine = sp.expand_complex(sp.expand(sine))
    return a0_closed() - (sp.simplify(sp.re(sine)) + sp.I * sp.simplify(sp.im(sine))) / X


# ---- registered checks -------------------------------------------------------------------------
@identity("plane_wave_legendre_projection", paper="KPM", equation="(36)")
def check_plane_wave_projection(phase_base: sp.Expr = sp.I, ells: tuple[int, ...] = (0, 1, 2, 3, 4, 5)) -> Verdict:
    """j_l(x) = (1/(2 b^l)) int_{-1}^{1} P_l(mu) e^{i x mu} dmu with b = i (the projection behind A_l, B_l)."""
    bad = []
    for ell in ells:
        proj = sp.integrate(sp.legendre(ell, mu) * sp.exp(sp.I * x * mu), (mu, -1, 1)) / (2 * phase_base**ell)
        if sp.simplify((proj - sp.expand_func(sp.jn(ell, x))).rewrite(sp.exp)) != 0:
            bad.append(ell)
    return verdict(not bad, f"l = {list(ells)}; failing: {bad}")


@identity("bessel_derivative_recurrence", paper="KPM", equation="(39), (48)")
def check_bessel_recurrence(
    upper_coeff: int = -1, ells: tuple[int, ...] = (1, 2, 3, 4, 5, 6)
) -> Verdict:
    """(2l+1) j_l'(x) = l j_{l-1}(x) + c (l+1) j_{l+1}(x) with c = -1 (the A_l, B_l recurrences)."""
    bad = []
    for ell in ells:
        j = [sp.expand_func(sp.jn(n, x)) for n in (ell - 1, ell, ell + 1)]
        if sp.simplify((2 * ell + 1) * sp.diff(j[1], x) - ell * j[0] - upper_coeff * (ell + 1) * j[2]) != 0:
            bad.append(ell)
    return verdict(not bad, f"l = {list(ells)}; failing: {bad}")


@identity("time_factor_recurrence_boundary_terms", paper="KPM", equation="(39), (48)")
def check_recurrence_boundary_terms(end_value_b: sp.Expr = sp.Integer(0)) -> Verdict:
    """Parts integration of phi(u) d/du j_l(Xu) for phi = e^{iwu} and (1-u) e^{iwu}.

    int_0^1 phi (d/du) j_l(Xu) du = phi(1) j_l(X) - phi(0) delta_{l0} - int_0^1 phi' j_l(Xu) du with
    phi' = i w phi (A_l) and phi' = i w phi - e^{iwu} (B_l): the forcing terms of the recurrences.
    """
    phis = {"A": sp.exp(sp.I * w * u), "B": (1 - u) * sp.exp(sp.I * w * u)}
    claimed_end = {"A": sp.exp(sp.I * w), "B": end_value_b}
    claimed_derivative = {"A": sp.I * w * phis["A"], "B": sp.I * w * phis["B"] - sp.exp(sp.I * w * u)}
    ok = all(
        sp.simplify(phi.subs(u, 1) - claimed_end[key]) == 0
        and sp.simplify(phi.subs(u, 0) - 1) == 0
        and sp.simplify(sp.diff(phi, u) - claimed_derivative[key]) == 0
        for key, phi in phis.items()
    )
    return verdict(ok, "phi(0) = 1; phi(1) = e^{iw} (A), 0 (B); phi' as claimed")


@identity("exponential_integral_E", paper="KPM", equation="(48)")
def check_exponential_integral(euler_gamma_sign: int = -1) -> Verdict:
    """E(a) = int_0^1 (e^{iau} - 1)/u du = Ci(a) - gamma - ln a + i Si(a) for a > 0 (dE/da, E(0+) = 0)."""
    a = sp.symbols("a", positive=True)
    E = _ein(a) + (1 + euler_gamma_sign) * sp.EulerGamma
    derivative_ok = sp.simplify((sp.diff(E, a) - (sp.exp(sp.I * a) - 1) / a).rewrite(sp.exp)) == 0
    limit_ok = sp.limit(E, a, 0, "+") == 0
    return verdict(derivative_ok and limit_ok, f"dE/da = (e^(ia)-1)/a: {derivative_ok}; E(0+) = 0: {limit_ok}")


@identity("taylor_kernels_match_closed_forms", paper="KPM", equation="(39), (48)")
def check_taylor(degree_drop: int = 0) -> Verdict:
    """The Taylor polynomials of h_a, h_lambda agree with the closed forms to 1e-18 at |z| = radius.

    ``degree_drop`` lowers the degree below the one the generated kernels use (a broken claim).
    """
    worst = 0.0
    for name, closed in (("h_a", h_a_closed()), ("h_lambda", h_lambda_closed())):
        poly = _taylor(closed, TAYLOR_DEGREE[name] - degree_drop)
        r = TAYLOR_RADIUS[name]
        for point in (r, -r, r / 3):
            diff = sp.N(sp.Abs(poly.subs(z, point) - closed.subs(z, point)), 40)
            worst = max(worst, float(diff))
    return verdict(worst < 1e-18, f"max |Taylor - closed| at the radius: {worst:.2e}")


# ---- hand-over to codegen ----------------------------------------------------------------------
@cache
def _kernels() -> tuple[KernelExpr, ...]:
    return (
        KernelExpr(
            name="h_a",
            args=(z,),
            expr=_with_taylor("h_a", h_a_closed()),
            doc="h_a(z) = int_0^1 e^{izu} du, whose Legendre projection at z = X mu + w gives A_l = a_l/dT "
            "(KPM (48); MA19 (3.22) at w = 0).  Taylor polynomial for |z| < 1/8.",
        ),
        KernelExpr(
            name="h_lambda",
            args=(z,),
            expr=_with_taylor("h_lambda", h_lambda_closed()),
            doc="h_lambda(z) = int_0^1 (1-u) e^{izu} du, whose Legendre projection at z = X mu + w gives "
            "B_l, b_l = dT^2 Re B_l (KPM (39); MA19 (3.14) at w = 0).  Taylor polynomial for |z| < 1.",
        ),
        KernelExpr(
            name="a0_closed",
            args=(X, w),
            expr=a0_closed(),
            doc="A_0(X, w) = int_0^1 j_0(Xu) e^{iwu} du in Si and Ci, valid for X > |w|: the start of the "
            "l-recurrence for a_l (KPM (48)).",
        ),
        KernelExpr(
            name="b0_closed",
            args=(X, w),
            expr=b0_closed(),
            doc="B_0(X, w) = int_0^1 (1-u) j_0(Xu) e^{iwu} du in Si and Ci, valid for X > |w|: the start of "
            "the l-recurrence for b_l (KPM (39)).",
        ),
        KernelExpr(
            name="sph_j0",
            args=(x,),
            expr=sp.expand_func(sp.jn(0, x)),
            doc="Spherical Bessel j_0(x) for x > 0, start of the forward recurrence (stable for l < x).",
        ),
        KernelExpr(
            name="sph_j1",
            args=(x,),
            expr=sp.expand_func(sp.jn(1, x)),
            doc="Spherical Bessel j_1(x) for x > 0, start of the forward recurrence (stable for l < x).",
        ),
    )


def __getattr__(name: str):  # KERNELS is derived on first use (SymPy work takes a few seconds)
    if name == "KERNELS":
        return list(_kernels())
    raise AttributeError(name)
