"""Wave vectors of the generic mixing matrix: what one mode contributes, and the cubature's panels.

One wave vector k = (k_perp, 0, k_par) of a tensor component (crmix.spectral_tensors) contributes to
M^(1c) through its Gram blocks K^J (crmix.solver.axisymmetric_coupling) of the field it shows along
the orbits (crmix.solver.axisymmetric_orbits), and to M^(1a) through the density Lambda; ``node_vector``
returns them.  The integrand is integrated over the component's support -- a line (slab: k along B0;
2D: k perpendicular) in ln k, or the (ln k, c) half-plane -- by the adaptive cubature of
crmix.solver.axisymmetric_cubature, on initial panels (``panels``) at most ``DLOGK0`` wide in ln k and,
where the integrand oscillates, a fixed number of its periods wide: in k_par its bandwidth is 2 dT
(the particles' displacements along B0), across B0 twice the gyration diameter.

With ``structured`` the uniform part of K^1_{--} (the uniform field's, which cancels its (1a) part in M;
crmix.solver.axisymmetric_coupling) is taken off every mode, and Lambda is left out (the generic path
then computes it in real space, crmix.solver.axisymmetric_lambda); modes perpendicular to B0 then
take the FFT route of crmix.solver.axisymmetric_perpendicular.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from crmix.solver.axisymmetric_coupling import GRAM_ENTRIES, UNIFORM_ENTRY, gram_blocks, uniform_gram
from crmix.solver.axisymmetric_cubature import Box
from crmix.solver.axisymmetric_orbits import helix_multipoles, mu_nodes, straight_multipoles
from crmix.solver.axisymmetric_perpendicular import perpendicular_multipoles
from crmix.spectral_tensors import TensorComponent

__all__ = ["DLOGK0", "PANEL_ORDER", "PANEL_PERIODS", "initial_wave_vectors", "multipole_reach", "node_sampler", "node_vector", "panels"]

#: Gauss order per panel variable.
PANEL_ORDER = 32
#: Largest initial panel width in k, in units of 1/(bandwidth in k of the integrand).
PANEL_PERIODS = 40.0
#: Largest initial panel width in ln k.
DLOGK0 = 0.5


def multipole_reach(k: float, c: float, omega: float, dt: float) -> int:
    """Largest multipole L of the field a mode shows along the orbits (|j_L| < 1e-17 beyond): the orbit's
    reach |A(s)^T k| <= sqrt(k_perp^2 (2/Omega)^2 + k_par^2 dT^2) (dT on straight lines) plus the Airy
    margin 12 x^(1/3) of the Bessel functions' turning point, plus 10."""
    k_par2 = (k * c) ** 2
    perp = 2.0 / omega if omega > 0 else dt
    x = math.sqrt(max(k * k - k_par2, 0.0) * min(perp, dt) ** 2 + k_par2 * dt * dt)
    return int(x + 12.0 * x ** (1.0 / 3.0) + 10)


def node_vector(component: TensorComponent, k: float, c: float, omega: float, dt: float, lmax_field: int, *,
                structured: bool = False) -> np.ndarray:
    """[Lambda, K^J blocks (flattened)] of one wave vector (k, c = cos theta_k) with the component's density;
    with ``structured`` the K^J blocks alone, less the uniform part of K^1_{--} (module docstring).  Multipoles
    beyond the mode's reach (``multipole_reach``) vanish and are not computed."""
    s_cart = np.asarray(component.density(np.array(k), np.array(c), np), dtype=complex)
    reach = min(lmax_field, multipole_reach(k, c, omega, dt))
    if structured and omega > 0 and c == 0.0:  # perpendicular to B0: one FFT per multipole (no Lambda needed)
        w, n_eff, lam = perpendicular_multipoles(k, dt, omega, reach), reach, 0.0
    elif omega > 0:
        mp = helix_multipoles(k * c, k * math.sqrt(max(1.0 - c * c, 0.0)), s_cart, dt, omega, reach)
        w, n_eff, lam = mp.w, mp.n_eff, mp.lambda_density
    else:
        mp = straight_multipoles(k, c, s_cart, dt, reach)
        w, n_eff, lam = mp.w, mp.n_eff, mp.lambda_density
    gram = gram_blocks(w, n_eff, s_cart, lmax_field)
    if structured:
        gram[UNIFORM_ENTRY] -= uniform_gram(s_cart, omega, dt)
        return gram.reshape(-1)
    return np.concatenate([[lam], gram.reshape(-1)])


