"""Adaptive Gauss-Legendre cubature of vector integrands over boxes, with an error estimate from the rule's own nodes.

The generic mixing matrix integrates an expensive vector-valued integrand (thousands of entries
per wave vector) over a line (slab: k along B0; 2D: k perpendicular) or over the half-plane of
(k_par, k_perp) (full support).  Every node costs a Bessel series and a spherical-harmonic
projection, so the error is estimated without extra evaluations, as in crmix.solver.integrals:
on a panel with an n_1 x ... x n_d tensor Gauss rule the node values f are expanded in Legendre
polynomials of the panel variables by the discrete transform c = (V_1 x ... x V_d) f, exact for
the part of degree < n_d in each variable.  The coefficients with an index among the last four
in any variable estimate the unresolved part r, and

    |int r - Q[r]| <= 2 sqrt(vol) ||r||_2 = 2 sqrt(2^d) J ||r||_ref       (Cauchy-Schwarz; J = prod h_i),

entry by entry, plus a rounding floor 4 eps int |f|.  Panels are bisected (along the variable
whose tail is larger) until the summed bound is below the caller's tolerance vector -- or, with a
``measure`` (a nonnegative linear functional of the error vector, e.g. the error it propagates into a
contraction, in units of the tolerance), until the measure of the summed bound is <= 1 -- or a node
budget is spent (then a RuntimeWarning, and the result carries the bound it reached).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import special
from tqdm.auto import tqdm

__all__ = ["TAIL_COEFFICIENTS", "Box", "CubatureResult", "adaptive_cubature"]

#: Trailing Legendre coefficients per variable that estimate the unresolved part.
TAIL_COEFFICIENTS = 4
_NOISE = 4.0 * np.finfo(float).eps

#: A box (lower corner, upper corner) in the integration variables.
Box = tuple[tuple[float, ...], tuple[float, ...]]
#: points (P, d) -> values (P, n_entries); the integrand in the box variables, Jacobians included.
Sample = Callable[[np.ndarray], np.ndarray]
#: current value (n_entries,) -> the absolute error allowed per entry (n_entries,), > 0.
Tolerance = Callable[[np.ndarray], np.ndarray]
#: error bounds (..., n_entries) -> their size in units of the tolerance (...): converged at <= 1.
Measure = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class CubatureResult:
    """Integral, its error bound per entry, the number of integrand evaluations and panels, and
    whether the tolerance was met."""

    value: np.ndarray
    error: np.ndarray
    nodes: int
    panels: int
    converged: bool


@dataclass(frozen=True)
class _Panel:
    box: Box
    value: np.ndarray
    error: np.ndarray
    split_axis: int


@lru_cache(maxsize=16)
def _rule(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Nodes, weights, the transform V[m, i] = (2m+1)/2 w_i P_m(x_i), and ||P_m||^2 = 2/(2m+1)."""
    if n < TAIL_COEFFICIENTS + 2:
        raise ValueError(f"cubature order must be >= {TAIL_COEFFICIENTS + 2}, got {n}")
    x, w = special.roots_legendre(n)
    m = np.arange(n)
    vander = np.polynomial.legendre.legvander(x, n - 1)  # (i, m)
    transform = ((2 * m + 1) / 2.0)[:, None] * (vander * w[:, None]).T
    return x, w, transform, 2.0 / (2 * m + 1)


def _nodes(box: Box, orders: Sequence[int]) -> tuple[np.ndarray, np.ndarray, float]:
    """Tensor-product nodes (P, d) of the box, their weights (P,), and the Jacobian prod h_i."""
    lo, hi = np.asarray(box[0], float), np.asarray(box[1], float)
    half = (hi - lo) / 2
    axes = [(lo[i] + hi[i]) / 2 + half[i] * _rule(n)[0] for i, n in enumerate(orders)]
    wts = [_rule(n)[1] for n in orders]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(orders))
    weight = wts[0]
    for w in wts[1:]:
        weight = np.multiply.outer(weight, w)
    return grid, weight.reshape(-1), float(np.prod(half))


