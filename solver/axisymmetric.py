"""The generic mixing matrix M = 1 + 2 M^(1a) + M^(1c) for axisymmetric turbulence on helical orbits.

For any correlation tensor symmetric about B0 (crmix.spectral_tensors: slab, isotropic, 2D,
composites, or a user's) and the unperturbed orbits of a regular field Omega > 0 (helices) or of
none (Omega = 0, straight lines), M^(1a) and M^(1c) of KPM (17) are reduced to k-integrals
(docs/physics.md, "Axisymmetric turbulence on helical orbits"):

* per wave vector, the field seen along the backward orbit is expanded in spherical harmonics
  (Jacobi-Anger on the helix, the plane-wave expansion on straight lines;
  crmix.solver.axisymmetric_orbits), and its recoupling to rank J gives the Gram blocks K^J
  (crmix.solver.axisymmetric_coupling);
* K^J and the (1a) density Lambda are integrated over the tensor's support -- a line (slab,
  2D) or the (k, cos theta_k) half-plane (full) -- by adaptive cubature with an error estimate
  (crmix.solver.axisymmetric_cubature);
* M^(1a)_{ll} = -l(l+1) Lambda, M^(1c) = the O(l_max^3) contraction of K^J with the generated
  coupling weights.

M is linear in the tensor, so a composite is the sum of its components.  A slab component with
the slab polarisation may use the slab closed forms instead (``slab_closed_form``, KPM (38),
(47); crmix.solver.mixing), which the generic path reproduces.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from crmix.solver.axisymmetric_coupling import GRAM_ENTRIES, contract_m1c, gram_blocks
from crmix.solver.axisymmetric_cubature import Box, adaptive_cubature
from crmix.solver.axisymmetric_orbits import helix_multipoles, mu_nodes, straight_multipoles
from crmix.solver.mixing import MixingMatrix, m1a_diagonal, m1c_matrix
from crmix.spectral_tensors import AxisymmetricTensor, TensorComponent
from crmix.validation import integer, real

__all__ = ["DEFAULT_MAX_NODES", "GENERIC_RTOL", "GenericIntegrals", "GenericMixingMatrix", "axisymmetric_mixing_matrix",
           "generic_integrals", "initial_wave_vectors", "is_standard_slab"]

#: Default relative tolerance of the generic path's cubature (benchmarks/axisymmetric.py).
GENERIC_RTOL = 1e-8
#: Integrand evaluations allowed per component before the cubature stops with a warning.
DEFAULT_MAX_NODES = 400_000
#: Relative floor of the per-block scale sqrt(K^J_dd) in the error target (as crmix.solver.integrals).
SCALE_FLOOR = 1e-3
#: Gauss order per panel variable.
PANEL_ORDER = 32
#: Largest initial panel width in k, in units of 1/(bandwidth in k of the integrand).
PANEL_PERIODS = 40.0
#: Largest initial panel width in ln k.
DLOGK0 = 0.5


@dataclass(frozen=True)
class GenericIntegrals:
    """The k-integrals of the generic path for one tensor component or a sum of them.

    lam, lam_error     Lambda (M^(1a)_ll = -l(l+1) Lambda) and its error bound.
    gram, gram_error   (GRAM_ENTRIES, 2 lmax + 1): Re K^J_00, K^J_--, K^J_++, K^J_-+ integrated.
    nodes              integrand evaluations (wave vectors) used.
    converged          every cubature met its tolerance.
    """

    lmax: int
    lam: float
    lam_error: float
    gram: np.ndarray
    gram_error: np.ndarray
    nodes: int
    converged: bool

    def __add__(self, other: GenericIntegrals) -> GenericIntegrals:
        if other.lmax != self.lmax:
            raise ValueError(f"cannot add generic integrals with lmax {self.lmax} and {other.lmax}")
        return GenericIntegrals(self.lmax, self.lam + other.lam, self.lam_error + other.lam_error,
                                self.gram + other.gram, self.gram_error + other.gram_error,
                                self.nodes + other.nodes, self.converged and other.converged)


@dataclass(frozen=True)
class GenericMixingMatrix(MixingMatrix):
    """A :class:`crmix.solver.mixing.MixingMatrix` with the generic path's statistics.

    nodes       wave vectors the cubature evaluated (0 when every component had a closed form).
    converged   every cubature met its tolerance (else ``error`` says how far it got).
    """

    nodes: int = 0
    converged: bool = True


def _check(tensor: AxisymmetricTensor, omega: float, dt: float, lmax: int, rtol: float,
           max_nodes: int) -> tuple[float, float, int, float, int]:
    if not isinstance(tensor, AxisymmetricTensor):
        raise ValueError(f"tensor must be a crmix.spectral_tensors.AxisymmetricTensor, got {type(tensor).__name__}")
    omega = real("omega (the gyrofrequency Omega in the regular field)", omega, ge=0)
    dt = real("dt (the time interval Delta T)", dt, gt=0)
    lmax = integer("lmax", lmax, ge=2)
    rtol = real("rtol", rtol, ge=1e-13, lt=1)
    max_nodes = integer("max_nodes", max_nodes, ge=1)
    return omega, dt, lmax, rtol, max_nodes


def _node_vector(component: TensorComponent, k: float, c: float, omega: float, dt: float, lmax_field: int) -> np.ndarray:
    """[Lambda, K^J blocks (flattened)] of one wave vector (k, c = cos theta_k) with the component's density."""
    s_cart = np.asarray(component.density(np.array(k), np.array(c), np), dtype=complex)
    if omega > 0:
        k_par, k_perp = k * c, k * math.sqrt(max(1.0 - c * c, 0.0))
        mp = helix_multipoles(k_par, k_perp, s_cart, dt, omega, lmax_field)
    else:
        mp = straight_multipoles(k, c, s_cart, dt, lmax_field)
    return np.concatenate([[mp.lambda_density], gram_blocks(mp.w, mp.n_eff, s_cart).reshape(-1)])


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