def _k_edges(kmin: float, kmax: float, dk_max: float) -> list[float]:
    """Panel edges in k: at most DLOGK0 wide in ln k and dk_max wide in k."""
    edges = [kmin]
    growth = math.exp(DLOGK0)
    while edges[-1] < kmax:
        edges.append(min(edges[-1] * growth, edges[-1] + dk_max))
    edges[-1] = kmax
    if len(edges) > 2 and (edges[-1] - edges[-2]) < 0.25 * (edges[-2] - edges[-3]):
        del edges[-2]
    return edges


def _bandwidth(component: TensorComponent, omega: float, dt: float) -> float:
    """Bandwidth in k of the integrand: twice the largest displacement along the wave vector over dt."""
    if component.where.perpendicular and omega > 0:
        return 2.0 * min(dt, 2.0 / omega)  # the gyration diameter bounds the perpendicular excursion
    return 2.0 * dt


def panels(component: TensorComponent, omega: float, dt: float, lmax_field: int, kmin: float | None = None,
           kmax: float | None = None, periods: float | None = None) -> tuple[list[Box], tuple[int, ...]]:
    """The initial cubature boxes (ln k, and c for full support) on [kmin, kmax] (default: the component's band),
    at most ``periods`` (default PANEL_PERIODS) times the inverse bandwidth wide, and the Gauss orders per variable."""
    periods = PANEL_PERIODS if periods is None else periods
    lo_k = component.kmin if kmin is None else kmin
    hi_k = component.kmax if kmax is None else kmax
    edges = [math.log(e) for e in _k_edges(lo_k, hi_k, periods / _bandwidth(component, omega, dt))]
    if not component.where.full:
        return [((lo,), (hi,)) for lo, hi in zip(edges[:-1], edges[1:])], (PANEL_ORDER,)
    boxes: list[Box] = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        n_c = 1 if omega == 0 else max(1, math.ceil(math.exp(hi) * (2.0 * dt + 4.0 / omega) / periods))
        c_edges = np.linspace(-1.0, 1.0, n_c + 1)
        boxes += [((lo, a), (hi, b)) for a, b in zip(c_edges[:-1], c_edges[1:])]
    # straight lines: the integrand is a polynomial in c of degree <= 2 lmax_field + 2 (exact rule)
    return boxes, (PANEL_ORDER, PANEL_ORDER if omega > 0 else 8 * math.ceil((lmax_field + 2) / 8) + 8)


def initial_wave_vectors(component: TensorComponent, omega: float, dt: float, lmax: int) -> tuple[np.ndarray, np.ndarray]:
    """Wave vectors per box of the cubature's first pass for M up to ``lmax``, and each box's central k (estimates)."""
    boxes, orders = panels(component, omega, dt, 2 * lmax)
    per_box = math.prod(orders) * (1 if component.where.full else len(component.where.directions or ()))
    k_mid = np.exp([0.5 * (lo[0] + hi[0]) for lo, hi in boxes])
    return np.full(len(boxes), float(per_box)), k_mid


def node_sampler(component: TensorComponent, omega: float, dt: float, lmax_field: int, *,
                 structured: bool = False) -> Callable[[np.ndarray], np.ndarray]:
    """The cubature's integrand: points (ln k, c) or (ln k,) -> k times ``node_vector`` summed over the line's directions."""
    if component.where.full:

        def sample(points: np.ndarray) -> np.ndarray:
            # nodes that share a mu rule share its spherical-harmonic table: evaluate them together
            k = np.exp(points[:, 0])
            c = points[:, 1]
            keys = [mu_nodes(lmax_field, kk * cc, kk * math.sqrt(max(1 - cc * cc, 0.0)), dt, omega) if omega > 0 else 0
                    for kk, cc in zip(k, c)]
            out = np.empty((points.shape[0], (0 if structured else 1) + GRAM_ENTRIES * (lmax_field + 1)))
            for i in sorted(range(points.shape[0]), key=lambda i: keys[i]):
                out[i] = k[i] * node_vector(component, k[i], c[i], omega, dt, lmax_field, structured=structured)
            return out

        return sample
    directions = component.where.directions or ()

    def sample_line(points: np.ndarray) -> np.ndarray:
        return np.stack([math.exp(t) * sum(node_vector(component, math.exp(t), c, omega, dt, lmax_field, structured=structured)
                                           for c in directions) for (t,) in points])

    return sample_line
