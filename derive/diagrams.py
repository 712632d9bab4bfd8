"""The Gaussian (Wick/Isserlis) expansion of the pair propagator <U^A U^B*> into diagrams.

MA19 (2.8), (3.2), (3.8)-(3.9) and KPM (21)-(25): the time-ordered exponential of each particle's
Liouville operator is expanded in powers of dL; the ensemble average of a product of Gaussian
insertions is the sum over all pairings (Isserlis).  A pairing joins insertions on the same line
(self-energy) or on different lines (interaction).  A line with n insertions carries the ordered
simplex t0 < t1 < ... < tn < t of its Dyson term; a diagram's time domain is the product of its
lines' simplices, so the interaction diagram (1c) integrates over the full square [t0, t]^2.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from math import factorial

import numpy as np
import sympy as sp
from scipy.integrate import solve_ivp

from crmix.derive.operators import angular_momentum_matrices
from crmix.derive.registry import Verdict, identity, verdict

__all__ = ["Diagram", "Insertion", "classify", "ode_second_order", "pair_diagrams", "wick_pairings"]

Pairing = tuple[tuple[int, int], ...]


def wick_pairings(points: Sequence[int]) -> list[Pairing]:
    """All perfect matchings of ``points`` (Isserlis: (n-1)!! of them for n points)."""
    pts = list(points)
    if len(pts) % 2:
        return []
    if not pts:
        return [()]
    first, rest = pts[0], pts[1:]
    out: list[Pairing] = []
    for i, partner in enumerate(rest):
        remaining = rest[:i] + rest[i + 1 :]
        out += [((first, partner),) + sub for sub in wick_pairings(remaining)]
    return out


@dataclass(frozen=True)
class Insertion:
    """An insertion of dL on line "A" or "B" at position ``index`` (1 = earliest) of that line."""

    line: str
    index: int


@dataclass(frozen=True)
class Diagram:
    """A term of the pair propagator: how many insertions per line and how they are paired."""

    n_a: int
    n_b: int
    pairs: tuple[tuple[Insertion, Insertion], ...]

    @property
    def interactions(self) -> int:
        """Number of dashed lines joining A and B."""
        return sum(p.line != q.line for p, q in self.pairs)

    @property
    def domain_volume(self) -> sp.Expr:
        """Volume of the time domain in units of Delta T^(n_A + n_B): 1/(n_A! n_B!)."""
        return sp.Rational(1, factorial(self.n_a) * factorial(self.n_b))


def pair_diagrams(order: int) -> list[Diagram]:
    """Every Wick pairing of the order-``order`` terms of U^A U^B* (order = n_A + n_B)."""
    diagrams = []
    for n_a in range(order + 1):
        n_b = order - n_a
        points = [Insertion("A", i) for i in range(1, n_a + 1)] + [Insertion("B", i) for i in range(1, n_b + 1)]
        for pairing in wick_pairings(list(range(len(points)))):
            diagrams.append(Diagram(n_a, n_b, tuple((points[i], points[j]) for i, j in pairing)))
    return diagrams


def classify(d: Diagram) -> str:
    """Name of a diagram: (0), (1a), (1b), (1c) at second order; a topology label beyond."""
    if not d.pairs:
        return "(0)"
    if len(d.pairs) == 1:
        return {("A", "A"): "(1a)", ("B", "B"): "(1b)"}.get((d.pairs[0][0].line, d.pairs[0][1].line), "(1c)")
    selfs = [p for p in d.pairs if p[0].line == p[1].line]
    if d.interactions == 0 and (d.n_a == 0 or d.n_b == 0):
        # single-line self-energy: sequential (Bourret chain), nested, or crossed arcs
        spans = sorted((p.index, q.index) if p.index < q.index else (q.index, p.index) for p, q in d.pairs)
        (_, b1), (a2, b2) = spans
        kind = "sequential" if b1 < a2 else ("nested" if b2 < b1 else "crossed")
        return f"self-energy {kind} on {d.pairs[0][0].line}"
    if d.interactions == 0:
        return "self-energy on A and on B"
    if selfs:
        return "one self-energy, one interaction"
    return "two interactions"


# ------------------------------------------------------------------------------------------------
@cache
def _gaussian_moment(n: int) -> tuple[sp.Matrix, sp.Expr]:
    """(C, <x_1 ... x_n>) for a Gaussian with general covariance C, from the generating function."""
    C = sp.ImmutableMatrix(n, n, lambda i, j: sp.Symbol(f"C{min(i, j)}{max(i, j)}"))
    J = sp.symbols(f"J0:{n}")
    gen = sp.exp(sum(J[i] * C[i, j] * J[j] for i in range(n) for j in range(n)) / 2)
    return C, sp.diff(gen, *J).subs({j: 0 for j in J})


@identity("isserlis", "MA19+KPM", "MA19 (2.8), KPM Sec. 2.2.2")
def isserlis(pairings: Callable[[Sequence[int]], Iterable[Pairing]] = wick_pairings) -> Verdict:
    """<x1...xn> of a Gaussian = sum over all pairings of products of <xi xj> (n = 2, 4, 6), exactly.

    The moments are computed independently, as derivatives of the generating function
    exp(J.C.J/2) with a general symmetric covariance C.
    """
    failures = []
    for n in (2, 4, 6):
        C, moment = _gaussian_moment(n)
        wick = sum(sp.Mul(*[C[i, j] for i, j in p]) for p in pairings(range(n)))
        if sp.expand(moment - wick) != 0:
            failures.append(n)
    return verdict(not failures, "n = 2, 4, 6: sum over all (n-1)!! pairings" if not failures else f"fails for n = {failures}")


def nearest_neighbour_pairings(points: Sequence[int]) -> list[Pairing]:
    """Only the pairing (1 2)(3 4)...: MA19 (2.8) read literally, without its '+ permut.'."""
    pts = list(points)
    return [tuple((pts[i], pts[i + 1]) for i in range(0, len(pts), 2))]


SECOND_ORDER = {"(1a)": (2, 0, sp.Rational(1, 2)), "(1b)": (0, 2, sp.Rational(1, 2)), "(1c)": (1, 1, sp.Integer(1))}


@identity("pair_diagrams_second_order", "MA19+KPM", "MA19 (3.2), (3.8)-(3.9), (3.13), (3.18); KPM (21)-(25), (41)")
def pair_diagrams_second_order(claimed: dict[str, tuple[int, int, sp.Expr]] = SECOND_ORDER) -> Verdict:
    """Second order: exactly (1a) (A-A), (1b) (B-B), (1c) (A-B); (1a) on a triangle, (1c) on the full square.

    ``claimed`` maps each label to (n_A, n_B, domain volume / Delta T^2): the ordered triangle has
    volume 1/2, the full square 1 (KPM (41) orders the two times of (1c): volume 1/2).
    """
    zeroth = pair_diagrams(0)
    found = {classify(d): (d.n_a, d.n_b, d.domain_volume) for d in pair_diagrams(2)}
    ok = len(zeroth) == 1 and classify(zeroth[0]) == "(0)" and found == claimed and len(pair_diagrams(2)) == 3
    return verdict(ok, f"enumerated {found}; claimed {claimed}")


FOURTH_ORDER_COUNTS = {
    "self-energy sequential on A": 1,
    "self-energy nested on A": 1,
    "self-energy crossed on A": 1,
    "self-energy sequential on B": 1,
    "self-energy nested on B": 1,
    "self-energy crossed on B": 1,
    "self-energy on A and on B": 1,
    "one self-energy, one interaction": 6,
    "two interactions": 2,
}


@identity("pair_diagrams_fourth_order", "MA19+KPM", "MA19 (3.2), KPM (21), (A1)-(A3)")
def pair_diagrams_fourth_order(claimed: dict[str, int] = FOURTH_ORDER_COUNTS) -> Verdict:
    """Fourth order: 15 pairings = 7 pure self-energy (of which 2 Bourret chains) + 6 mixed + 2 two-interaction."""
    found = dict(Counter(classify(d) for d in pair_diagrams(4)))
    # (n-1)!! pairings for each of the n+1 splits (n_A, n_B): 7 * 15 = 105 terms at sixth order
    ok = found == claimed and sum(found.values()) == 5 * 3 and len(pair_diagrams(6)) == 7 * 15
    return verdict(ok, f"{sum(found.values())} pairings at 4th order: {found}")


# ------------------------------------------------------------------------------------------------
# Independent check of the time domains: the second-order term of U^A (x) U^B* from the equations
# of motion of a finite-dimensional model, against the diagram integrals.
# ------------------------------------------------------------------------------------------------
_OMEGA, _DT = 1.3, 2.0
_NODES = 24


@cache
def _model() -> tuple[np.ndarray, Callable[[float], np.ndarray], Callable[[float, float], np.ndarray]]:
    """Spin-1 model: L0 = -i Omega J_z, dL(t) = -i w(t).J with a smooth deterministic w(t)."""
    M = angular_momentum_matrices(1)
    J = [np.array(M[k].evalf(), dtype=complex) for k in ("x", "y", "z")]
    L0 = -1j * _OMEGA * J[2]

    def dL(t: float) -> np.ndarray:
        w = (np.cos(0.7 * t) + 0.3, np.sin(1.9 * t) - 0.2 * t, 0.5 * t * t)
        return -1j * sum(wi * Ji for wi, Ji in zip(w, J))

    def U0(t: float, s: float) -> np.ndarray:
        return np.diag(np.exp(1j * _OMEGA * (t - s) * np.diag(J[2]).real))

    return L0, dL, U0


@cache
def ode_second_order() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """U0, U1, U2 at t = Delta T from dU_n/dt = -L0 U_n - dL U_(n-1) (order by order in dL)."""
    L0, dL, _ = _model()

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        u = y.view(complex).reshape(3, 3, 3)
        d = np.empty_like(u)
        d[0] = -L0 @ u[0]
        d[1] = -L0 @ u[1] - dL(t) @ u[0]
        d[2] = -L0 @ u[2] - dL(t) @ u[1]
        return d.reshape(-1).view(float)

    y0 = np.zeros((3, 3, 3), complex)
    y0[0] = np.eye(3)
    sol = solve_ivp(rhs, (0.0, _DT), y0.reshape(-1).view(float), method="DOP853", rtol=1e-12, atol=1e-13)
    u = sol.y[:, -1].view(complex).reshape(3, 3, 3)
    return u[0], u[1], u[2]


@cache
def _line_term(times: tuple[float, ...]) -> np.ndarray:
    """U0(t, t_n) dL(t_n) ... dL(t_1) U0(t_1, t0) with the Dyson sign (-1)^n, times latest first."""
    _, dL, U0 = _model()
    out, later = np.eye(3, dtype=complex), _DT
    for s in times:
        out = out @ U0(later, s) @ (-dL(s))
        later = s
    return out @ U0(later, 0.0)


@cache
def diagram_second_order(domain_1a: str, domain_1c: str) -> np.ndarray:
    """(1a) + (1b) + (1c) of U^A (x) U^B* by Gauss-Legendre quadrature on the claimed time domains."""
    x, w = np.polynomial.legendre.leggauss(_NODES)
    s, ws = 0.5 * _DT * (x + 1), 0.5 * _DT * w

    def double(domain: str, f: Callable[[float, float], np.ndarray]) -> np.ndarray:
        total = np.zeros((9, 9), complex)
        for a, wa in zip(s, ws):
            if domain == "square":
                inner = zip(s, ws)
            elif domain == "ordered":  # b < a
                inner = zip(0.5 * a * (x + 1), 0.5 * a * w)
            else:
                raise ValueError(f"domain must be 'square' or 'ordered', got {domain!r}")
            for b, wb in inner:
                total += wa * wb * f(a, b)
        return total

    u0 = _line_term(())
    self_a = double(domain_1a, lambda a, b: np.kron(_line_term((a, b)), u0.conj()))
    self_b = double(domain_1a, lambda a, b: np.kron(u0, _line_term((a, b)).conj()))
    inter = double(domain_1c, lambda a, b: np.kron(_line_term((a,)), _line_term((b,)).conj()))
    return self_a + self_b + inter


@identity("dyson_time_domains", "MA19+KPM", "MA19 (2.6), (3.13), (3.18); KPM (23), (41)")
def dyson_time_domains(domain_1a: str = "ordered", domain_1c: str = "square") -> Verdict:
    """(1a) integrates t0 < t1 < t2 < t, (1c) the full square: checked against the equations of motion."""
    u0, u1, u2 = ode_second_order()
    exact = np.kron(u2, u0.conj()) + np.kron(u1, u1.conj()) + np.kron(u0, u2.conj())
    diag = diagram_second_order(domain_1a, domain_1c)
    err = float(np.max(np.abs(diag - exact)) / np.max(np.abs(exact)))
    return verdict(err < 1e-9, f"(1a) {domain_1a}, (1c) {domain_1c}: relative deviation from the ODE {err:.1e}")
