"""The (1a) density Lambda of the generic mixing matrix in real space, and the uniform-field parts of M.

M^(1a)_ll = -l(l+1) Lambda (docs/physics.md).  Doing the wave-vector integral first turns Lambda into an
integral of the field's two-point function R along the orbit (crmix.derive.axisymmetric_realspace):

    Lambda = (1/4) int_{-1}^{1} dmu int_0^dT dtau (dT - tau) F(mu, tau),   F = sum_i weight_i(mu, Omega tau) T_i(r),

with one or two radial functions T_i(r) = (1/2) int dk E(k) K_i(k r) of the component's spectrum (isotropic:
K = j0 - j1/x and j2 at r = |D|; slab: cos at r = mu tau; 2D: J0 and J2 at r = |D_perp|) and the generated
weights.  The cost does not depend on the band: the k integral is done once per radius, on a table.

Uniform part.  A mode much longer than the orbit turns every direction alike, so its (1a) and (1c) parts
cancel in M exactly (check ``uniform_field_cancels``).  Both are known in closed form from R(0) =
diag(a0, a0, b0), and the solver integrates only what is left: T_i(r) - T_i(0) here, and the Gram
entry K^1_{--} minus its uniform value in the wave-vector cubature (crmix.solver.axisymmetric_coupling).
That keeps the two sides from cancelling numerically: at KPM's default band the uniform parts are a
hundred times the net mixing 2 M^(1a) + M^(1c).

Numerics.  Each T_i(r) - T_i(0) is tabulated on Chebyshev panels in ln r (``TABLE_NODES`` per panel of
width ``TABLE_WIDTH``) by Gauss-Legendre panels in k that resolve the largest radius of the panel
(``PHASE_PER_PANEL`` radians of k r per panel of ``K_ORDER`` nodes, ln k panels at most 0.5 wide);
below the table T - T(0) is continued by its r^2 law.  The interpolation error is measured at every
panel's midpoints against the direct sum.  Where a band edge oscillates fast the table holds T less the
edge's asymptotic series (integration by parts), added back in closed form up to k_edge r = EDGE_RESOLVED
and left out beyond (its integral over the smooth weights falls off fast with the cut).  The (mu, tau)
integral is the adaptive cubature of crmix.solver.axisymmetric_cubature in the graded variables of
crmix.solver.axisymmetric_graded (across B0, where F is periodic and even in Omega tau, every lag folded onto half a
gyration: ``lag_rule``), done at the cut and at half of it: the difference is the error
estimate of the part left out, added to the cubature's and the table's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special

from crmix.generated import axisymmetric_realspace as gen
from crmix.solver.axisymmetric_cubature import adaptive_cubature
from crmix.solver.axisymmetric_graded import GRADE_WIDTH, lag_rule, mu_map
from crmix.spectral_tensors import TensorComponent

__all__ = ["ISOTROPIC_KIND", "SLAB_KIND", "TWO_D_KIND", "RealSpaceKind", "RealSpaceLambda", "realspace_kind", "realspace_lambda",
           "uniform_moments"]

TABLE_NODES = 20
TABLE_WIDTH = 0.5
K_ORDER = 64
PHASE_PER_PANEL = 50.0
#: smallest tabulated radius, in units of 1/k_max
R_LOW = 1e-4
#: Gauss nodes per variable of the (mu, tau) boxes, and their budget
BOX_ORDER = 16
MAX_NODES = 2_000_000


@dataclass(frozen=True)
class RealSpaceLambda:
    """Lambda = uniform + structured, with the structured part's error bound (cubature + table)."""

    uniform: float
    structured: float
    error: float

    @property
    def value(self) -> float:
        return self.uniform + self.structured


