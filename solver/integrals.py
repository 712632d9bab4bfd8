"""The k-integrals of the mixing matrix: Lambda_l (KPM (39), MA19 (3.14)) and kappa_{lA lB} (KPM (48)).

With a spectral weight W(k) (slab: G = E/2; isotropic: g = E/(8 pi); the mixing module picks it)

    Lambda_l(dT)        = int dk W(k) b_l(k),          b_l(k) = int_0^dT dtau (dT - tau) cos(Omega tau) j_l(k tau),
    kappa_{lA lB}(dT)   = int dk W(k) Re[a_lA(k) a_lB(k)^*],   a_l(k) = int_0^dT ds j_l(k s) e^{i Omega s}.

b_l is KPM (39)'s double time integral int_0^dT dT' int_0^T' dtau folded into one; kappa is KPM (48)
with the full square of times, which factorises into a_lA a_lB^* (MA19 (3.22) is Omega = 0, with
h_l = k a_l).  In the dimensionless variables X = k dT, w = Omega dT:

    a_l(k) = dT A_l(X, w),      A_l = int_0^1 du j_l(X u) e^{i w u},
    b_l(k) = dT^2 Re B_l(X, w), B_l = int_0^1 du (1 - u) j_l(X u) e^{i w u}.

Time factors (all l <= lmax at once, vectorised over k)
-------------------------------------------------------
* ``X < X_rec``: Legendre projection.  With j_l(x) = (1/(2 i^l)) int_{-1}^{1} P_l(mu) e^{i x mu} dmu,
  A_l = (1/(2 i^l)) int dmu P_l(mu) h_a(X mu + w) and B_l likewise with h_lambda, where h_a(z) =
  int_0^1 e^{i z u} du and h_lambda(z) = int_0^1 (1-u) e^{i z u} du are elementary (closed forms and
  Taylor series from ``crmix.derive.kernels``).  The mu integral is a Gauss-Legendre sum with
  N = (lmax + X_rec + 12 X_rec^(1/3))/2 + 16 nodes (exact for P_l times the band-limited h); P_l
  from Bonnet's recurrence.
* ``X >= X_rec = max(lmax + 10, 1.5 w, 8)``: the recurrence.  Integrating
  (2l+1) j_l' = l j_{l-1} - (l+1) j_{l+1} against the time weight by parts gives

      (l+1) A_{l+1} = l A_{l-1} - ((2l+1)/X) [j_l(X) e^{i w} - delta_{l0} - i w A_l],
      (l+1) B_{l+1} = l B_{l-1} - ((2l+1)/X) [A_l - delta_{l0} - i w B_l],

  whose homogeneous part is Legendre's recurrence at Omega/k = w/X (in i^l A_l): for w/X <= 2/3 both
  P_l and Q_l solutions stay bounded, so the forward recurrence is stable; j_l(X) comes from its own
  forward recurrence, stable for l < X.  A_0 and B_0 are closed forms in Si and Ci.  The
  recurrences are derived and checked in ``crmix.derive.kernels`` and run as the generated loops
  ``crmix.generated.integrands.time_factors_a``/``_ab`` and ``legendre_polynomials``.
* Where |A_l| <= X^l/((l+1)(2l+1)!!) (from |j_l(x)| <= x^l/(2l+1)!!) is below the double-precision
  noise level of the projection, A_l and B_l are set to 0; the bound enters the error estimate.

k quadrature with an error estimate
-----------------------------------
Gauss-Legendre panels (n = 32 nodes) in ln k, adaptively bisected.  The initial mesh is log-spaced
(width <= 0.5 in ln k) and at most ``DX0`` wide in X, where the integrand oscillates with period
2 pi in X.  On each panel the integrand vector v (kappa: v_l = sqrt(k W) a_l, so that
kappa = int d(ln k) Re v v^H; Lambda: v_l = k W b_l) is expanded in Legendre polynomials of the
panel variable through its n nodes; the last four coefficients estimate the norm ||r|| of the part
the n-point rule does not resolve.  Gauss with n nodes integrates p p^H exactly for the degree-(n-1)
part p, so the panel error of kappa_{AB} is at most 2(||p_A|| ||r_B|| + ||r_A|| ||p_B|| +
||r_A|| ||r_B||) (Cauchy-Schwarz in the positive Gauss and exact functionals), and that of Lambda_l
at most 2 sqrt(2 h) ||r_l|| for a panel of half-width h.  Panels are bisected until the summed bound
is <= rtol * scale for every entry, with scale d_A d_B for kappa, d_l = max(sqrt(kappa_ll),
SCALE_FLOOR * max_l sqrt(kappa_ll)) (Cauchy-Schwarz: W >= 0 makes kappa a Gram matrix), and
int |W b_l| dk for Lambda_l.  The floor keeps multipoles far beyond the support of the time factors
(l >> k_max dT, where kappa_ll falls super-exponentially) from demanding relative accuracy on
values at the rounding level of the largest ones; their absolute error stays below
rtol * SCALE_FLOOR^2 * max kappa.  The reported error is that bound,
plus the floating-point noise floor of the time factors.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType
from typing import Any

import numpy as np
from scipy import special

from crmix.backend import to_numpy
from crmix.generated import integrands as gen
from crmix.validation import integer, real

__all__ = ["IntegralResult", "a_l", "b_l", "kappa", "lambda_l", "time_factors"]

#: Gauss-Legendre orders of the k panels; refinement doubles the order, then bisects at the largest.
PANEL_ORDERS = (32, 64, 128, 256)
#: Initial panels: width <= DLOGK0 in ln k (order 32) until they would exceed DX0 in X = k dT, then
#: DX0 wide (order 128, about 40 oscillation periods of 2 pi; refined where they matter).
DLOGK0 = 0.5
DX0 = 256.0
#: Number of trailing Legendre coefficients that estimate the unresolved part of a panel.
TAIL_COEFFICIENTS = 4
#: Cap on the number of panels (a weight that needs more is not integrable at this precision).
MAX_PANELS = 200_000
#: Absolute noise level of a computed A_l or B_l (|A_l| <= 1); values bounded below it are set to 0.
NOISE = 4.0 * np.finfo(float).eps
#: Relative floor of the per-multipole scale sqrt(kappa_ll) in the kappa error target (see above).
SCALE_FLOOR = 1e-3

Weight = Callable[[Any, ModuleType], Any]


@dataclass(frozen=True)
class IntegralResult:
    """Integrals and their estimated absolute errors (same shape), as NumPy arrays."""

    value: np.ndarray
    error: np.ndarray


# ---- validation -------------------------------------------------------------------------------
def _check_inputs(kmin: float, kmax: float, dt: float, Omega: float, lmax: int, rtol: float) -> tuple[float, float, float, float, int, float]:
    dt = real("dt (the time interval Delta T)", dt, gt=0)
    kmin = real("kmin", kmin, gt=0)
    kmax = real("kmax", kmax)
    if kmin >= kmax:
        raise ValueError(f"kmin must be < kmax, got kmin={kmin}, kmax={kmax}")
    Omega = real("Omega", Omega)
    rtol = real("rtol", rtol, ge=1e-15, lt=1)
    return kmin, kmax, dt, Omega, integer("lmax", lmax), rtol


def _weight_values(weight: Weight, k: Any, xp: ModuleType) -> Any:
    """W(k) at the nodes k, checked: real, finite and >= 0 (ValueError naming ``weight`` otherwise)."""
    try:
        w = xp.asarray(weight(k, xp))
    except Exception as exc:
        raise ValueError(f"weight(k, xp) failed: {exc}") from exc
    if w.shape != k.shape:
        w = xp.broadcast_to(w, k.shape) if w.ndim == 0 else w
        if w.shape != k.shape:
            raise ValueError(f"weight(k, xp) must return an array of the shape of k {k.shape}, got {w.shape}")
    if xp.iscomplexobj(w):
        raise ValueError("weight W(k) must be real, got complex values")
    w = w.astype(float)
    if not bool(xp.all(xp.isfinite(w))):
        raise ValueError("weight W(k) must be finite on [kmin, kmax], got NaN or inf")
    if bool(xp.any(w < 0)):
        raise ValueError("weight W(k) must be >= 0 on [kmin, kmax], got negative values")
    return w


# ---- time factors A_l(X, w), B_l(X, w) ----------------------------------------------------------
def _recurrence_threshold(lmax: int, w: float) -> float:
    return max(lmax + 10.0, 1.5 * abs(w), 8.0)


def _projection_nodes(lmax: int, x_rec: float) -> int:
    return int(math.ceil((lmax + x_rec + 12.0 * x_rec ** (1.0 / 3.0)) / 2.0)) + 16


@lru_cache(maxsize=8)
def _legendre_projector(lmax: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss nodes mu_j and the matrix (1/(2 i^l)) w_j P_l(mu_j), shape (lmax+1, n)."""
    mu, wts = special.roots_legendre(n)
    p = gen.legendre_polynomials(lmax, mu, np)
    phase = (-1j) ** np.arange(lmax + 1) / 2.0
    return mu, phase[:, None] * (p * wts)