def _reduce(box: Box, orders: Sequence[int], values: np.ndarray) -> _Panel:
    """Integral, error bound and preferred split variable of one panel from its node values (P, E)."""
    d = len(orders)
    lo, hi = np.asarray(box[0], float), np.asarray(box[1], float)
    jac = float(np.prod((hi - lo) / 2))
    f = values.reshape(*orders, values.shape[-1])
    coeff = f
    norms = []
    for axis, n in enumerate(orders):
        _, _, transform, norm = _rule(n)
        coeff = np.moveaxis(np.tensordot(transform, coeff, axes=([1], [axis])), 0, axis)
        norms.append(norm)
    weight = np.ones(orders)
    for axis, norm in enumerate(norms):
        shape = [1] * d
        shape[axis] = orders[axis]
        weight = weight * norm.reshape(shape)
    energy = np.abs(coeff) ** 2 * weight[..., None]
    tails = []
    in_any_tail = np.zeros(orders, dtype=bool)
    for axis, n in enumerate(orders):
        mask = np.zeros(orders, dtype=bool)
        index = [slice(None)] * d
        index[axis] = slice(n - TAIL_COEFFICIENTS, n)
        mask[tuple(index)] = True
        in_any_tail |= mask
        tails.append(float(np.sum(energy[mask])))
    tail_norm = np.sqrt(np.sum(energy[in_any_tail], axis=0))
    wflat = np.ones(1)
    for n in orders:
        wflat = np.multiply.outer(wflat, _rule(n)[1])
    wflat = wflat.reshape(-1)
    value = jac * (wflat @ values)
    floor = _NOISE * jac * (wflat @ np.abs(values))
    error = 2.0 * math.sqrt(2.0**d) * jac * tail_norm + floor
    return _Panel(box=box, value=value, error=error, split_axis=int(np.argmax(tails)))


def _bisect(box: Box, axis: int) -> list[Box]:
    lo, hi = list(box[0]), list(box[1])
    mid = 0.5 * (lo[axis] + hi[axis])
    left_hi, right_lo = hi.copy(), lo.copy()
    left_hi[axis], right_lo[axis] = mid, mid
    return [(tuple(lo), tuple(left_hi)), (tuple(right_lo), tuple(hi))]


def adaptive_cubature(sample: Sample, initial: Sequence[Box], orders: Sequence[int], tolerance: Tolerance | None, *,
                      max_nodes: int, progress: bool = False, label: str = "cubature",
                      measure: Measure | None = None) -> CubatureResult:
    """int f over the union of the ``initial`` boxes, refined until the error bound meets ``tolerance``
    (per entry), or until ``measure`` of it is <= 1 (module docstring).

    ``orders``: Gauss nodes per variable on every panel.  ``max_nodes`` caps the integrand
    evaluations; reaching it warns and returns the bound reached (``converged`` False).
    """
    if (tolerance is None) == (measure is None):
        raise ValueError("adaptive_cubature needs exactly one of tolerance and measure")
    orders = tuple(int(n) for n in orders)
    per_panel = int(np.prod(orders))
    todo = list(initial)
    panels: list[_Panel] = []
    used = 0
    bar = tqdm(desc=label, unit="node", disable=not progress)
    converged = False
    while True:
        for box in todo:
            points, _, _ = _nodes(box, orders)
            panels.append(_reduce(box, orders, np.asarray(sample(points), dtype=float)))
            used += per_panel
            bar.update(per_panel)
        value = np.sum([p.value for p in panels], axis=0)
        errors = np.stack([p.error for p in panels])
        if measure is not None:
            if float(measure(np.sum(errors, axis=0))) <= 1.0:
                converged = True
                break
            share = np.asarray(measure(errors), dtype=float)  # each panel's error in units of the tolerance
        else:
            tau = np.asarray(tolerance(value), dtype=float)
            if np.all(np.sum(errors, axis=0) <= tau):
                converged = True
                break
            share = np.max(errors / tau[None, :], axis=1)  # each panel's largest error in units of the tolerance
        order = np.argsort(-share, kind="stable")
        rest = np.cumsum(share[order][::-1])[::-1]  # rest[i] = sum of share over order[i:]
        n_refine = max(int(np.searchsorted(-rest, -0.5, side="left")), 1)
        chosen = order[:n_refine]
        if used + 2 * per_panel * len(chosen) > max_nodes:
            bar.close()
            warnings.warn(f"{label}: stopped at {used} integrand evaluations (max_nodes = {max_nodes}) before the error "
                          "bound met the tolerance; the returned error says how far it got", RuntimeWarning, stacklevel=2)
            break
        todo = [new for i in chosen for new in _bisect(panels[i].box, panels[i].split_axis)]
        drop = set(chosen.tolist())
        panels = [p for i, p in enumerate(panels) if i not in drop]
    bar.close()
    return CubatureResult(value=np.sum([p.value for p in panels], axis=0),
                          error=np.sum([p.error for p in panels], axis=0),
                          nodes=used, panels=len(panels), converged=converged)
