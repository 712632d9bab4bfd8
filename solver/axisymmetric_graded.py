"""Graded variables of the real-space (mu, tau) integral of Lambda (crmix.solver.axisymmetric_lambda).

The integrand has power-law corners where a radius vanishes: r = |mu| tau at mu = 0, r_perp = sqrt(1 - mu^2) rho
at mu = +-1, and the helix's returns r -> 0 at tau_j = 2 pi j/Omega.  On segments towards such a point the
variable is x = anchor + side e^v, which makes the power laws smooth in v; elsewhere x = v.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["GRADE_WIDTH", "Graded", "lag_rule", "mu_map", "tau_map"]

#: Smallest distance of the graded variables from their singular points (the slivers left out are below rounding).
GRADE_FLOOR = 1e-13
#: Width of the initial panels in a graded (logarithmic) variable.
GRADE_WIDTH = 4.0


@dataclass(frozen=True)
class Graded:
    """A piecewise change of variables x(v) on disjoint v-segments: x = anchor + side e^(v - v_lo) on graded
    segments (power laws at the anchor become smooth; the exponent stays within the segment's few tens however
    many segments come before), x = anchor + v on linear ones; every box stays inside one segment."""

    segments: tuple[tuple[float, float, float, float], ...]  # (v_lo, v_hi, anchor, side); side 0: linear

    @staticmethod
    def build(pieces: list[tuple[float, float, float, float]]) -> Graded:
        """``pieces`` of (x-range lo, hi, anchor, side) with side = +-1 (graded towards the anchor) or 0."""
        out, offset = [], 0.0
        for lo, hi, anchor, side in pieces:
            if side == 0:
                out.append((offset, offset + hi - lo, lo - offset, 0.0))
                offset += hi - lo + 1.0
                continue
            a, b = sorted((math.log(abs(lo - anchor)), math.log(abs(hi - anchor))))
            out.append((offset, offset + b - a, anchor, side * math.exp(a)))
            offset += b - a + 1.0
        return Graded(tuple(out))

    def panels(self, width: float) -> list[tuple[float, float]]:
        out = []
        for lo, hi, _, side in self.segments:
            n = max(1, math.ceil((hi - lo) / (width if side else max(hi - lo, 1e-300))))
            edges = np.linspace(lo, hi, n + 1)
            out += list(zip(edges[:-1], edges[1:]))
        return out

    def __call__(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """x(v) and |dx/dv|."""
        lows = np.array([s[0] for s in self.segments])
        idx = np.clip(np.searchsorted(lows, v, side="right") - 1, 0, len(lows) - 1)
        anchor = np.array([s[2] for s in self.segments])[idx]
        side = np.array([s[3] for s in self.segments])[idx]
        graded = side != 0
        ev = np.where(graded, np.exp(np.where(graded, v - lows[idx], 0.0)), 0.0)
        return np.where(graded, anchor + side * ev, anchor + v), np.where(graded, np.abs(side) * ev, 1.0)


def mu_map(along_b0: bool = True) -> Graded:
    """mu in [0, 1], graded towards 0 (r = |mu| tau; only where r has a part along B0, ``along_b0``) and towards 1
    (r_perp = sqrt(1 - mu^2) rho)."""
    low = (GRADE_FLOOR, 0.5, 0.0, 1.0) if along_b0 else (0.0, 0.5, 0.0, 0.0)
    return Graded.build([low, (0.5, 1.0 - GRADE_FLOOR, 1.0, -1.0)])


def tau_map(tau_lo: float, dt: float, omega: float) -> Graded:
    """tau in [tau_lo, dT], graded towards 0 and towards both sides of every return tau_j = 2 pi j/Omega."""
    if omega == 0:
        return Graded.build([(tau_lo, dt, 0.0, 1.0)])
    half = math.pi / omega
    pieces = [(tau_lo, min(half, dt), 0.0, 1.0)]
    j = 1
    while 2 * j * half - half < dt:
        tj = 2 * j * half
        gap = GRADE_FLOOR * half
        pieces.append((tj - half, min(tj - gap, dt), tj, -1.0))
        if tj + gap < dt:
            pieces.append((tj + gap, min(tj + half, dt), tj, 1.0))
        j += 1
    return Graded.build([p for p in pieces if p[1] > p[0]])


def _lags_before(x: np.ndarray, period: float) -> np.ndarray:
    """sum_{j >= 0, j P <= x} (x - j P) for x >= 0, P = ``period``."""
    m = np.floor(x / period) + 1.0
    return m * x - 0.5 * period * m * (m - 1.0)


def lag_rule(tau_lo: float, dt: float, omega: float, periodic: bool) -> tuple[Graded, Callable[[np.ndarray], np.ndarray]]:
    """The look-back variable of the (mu, tau) integral and its weight g: int_0^dT (dT - tau) F dtau = int g F dtau.

    ``periodic``: F depends on tau through Omega tau alone, with the period P = 2 pi/Omega and even about P/2
    (across B0 on helices: r_perp = sqrt(1 - mu^2) 2|sin(Omega tau/2)|/Omega, weights in cos Omega tau).  Then
    every lag folds onto sigma in [0, P/2], which collects the lags j P + sigma and j P - sigma in [0, dT]:
    g(sigma) = A(dT - sigma) + A(dT + sigma) - (dT + sigma), A(x) = sum_{j >= 0, j P <= x} (x - j P), linear
    but for a kink at min(dT mod P, P - dT mod P), where the rule splits; its cost does not grow with dT.
    Otherwise (or for dT < P/2) tau in [tau_lo, dT] graded at the returns (``tau_map``) and g = dT - tau.
    """
    half = math.pi / omega if omega > 0 else math.inf
    if not periodic or dt < half:
        return tau_map(tau_lo, dt, omega), lambda tau: dt - tau
    period = 2.0 * half
    rest = dt % period
    kink = min(rest, period - rest)
    pieces = [(tau_lo, kink, 0.0, 1.0), (kink, half, 0.0, 1.0)] if tau_lo < kink < half * (1.0 - 1e-12) else [(tau_lo, half, 0.0, 1.0)]

    def weight(sigma: np.ndarray) -> np.ndarray:
        return _lags_before(dt - sigma, period) + _lags_before(dt + sigma, period) - (dt + sigma)

    return Graded.build(pieces), weight