@lru_cache(maxsize=8)
def _log_bound_constants(lmax: int) -> np.ndarray:
    """-ln((l+1)(2l+1)!!) for l = 0..lmax."""
    ell = np.arange(lmax + 1.0)
    return -np.log(ell + 1) - (special.gammaln(2 * ell + 2) - ell * math.log(2.0) - special.gammaln(ell + 1))


def time_factors(lmax: int, X: Any, w: float, *, xp: ModuleType = np,
                 with_lambda: bool = False) -> tuple[Any, Any | None, Any]:
    """A_l(X, w), (with ``with_lambda``) B_l(X, w), and their noise, for l = 0..lmax, shape (lmax+1, len(X)).

    X > 0, any real w.  ``noise`` bounds the absolute error of each entry: NOISE (|A_l|, |B_l| <= 1),
    or the bound X^l/((l+1)(2l+1)!!) where that is smaller; entries whose bound is below NOISE are
    returned as 0 (module docstring).
    """
    X = xp.asarray(X, dtype=float)
    L = lmax + 1
    A = xp.empty((L, X.shape[0]), dtype=complex)
    B = xp.empty_like(A) if with_lambda else None
    noise = xp.full(A.shape, NOISE)
    x_rec = _recurrence_threshold(lmax, w)
    proj = xp.nonzero(X < x_rec)[0]
    rec = xp.nonzero(X >= x_rec)[0]
    if proj.shape[0]:
        mu, proj_matrix = _legendre_projector(lmax, _projection_nodes(lmax, x_rec))
        Xp = X[proj]
        z = xp.asarray(mu)[:, None] * Xp[None, :] + w
        pm = xp.asarray(proj_matrix)
        # Below the bound's noise level the projection returns rounding noise: set those to 0.
        log_bound = xp.asarray(_log_bound_constants(lmax))[:, None] + xp.arange(L)[:, None] * xp.log(Xp)[None, :]
        keep = log_bound >= math.log(NOISE)
        noise[:, proj] = xp.exp(xp.minimum(log_bound, math.log(NOISE)))
        A[:, proj] = (pm @ gen.h_a(z, xp)) * keep
        if with_lambda:
            B[:, proj] = (pm @ gen.h_lambda(z, xp)) * keep
    if rec.shape[0]:  # the forward recurrences (module docstring), generated from crmix.derive.kernels
        if with_lambda:
            A[:, rec], B[:, rec] = gen.time_factors_ab(lmax, X[rec], w, xp)
        else:
            A[:, rec] = gen.time_factors_a(lmax, X[rec], w, xp)
    return A, B, noise


