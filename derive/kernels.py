"""SymPy derivation of the time kernels behind Lambda_l (KPM (39)) and kappa_{lA lB} (KPM (48)).

In X = k dT, w = Omega dT the two time factors are (``crmix.solver.integrals``)

    A_l(X, w) = int_0^1 du j_l(X u) e^{i w u}             (a_l = dT A_l; KPM (48), MA19 (3.22) at w = 0)
    B_l(X, w) = int_0^1 du (1 - u) j_l(X u) e^{i w u}     (b_l = dT^2 Re B_l; KPM (39), MA19 (3.14))

and, by j_l(x) = (1/(2 i^l)) int_{-1}^{1} P_l(mu) e^{i x mu} dmu, Legendre projections of

    h_a(z)      = int_0^1 e^{i z u} du,          z = X mu + w,
    h_lambda(z) = int_0^1 (1 - u) e^{i z u} du.

This module derives their closed forms (written without the cancellation of e^{iz} - 1 near z = 0)
and Taylor series at the removable singularity z = 0, and the forward recurrences in l used where
X is large: integrating phi(u) d/du j_l(Xu) by parts, with phi = e^{iwu} (A) and (1 - u) e^{iwu} (B),
and (2l+1) j_l' = l j_{l-1} - (l+1) j_{l+1},

    (l+1) A_{l+1} = l A_{l-1} - ((2l+1)/X) [phi_A(1) j_l(X) - phi_A(0) delta_{l0} - int phi_A' j_l],

and likewise for B, where int phi' j_l is a combination of A_l and B_l (``time_factor_step``);
j_l(X) runs along with j_{l+1} = ((2l+1)/X) j_l - j_{l-1} from j_{-1} = cos X/X, j_0 = sin X/X, and
A_0, B_0 are closed forms in Si and Ci.  The Legendre polynomials of the projection come from
Bonnet's recurrence.  ``KERNELS`` hands the kernels and the recurrences to ``crmix codegen``, which
writes ``crmix.generated.integrands``; the registered checks verify exactly these objects (they read
``KERNELS`` when they run) against their defining integrals.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

import mpmath
import sympy as sp

from crmix.derive.expressions import KernelExpr, Recurrence, RecurrenceTerm, claimed, emitted
from crmix.derive.harmonics import mp_spherical_jn
from crmix.derive.registry import Verdict, identity, verdict

__all__ = [  # noqa: F822 - KERNELS comes from the module __getattr__
    "KERNELS",
    "a0_closed",
    "b0_closed",
    "h_a_closed",
    "h_lambda_closed",
    "time_factor_recurrence",
    "time_factor_step",
    "with_taylor",
]

SOURCE = "crmix.derive.kernels"

z, u, mu = sp.symbols("z u mu", real=True)
X, w = sp.symbols("X w", real=True)
x = sp.symbols("x", positive=True)
ell = sp.Symbol("ell", integer=True, nonnegative=True)
A, A_prev, B, B_prev = sp.symbols("A A_prev B B_prev")
j, j_prev, P, P_prev = sp.symbols("j j_prev P P_prev", real=True)

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


def with_taylor(name: str, closed: sp.Expr, degree: int | None = None) -> sp.Expr:
    """The kernel ``name``: its Taylor polynomial (degree TAYLOR_DEGREE[name]) inside TAYLOR_RADIUS, else ``closed``."""
    degree = TAYLOR_DEGREE[name] if degree is None else degree
    return sp.Piecewise((_taylor(closed, degree), sp.Abs(z) < TAYLOR_RADIUS[name]), (closed, True))


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


#: (2l+1) j_l'(x) = l j_{l-1}(x) + BESSEL_UPPER (l+1) j_{l+1}(x) (``bessel_derivative_recurrence``).
BESSEL_UPPER = -1
#: The time weights phi(u) of A_l = int_0^1 phi j_l(Xu) du and B_l, and the symbols of T_{l-1}.
TIME_WEIGHTS = {A: sp.exp(sp.I * w * u), B: (1 - u) * sp.exp(sp.I * w * u)}
PREVIOUS = {A: A_prev, B: B_prev}


def _in_time_weights(f: sp.Expr) -> sp.Expr:
    """int_0^1 f(u) j_l(Xu) du as a combination of A_l, B_l, for f e^{-iwu} of degree <= 1 in u (exact)."""
    base = sp.exp(sp.I * w * u)
    coeffs = sp.symbols(f"c0:{len(TIME_WEIGHTS)}")
    residual = sp.expand(sp.simplify(f / base) - sum(c * sp.simplify(phi / base) for c, phi in zip(coeffs, TIME_WEIGHTS.values())))
    solution = sp.solve(sp.Poly(residual, u).coeffs(), coeffs, dict=True)
    if len(solution) != 1:
        raise ValueError(f"{f} is not a combination of the time weights {list(TIME_WEIGHTS.values())}")
    return sum(solution[0].get(c, 0) * T for c, T in zip(coeffs, TIME_WEIGHTS))


@cache
def time_factor_step(term: sp.Symbol) -> sp.Expr:
    """T_{l+1} for T = A or B from T_l, T_{l-1}, A_l, B_l and j_l(X) (KPM (39), (48); module docstring).

    int_0^1 phi (d/du) j_l(Xu) du = phi(1) j_l(X) - phi(0) delta_{l0} - int_0^1 phi' j_l(Xu) du (the
    bracket), and the same integral is (X/(2l+1)) [l T_{l-1} + BESSEL_UPPER (l+1) T_{l+1}].
    """
    phi = TIME_WEIGHTS[term]
    bracket = phi.subs(u, 1) * j - phi.subs(u, 0) * sp.KroneckerDelta(ell, 0) - _in_time_weights(sp.diff(phi, u))
    return (ell * PREVIOUS[term] - (2 * ell + 1) / X * bracket) / (-BESSEL_UPPER * (ell + 1))


@cache
def time_factor_recurrence() -> Recurrence:
    """A_l, B_l and j_l(X) for l = 0..lmax by the forward recurrences (X > |w|: the branch of A_0, B_0)."""
    return Recurrence(
        name="time_factor_recurrence",
        index=ell,
        args=(X, w),
        terms=(
            RecurrenceTerm(j, j_prev, sp.expand_func(sp.jn(-1, X)), sp.expand_func(sp.jn(0, X)), (2 * ell + 1) / X * j - j_prev),
            RecurrenceTerm(A, A_prev, sp.Integer(0), a0_closed(), time_factor_step(A)),
            RecurrenceTerm(B, B_prev, sp.Integer(0), b0_closed(), time_factor_step(B)),
        ),
        functions=(("time_factors_a", ("A",)), ("time_factors_ab", ("A", "B"))),
        doc="A_l(X, w) = int_0^1 j_l(Xu) e^{iwu} du (and B_l with the weight 1 - u) for l = 0..lmax by the "
        "forward recurrences from integrating the Bessel recurrence by parts (KPM (39), (48)), with "
        "j_{l+1} = ((2l+1)/X) j_l - j_{l-1}; stable for w/X <= 2/3 and l < X, valid for X > |w|.",
    )


@cache
def legendre_recurrence() -> Recurrence:
    """P_l(mu), l = 0..lmax, by Bonnet's recurrence (l+1) P_{l+1} = (2l+1) mu P_l - l P_{l-1}."""
    return Recurrence(
        name="legendre_polynomials",
        index=ell,
        args=(mu,),
        terms=(RecurrenceTerm(P, P_prev, sp.Integer(0), sp.Integer(1), ((2 * ell + 1) * mu * P - ell * P_prev) / (ell + 1)),),
        functions=(("legendre_polynomials", ("P",)),),
        doc="Legendre polynomials P_l(mu), l = 0..lmax, by Bonnet's recurrence (stable on [-1, 1]): the "
        "projection of h_a, h_lambda onto A_l, B_l.",
    )


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
def check_bessel_recurrence(upper_coeff: int = BESSEL_UPPER, ells: tuple[int, ...] = (1, 2, 3, 4, 5, 6)) -> Verdict:
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