def _tolerance(rtol: float, jmax: int):
    def tolerance(value: np.ndarray) -> np.ndarray:
        lam, gram = value[0], value[1:].reshape(GRAM_ENTRIES, jmax + 1)
        diag = np.sqrt(np.maximum(np.abs(gram[:3]), 0.0))
        scale = np.maximum(diag, SCALE_FLOOR * max(float(np.max(diag)), 1e-300))
        target = np.concatenate([scale[0] ** 2, scale[1] ** 2, scale[2] ** 2, scale[1] * scale[2]])
        return rtol * np.concatenate([[max(abs(float(lam)), 1e-300)], target])

    return tolerance


def _panels(component: TensorComponent, omega: float, dt: float, lmax_field: int) -> tuple[list[Box], tuple[int, ...]]:
    """The initial cubature boxes (ln k, and c for full support) and the Gauss orders per variable."""
    edges = [math.log(e) for e in _k_edges(component.kmin, component.kmax, PANEL_PERIODS / _bandwidth(component, omega, dt))]
    if not component.where.full:
        return [((lo,), (hi,)) for lo, hi in zip(edges[:-1], edges[1:])], (PANEL_ORDER,)
    boxes: list[Box] = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        n_c = 1 if omega == 0 else max(1, math.ceil(math.exp(hi) * (2.0 * dt + 4.0 / omega) / PANEL_PERIODS))
        c_edges = np.linspace(-1.0, 1.0, n_c + 1)
        boxes += [((lo, a), (hi, b)) for a, b in zip(c_edges[:-1], c_edges[1:])]
    # straight lines: the integrand is a polynomial in c of degree <= 2 lmax_field + 2 (exact rule)
    return boxes, (PANEL_ORDER, PANEL_ORDER if omega > 0 else 8 * math.ceil((lmax_field + 2) / 8) + 8)


def initial_wave_vectors(component: TensorComponent, omega: float, dt: float, lmax: int) -> tuple[np.ndarray, np.ndarray]:
    """Wave vectors per box of the cubature's first pass for M up to ``lmax``, and each box's central k (estimates)."""
    boxes, orders = _panels(component, omega, dt, 2 * lmax)
    per_box = math.prod(orders) * (1 if component.where.full else len(component.where.directions or ()))
    k_mid = np.exp([0.5 * (lo[0] + hi[0]) for lo, hi in boxes])
    return np.full(len(boxes), float(per_box)), k_mid


def _component_integrals(component: TensorComponent, omega: float, dt: float, lmax: int, rtol: float,
                         max_nodes: int, progress: bool) -> GenericIntegrals:
    lmax_field = 2 * lmax
    boxes, orders = _panels(component, omega, dt, lmax_field)
    if component.where.full:

        def sample(points: np.ndarray) -> np.ndarray:
            # nodes that share a mu rule share its spherical-harmonic table: evaluate them together
            k = np.exp(points[:, 0])
            c = points[:, 1]
            keys = [mu_nodes(lmax_field, kk * cc, kk * math.sqrt(max(1 - cc * cc, 0.0)), dt, omega) if omega > 0 else 0
                    for kk, cc in zip(k, c)]
            out = np.empty((points.shape[0], 1 + GRAM_ENTRIES * (lmax_field + 1)))
            for i in sorted(range(points.shape[0]), key=lambda i: keys[i]):
                out[i] = k[i] * _node_vector(component, k[i], c[i], omega, dt, lmax_field)
            return out
    else:
        directions = component.where.directions or ()

        def sample(points: np.ndarray) -> np.ndarray:
            return np.stack([math.exp(t) * sum(_node_vector(component, math.exp(t), c, omega, dt, lmax_field)
                                               for c in directions) for (t,) in points])

    result = adaptive_cubature(sample, boxes, orders, _tolerance(rtol, lmax_field), max_nodes=max_nodes,
                               progress=progress, label=f"generic M ({component.name})")
    n = lmax_field + 1
    return GenericIntegrals(lmax=lmax, lam=float(result.value[0]), lam_error=float(result.error[0]),
                            gram=result.value[1:].reshape(GRAM_ENTRIES, n), gram_error=result.error[1:].reshape(GRAM_ENTRIES, n),
                            nodes=result.nodes, converged=result.converged)


