"""Free orbits, the Bourret resummation and pitch-angle scattering (KPM App. A and B, MA19 Sec. 2).

With L = -i p x d_p and the Liouville operator -i Omega L_z (Omega = q B0 / p along z), the free
propagator is U^(0)(tau) = exp(+i Omega tau L_z): it shifts phi by + Omega tau, which is the
Lorentz-force orbit traced back by tau.  On the eigenspace (l, m) every operator of App. A is a
number (the Bourret kernel commutes with L_z by the Hadamard lemma), so the resummation is proved
on scalar models with exact Laplace transforms.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import sympy as sp

from crmix.derive.exact import vanishes
from crmix.derive.operators import angular_momentum_matrices, phi, spherical_L, theta
from crmix.derive.registry import Verdict, identity, verdict

__all__ = ["KPM29_ORBIT", "orbit"]

u = sp.Symbol("u", real=True)  # u = t - t' >= 0: look-back time
Om, mu_s, ph0 = sp.symbols("Omega mu phi_0", positive=True)
s_lap = sp.Symbol("s", positive=True)
tau = sp.Symbol("tau", positive=True)


def orbit(u_: sp.Expr) -> tuple[sp.Matrix, sp.Matrix]:
    """Direction p^(t') and position r(t') - r_obs of the free orbit through (r_obs, p^) at time t.

    p^(t) = (sqrt(1-mu^2) cos phi_0, sqrt(1-mu^2) sin phi_0, mu); u = t - t' is the look-back time.
    """
    sq = sp.sqrt(1 - mu_s**2)
    p = sp.Matrix([sq * sp.cos(ph0 + Om * u_), sq * sp.sin(ph0 + Om * u_), mu_s])
    r = sp.Matrix(
        [
            sq / Om * (sp.sin(ph0) - sp.sin(ph0 + Om * u_)),
            sq / Om * (sp.cos(ph0 + Om * u_) - sp.cos(ph0)),
            -mu_s * u_,
        ]
    )
    return p, r


#: KPM (29) as printed: r(t') - r_obs with u = t - t'.
KPM29_ORBIT = sp.Matrix(
    [
        -sp.sqrt(1 - mu_s**2) / Om * sp.sin(ph0 - Om * u),
        sp.sqrt(1 - mu_s**2) / Om * sp.cos(ph0 - Om * u),
        mu_s * u,
    ]
)


@identity("helical_orbit", "KPM", "(29)")
def helical_orbit(position: sp.Matrix | None = None) -> Verdict:
    """The free orbit: dr/dt' = p^(t'), dp^/dt' = p^ x Omega z^, p^(t) = p^ (KPM (29) fails all three)."""
    p, r = orbit(u)
    claimed = r if position is None else position
    # d/dt' = -d/du
    lorentz = -sp.diff(p, u) - p.cross(sp.Matrix([0, 0, Om]))
    velocity = -sp.diff(claimed, u) - p
    start = p.subs(u, 0) - sp.Matrix([sp.sqrt(1 - mu_s**2) * sp.cos(ph0), sp.sqrt(1 - mu_s**2) * sp.sin(ph0), mu_s])
    bad_p = [i for i in range(3) if not vanishes(lorentz[i]) or not vanishes(start[i])]
    bad_v = ["xyz"[i] for i in range(3) if not vanishes(velocity[i])]
    bad_r = ["xyz"[i] for i in range(3) if not vanishes(claimed[i].subs(u, 0))]
    ok = not bad_p and not bad_v and not bad_r
    detail = f"velocity components off: {bad_v}; r(t) != r_obs in {bad_r}; momentum: {bad_p}"
    return verdict(ok, "orbit satisfies the Lorentz force and ends at r_obs" if ok else detail)


@identity("free_propagator", "KPM+MA19", "KPM (26), (A15); MA19 (2.7)")
def free_propagator(sign: int = 1) -> Verdict:
    """U^(0)(tau) = exp(-tau L) = exp(+i Omega tau L_z): solves d_t U = -L U, maps f to f at the orbit's past.

    KPM (26) prints exp(-i Omega Delta T L_z).
    """
    # (i) d/dtau exp(i sign Omega tau L_z) = -(-i Omega L_z) exp(...), on the l = 2 matrices
    M = angular_momentum_matrices(2)
    U = sp.diag(*[sp.exp(sign * sp.I * Om * tau * M["z"][i, i]) for i in range(5)])
    generator_ok = all(vanishes(e) for e in (sp.diff(U, tau) - (sp.I * Om * M["z"]) * U))
    # (ii) U f(theta, phi) = f(theta, phi + sign Omega tau) must equal f at the direction the
    # particle had a time tau earlier: phi(t - tau) = phi_0 + Omega tau (orbit above).
    p_past, _ = orbit(tau)
    sq = sp.sqrt(1 - mu_s**2)
    past_phi_ok = vanishes(sq * sp.cos(ph0 + sign * Om * tau) - p_past[0]) and vanishes(sq * sp.sin(ph0 + sign * Om * tau) - p_past[1])
    ok = generator_ok and past_phi_ok
    return verdict(ok, f"sign {sign}: generator {generator_ok}, Liouville map to the orbit's past {past_phi_ok}")