def _reference_polarisations(c: np.ndarray) -> dict[str, np.ndarray]:
    s = np.sqrt(np.maximum(1.0 - c * c, 0.0))
    kh = np.stack([s, np.zeros_like(c), c], axis=-1)
    iso = 0.25 * (np.eye(3) - kh[:, :, None] * kh[:, None, :])
    slab = np.broadcast_to(np.diag([0.25, 0.25, 0.0]), iso.shape)
    two_d = np.broadcast_to(np.diag([0.0, 1.0, 0.0]), iso.shape)
    return {"full": iso, "slab": slab, "2d": two_d}


def _k_rule(kmin: float, kmax: float, r_max: float) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on [kmin, kmax]: ln k panels <= 0.5 wide and <= PHASE_PER_PANEL/r_max wide in k."""
    edges = [kmin]
    while edges[-1] < kmax:
        edges.append(min(edges[-1] * math.exp(0.5), edges[-1] + PHASE_PER_PANEL / r_max, kmax))
    x, w = special.roots_legendre(K_ORDER)
    lo, hi = np.array(edges[:-1]), np.array(edges[1:])
    half = 0.5 * (hi - lo)
    return ((lo + hi)[:, None] / 2 + half[:, None] * x).ravel(), (half[:, None] * w).ravel()


def _spherical_structure(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(j0 - j1/x - 2/3, j2) at x >= 0 from sin and cos (Taylor series below x = 0.1)."""
    small = x < 0.1
    xs = np.where(small, 1.0, x)
    sn, cs = np.sin(xs), np.cos(xs)
    inv = 1.0 / xs
    inv2 = inv * inv
    f_big = sn * inv * (1.0 - inv2) + cs * inv2 - 2.0 / 3.0
    h_big = sn * inv * (3.0 * inv2 - 1.0) - 3.0 * cs * inv2
    x2 = x * x
    f_small = x2 * (-2.0 / 15.0 + x2 * (1.0 / 140.0 - x2 / 5670.0))
    h_small = x2 * (1.0 / 15.0 - x2 * (1.0 / 210.0 - x2 / 7560.0))
    return np.where(small, f_small, f_big), np.where(small, h_small, h_big)


def _transverse_kernels(x: np.ndarray) -> tuple[np.ndarray, ...]:
    """cos x - 1: the slab's R_s (KPM (28))."""
    return (-2.0 * np.sin(0.5 * x) ** 2,)


def _planar_kernels(x: np.ndarray) -> tuple[np.ndarray, ...]:
    """(J0(x) - 1, J2(x)): the 2D f2 and g2."""
    small = x < 1e-3
    return np.where(small, -0.25 * x * x, special.j0(x) - 1.0), special.jv(2, x)


#: K_i(x) - K_i(0) = -K_i(0) + Im[e^{ix} sum_j q_j x^{-p_j}] at large x, per radial function (exact for the
#: spherical kernels; Hankel's expansion of J0, J2 for 2D, ``HANKEL_TERMS`` terms).
HANKEL_TERMS = 8


def _hankel(n: int) -> tuple[tuple[complex, float], ...]:
    """J_n(x) = Im[i H_n(x)] with H_n ~ sqrt(2/(pi x)) e^{i(x - n pi/2 - pi/4)} sum_m i^m a_m(n) x^-m."""
    out, a = [], 1.0
    phase = 1j * math.sqrt(2.0 / math.pi) * complex(math.cos(-(n * math.pi / 2 + math.pi / 4)), math.sin(-(n * math.pi / 2 + math.pi / 4)))
    for m in range(HANKEL_TERMS):
        out.append((phase * 1j**m * a, m + 0.5))
        a *= (4 * n * n - (2 * m + 1) ** 2) / ((m + 1) * 8.0)
    return tuple(out)