#: Points of the h-kernel check: both sides of the Taylor radius, the origin, and far out.
_H_POINTS = {"h_a": ("0", "1e-3", "0.04", "-0.1249999", "0.1250001", "1.7", "-41"), "h_lambda": ("0", "0.3", "-0.9999999", "1.0000001", "3.7", "-41")}
_H_WEIGHTS = {"h_a": lambda t: 1, "h_lambda": lambda t: 1 - t}


@cache
def _h_reference(name: str, zv: str) -> mpmath.mpc:
    """int_0^1 weight(u) e^{izu} du by mpmath quadrature at 30 digits."""
    with mpmath.workdps(30):
        zz = mpmath.mpf(zv)
        return mpmath.quad(lambda t: _H_WEIGHTS[name](t) * mpmath.expj(zz * t), mpmath.linspace(0, 1, int(abs(zz) / 3) + 2))


@identity("h_kernels_defining_integrals", paper="KPM", equation="(39), (48)", covers=("h_a", "h_lambda"))
def check_h_kernels(kernels: Mapping[str, sp.Expr] | None = None) -> Verdict:
    """The emitted h_a, h_lambda (Taylor polynomial inside the radius, closed form outside) equal
    int_0^1 e^{izu} du and int_0^1 (1-u) e^{izu} du to 1e-18 on both sides of the radius (mpmath)."""
    worst = mpmath.mpf(0)
    with mpmath.workdps(30):
        for name, points in _H_POINTS.items():
            kernel = sp.lambdify((z,), claimed(SOURCE, name, kernels), "mpmath")
            for zv in points:
                ref = _h_reference(name, zv)
                worst = max(worst, abs(kernel(mpmath.mpf(zv)) - ref) / max(1, abs(ref)))
    return verdict(worst < 1e-18, f"max |kernel - defining integral| at the radius, origin and beyond: {mpmath.nstr(worst, 3)}")