def generic_integrals(tensor: AxisymmetricTensor, omega: float, dt: float, lmax: int, *, rtol: float = GENERIC_RTOL,
                      max_nodes: int = DEFAULT_MAX_NODES, progress: bool = False) -> GenericIntegrals:
    """Lambda and the Gram vector of ``tensor`` (summed over its components) for M up to ``lmax``."""
    omega, dt, lmax, rtol, max_nodes = _check(tensor, omega, dt, lmax, rtol, max_nodes)
    parts = [_component_integrals(c, omega, dt, lmax, rtol, max_nodes, progress) for c in tensor.components]
    return sum(parts[1:], parts[0])


def is_standard_slab(component: TensorComponent) -> bool:
    """True when the component has the slab support and polarisation diag(1, 1, 0)/4 of KPM (28)."""
    if not component.where.along_b0:
        return False
    k = np.array([component.kmin, math.sqrt(component.kmin * component.kmax), component.kmax])
    pol = np.asarray(component.polarisation(k, np.ones(3), np))
    return bool(np.allclose(pol, np.diag([0.25, 0.25, 0.0]), rtol=0, atol=1e-14))


def _slab_closed_form(component: TensorComponent, omega: float, dt: float, lmax: int,
                      rtol: float) -> tuple[np.ndarray, np.ndarray, float]:
    """M^(1a) diagonal, M^(1c) and their error from KPM (38), (47) with G = E/2 (crmix.solver.mixing)."""
    from crmix.solver.integrals import kappa, lambda_l

    def weight(k, xp=np):
        k = xp.asarray(k, dtype=float)
        inside = (k >= component.kmin) & (k <= component.kmax)
        return xp.where(inside, 0.5 * component.spectrum(xp.where(inside, k, component.kmin), xp), 0.0)

    lam = lambda_l(weight, component.kmin, component.kmax, dt, omega, 2, rtol=rtol)
    kap = kappa(weight, component.kmin, component.kmax, dt, omega, 2 * lmax, rtol=rtol)
    m1a, err_a = m1a_diagonal(float(lam.value[0]), float(lam.value[2]), lmax, "slab",
                              lambda_error=(float(lam.error[0]), float(lam.error[2])))
    m1c, err_c = m1c_matrix(kap.value, lmax, "slab", kappa_error=kap.error)
    return np.asarray(m1a), np.asarray(m1c), 2.0 * err_a + err_c


def axisymmetric_mixing_matrix(tensor: AxisymmetricTensor, omega: float, dt: float, lmax: int, *,
                               rtol: float = GENERIC_RTOL, slab_closed_form: bool = True,
                               max_nodes: int = DEFAULT_MAX_NODES, progress: bool = False) -> GenericMixingMatrix:
    """M(dt) = 1 + 2 M^(1a) + M^(1c) of ``tensor`` on helices (omega > 0) or straight lines (omega = 0).

    Units: omega and dt in Omega_ref and 1/Omega_ref (crmix.model); the tensor's spectra in the same
    units.  ``slab_closed_form``: slab components with the KPM (28) polarisation use the closed forms.
    ``error`` of the result bounds the entries' error from the quadrature error estimates.
    """
    omega, dt, lmax, rtol, max_nodes = _check(tensor, omega, dt, lmax, rtol, max_nodes)
    ell = np.arange(lmax + 1, dtype=float)
    m1a = np.zeros(lmax + 1)
    m1c = np.zeros((lmax + 1, lmax + 1))
    error = 0.0
    generic = []
    nodes, converged = 0, True
    for component in tensor.components:
        if slab_closed_form and is_standard_slab(component):
            a, c, e = _slab_closed_form(component, omega, dt, lmax, rtol)
            m1a, m1c, error = m1a + a, m1c + c, error + e
        else:
            generic.append(component)
    if generic:
        integrals = generic_integrals(AxisymmetricTensor(tuple(generic)), omega, dt, lmax, rtol=rtol,
                                      max_nodes=max_nodes, progress=progress)
        c, err_c = contract_m1c(integrals.gram, lmax, integrals.gram_error)
        m1a = m1a - ell * (ell + 1) * integrals.lam
        m1c = m1c + c
        error += 2.0 * lmax * (lmax + 1) * integrals.lam_error + err_c
        nodes, converged = integrals.nodes, integrals.converged
    return GenericMixingMatrix(dt=dt, lmax=lmax, m1a=m1a, m1c=m1c, error=error, nodes=nodes, converged=converged)