def _isotropic_separation(mu: np.ndarray, tau: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.sqrt(gen.realspace_isotropic_radius2(mu, tau, w, np))


def _planar_separation(mu: np.ndarray, tau: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.sqrt(gen.realspace_two_d_radius2(mu, tau, w, np))


@dataclass(frozen=True)
class RealSpaceKind:
    """A polarisation with a real-space form (module docstring): its radial kernels K_i(x) - K_i(0), their
    large-x terms Im[e^{ix} sum_j q_j x^{-p_j}] per kernel (exact for the spherical kernels; Hankel's expansion,
    ``HANKEL_TERMS`` terms, for J0 and J2), the separation r(mu, tau, Omega tau) they take, the generated
    weights of F, and whether r lies across B0 (then r <= 2/Omega on helices, and F is periodic and even in Omega tau)."""

    name: str
    kernels: Callable[[np.ndarray], tuple[np.ndarray, ...]]
    oscillating: tuple[tuple[tuple[complex, float], ...], ...]
    separation: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    weights: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, ...]]
    across_b0: bool

    def r_max(self, dt: float, omega: float) -> float:
        return min(dt, 2.0 / omega) if self.across_b0 and omega > 0 else dt


ISOTROPIC_KIND = RealSpaceKind(
    "isotropic", _spherical_structure, (((1.0, 1.0), (-1.0, 3.0), (1j, 2.0)), ((3.0, 3.0), (-1.0, 1.0), (-3j, 2.0))),
    _isotropic_separation, lambda mu, w: (gen.realspace_isotropic_f(mu, w, np), gen.realspace_isotropic_h(mu, w, np)), False)
SLAB_KIND = RealSpaceKind("slab", _transverse_kernels, (((1j, 0.0),),), lambda mu, tau, w: np.abs(mu) * tau,
                          lambda mu, w: (gen.realspace_transverse_f(mu, w, np),), False)
TWO_D_KIND = RealSpaceKind("2d", _planar_kernels, (_hankel(0), _hankel(2)), _planar_separation,
                           lambda mu, w: (gen.realspace_transverse_f(mu, w, np), gen.realspace_two_d_g(mu, np)), True)
#: The kind of each support's reference polarisation.
_KINDS = {"full": ISOTROPIC_KIND, "slab": SLAB_KIND, "2d": TWO_D_KIND}


def realspace_kind(component: TensorComponent) -> RealSpaceKind | None:
    """The kind of the component when it has its support's polarisation of crmix.spectral_tensors (k-independent),
    else None (the generic path then integrates Lambda over wave vectors)."""
    c, _ = component.where.nodes()
    ref = _reference_polarisations(np.asarray(c, dtype=float))[component.support]
    for k in (component.kmin, math.sqrt(component.kmin * component.kmax), component.kmax):
        pol = np.asarray(component.polarisation(np.full(np.shape(c), k), np.asarray(c, dtype=float), np), dtype=complex)
        if not np.allclose(pol, ref, rtol=0, atol=1e-14):
            return None
    return _KINDS[component.support]


#: The band edges' asymptotic series are subtracted where k_edge r >= EDGE_X (switched on smoothly up to 2 EDGE_X),
#: with EDGE_TERMS terms of the integration by parts; below, the table resolves the oscillation (panels <= EDGE_PHASE).
EDGE_X = 20.0
EDGE_TERMS = 4
EDGE_PHASE = 5.0
#: Beyond k_edge r = EDGE_RESOLVED (switched off smoothly up to twice that) the edges' series is left out of the
#: (mu, tau) integrand: it oscillates too fast to resolve there, and its integral over a smooth weight falls off
#: quickly with the cut.  The cubature runs at the cut and at half of it; their difference is the error estimate.
EDGE_RESOLVED = 80.0


def _switch(x: np.ndarray, start: float = EDGE_X) -> np.ndarray:
    """0 for x <= start, 1 for x >= 2 start, smooth (C-infinity) in ln x between."""
    s = np.clip(np.log(np.maximum(x, 1e-300) / start) / math.log(2.0), 0.0, 1.0)
    with np.errstate(divide="ignore", over="ignore"):
        a, b = np.exp(-1.0 / np.where(s > 0, s, 1.0)), np.exp(-1.0 / np.where(s < 1, 1.0 - s, 1.0))
    return np.where(s <= 0, 0.0, np.where(s >= 1, 1.0, a / (a + b)))