def run_recurrence(rec: Recurrence, lmax: int, values: tuple, module: str) -> dict[str, list]:
    """Every term T_l, l = 0..lmax, of ``rec`` at the argument ``values``, in SymPy ("sympy") or mpmath arithmetic."""
    state = [s for t in rec.terms for s in (t.current, t.previous)]
    starts = {t.name: (sp.lambdify(rec.args, t.before, module), sp.lambdify(rec.args, t.start, module)) for t in rec.terms}
    steps = {t.name: sp.lambdify((rec.index, *rec.args, *state), t.step, module) for t in rec.terms}
    previous = {name: f(*values) for name, (f, _) in starts.items()}
    current = {name: f(*values) for name, (_, f) in starts.items()}
    out = {name: [v] for name, v in current.items()}
    for n in range(lmax):
        now = [v for t in rec.terms for v in (current[t.name], previous[t.name])]
        previous, current = current, {name: step(n, *values, *now) for name, step in steps.items()}
        for name, v in current.items():
            out[name].append(v)
    return out


#: (X, w) of the recurrence check (X > |w|, l < X) and its largest l.
_RECURRENCE_POINTS = (("9.5", "3"), ("14", "-6"))
_RECURRENCE_LMAX = 6


@cache
def _time_factor_reference(n: int, xv: str, wv: str, weight: str) -> mpmath.mpc:
    """A_l (weight "A": 1) or B_l (weight "B": 1 - u) at (X, w) by mpmath Gauss-Legendre quadrature at 30 digits."""
    with mpmath.workdps(30):
        big_x, small_w = mpmath.mpf(xv), mpmath.mpf(wv)
        phi = (lambda t: 1) if weight == "A" else (lambda t: 1 - t)
        f = lambda t: phi(t) * mp_spherical_jn(n, big_x * t) * mpmath.expj(small_w * t)  # noqa: E731
        return mpmath.quad(f, mpmath.linspace(0, 1, int(big_x) + 2), method="gauss-legendre")