@identity("laplace_free_propagator", "KPM", "(A12), (A15)")
def laplace_free_propagator(sign: int = 1) -> Verdict:
    """int_0^inf e^{-s tau} e^{i Omega tau m} d tau = 1/(s - i sign Omega m), i.e. U~(s) = 1/(s - i Omega L_z)."""
    m = sp.Symbol("m", integer=True)
    lap = sp.integrate(sp.exp(-s_lap * tau) * sp.exp(sp.I * Om * m * tau), (tau, 0, sp.oo), conds="none")
    ok = vanishes(lap - 1 / (s_lap - sign * sp.I * Om * m))
    return verdict(ok, f"Laplace transform {sp.simplify(lap)} vs 1/(s - {sign} i Omega m)")


# ------------------------------------------------------------------------------------------------
# Bourret series (A3)-(A14) and its Markov limit (A16)-(A18)
# ------------------------------------------------------------------------------------------------
_a, _b, _c = sp.symbols("a b c", positive=True)  # a = Omega m, b = 1/correlation time, c = strength


def _scalar_model() -> tuple[Callable[[sp.Expr], sp.Expr], Callable[[sp.Expr], sp.Expr]]:
    """Free propagator e^{i a tau} and Bourret insertion V(tau) = -c e^{-b tau} e^{i a tau} on one (l, m)."""
    return (lambda x: sp.exp(sp.I * _a * x)), (lambda x: -_c * sp.exp(-_b * x) * sp.exp(sp.I * _a * x))


@cache
def _bourret_terms_laplace() -> tuple[dict[int, sp.Expr], sp.Expr, sp.Expr]:
    """Laplace transforms of the Bourret terms with n = 1, 2 insertions (nested time integrals), U~, V~."""
    U0, V = _scalar_model()
    T, t1, t2, t3, t4 = sp.symbols("T t1 t2 t3 t4", positive=True)
    terms = {
        1: sp.integrate(sp.integrate(U0(T - t2) * V(t2 - t1) * U0(t1), (t1, 0, t2)), (t2, 0, T)),
        2: sp.integrate(
            sp.integrate(
                sp.integrate(sp.integrate(U0(T - t4) * V(t4 - t3) * U0(t3 - t2) * V(t2 - t1) * U0(t1), (t1, 0, t2)), (t2, 0, t3)),
                (t3, 0, t4),
            ),
            (t4, 0, T),
        ),
    }
    laplace = {n: sp.integrate(sp.expand(sp.exp(-s_lap * T) * term), (T, 0, sp.oo), conds="none") for n, term in terms.items()}
    Ut = sp.integrate(sp.exp(-s_lap * tau) * U0(tau), (tau, 0, sp.oo), conds="none")
    Vt = sp.integrate(sp.exp(-s_lap * tau) * V(tau), (tau, 0, sp.oo), conds="none")
    return laplace, Ut, Vt


@identity("bourret_geometric_series", "KPM", "(A4)-(A14)")
def bourret_geometric_series(power_u: Callable[[int], int] = lambda n: n + 1) -> Verdict:
    """Laplace transform of the n-th Bourret term (n insertions) = U~^(n+1) V~^n, n = 1, 2 (exact)."""
    laplace, Ut, Vt = _bourret_terms_laplace()
    failures = []
    for n, lap in laplace.items():
        if not vanishes(sp.simplify(lap - Ut ** power_u(n) * Vt**n)):
            failures.append(n)
    resummed = sp.simplify(Ut / (1 - Ut * Vt) - 1 / (s_lap - sp.I * _a - Vt))
    ok = not failures and resummed == 0
    return verdict(ok, f"n = 1, 2 {'hold' if not failures else f'fail: {failures}'}; U~/(1 - U~V~) = 1/(s - i a - V~): {resummed == 0}")