def _derivatives(fn, k0: float, p: float) -> np.ndarray:
    """d^n/dk^n [fn(k) k^-p] at k0, n < EDGE_TERMS (Chebyshev fit on [0.7 k0, 1.3 k0]; fn is defined beyond the band)."""
    lo, hi = 0.7 * k0, 1.3 * k0
    x = np.cos(math.pi * (np.arange(24) + 0.5) / 24)
    k = 0.5 * (lo + hi) + 0.5 * (hi - lo) * x
    c = np.polynomial.chebyshev.chebfit(x, np.asarray(fn(k, np), dtype=float) * k**-p, 23)
    t = (2.0 * k0 - lo - hi) / (hi - lo)
    return np.array([np.polynomial.chebyshev.chebval(t, np.polynomial.chebyshev.chebder(c, n)) * (2.0 / (hi - lo)) ** n
                     for n in range(EDGE_TERMS)])


#: One term of a band edge's series: (function index, q_j, p_j, k_edge, sign, d^n/dk^n [E k^-p_j] at k_edge).
EdgeTerm = tuple[int, complex, float, float, float, np.ndarray]


def _edge_terms(kind: RealSpaceKind, component: TensorComponent, r_max: float) -> tuple[EdgeTerm, ...]:
    """The terms of the band edges' series that switch on below r_max (``_edge_series``)."""
    out = []
    for i, terms in enumerate(kind.oscillating):
        for q, p in terms:
            for edge, sign in ((component.kmax, 1.0), (component.kmin, -1.0)):
                if edge * r_max > EDGE_X:
                    out.append((i, q, p, edge, sign, _derivatives(component.spectrum, edge, p)))
    return tuple(out)


def _edge_parts(kind: RealSpaceKind, terms: tuple[EdgeTerm, ...], r: np.ndarray) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """Per band edge: (k_edge, its switch at k_edge r, the sum of its terms per radial function where the switch is on)."""
    out = []
    for edge in sorted({term[3] for term in terms}):
        on = _switch(edge * r)
        part = np.zeros((len(kind.oscillating),) + np.shape(r))
        where = on > 0
        if np.any(where):
            rs = r[where]
            powers = [(1j * rs) ** -(n + 1) for n in range(EDGE_TERMS)]
            phase = 0.5 * np.exp(1j * edge * rs)
            for i, q, p, term_edge, sign, d in terms:
                if term_edge == edge:
                    series = sum((-1) ** n * d[n] * powers[n] for n in range(EDGE_TERMS))
                    part[i][where] += sign * (q * rs**-p * phase * series).imag
        out.append((edge, on, part))
    return out


def _edge_sum(parts: list[tuple[float, np.ndarray, np.ndarray]], r: np.ndarray, resolved: float | None) -> np.ndarray | float:
    """The band edges' series from ``_edge_parts``, switched off beyond k_edge r = ``resolved`` (None: kept)."""
    total: np.ndarray | float = 0.0
    for edge, on, part in parts:
        total = total + (on if resolved is None else on * (1.0 - _switch(edge * r, resolved))) * part
    return total


def _edge_series(kind: RealSpaceKind, terms: tuple[EdgeTerm, ...], r: np.ndarray) -> np.ndarray:
    """The band edges' part of (1/2) int E K_i(k r) dk, asymptotic in 1/(k_edge r), switched on at k_edge r >= EDGE_X:
    int^b g e^{ikr} dk = e^{ibr} sum_n (-1)^n g^(n)(b) (ir)^-(n+1) (integration by parts), g = E k^-p
    (``_edge_parts``; ``_edge_sum`` switches it off again beyond a cut)."""
    return np.zeros((len(kind.oscillating),) + np.shape(r)) + _edge_sum(_edge_parts(kind, terms, r), r, None)


