"""Closures of the mixing equation: what replaces the l_max truncation (docs/physics.md, "Closures").

The zonal generator
-------------------
The mixing equation only ever acts on zonal pair states F(mu), mu = p_A . p_B, with
F = sum_l (2l+1)/(4 pi) C_l P_l(mu).  On them the second-order generator X = M - 1 = 2 M^(1a) + M^(1c)
is a second-order differential operator (docs/physics.md; checked in crmix.derive.closure):

    X F = a(mu) F'' + b(mu) F',    a(+-1) = 0,  a(1) = b(1) = 0 (the power invariant),

so two functions fix all of M: b = X P_1 and a = (X P_2 - 3 mu b)/3, i.e. columns 1 and 2 of M
(:func:`zonal_generator`).  a >= 0 is the relative angular diffusion of the pair; the drift splits
into b = a' + beta, where only beta changes the monopole (int X F dmu = int beta F' dmu).

Steady states without a truncation
----------------------------------
With the source S delta_l1 (F_source = 3 S dT mu / (4 pi) = c mu) the untruncated steady state on
l >= 1 solves, for G = F',

    a G' + b G = kappa - c mu,    G regular at mu = -1,

a first-order equation: G = (1/p) int_{-1}^{mu} (kappa - c nu) p/a dnu, p = exp(int b/a).  The
constant kappa measures the power that flows into the monopole: kappa/c is its fraction of the
injected 3S (the monopole fraction); the equation does not fix it.  The truncated steady state of KPM (20) is this
solution with the kappa its truncation happens to produce (measured: docs/validation.md); that is
all l_max does to l << l_max.  The closures fix kappa (or change the drift) by a stated condition:

``truncated``  KPM (20) / MA19 (3.7) at l_max: the seeds' form (crmix.solver.steady_state).
``continuum``  kappa = c: no power reaches small angles, all of it flows into the monopole, the total
               power is finite.  The l_max -> infinity limit of ``truncated`` (docs/validation.md).
``flux``       kappa = 0 with the drift in conservative form, b -> a': X F = (a F')'.  The monopole
               is conserved (as the simulation's sub-spectrum's is) and all injected power flows
               to mu = 1, into the uncorrelated noise: G = c (1 - mu^2) / (2 a).
``bourret``    the Bourret (self-energy) resummation on both legs, 1 + 2 M^(1a) -> exp(2 M^(1a)) (KPM
               App. A, B), and M^(1c) dressed with the legs' damping to first order in (1c):
               M_B = exp(D) + M^(1c) phi1(D_l, D_l0), phi1(x, y) = (e^x - e^y)/(x - y), D = 2 M^(1a).

``continuum`` and ``flux`` read a and b off columns 1, 2 of M (:func:`zonal_generator`), exact for
band-limited kernels (MA19 at l_max >~ k_in dT + 20).  For broad spectra the series converges
slowly near mu = 1 and needs far more rows than an affordable l_max: :func:`zonal_columns` computes
those two columns alone, to any number of rows.  Any object with methods ``a(mu)``, ``b(mu)`` and the
attribute ``mu_max`` (largest mu where they are trusted) can stand in for the generator.

Numerics: the coefficients are evaluated on ``FINE_NODES`` angles (log-spaced towards mu = 1 down to
THETA_MIN, cosine-spaced above 1/2 rad) and continued as power laws below the smallest angle their
series resolves; the ODE is integrated with the trapezoidal rule, and C_l = 2 pi int F P_l dmu is
taken by parts, C_l = (2 pi/(2l+1)) int G (P_{l-1} - P_{l+1}) dmu, so that only G = F' enters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.polynomial import legendre
from scipy import integrate

from crmix.generated import mixing_weights as kernels
from crmix.model import TurbulenceModel
from crmix.solver.choices import CLOSURES, ZONAL_CLOSURES
from crmix.solver.steady_state import steady_state
from crmix.solver.wigner import threej_sequence
from crmix.validation import integer, real

__all__ = [
    "CLOSURES",
    "ZONAL_CLOSURES",
    "ZONAL_ROWS",
    "ClosureSolution",
    "ZonalCoefficients",
    "ZonalGenerator",
    "bourret_matrix",
    "closure_lmax_drift",
    "solve_closure",
    "zonal_columns",
    "zonal_generator",
]

#: Rows of M^(1c) (columns 1, 2) behind the zonal closures of crmix spectrum: they resolve the
#: relative diffusion down to pair angles of ~1 degree for KPM's slab models (docs/validation.md).
ZONAL_ROWS = 1000
#: Integration angles of the zonal closures.
FINE_NODES = 40000
#: Smallest pair angle of the integration (radians): 1e-3 or 1e-5 instead change C_l/C_1 (l <= 30) of
#: the slab default by < 3e-5 (docs/validation.md).
THETA_MIN = 1e-4
#: The series of a(mu) from M is trusted where a exceeds this multiple of its tail bound.
TAIL_MARGIN = 20.0
#: A zonal closure needs its coefficients down to this pair angle (radians); below the resolved angle
#: they are continued as power laws (the steady pair correlation at l <= 30 is built partly at
#: angles of a degree or two; docs/validation.md measures the effect).
THETA_RESOLVED_MAX = 0.05


class ZonalCoefficients(Protocol):
    """a(mu), b(mu) of X F = a F'' + b F' and the largest mu where they hold."""

    mu_max: float

    def a(self, mu: np.ndarray) -> np.ndarray: ...

    def b(self, mu: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class ZonalGenerator:
    """a(mu) and b(mu) as Legendre series read off columns 1 and 2 of M (module docstring).

    ``tail`` bounds the truncation error of the series (sum of the last ten |coefficients| of a);
    ``mu_max`` is the largest mu below which a exceeds TAIL_MARGIN * tail (a -> 0 at mu = 1).
    """

    a_coefficients: np.ndarray
    b_coefficients: np.ndarray
    tail: float
    mu_max: float

    def a(self, mu: np.ndarray) -> np.ndarray:
        return legendre.legval(np.asarray(mu, dtype=float), self.a_coefficients)

    def b(self, mu: np.ndarray) -> np.ndarray:
        return legendre.legval(np.asarray(mu, dtype=float), self.b_coefficients)


def _check_parts(m1a: Any, m1c: Any, dt: float, source_rate: float) -> tuple[np.ndarray, np.ndarray, float, float]:
    m1a = np.asarray(m1a, dtype=float)
    m1c = np.asarray(m1c, dtype=float)
    if m1a.ndim != 1 or m1c.shape != (m1a.size, m1a.size):
        raise ValueError(f"m1a must be (lmax+1,) and m1c (lmax+1, lmax+1), got {m1a.shape} and {m1c.shape}")
    if m1a.size < 3:
        raise ValueError(f"lmax must be >= 2, got mixing-matrix parts for lmax = {m1a.size - 1}")
    if not (np.all(np.isfinite(m1a)) and np.all(np.isfinite(m1c))):
        raise ValueError("mixing-matrix parts must be finite")
    return m1a, m1c, real("dt", dt, gt=0), real("source_rate", source_rate, gt=0)


def zonal_generator(m1a: Any, m1c: Any) -> ZonalGenerator:
    """a(mu), b(mu) of X = 2 diag(m1a) + m1c on zonal states: b = X P_1, a = (X P_2 - 3 mu b)/3.

    X P_l0 = sum_l (2l+1)/(2l0+1) X_{l l0} P_l (F = (2l0+1)/(4 pi) P_l0 is the state C_l = delta_{l l0}).
    Only M^(1a)_11, M^(1a)_22 and columns 1, 2 of M^(1c) enter: ``m1c`` may be (rows+1, >= 3), with
    more rows than the l_max of the spectrum (:func:`zonal_columns`); the rows set how small a pair
    angle the series resolves (``mu_max``).
    """
    m1a = np.asarray(m1a, dtype=float)
    m1c = np.asarray(m1c, dtype=float)
    if m1a.ndim != 1 or m1a.size < 3 or m1c.ndim != 2 or m1c.shape[1] < 3 or m1c.shape[0] < 3:
        raise ValueError(f"need m1a (>= 3,) and m1c (rows+1 >= 3, >= 3), got {m1a.shape} and {m1c.shape}")
    if not (np.all(np.isfinite(m1a[:3])) and np.all(np.isfinite(m1c[:, :3]))):
        raise ValueError("mixing-matrix parts must be finite")
    col1, col2 = m1c[:, 1].copy(), m1c[:, 2].copy()
    col1[1] += 2.0 * m1a[1]
    col2[2] += 2.0 * m1a[2]
    ell = np.arange(m1c.shape[0])
    b = (2 * ell + 1) / 3.0 * col1
    a = legendre.legsub((2 * ell + 1) / 5.0 * col2, 3.0 * legendre.legmulx(b)) / 3.0
    tail = float(np.sum(np.abs(a[-10:])))
    # largest mu below which the series is trusted: scan towards mu = 1 in log(1 - mu)
    u = np.geomspace(1.0, 1e-12, 400)
    values = legendre.legval(1.0 - u, a)
    scale = float(np.sum(np.abs(a))) * 1e-13
    bad = values <= TAIL_MARGIN * (tail + scale)
    if bad[0]:
        raise ValueError("the relative diffusion a(mu) from M is not positive: M is not resolved (raise lmax)")
    mu_max = 1.0 - float(u[np.argmax(bad)] if bad.any() else u[-1])
    return ZonalGenerator(a_coefficients=a, b_coefficients=b, tail=tail, mu_max=mu_max)


def zonal_columns(model: TurbulenceModel, dt: float, rows: int, *, rtol: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
    """M^(1a)_ll (l <= 2) and columns l0 <= 2 of M^(1c) for rows l <= ``rows``: what :func:`zonal_generator` needs.

    The same formulas as crmix.solver.mixing (KPM (38), (47); MA19 (3.15), (3.21), (3.23), weights from
    crmix.generated.mixing_weights) evaluated column by column with explicit 3j symbols, so that the
    rows can go far beyond an l_max that the full matrix could afford: kappa_{lA lB} up to rows + 2.
    """
    from crmix.solver.integrals import kappa, lambda_l
    from crmix.solver.mixing import m0_weights, m1a_diagonal, m1c0_kernel, model_closed_form, spectral_weight

    rows = integer("rows", rows, ge=4)
    dt = real("dt", dt, gt=0, unit="1/Omega_ref")
    form = model_closed_form(model)
    weight = spectral_weight(model)
    lam = lambda_l(weight, model.k_min, model.k_max, dt, model.Omega, 2, rtol=rtol).value
    m1a, _ = m1a_diagonal(float(lam[0]), float(lam[2]), 2, form.name)
    kap = kappa(weight, model.k_min, model.k_max, dt, model.Omega, rows + 2, rtol=rtol).value
    ell = np.arange(rows + 1)
    m1c = np.zeros((rows + 1, 3))
    for l0 in (1, 2):
        m0 = np.arange(-l0, l0 + 1)
        allowed = np.abs(m0)[None, :] <= ell[:, None]  # (l l0 lA; -m0 m0 0) = 0 for |m0| > l
        m_eff = np.where(allowed, m0[None, :], 0)
        jmin, X = threej_sequence(ell[:, None], l0, -m_eff, m_eff)  # X[n, l, m0]: lA = jmin + n
        X = X * allowed[None, :, :]
        jmin = jmin[:, l0]  # m3 = 0 for every m0, so jmin = |l - l0|
        lA = jmin[None, :] + np.arange(X.shape[0])[:, None]  # (n, l)
        valid = lA <= ell[None, :] + l0
        t0 = X[:, :, l0] * valid
        v = kernels.slab_m1c_index_weight(lA.astype(float), xp=np) * t0
        w0, w2 = m0_weights(form, float(l0), xp=np)
        w = w0 + w2 * m0**2
        S = np.einsum("alm,blm,m->abl", X * valid[:, :, None], X * valid[:, :, None], np.broadcast_to(w, m0.shape))
        ia = np.where(valid, lA, 0)
        K = kap[ia[:, None, :], ia[None, :, :]]  # (n, n, l)
        col = kernels.slab_m1c_l0_weight(float(l0), xp=np) * np.einsum("al,bl,abl,abl->l", v, v, K, S)
        m1c0 = m1c0_kernel(form)
        if m1c0 is not None:
            iso = m1c0(float(l0), lA.astype(float), xp=np) * t0**2
            col = col + np.einsum("al,al->l", iso, kap[ia, ia])
        m1c[:, l0] = col
    return np.asarray(m1a, dtype=float), m1c


@dataclass(frozen=True)
class ClosureSolution:
    """C_l (l = 0..lmax, C_0 = 0) of one closure and where the injected power 3 S goes.

    monopole_fraction   fraction of 3 S flowing into the monopole (C_0 of the pair correlation)
    sink_fraction       fraction leaving the resolved C_l: past l_max (``truncated``), to mu = 1 i.e.
                        into the uncorrelated noise (``continuum``, ``flux``), or lost by the
                        resummation (``bourret``); the two sum to 1.
    theta_resolved      zonal closures: the smallest pair angle (rad) the coefficients resolve; below
                        it they are continued as power laws.
    """

    closure: str
    C: np.ndarray
    monopole_fraction: float
    sink_fraction: float
    theta_resolved: float = math.nan

    @property
    def ratio(self) -> np.ndarray:
        return self.C / self.C[1]


def _coefficients_on(coefficients: ZonalCoefficients, theta: np.ndarray, theta_resolved: float
                     ) -> tuple[np.ndarray, np.ndarray]:
    """a, b at the angles ``theta``: the source above ``theta_resolved``, a power-law continuation below.

    Below the resolved angle log(a/(1 - mu^2)) and log(-b/(1 - mu^2)) (b < 0 there) continue linearly
    in log theta with their slopes over [theta_resolved, 1.25 theta_resolved]: the relative diffusion
    at angles the source does not resolve (docs/validation.md measures what it changes).
    """
    above = theta >= theta_resolved
    a = np.empty_like(theta)
    b = np.empty_like(theta)
    mu = np.cos(theta[above])
    a[above] = coefficients.a(mu)
    b[above] = coefficients.b(mu)
    if not np.all(a[above] > 0):
        raise ValueError("the relative diffusion a(mu) must be > 0 on the closure's range of angles")
    if np.any(~above):
        t2 = np.array([theta_resolved, 1.25 * theta_resolved])
        one2 = np.sin(t2) ** 2
        a2 = np.asarray(coefficients.a(np.cos(t2)), dtype=float) / one2
        b2 = np.asarray(coefficients.b(np.cos(t2)), dtype=float) / one2
        step = math.log(1.25)
        lt = np.log(theta[~above] / theta_resolved)
        one = np.sin(theta[~above]) ** 2
        slope_a = float(np.clip(math.log(a2[1] / a2[0]) / step, 0.0, 4.0))
        a[~above] = a2[0] * np.exp(slope_a * lt) * one
        slope_b = float(np.clip(math.log(b2[1] / b2[0]) / step, -4.0, 4.0)) if np.all(b2 < 0) else 0.0
        b[~above] = b2[0] * np.exp(slope_b * lt) * one
    return a, b


def _grid(theta_min: float) -> np.ndarray:
    """Integration angles from near pi down to theta_min (mu ascending): log-spaced below 1/2, cosine-spaced above."""
    half = FINE_NODES // 2
    log_part = np.exp(np.linspace(math.log(theta_min), math.log(0.5), half))
    lin_part = 0.5 + (math.pi - 1e-6 - 0.5) * (0.5 - 0.5 * np.cos(np.pi * np.linspace(0.0, 1.0, half)))
    return np.unique(np.concatenate([log_part, lin_part]))[::-1]


def _project(G: np.ndarray, mu: np.ndarray, lmax: int) -> np.ndarray:
    """C_l = (2 pi/(2l+1)) int G (P_{l-1} - P_{l+1}) dmu for l = 1..lmax; C_0 = 0."""
    P = legendre.legvander(mu, lmax + 1)
    ell = np.arange(1, lmax + 1)
    C = np.zeros(lmax + 1)
    C[1:] = 2 * np.pi / (2 * ell + 1) * integrate.trapezoid(G[:, None] * (P[:, :-2] - P[:, 2:]), mu, axis=0)
    return C


def _zonal_steady_state(coefficients: ZonalCoefficients, dt: float, source_rate: float, lmax: int, *,
                        monopole_fraction: float | None) -> tuple[np.ndarray, float]:
    """``continuum`` (monopole_fraction phi0: kappa = phi0 c) or ``flux`` (None) on zonal states."""
    theta_resolved = max(THETA_MIN, math.acos(min(coefficients.mu_max, 1.0)))
    if theta_resolved > THETA_RESOLVED_MAX:
        raise ValueError(
            f"the zonal coefficients hold only for pair angles > {theta_resolved:.3g} rad; a closure needs them down "
            f"to {THETA_RESOLVED_MAX:g} rad: give more rows of M^(1c) (crmix.solver.closure.zonal_columns)"
        )
    theta = _grid(THETA_MIN)
    mu = np.cos(theta)
    a, b = _coefficients_on(coefficients, theta, theta_resolved)
    c = 3.0 * source_rate * dt / (4.0 * math.pi)
    if monopole_fraction is None:  # flux: (a G)' = -c mu, zero flux at mu = -1
        G = 0.5 * c * (1.0 - mu) * (1.0 + mu) / a
    else:
        kappa = monopole_fraction * c
        log_p = integrate.cumulative_trapezoid(b / a, mu, initial=0.0)
        p = np.exp(log_p - log_p.max())
        f = (kappa - c * mu) * p / a
        v0 = 1.0 + mu[0]
        beta = b[0] * v0 / a[0]  # p ~ (1 + mu)^beta at mu = -1
        G = (f[0] * v0 / beta + integrate.cumulative_trapezoid(f, mu, initial=0.0)) / p
    return _project(G, mu, lmax), theta_resolved


def bourret_matrix(m1a: Any, m1c: Any) -> np.ndarray:
    """M_B = exp(D) + M^(1c) phi1(D_l, D_l0) with D = 2 diag(M^(1a)) (module docstring)."""
    m1a, m1c, _, _ = _check_parts(m1a, m1c, 1.0, 1.0)
    x = 2.0 * m1a
    X, Y = np.meshgrid(x, x, indexing="ij")
    d = X - Y
    close = np.abs(d) < 1e-8
    phi1 = np.where(close, np.exp(0.5 * (X + Y)) * (1.0 + d**2 / 24.0),
                    (np.exp(X) - np.exp(Y)) / np.where(close, 1.0, d))
    return np.diag(np.exp(x)) + m1c * phi1


def solve_closure(closure: str, m1a: Any, m1c: Any, dt: float, source_rate: float, *,
                  coefficients: ZonalCoefficients | None = None, monopole_fraction: float = 1.0) -> ClosureSolution:
    """C_l, l = 0..lmax (lmax = len(m1a) - 1), of ``closure`` (module docstring) for the parts of M.

    ``coefficients`` replaces the a(mu), b(mu) read off M (``continuum``, ``flux`` only);
    ``monopole_fraction`` sets kappa/c of ``continuum`` (1: the l_max -> infinity limit).
    """
    if closure not in CLOSURES:
        raise ValueError(f"closure must be one of {CLOSURES}, got {closure!r}")
    m1a, m1c, dt, source_rate = _check_parts(m1a, m1c, dt, source_rate)
    lmax = m1a.size - 1
    if closure in ("truncated", "bourret"):
        if coefficients is not None:
            raise ValueError(f"closure {closure!r} works on the matrix; zonal coefficients apply to continuum and flux")
        M = (np.eye(lmax + 1) + 2.0 * np.diag(m1a) + m1c) if closure == "truncated" else bourret_matrix(m1a, m1c)
        ss = steady_state(M, dt, source_rate)
        mono = ss.monopole_rate / (3.0 * source_rate)
        return ClosureSolution(closure=closure, C=ss.C, monopole_fraction=mono, sink_fraction=1.0 - mono)
    source = coefficients if coefficients is not None else zonal_generator(m1a, m1c)
    if closure == "flux":
        C, theta = _zonal_steady_state(source, dt, source_rate, lmax, monopole_fraction=None)
        return ClosureSolution(closure=closure, C=C, monopole_fraction=0.0, sink_fraction=1.0, theta_resolved=theta)
    phi0 = real("monopole_fraction", monopole_fraction, ge=0, le=1)
    C, theta = _zonal_steady_state(source, dt, source_rate, lmax, monopole_fraction=phi0)
    return ClosureSolution(closure=closure, C=C, monopole_fraction=phi0, sink_fraction=1.0 - phi0, theta_resolved=theta)


def closure_lmax_drift(closure: str, m1a: Any, m1c: Any, dt: float, source_rate: float, *, ell_max: int = 30,
                       coefficients: ZonalCoefficients | None = None,
                       solution: ClosureSolution | None = None) -> tuple[np.ndarray, float]:
    """max |(C_l/C_1)(lmax) / (C_l/C_1)(lmax/2) - 1| over 2 <= l <= min(ell_max, lmax/2), the closure
    applied to the leading block of M at lmax/2 and to all of it; returns (drift per l, max).

    ``solution``: the closure's :func:`solve_closure` of all of M with the same arguments, when the caller
    has it already (it is not solved again).
    """
    m1a, m1c, dt, source_rate = _check_parts(m1a, m1c, dt, source_rate)
    ell_max = integer("ell_max", ell_max, ge=2)
    lmax = m1a.size - 1
    half = lmax // 2
    if half < 2:
        raise ValueError(f"lmax must be >= 4 for an l_max drift, got {lmax}")
    if solution is None:
        solution = solve_closure(closure, m1a, m1c, dt, source_rate, coefficients=coefficients)
    full = solution.ratio
    part = solve_closure(closure, m1a[: half + 1], m1c[: half + 1, : half + 1], dt, source_rate,
                         coefficients=coefficients).ratio
    hi = min(ell_max, half)
    drift = full[2 : hi + 1] / part[2 : hi + 1] - 1.0
    return drift, float(np.max(np.abs(drift)))