@identity("bourret_markov_limit", "KPM", "(A16)-(A18), (A22)")
def bourret_markov_limit(evaluation_point: str = "free_pole") -> Verdict:
    """The late-time decay rate is V~ at the free pole s = i Omega L_z (KPM (A17) writes s = 0).

    Exact pole of 1/(s - i a - V~(s)) to first order in the coupling c, against i a + V~(s*).
    At s* = i a the free rotation e^{i Omega tau L_z} inside V (A20) cancels, giving (A22)'s form.
    """
    _, V = _scalar_model()
    Vt = sp.integrate(sp.exp(-s_lap * tau) * V(tau), (tau, 0, sp.oo), conds="none")
    # denominator (s - i a)(s - i a + b) + c = 0; slow root x = (-b + sqrt(b^2 - 4c))/2
    slow = (-_b + sp.sqrt(_b**2 - 4 * _c)) / 2
    exact_shift = sp.series(slow, _c, 0, 2).removeO()
    point = {"free_pole": sp.I * _a, "zero": sp.Integer(0)}
    if evaluation_point not in point:
        raise ValueError(f"evaluation_point must be one of {sorted(point)}, got {evaluation_point!r}")
    markov = sp.series(Vt.subs(s_lap, point[evaluation_point]), _c, 0, 2).removeO()
    ok = vanishes(exact_shift - markov)
    return verdict(ok, f"exact pole shift {sp.simplify(exact_shift)}; V~(s*) at {evaluation_point}: {sp.simplify(markov)}")


# ------------------------------------------------------------------------------------------------
# Fokker-Planck form (A25)-(A28) and pitch-angle scattering (App. B)
# ------------------------------------------------------------------------------------------------
@identity("fokker_planck_operator", "KPM", "(A25)-(A26)")
def fokker_planck_operator(phi_coeff: sp.Expr = 1 / sp.sin(theta) ** 2 - 1) -> Verdict:
    """L^2 - L_z^2 = -(1/sin d_theta sin d_theta + (1/sin^2 - 1) d_phi^2) = -d_mu(1-mu^2)d_mu - mu^2/(1-mu^2) d_phi^2."""
    f = sp.Function("f")(theta, phi)
    lx, ly, lz = spherical_L(f)
    l2 = sum(spherical_L(c)[i] for i, c in enumerate((lx, ly, lz)))
    derived = l2 - spherical_L(lz)[2]
    a25 = -(sp.diff(sp.sin(theta) * sp.diff(f, theta), theta) / sp.sin(theta) + phi_coeff * sp.diff(f, phi, 2))
    ok25 = vanishes(derived - a25)
    mu = sp.Symbol("mu")
    F = sp.Function("F")(mu, phi)
    a26 = -sp.diff((1 - mu**2) * sp.diff(F, mu), mu) - mu**2 / (1 - mu**2) * sp.diff(F, phi, 2)
    # same operator on F(mu, phi) with mu = cos theta, written through the theta form
    fm = sp.Function("F")(sp.cos(theta), phi)
    a25_on_F = -(sp.diff(sp.sin(theta) * sp.diff(fm, theta), theta) / sp.sin(theta) + phi_coeff * sp.diff(fm, phi, 2))
    ok26 = vanishes((a25_on_F - a26.subs(mu, sp.cos(theta))).doit())
    return verdict(ok25 and ok26, f"(A25) from the derived L: {ok25}; (A26) = (A25): {ok26}")


@identity("fokker_planck_sign", "KPM", "(A27)-(A28)")
def fokker_planck_sign(sign: int = 1) -> Verdict:
    """(A27) solves d_t f = +nu d_mu[(1-mu^2) d_mu f] (diffusion); KPM (A28) prints -nu (anti-diffusion)."""
    mu, nu, tt = sp.symbols("mu nu t", real=True)
    failures = []
    for ell in range(6):
        f = sp.exp(-nu * ell * (ell + 1) * tt) * sp.legendre(ell, mu)  # (A27) on P_l: -d(1-mu^2)d P_l = l(l+1) P_l
        if sp.expand(sp.diff(f, tt) - sign * nu * sp.diff((1 - mu**2) * sp.diff(f, mu), mu)) != 0:
            failures.append(ell)
    return verdict(not failures, f"sign {sign}: " + ("holds for P_l, l <= 5" if not failures else f"fails for l = {failures}"))


@identity("resonance_function", "KPM", "(B31)")
def resonance_function(prefactor: sp.Expr = sp.pi) -> Verdict:
    """int dtau e^{i x tau} cos(Omega tau) = pi [delta(x - Omega) + delta(x + Omega)] (KPM (B31) has 1/2).

    Tested on the Gaussian h(x) = e^{-x^2}: int dx h(x) int dtau ... = prefactor (h(Omega) + h(-Omega)).
    """
    x = sp.Symbol("x", real=True)
    tt = sp.Symbol("tau", real=True)
    h_hat = sp.integrate(sp.exp(-(x**2)) * sp.exp(sp.I * x * tt), (x, -sp.oo, sp.oo))
    lhs = sp.integrate(h_hat * sp.cos(Om * tt), (tt, -sp.oo, sp.oo))
    rhs = prefactor * 2 * sp.exp(-(Om**2))
    ok = vanishes(lhs - rhs)
    return verdict(ok, f"int = {sp.simplify(lhs)}; claimed {rhs}")