@dataclass(frozen=True)
class _Table:
    """Chebyshev panels in ln r of T_i(r) - T_i(0) less the band edges' series; r^2 law below r_low."""

    t_edges: np.ndarray
    values: np.ndarray  # (functions, panels, TABLE_NODES)
    error: float  # largest interpolation deviation at the check points (absolute)
    edge: tuple[EdgeTerm, ...]  # the band edges' series, subtracted from the table and added back at every radius

    def __call__(self, r: np.ndarray) -> np.ndarray:
        r = np.asarray(r, dtype=float)
        t = np.log(np.maximum(r, math.exp(self.t_edges[0])))
        panel = np.clip(np.searchsorted(self.t_edges, t, side="right") - 1, 0, len(self.t_edges) - 2)
        lo, hi = self.t_edges[panel], self.t_edges[panel + 1]
        x = (2.0 * t - lo - hi) / (hi - lo)
        node = np.cos(math.pi * (np.arange(TABLE_NODES) + 0.5) / TABLE_NODES)
        bw = (-1.0) ** np.arange(TABLE_NODES) * np.sin(math.pi * (np.arange(TABLE_NODES) + 0.5) / TABLE_NODES)
        diff = x[..., None] - node
        exact = np.abs(diff) < 1e-15
        diff = np.where(exact, 1.0, diff)
        terms = bw / diff
        values = self.values[:, panel, :]  # (functions, ..., nodes)
        out = np.sum(terms * values, axis=-1) / np.sum(terms, axis=-1)
        hit = np.any(exact, axis=-1)
        if np.any(hit):
            out = np.where(hit, np.sum(np.where(exact, values, 0.0), axis=-1), out)
        below = r < math.exp(self.t_edges[0])
        scale = (r / math.exp(self.t_edges[0])) ** 2
        return np.where(below, out * scale, out)


def _direct(kind: RealSpaceKind, component: TensorComponent, r: np.ndarray) -> np.ndarray:
    """T_i(r) - T_i(0) by Gauss sums over k resolving max(r); shape (functions, len(r))."""
    k, wk = _k_rule(component.kmin, component.kmax, float(np.max(r)))
    weight = 0.5 * wk * np.asarray(component.spectrum(k, np), dtype=float)
    out = []
    for kernel in kind.kernels(np.outer(r, k)):
        out.append(kernel @ weight)
    return np.array(out)


def _table_edges(component: TensorComponent, r_low: float, r_max: float) -> np.ndarray:
    """ln r panel edges: <= TABLE_WIDTH wide, and <= EDGE_PHASE radians of k_edge r where an edge oscillates unsubtracted."""
    edges = [math.log(r_low)]
    while edges[-1] < math.log(r_max):
        r = math.exp(edges[-1])
        width = TABLE_WIDTH
        for edge in (component.kmin, component.kmax):
            if edge * r < 4.0 * EDGE_X:
                width = min(width, EDGE_PHASE / max(edge * r, 1.0))
        edges.append(min(edges[-1] + width, math.log(r_max)))
    return np.array(edges)


def _table(kind: RealSpaceKind, component: TensorComponent, r_max: float) -> _Table:
    t_edges = _table_edges(component, R_LOW / component.kmax, r_max)
    edge = _edge_terms(kind, component, r_max)
    node = np.cos(math.pi * (np.arange(TABLE_NODES) + 0.5) / TABLE_NODES)
    points = np.concatenate([node, [-0.61, 0.27, 0.83]])  # the table's nodes and three check points per panel
    vals = []
    for lo, hi in zip(t_edges[:-1], t_edges[1:]):
        r = np.exp(0.5 * (lo + hi) + 0.5 * (hi - lo) * points)
        vals.append(_direct(kind, component, r) - _edge_series(kind, edge, r))
    vals = np.stack(vals, axis=1)  # (functions, panels, points)
    values = np.ascontiguousarray(vals[:, :, :TABLE_NODES])
    table = _Table(t_edges, values, 0.0, edge)
    check_r = np.exp(np.concatenate([0.5 * (lo + hi) + 0.5 * (hi - lo) * points[TABLE_NODES:] for lo, hi in zip(t_edges[:-1], t_edges[1:])]))
    deviation = float(np.max(np.abs(table(check_r) - vals[:, :, TABLE_NODES:].reshape(len(vals), -1))))
    return _Table(t_edges, values, deviation, edge)