def a_l(k: Any, dt: float, Omega: float, lmax: int, *, xp: ModuleType = np) -> Any:
    """a_l(k) = int_0^dt ds j_l(k s) e^{i Omega s} for l = 0..lmax (KPM (48)), shape (lmax+1, len(k))."""
    k = xp.atleast_1d(xp.asarray(k, dtype=float))
    A, _, _ = time_factors(int(lmax), k * dt, Omega * dt, xp=xp)
    return dt * A


def b_l(k: Any, dt: float, Omega: float, lmax: int, *, xp: ModuleType = np) -> Any:
    """b_l(k) = int_0^dt dtau (dt - tau) cos(Omega tau) j_l(k tau) (KPM (39) with the T integral done)."""
    k = xp.atleast_1d(xp.asarray(k, dtype=float))
    _, B, _ = time_factors(int(lmax), k * dt, Omega * dt, xp=xp, with_lambda=True)
    return dt * dt * B.real


# ---- adaptive Gauss-Legendre panels in ln k -----------------------------------------------------
@lru_cache(maxsize=8)
def _panel_rule(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes and weights on [-1, 1], and the map from node values to sqrt(2/(2m+1)) c_m for the last
    TAIL_COEFFICIENTS Legendre coefficients c_m = (2m+1)/2 sum_j w_j P_m(x_j) f_j (L2 norms)."""
    x, wts = special.roots_legendre(n)
    m = np.arange(n - TAIL_COEFFICIENTS, n)
    vander = np.polynomial.legendre.legvander(x, n - 1)[:, m]  # (n, TAIL)
    to_tail = (np.sqrt((2 * m + 1) / 2.0))[:, None] * (vander * wts[:, None]).T
    return x, wts, to_tail


@dataclass(frozen=True)
class _Panel:
    """One panel [lo, hi] in ln k of Gauss order n, with its sums (see _adaptive)."""

    lo: float
    hi: float
    n: int
    s: Any          # (L,) norm of the resolved part (kappa) or int |f| (Lambda) on the panel
    t: Any          # (L,) error bound contribution: unresolved part or noise floor
    refinable: Any  # (L,) t is above the noise floor, so refining can reduce it
    data: Any       # kappa: sqrt(w_j h) v_j, (L, n); Lambda: the panel integral (L,)


def _initial_panels(x_lo: float, x_hi: float) -> list[tuple[float, float, int]]:
    """(lo, hi, order) in ln X: width <= DLOGK0 in ln X and <= DX0 in X (module docstring)."""
    edges, orders = [x_lo], []
    growth = math.exp(DLOGK0)
    while edges[-1] < x_hi:
        x = edges[-1]
        linear = x * (growth - 1.0) >= DX0
        edges.append(x + DX0 if linear else x * growth)
        orders.append(128 if linear else 32)
    edges[-1] = x_hi
    if len(edges) > 2 and (edges[-1] - edges[-2]) < 0.25 * (edges[-2] - edges[-3]):
        del edges[-2], orders[-1]  # no sliver at the end
    logs = [math.log(e) for e in edges]
    return list(zip(logs[:-1], logs[1:], orders))


def _refine(panel: _Panel) -> list[tuple[float, float, int]]:
    """Double the order; at the largest order, bisect."""
    if panel.n < PANEL_ORDERS[-1]:
        return [(panel.lo, panel.hi, 2 * panel.n)]
    mid = 0.5 * (panel.lo + panel.hi)
    return [(panel.lo, mid, panel.n), (mid, panel.hi, panel.n)]


def _evaluate(sample: Callable[[Any], tuple[Any, Any]], todo: list[tuple[float, float, int]], gram: bool,
              xp: ModuleType) -> list[_Panel]:
    """Sample every panel in ``todo`` (batched by order) and reduce it to a _Panel."""
    out = []
    for n in sorted({p[2] for p in todo}):
        group = [p for p in todo if p[2] == n]
        x, wts, to_tail = (xp.asarray(a) for a in _panel_rule(n))
        lo = xp.asarray([p[0] for p in group])
        hi = xp.asarray([p[1] for p in group])
        half = (hi - lo) / 2
        nodes = ((lo + hi) / 2)[:, None] + half[:, None] * x[None, :]  # (P, n)
        v, noise = sample(nodes.reshape(-1))
        L = v.shape[0]
        v = v.reshape(L, len(group), n).transpose(1, 0, 2)  # (P, L, n)
        noise = noise.reshape(L, len(group), n).transpose(1, 0, 2)
        tail = xp.sqrt(xp.sum(xp.abs(v @ to_tail.T) ** 2, axis=-1) * half[:, None])  # (P, L)
        floor = xp.sqrt(xp.sum(noise**2 * wts, axis=-1) * half[:, None])
        if gram:
            s = xp.sqrt(xp.sum(xp.abs(v) ** 2 * wts, axis=-1) * half[:, None])
            data = v * xp.sqrt(wts[None, None, :] * half[:, None, None])
        else:  # |Q r| + |I r| <= 2 sqrt(2 h) ||r|| for the unresolved part r
            s = xp.sum(xp.abs(v) * wts, axis=-1) * half[:, None]
            data = xp.sum(v * wts, axis=-1) * half[:, None]
            tail = 2.0 * xp.sqrt(2.0 * half)[:, None] * tail
            floor = 2.0 * xp.sqrt(2.0 * half)[:, None] * floor
        t = xp.maximum(tail, floor)
        refinable = tail > 4.0 * floor
        out += [_Panel(a, b, n, s[i], t[i], refinable[i], data[i]) for i, (a, b, _) in enumerate(group)]
    return out


def _adaptive(sample: Callable[[Any], tuple[Any, Any]], t_lo: float, t_hi: float, dt: float,
              rtol: float, gram: bool, xp: ModuleType) -> list[_Panel]:
    """Refine panels in t = ln k until the summed error bound meets rtol (module docstring).

    ``sample(t_nodes)`` returns (v, noise): the integrand vectors (L, K) on d(ln k) and a bound (L, K)
    on their absolute rounding error.  ``gram``: the integral is int Re v v^H (kappa), else int v.
    """
    shift = math.log(dt)
    todo = [(a - shift, b - shift, n) for a, b, n in _initial_panels(math.exp(t_lo) * dt, math.exp(t_hi) * dt)]
    todo[0] = (t_lo, *todo[0][1:])
    todo[-1] = (todo[-1][0], t_hi, todo[-1][2])
    panels: list[_Panel] = []
    while todo:
        panels += _evaluate(sample, todo, gram, xp)
        chosen = _panels_to_refine(panels, rtol, gram, xp)
        if not chosen:
            break
        if len(panels) + len(chosen) > MAX_PANELS:
            warnings.warn(f"k quadrature stopped at {len(panels)} panels before reaching rtol={rtol}; "
                          "the returned error estimate says how far it got", RuntimeWarning, stacklevel=3)
            break
        todo = [new for p in chosen for new in _refine(p)]
        drop = {id(p) for p in chosen}
        panels = [p for p in panels if id(p) not in drop]
    return panels


def _panels_to_refine(panels: list[_Panel], rtol: float, gram: bool, xp: ModuleType) -> list[_Panel]:
    """None when the error bound meets rtol; else the worst refinable panels, enough of them that the
    rest of the bound would fit in rtol/2."""
    S = xp.stack([p.s for p in panels])  # (P, L)
    T = xp.stack([p.t for p in panels])
    R = xp.stack([xp.where(p.refinable, p.t, 0.0) for p in panels])
    if gram:
        scale = _gram_scale(xp.sqrt(xp.sum(S**2, axis=0)), xp)  # sqrt(kappa_AA), floored
        safe = xp.where(scale > 0, scale, 1.0)
        smax = xp.max(S / safe, axis=1)
        tmax, rmax = xp.max(T / safe, axis=1), xp.max(R / safe, axis=1)
        total = 2.0 * (2.0 * smax * tmax + tmax**2)  # >= max_AB of the panel's relative bound
        refin = 2.0 * (2.0 * smax * rmax + rmax**2)
    else:
        scale = xp.sum(S, axis=0)  # int |f|
        safe = xp.where(scale > 0, scale, 1.0)
        total, refin = xp.max(T / safe, axis=1), xp.max(R / safe, axis=1)
    if float(xp.sum(total)) <= rtol or (gram and _gram_error_ok(panels, rtol, xp)):
        return []
    refin_h = to_numpy(refin)
    order = np.argsort(-refin_h, kind="stable")
    rest = np.cumsum(refin_h[order][::-1])[::-1]  # rest[i] = sum of refin over order[i:]
    fixed = float(xp.sum(total)) - float(refin_h.sum())
    budget = max(0.5 * rtol - max(fixed, 0.0), 0.0)
    n_refine = max(int(np.searchsorted(-rest, -budget, side="left")), 1)
    return [panels[i] for i in order[:n_refine] if refin_h[i] > 0]


def _gram_error(panels: list[_Panel], xp: ModuleType) -> Any:
    """Error bound matrix of kappa: 2 sum_p (s t^T + t s^T + t t^T)."""
    S = xp.stack([p.s for p in panels], axis=1)  # (L, P)
    T = xp.stack([p.t for p in panels], axis=1)
    cross = S @ T.T
    return 2.0 * (cross + cross.T + T @ T.T)


def _gram_scale(d: Any, xp: ModuleType) -> Any:
    """Per-multipole scale of the kappa error target: sqrt(kappa_ll), floored (module docstring)."""
    return xp.maximum(d, SCALE_FLOOR * xp.max(d))


def _gram_error_ok(panels: list[_Panel], rtol: float, xp: ModuleType) -> bool:
    d = _gram_scale(xp.sqrt(xp.sum(xp.stack([p.s for p in panels], axis=1) ** 2, axis=1)), xp)
    return bool(xp.all(_gram_error(panels, xp) <= rtol * d[:, None] * d[None, :]))


# ---- the integrals -------------------------------------------------------------------------------
def _check_weight_integrable(weight: Weight, kmin: float, kmax: float, xp: ModuleType) -> None:
    """int W dk by the same panels must converge (a cheap guard before the heavy work)."""

    def sample(t: Any) -> tuple[Any, Any]:
        k = xp.exp(t)
        f = k * _weight_values(weight, k, xp)
        return f[None, :], f[None, :] * NOISE

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            panels = _adaptive(sample, math.log(kmin), math.log(kmax), 1.0, 1e-8, False, xp)
        except RuntimeWarning as exc:
            raise ValueError(f"weight W(k) is not integrable on [kmin, kmax] = [{kmin}, {kmax}]: {exc}") from exc
    total = float(sum(float(p.data[0]) for p in panels))
    if not math.isfinite(total):
        raise ValueError(f"weight W(k) is not integrable on [kmin, kmax] = [{kmin}, {kmax}]")


def lambda_l(weight: Weight, kmin: float, kmax: float, dt: float, Omega: float, lmax: int, *,
             rtol: float = 1e-10, xp: ModuleType = np) -> IntegralResult:
    """Lambda_l(dT) = int dk W(k) int_0^dT dT' int_0^T' dtau cos(Omega tau) j_l(k tau), l = 0..lmax.

    KPM (39) with the weight W (slab: G = E/2, docs/physics.md); MA19 (3.14) at Omega = 0.  Value and
    estimated absolute error, shape (lmax+1,); the error targets rtol * int |W b_l| dk.
    """
    kmin, kmax, dt, Omega, lmax, rtol = _check_inputs(kmin, kmax, dt, Omega, lmax, rtol)
    _check_weight_integrable(weight, kmin, kmax, xp)
    w = Omega * dt

    def sample(t: Any) -> tuple[Any, Any]:
        k = xp.exp(t)
        scale = k * _weight_values(weight, k, xp) * dt * dt
        _, B, noise = time_factors(lmax, k * dt, w, xp=xp, with_lambda=True)
        return B.real * scale, noise * scale

    panels = _adaptive(sample, math.log(kmin), math.log(kmax), dt, rtol, False, xp)
    value = sum(p.data for p in panels)
    error = sum(p.t for p in panels)
    return _result(value, error)


def kappa(weight: Weight, kmin: float, kmax: float, dt: float, Omega: float, lmax: int, *,
          rtol: float = 1e-10, xp: ModuleType = np) -> IntegralResult:
    """kappa_{lA lB}(dT) = int dk W(k) Re[a_lA(k) a_lB(k)^*], a_l = int_0^dT ds j_l(ks) e^{i Omega s}.

    KPM (48) (the full square of times) with the weight W; MA19 (3.22) at Omega = 0 (g h h / k^2 =
    g a a).  Value and estimated absolute error, shape (lmax+1, lmax+1); the error targets
    rtol * d_A d_B with d_l = sqrt(kappa_ll) floored at SCALE_FLOOR * max sqrt(kappa_ll).
    """
    kmin, kmax, dt, Omega, lmax, rtol = _check_inputs(kmin, kmax, dt, Omega, lmax, rtol)
    _check_weight_integrable(weight, kmin, kmax, xp)
    w = Omega * dt

    def sample(t: Any) -> tuple[Any, Any]:
        k = xp.exp(t)
        scale = xp.sqrt(k * _weight_values(weight, k, xp)) * dt
        A, _, noise = time_factors(lmax, k * dt, w, xp=xp)
        return A * scale, noise * scale

    panels = _adaptive(sample, math.log(kmin), math.log(kmax), dt, rtol, True, xp)
    V = xp.concatenate([p.data for p in panels], axis=1)  # (L, N) complex, weights folded in
    C = xp.concatenate([V.real, V.imag], axis=1)
    value = C @ C.T  # Re(V V^H)
    return _result(value, _gram_error(panels, xp))


def _result(value: Any, error: Any) -> IntegralResult:
    return IntegralResult(value=to_numpy(value).astype(float), error=to_numpy(error).astype(float))
