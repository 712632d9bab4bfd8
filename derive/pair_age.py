"""The sky's C_l from the pair propagator over the pair's age (docs/physics.md, "The mixing equation with the
pair's age"), as emitted: the weights of the age integral and the checks that derive them.

KPM (3) maps the particle seen with p-hat to delta = -g [int_0^T mu(t) dt + 3 K mu(T)] (gradient g along B0,
t the look-back time).  The pair average projected on P_l (KPM (4)) needs <mu_A(t) mu_B(t')> at all pairs of
times.  Equal times are the pair propagator acting on the gradient's dipole, c(t) = M(t) e_1; unequal times
are closed by the single-particle decorrelation <mu(t') | mu(t)> = mu(t) rho(t' - t), rho = exp(-|t'-t|/tau).
With C^mu = 4 pi/9 the C_1 of the map mu:

    C(T) = (4 pi/9) g^2 [ int_0^T c(t) w(T - t) dt + 9 K^2 c(T) ],   w(x) = 2 tau (1 - e^{-x/tau}) + 6 K e^{-x/tau},

(:func:`two_time_reduction`).  ``KERNELS`` emits the prefactor, w and the present-time weight 9 K^2 into
``crmix.generated.pair_age`` (read by crmix.solver.pair_age).  The checks: the double integral over the two
look-back times reduces to the single one with the weight w (exactly, for c = e^{-a t}); with tau = 3K
(int rho = 3K, the particles' own K_zz) w = 6K, so C(T) = S int_0^T c dt + C_1(0) c(T) with KPM (18)'s source
S = (8 pi/3) K g^2 and KPM (3)'s initial dipole C_1(0) = 4 pi K^2 g^2; independent particles
(c_1 = rho^2) give Fick's dipole 4 pi K^2 g^2 (KPM (56)-(57)); and KPM (19) is the same sum with c(t) the
Markov chain M(dT)^n e_1 of pairs that restart from a common point every dT.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

import sympy as sp

from crmix.derive.expressions import KernelExpr, claimed
from crmix.derive.registry import Verdict, identity, verdict

__all__ = ["KERNELS", "two_time_reduction"]  # noqa: F822 - KERNELS comes from the module __getattr__

SOURCE = "crmix.derive.pair_age"
gap = sp.Symbol("gap", nonnegative=True)  # T - t, the age difference
tau = sp.Symbol("tau", positive=True)  # the single-particle decorrelation time, int rho = tau
K = sp.Symbol("K", positive=True)  # K_zz of the Liouville mapping KPM (3)
g = sp.Symbol("g", positive=True)  # |grad fbar| / fbar along B0
_t, _s, _T, _a = sp.symbols("t s T a", positive=True)
_EMITTED = ("age_prefactor", "age_weight", "age_present_weight")


@cache
def _kernels() -> tuple[KernelExpr, ...]:
    return (
        KernelExpr(name="age_prefactor", args=(g,), expr=4 * sp.pi * g**2 / 9,
                   doc="(4 pi/9) g^2: the C_1 of the map g mu (mu = p-hat . B0-hat) that the gradient's part of KPM (3) draws."),
        KernelExpr(name="age_weight", args=(gap, tau, K), expr=2 * tau * (1 - sp.exp(-gap / tau)) + 6 * K * sp.exp(-gap / tau),
                   doc="w(T - t) = 2 tau (1 - e^{-(T-t)/tau}) + 6 K e^{-(T-t)/tau}: the weight of the pair propagator's dipole "
                       "column c(t) in C(T) (the two look-back times of KPM (3) closed by rho = e^{-|t'-t|/tau}); 6K for tau = 3K."),
        KernelExpr(name="age_present_weight", args=(K,), expr=9 * K**2,
                   doc="9 K^2: the weight of c(T) itself, the -3 p-hat(t0) . K . g term of KPM (3) on both particles."),
    )


def __getattr__(name: str) -> object:
    if name == "KERNELS":
        return list(_kernels())
    raise AttributeError(name)


def _emitted(kernels: Mapping[str, sp.Expr] | None = None) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """(prefactor, w, present weight) as emitted, or as claimed in ``kernels`` (a check's claimed forms)."""
    return tuple(claimed(SOURCE, name, kernels) for name in _EMITTED)  # type: ignore[return-value]


def two_time_reduction(c: sp.Expr, rho: sp.Expr, time: sp.Symbol = _T) -> sp.Expr:
    """The direct sum: (4 pi/9) g^2 [int int c(min) rho(|t - s|) + 6K int c(t) rho(T - t) + 9 K^2 c(T)] over [0, T]^2,
    for c = c(_t), rho = rho(_t) given as expressions in the symbol t."""
    def at(expr: sp.Expr, x: sp.Expr) -> sp.Expr:
        return expr.subs(_t, x)

    inner = sp.integrate(at(c, _s) * at(rho, _t - _s), (_s, 0, _t))  # s < t: min = s, |t - s| = t - s
    double = 2 * sp.integrate(inner, (_t, 0, time))  # and the mirror half t < s
    cross = sp.integrate(at(c, _t) * at(rho, time - _t), (_t, 0, time))
    return 4 * sp.pi * g**2 / 9 * (double + 6 * K * cross + 9 * K**2 * at(c, time))


def _age_integral(c: sp.Expr, time: sp.Expr, kernels: Mapping[str, sp.Expr] | None, values: Mapping[sp.Symbol, sp.Expr]) -> sp.Expr:
    """(prefactor) [int_0^T c(t) w(T - t) dt + (present weight) c(T)] with the parameters ``values`` put in first."""
    prefactor, weight, present = (e.subs(values) for e in _emitted(kernels))
    return prefactor * (sp.integrate(c * weight.subs(gap, time - _t), (_t, 0, time)) + present * c.subs(_t, time))


#: (a, tau, K, T) of the exact two-time check: rational, so that the integrals are exact exponentials
_POINTS = ((sp.Rational(3, 10), sp.Integer(2), sp.Rational(7, 10), sp.Integer(5)),
           (sp.Rational(17, 10), sp.Rational(2, 5), sp.Rational(5, 2), sp.Integer(3)),
           (sp.Rational(1, 3), sp.Integer(3), sp.Integer(1), sp.Integer(7)))


@identity("age_integral_two_time", "KPM", "(3)-(4), (17); docs/physics.md The mixing equation with the pair's age",
          covers=_EMITTED)
def age_integral_two_time(kernels: Mapping[str, sp.Expr] | None = None) -> Verdict:
    """The two look-back times of KPM (3) reduce to one: C(T) = (4 pi/9) g^2 [int c w + 9 K^2 c(T)] equals the direct
    double integral of c(min(t, s)) rho(|t - s|) plus the cross and present terms (c = e^{-a t}, rho = e^{-t/tau};
    exact integrals at three rational (a, tau, K, T), compared to 40 digits; tau = 1/a included)."""
    residuals = []
    for a, decay, k, time in _POINTS:
        values = {tau: decay, K: k, g: 1}
        c = sp.exp(-a * _t)
        direct = two_time_reduction(c, sp.exp(-_t / decay), time).subs(values)
        reduced = _age_integral(c, time, kernels, values)
        residuals.append(abs(sp.N(direct - reduced, 50)) / abs(sp.N(direct, 50)))
    ok = all(r < 1e-40 for r in residuals)
    return verdict(ok, "relative differences " + ", ".join(f"{float(r):.1e}" for r in residuals))


@identity("age_integral_kpm_source", "KPM", "(3), (18); docs/physics.md The mixing equation with the pair's age",
          covers=_EMITTED)
def age_integral_kpm_source(kernels: Mapping[str, sp.Expr] | None = None) -> Verdict:
    """With tau = 3K (the particles' own K): prefactor x w = (8 pi/3) K g^2 = S of KPM (18) at every age and
    prefactor x 9 K^2 = 4 pi K^2 g^2 = C_1(0) of KPM (3), so C(T) = S int_0^T c dt + C_1(0) c(T)."""
    prefactor, weight, present = _emitted(kernels)
    source = sp.simplify(prefactor * weight.subs(tau, 3 * K) - sp.Rational(8, 3) * sp.pi * K * g**2)
    dipole = sp.simplify(prefactor * present - 4 * sp.pi * K**2 * g**2)
    return verdict(source == 0 and dipole == 0, f"prefactor w - S = {source}; prefactor 9K^2 - C_1(0) = {dipole}")


@identity("age_integral_fick_dipole", "KPM", "(56)-(57); docs/physics.md The mixing equation with the pair's age",
          covers=_EMITTED)
def age_integral_fick_dipole(kernels: Mapping[str, sp.Expr] | None = None) -> Verdict:
    """Independent particles, c_1(t) = rho(t)^2 = e^{-2t/(3K)} (tau = 3K): C_1(T -> infinity) = 4 pi K^2 g^2, Fick's
    dipole of the gradient (KPM (56)-(57))."""
    c1 = sp.exp(-2 * _t / (3 * K))
    prefactor, weight, present = _emitted(kernels)
    integral = sp.integrate(c1 * weight.subs({tau: 3 * K, gap: _T - _t}), (_t, 0, _T)) + present * c1.subs(_t, _T)
    limit = sp.limit(prefactor * integral, _T, sp.oo)
    difference = sp.simplify(limit - 4 * sp.pi * K**2 * g**2)
    return verdict(difference == 0, f"C_1(infinity) - 4 pi K^2 g^2 = {difference}")


@identity("age_integral_kpm19", "KPM", "(19); docs/physics.md The mixing equation with the pair's age", covers=_EMITTED)
def age_integral_kpm19(steps: int = 3, kernels: Mapping[str, sp.Expr] | None = None) -> Verdict:
    """KPM (19) is the age integral with c(t) the Markov chain of restarting pairs: for c = M^k e_1 on
    [k dT, (k+1) dT) (a scalar M here) and tau = 3K the rule sum_k dT c_k S + C_1(0) c_n is KPM (19)'s
    M^n C_1(0) + S dT sum_{n0=1}^{n} M^(n0-1) (n = 3)."""
    m, dt = sp.symbols("m dT", positive=True)
    prefactor, weight, present = _emitted(kernels)
    rate = prefactor * weight.subs(tau, 3 * K)  # S at every age gap
    chain = sum((dt * rate * m**k for k in range(steps)), sp.Integer(0)) + prefactor * present * m**steps
    kpm19 = m**steps * 4 * sp.pi * K**2 * g**2 + sp.Rational(8, 3) * sp.pi * K * g**2 * dt * sum(m**(n0 - 1) for n0 in range(1, steps + 1))
    difference = sp.simplify(sp.expand(chain - kpm19))
    return verdict(difference == 0, f"rectangle rule - KPM (19) = {difference}")