@identity("qlt_rate", "KPM", "App. B; docs/physics.md")
def qlt_rate(prefactor: sp.Expr = sp.pi / 2) -> Verdict:
    """nu(mu) = int_0^inf dtau R(mu tau) cos(Omega tau) = (pi/2) G(Omega/|mu|)/|mu|, R(s) = int_0^inf G cos(ks) dk.

    Proved exactly for G(k) = e^{-k^2} and G(k) = 1/(1 + k^2).
    """
    k, sv = sp.symbols("k s", positive=True)
    failures = []
    for G in (sp.exp(-(k**2)), 1 / (1 + k**2)):
        R = sp.integrate(G * sp.cos(k * sv), (k, 0, sp.oo))
        nu = sp.integrate(R.subs(sv, mu_s * tau) * sp.cos(Om * tau), (tau, 0, sp.oo), conds="none")
        if not vanishes(nu - prefactor * G.subs(k, Om / mu_s) / mu_s):
            failures.append(str(G))
    return verdict(not failures, "holds for both spectra" if not failures else f"fails for {failures}")


@cache
def _legendre_overlap(L: int, ell: int) -> sp.Expr:
    """int_{-1}^{1} P_L(mu) Y_l^0(mu) dmu (Y_l^0 as a function of mu = cos theta)."""
    mu = sp.Symbol("mu", real=True)
    return sp.integrate(sp.legendre(L, mu) * sp.sqrt(sp.Rational(2 * ell + 1) / (4 * sp.pi)) * sp.legendre(ell, mu), (mu, -1, 1))


@identity("narrow_pitch_angle_state", "KPM", "(B33)")
def narrow_pitch_angle_state(prefactor: sp.Expr = 2 * sp.pi) -> Verdict:
    """delta(mu - mu0) = 2 pi sum_l Y_l^0(mu) Y_l^0(mu0) (KPM (B33) omits 2 pi); Legendre projections l <= 6."""
    mu0 = sp.Symbol("mu0", real=True)
    failures = []
    for L in range(7):
        y = lambda ell, x: sp.sqrt(sp.Rational(2 * ell + 1) / (4 * sp.pi)) * sp.legendre(ell, x)  # noqa: E731
        # int dmu P_L(mu) [prefactor sum_l Y_l^0(mu) Y_l^0(mu0)]: only l = L survives (orthogonality)
        proj = prefactor * sum(_legendre_overlap(L, ell) * y(ell, mu0) for ell in range(9))
        if sp.expand(proj - sp.legendre(L, mu0)) != 0:
            failures.append(L)
    return verdict(not failures, "int P_L(mu) delta(mu - mu0) dmu = P_L(mu0) reproduced" if not failures else f"fails for L = {failures}")


@identity("pitch_angle_limit", "KPM", "(B32), (B34)")
def pitch_angle_limit(exponent_factor: sp.Expr = 1) -> Verdict:
    """lim (1 - (dT/n) s^2 l(l+1))^n = exp(-l(l+1) s^2 dT) (KPM (B34) writes s^2/2)."""
    n = sp.Symbol("n", positive=True, integer=True)
    x = sp.Symbol("x", positive=True)  # x = s^2 l(l+1) dT
    lim = sp.limit((1 - x / n) ** n, n, sp.oo)
    ok = vanishes(lim - sp.exp(-exponent_factor * x))
    return verdict(ok, f"limit {lim}; claimed exp(-{exponent_factor} x)")


@identity("scattering_time", "KPM", "Sec. 2.2.1 (tau_s); docs/physics.md")
def scattering_time(coefficient: sp.Expr = 3) -> Verdict:
    """tau_s = 3 K_zz / v^2 (KPM writes tau_s = K_zz/3), for isotropic pitch-angle scattering D_mumu = nu(1-mu^2).

    tau_s is the decay time of the dipole under (A28): nu d_mu(1-mu^2) d_mu P_1 = -2 nu P_1, so
    tau_s = 1/(2 nu) = lambda_par/v; K_zz = (v^2/8) int (1-mu^2)^2/D_mumu dmu (docs/physics.md).
    """
    mu, nu, v = sp.symbols("mu nu v", positive=True)
    rate = -sp.diff((1 - mu**2) * sp.diff(sp.legendre(1, mu), mu), mu) * nu / sp.legendre(1, mu)
    tau_s = 1 / sp.simplify(rate)
    k_zz = v**2 / 8 * sp.integrate((1 - mu**2) ** 2 / (nu * (1 - mu**2)), (mu, -1, 1))
    ok = sp.simplify(tau_s - coefficient * k_zz / v**2) == 0
    return verdict(ok, f"tau_s = {tau_s}, K_zz = {sp.simplify(k_zz)}: tau_s v^2/K_zz = {sp.simplify(tau_s * v**2 / k_zz)}")