def uniform_moments(component: TensorComponent) -> tuple[float, float]:
    """(a0, b0) of R(0) = int d^3k P = diag(a0, a0, b0) for the component (its support's direction rule)."""
    c, wc = component.where.nodes()
    k, wk = _k_rule(component.kmin, component.kmax, 1.0 / component.kmax)
    e = np.asarray(component.spectrum(k, np), dtype=float) * wk
    pol = np.asarray(component.polarisation(k[:, None] * np.ones(np.shape(c)), np.ones_like(k)[:, None] * c, np), dtype=complex)
    moments = np.einsum("k,c,kcij->ij", e, np.asarray(wc, dtype=float), pol).real
    return 0.5 * float(moments[0, 0] + moments[1, 1]), float(moments[2, 2])


#: The edge-series cuts (k_edge r) at which the (mu, tau) integral is done: the result and the error estimate's partner.
CUTS = (EDGE_RESOLVED, 0.5 * EDGE_RESOLVED)


def _density(kind: RealSpaceKind, table: _Table, mu: np.ndarray, tau: np.ndarray, omega: float) -> np.ndarray:
    """F(mu, tau) with the structured radial functions (module docstring), at each of the edge-series CUTS: (len(CUTS), n)."""
    w = omega * tau
    r = kind.separation(mu, tau, w)
    weights = kind.weights(mu, w)
    base = table(r)
    parts = _edge_parts(kind, table.edge, r)
    out = []
    for cut in CUTS:
        radial = base + _edge_sum(parts, r, cut)
        out.append(sum(a * t for a, t in zip(weights, radial)))
    return np.stack(out)


def realspace_lambda(component: TensorComponent, kind: RealSpaceKind, omega: float, dt: float, rtol: float) -> RealSpaceLambda:
    """Lambda of one component of ``kind`` (:func:`realspace_kind`) on helices (omega > 0) or straight lines."""
    a0, b0 = uniform_moments(component)
    uniform = dt * dt * float(gen.uniform_lambda(a0, b0, omega * dt, np))
    r_max = kind.r_max(dt, omega)
    table = _table(kind, component, r_max)
    tau_lo = min(R_LOW / component.kmax, 1e-8 * dt)
    rule_mu, (rule_tau, lag_weight) = mu_map(along_b0=not kind.across_b0), lag_rule(tau_lo, dt, omega, periodic=kind.across_b0)

    def sample(points: np.ndarray) -> np.ndarray:
        (mu, jm), (tau, jt) = rule_mu(points[:, 0]), rule_tau(points[:, 1])
        return (0.5 * jm * jt * lag_weight(tau) * _density(kind, table, mu, tau, omega)).T

    boxes = [((a, c), (b, d)) for a, b in rule_mu.panels(GRADE_WIDTH) for c, d in rule_tau.panels(GRADE_WIDTH)]

    def tolerance(value: np.ndarray) -> np.ndarray:
        return np.full(len(CUTS), rtol * max(abs(float(value[0])), 1e-300))

    res = adaptive_cubature(sample, boxes, (BOX_ORDER, BOX_ORDER), tolerance, max_nodes=MAX_NODES, label="Lambda")
    total = float(res.value[0])
    # quadrature; the table's interpolation deviation over the (mu, tau) measure of the weights,
    # int (dT - tau)/2 (|a| + |b|) <= 3 dT^2/4; the edges' series left out beyond the cut, estimated by halving the cut
    error = float(res.error[0]) + 0.75 * dt * dt * table.error + abs(float(res.value[1]) - total) + float(res.error[1])
    return RealSpaceLambda(uniform=uniform, structured=total, error=error)