@identity("time_factor_recurrence", paper="KPM", equation="(39), (48)", covers=("time_factor_recurrence",))
def check_time_factor_recurrence(recurrence: Recurrence | None = None) -> Verdict:
    """The emitted recurrence (A_0, B_0, j_{-1}, j_0 and the steps) reproduces A_l, B_l by quadrature of
    their defining integrals and j_l(X) (mpmath, 30 digits) for l <= 6 at two (X, w) with X > |w|."""
    rec = emitted(SOURCE, "time_factor_recurrence") if recurrence is None else recurrence
    worst = mpmath.mpf(0)
    with mpmath.workdps(30):
        for xv, wv in _RECURRENCE_POINTS:
            values = run_recurrence(rec, _RECURRENCE_LMAX, (mpmath.mpf(xv), mpmath.mpf(wv)), "mpmath")
            for n in range(_RECURRENCE_LMAX + 1):
                refs = {"A": _time_factor_reference(n, xv, wv, "A"), "B": _time_factor_reference(n, xv, wv, "B"),
                        "j": mp_spherical_jn(n, mpmath.mpf(xv))}
                worst = max([worst, *(abs(values[name][n] - ref) for name, ref in refs.items())])
    return verdict(worst < 1e-20, f"max |recurrence - quadrature| for l <= {_RECURRENCE_LMAX}: {mpmath.nstr(worst, 3)}")


@identity("legendre_recurrence", paper="KPM", equation="(36)", covers=("legendre_polynomials",))
def check_legendre_recurrence(recurrence: Recurrence | None = None) -> Verdict:
    """The emitted Bonnet recurrence gives SymPy's P_l(mu) exactly, l <= 10, at rational mu in [-1, 1]."""
    rec = emitted(SOURCE, "legendre_polynomials") if recurrence is None else recurrence
    points = (sp.Integer(-1), sp.Rational(-3, 7), sp.Integer(0), sp.Rational(2, 5), sp.Integer(1))
    bad = []
    for point in points:
        values = run_recurrence(rec, 10, (point,), "sympy")["P"]
        bad += [(n, point) for n, v in enumerate(values) if sp.sympify(v) != sp.legendre(n, point)]
    return verdict(not bad, f"l <= 10 at mu in {[str(p) for p in points]}: failing (l, mu) {bad[:5]}")


# ---- hand-over to codegen ----------------------------------------------------------------------
@cache
def _kernels() -> tuple[KernelExpr | Recurrence, ...]:
    return (
        KernelExpr(
            name="h_a",
            args=(z,),
            expr=with_taylor("h_a", h_a_closed()),
            doc="h_a(z) = int_0^1 e^{izu} du, whose Legendre projection at z = X mu + w gives A_l = a_l/dT "
            "(KPM (48); MA19 (3.22) at w = 0).  Taylor polynomial for |z| < 1/8.",
        ),
        KernelExpr(
            name="h_lambda",
            args=(z,),
            expr=with_taylor("h_lambda", h_lambda_closed()),
            doc="h_lambda(z) = int_0^1 (1-u) e^{izu} du, whose Legendre projection at z = X mu + w gives "
            "B_l, b_l = dT^2 Re B_l (KPM (39); MA19 (3.14) at w = 0).  Taylor polynomial for |z| < 1.",
        ),
        time_factor_recurrence(),
        legendre_recurrence(),
    )


def __getattr__(name: str):  # KERNELS is derived on first use (SymPy work takes a few seconds)
    if name == "KERNELS":
        return list(_kernels())
    raise AttributeError(name)
