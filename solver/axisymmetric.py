"""The generic mixing matrix M = 1 + 2 M^(1a) + M^(1c) for axisymmetric turbulence on helical orbits.

For any correlation tensor symmetric about B0 (crmix.spectral_tensors: slab, isotropic, 2D,
composites, or a user's) and the unperturbed orbits of a regular field Omega > 0 (helices) or of
none (Omega = 0, straight lines), M^(1a) and M^(1c) of KPM (17) are reduced to k-integrals
(docs/physics.md, "Axisymmetric turbulence on helical orbits").  M is linear in the tensor; each
component takes one of three routes:

* a slab component with the KPM (28) polarisation: the slab closed forms (``slab_closed_form``,
  KPM (38), (47); crmix.solver.mixing), which the other routes reproduce;
* a component with a polarisation of crmix.spectral_tensors (isotropic, slab, 2D; ``realspace_kind``):
  Lambda in real space over the whole band (crmix.solver.axisymmetric_lambda: its cost does not
  grow with the band); M^(1c) by the wave-vector cubature of its Gram blocks less their uniform part
  (crmix.solver.axisymmetric_nodes), plus the uniform part in closed form (it cancels the uniform
  part of (1a) exactly); for full support the cubature stops at ``k_split`` and MA19's straight-line
  M^(1c) covers the rest, with its error estimated (crmix.solver.axisymmetric_tail);
* any other polarisation: Lambda and the Gram blocks together by the cubature over the whole band.

Tolerance.  What M is for is the net mixing 2 M^(1a) + M^(1c); its scale is 2 l_max(l_max + 1)
|Lambda - Lambda_0| (Lambda_0 the uniform part).  The cubature refines until the error it propagates
into M^(1c) (``gram_weights``) is below rtol times that scale, so the uniform parts, a hundred times
the net mixing at KPM's default band, neither cancel numerically nor set the accuracy.  Components
of the third route keep the per-entry tolerance of the Gram blocks (relative to sqrt(K^J_dd K^J_d'd'),
floored at SCALE_FLOOR of the largest, as crmix.solver.integrals does for kappa).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from crmix.generated import axisymmetric_realspace as gen_realspace
from crmix.solver.axisymmetric_coupling import GRAM_ENTRIES, UNIFORM_ENTRY, contract_m1c, gram_weights
from crmix.solver.axisymmetric_cubature import adaptive_cubature
from crmix.solver.axisymmetric_lambda import SLAB_KIND, RealSpaceLambda, realspace_kind, realspace_lambda, uniform_moments
from crmix.solver.axisymmetric_nodes import DLOGK0, initial_wave_vectors, node_sampler, panels
from crmix.solver.axisymmetric_tail import straight_m1c, tail_error
from crmix.solver.mixing import MixingMatrix, m1a_diagonal, m1c_matrix
from crmix.spectral_tensors import AxisymmetricTensor, TensorComponent
from crmix.validation import integer, real

__all__ = ["DEFAULT_MAX_NODES", "GENERIC_RTOL", "K_SPLIT", "GenericIntegrals", "GenericMixingMatrix", "axisymmetric_mixing_matrix",
           "generic_integrals", "initial_wave_vectors", "is_standard_slab"]

#: Default relative tolerance of the generic path (benchmarks/axisymmetric.py).
GENERIC_RTOL = 1e-8
#: Integrand evaluations allowed per cubature before it stops with a warning.
DEFAULT_MAX_NODES = 400_000
#: Relative floor of the per-block scale sqrt(K^J_dd) in the per-entry error target (as crmix.solver.integrals).
SCALE_FLOOR = 1e-3
#: Default k_split of full-support components, in units of Omega (crmix.solver.axisymmetric_tail).
K_SPLIT = 10.0


@dataclass(frozen=True)
class GenericIntegrals:
    """The k-integrals of the generic path's third route (all of Lambda and K^J by the cubature).

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

    nodes       wave vectors the cubatures evaluated (0 when every component had a closed form).
    converged   every cubature met its tolerance (else ``error`` says how far it got).
    tail_error  the part of ``error`` from the straight-line tails of full-support components.
    """

    nodes: int = 0
    converged: bool = True
    tail_error: float = 0.0


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


def _entry_tolerance(rtol: float, jmax: int):
    def tolerance(value: np.ndarray) -> np.ndarray:
        lam, gram = value[0], value[1:].reshape(GRAM_ENTRIES, jmax + 1)
        diag = np.sqrt(np.maximum(np.abs(gram[:3]), 0.0))
        scale = np.maximum(diag, SCALE_FLOOR * max(float(np.max(diag)), 1e-300))
        target = np.concatenate([scale[0] ** 2, scale[1] ** 2, scale[2] ** 2, scale[1] * scale[2]])
        return rtol * np.concatenate([[max(abs(float(lam)), 1e-300)], target])

    return tolerance


def _component_integrals(component: TensorComponent, omega: float, dt: float, lmax: int, rtol: float,
                         max_nodes: int, progress: bool) -> GenericIntegrals:
    """Lambda and K^J of one component by the cubature over its whole band (the third route)."""
    lmax_field = 2 * lmax
    boxes, orders = panels(component, omega, dt, lmax_field)
    result = adaptive_cubature(node_sampler(component, omega, dt, lmax_field), boxes, orders, _entry_tolerance(rtol, lmax_field),
                               max_nodes=max_nodes, progress=progress, label=f"generic M ({component.name})")
    n = lmax_field + 1
    return GenericIntegrals(lmax=lmax, lam=float(result.value[0]), lam_error=float(result.error[0]),
                            gram=result.value[1:].reshape(GRAM_ENTRIES, n), gram_error=result.error[1:].reshape(GRAM_ENTRIES, n),
                            nodes=result.nodes, converged=result.converged)


def generic_integrals(tensor: AxisymmetricTensor, omega: float, dt: float, lmax: int, *, rtol: float = GENERIC_RTOL,
                      max_nodes: int = DEFAULT_MAX_NODES, progress: bool = False) -> GenericIntegrals:
    """Lambda and the Gram vector of ``tensor`` (summed over its components) for M up to ``lmax``, every
    component by the cubature over its whole band (the route of polarisations without a real-space form)."""
    omega, dt, lmax, rtol, max_nodes = _check(tensor, omega, dt, lmax, rtol, max_nodes)
    parts = [_component_integrals(c, omega, dt, lmax, rtol, max_nodes, progress) for c in tensor.components]
    return sum(parts[1:], parts[0])


def is_standard_slab(component: TensorComponent) -> bool:
    """True when the component has the slab support and polarisation diag(1, 1, 0)/4 of KPM (28)."""
    return component.where.along_b0 and realspace_kind(component) is SLAB_KIND


def _slab_closed_form(component: TensorComponent, omega: float, dt: float, lmax: int,
                      rtol: float) -> tuple[np.ndarray, np.ndarray, float, float]:
    """M^(1a) diagonal, M^(1c), their error from KPM (38), (47) with G = E/2 (crmix.solver.mixing), and Lambda."""
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
    return np.asarray(m1a), np.asarray(m1c), 2.0 * err_a + err_c, 2.0 * float(lam.value[0]) / 3.0 - float(lam.value[2]) / 3.0


def _uniform_lambda(component: TensorComponent, omega: float, dt: float) -> float:
    a0, b0 = uniform_moments(component)
    return dt * dt * float(gen_realspace.uniform_lambda(a0, b0, omega * dt, np))


def _uniform_gram(component: TensorComponent, omega: float, dt: float, jmax: int, kmax: float | None = None) -> np.ndarray:
    """The integrated uniform Gram vector (GRAM_ENTRIES, jmax + 1) of the component's modes below ``kmax``."""
    band = component if kmax is None or kmax >= component.kmax else _truncated(component, component.kmin, kmax)
    a0, b0 = uniform_moments(band)
    gram = np.zeros((GRAM_ENTRIES, jmax + 1))
    gram[UNIFORM_ENTRY] = dt * dt * float(gen_realspace.uniform_gram(a0, b0, omega * dt, np))
    return gram


def _truncated(component: TensorComponent, kmin: float, kmax: float) -> TensorComponent:
    from dataclasses import replace

    return replace(component, kmin=kmin, kmax=kmax)


@dataclass
class _Sum:
    """What the components add up to: M^(1a), M^(1c), the error bound and the statistics."""

    m1a: np.ndarray
    m1c: np.ndarray
    error: float = 0.0
    tail_error: float = 0.0
    nodes: int = 0
    converged: bool = True


def _structured_cubature(component: TensorComponent, omega: float, dt: float, lmax: int, kmin: float, kmax: float,
                         target: float, max_nodes: int, progress: bool):
    """The Gram vector less its uniform part on [kmin, kmax], to an error that moves no M^(1c) element by more
    than ``target`` (``gram_weights``)."""
    lmax_field = 2 * lmax
    boxes, orders = panels(component, omega, dt, lmax_field, kmin, kmax)
    weights = gram_weights(lmax).reshape(-1)

    def measure(error: np.ndarray) -> np.ndarray:
        return error @ weights / target

    return adaptive_cubature(node_sampler(component, omega, dt, lmax_field, structured=True), boxes, orders, None,
                             measure=measure, max_nodes=max_nodes, progress=progress, label=f"generic M ({component.name})")


def _realspace_route(component: TensorComponent, lam: RealSpaceLambda, omega: float, dt: float, lmax: int, rtol: float,
                     scale: float, share: float, k_split: float, max_nodes: int, progress: bool, total: _Sum) -> None:
    """Add one component by the second route (module docstring), with its real-space ``lam``."""
    ell = np.arange(lmax + 1, dtype=float)
    total.m1a -= ell * (ell + 1) * lam.value
    total.error += 2.0 * lmax * (lmax + 1) * lam.error
    top = component.kmax if not component.where.full else min(component.kmax, k_split)
    if top * math.exp(-DLOGK0) <= component.kmin:  # no room for the ring that estimates the tail: no tail
        top = component.kmax
    target = rtol * scale * share
    ring = (top * math.exp(-DLOGK0), top) if top < component.kmax else None
    low = ring[0] if ring else top
    res = _structured_cubature(component, omega, dt, lmax, component.kmin, low, target, max_nodes, progress)
    gram = res.value.reshape(GRAM_ENTRIES, -1) + _uniform_gram(component, omega, dt, 2 * lmax, low)
    m1c, err = contract_m1c(gram, lmax, res.error.reshape(GRAM_ENTRIES, -1))
    total.m1c += m1c
    total.error += err
    total.nodes += res.nodes
    total.converged &= res.converged
    if ring is None:
        return
    ring_res = _structured_cubature(component, omega, dt, lmax, ring[0], ring[1], target, max_nodes, progress)
    ring_gram = ring_res.value.reshape(GRAM_ENTRIES, -1) + _uniform_gram(_truncated(component, *ring), omega, dt, 2 * lmax)
    ring_m1c, ring_err = contract_m1c(ring_gram, lmax, ring_res.error.reshape(GRAM_ENTRIES, -1))
    straight_ring, _ = straight_m1c(component, dt, lmax, ring[0], ring[1], max(rtol, 1e-12))
    tail, tail_err = straight_m1c(component, dt, lmax, top, component.kmax, max(rtol, 1e-12))
    estimate = tail_error(component, ring, float(np.max(np.abs(ring_m1c - straight_ring))))
    total.m1c += ring_m1c + tail
    total.error += ring_err + tail_err + estimate
    total.tail_error += estimate
    total.nodes += ring_res.nodes
    total.converged &= ring_res.converged


def axisymmetric_mixing_matrix(tensor: AxisymmetricTensor, omega: float, dt: float, lmax: int, *,
                               rtol: float = GENERIC_RTOL, slab_closed_form: bool = True,
                               max_nodes: int = DEFAULT_MAX_NODES, progress: bool = False,
                               k_split: float | None = None) -> GenericMixingMatrix:
    """M(dt) = 1 + 2 M^(1a) + M^(1c) of ``tensor`` on helices (omega > 0) or straight lines (omega = 0).

    Units: omega and dt in Omega_ref and 1/Omega_ref (crmix.model); the tensor's spectra in the same
    units.  ``slab_closed_form``: slab components with the KPM (28) polarisation use the closed forms.
    ``k_split``: where full-support components go over to the straight-line tail (default K_SPLIT Omega;
    None or beyond the band: no tail).  ``error`` of the result bounds the entries' error from the
    quadrature error estimates and the tail's estimate.
    """
    omega, dt, lmax, rtol, max_nodes = _check(tensor, omega, dt, lmax, rtol, max_nodes)
    split = real("k_split", k_split, gt=0) if k_split is not None else (K_SPLIT * omega if omega > 0 else math.inf)
    ell = np.arange(lmax + 1, dtype=float)
    total = _Sum(m1a=np.zeros(lmax + 1), m1c=np.zeros((lmax + 1, lmax + 1)))
    routes, structured = [], 0.0
    for component in tensor.components:
        if slab_closed_form and is_standard_slab(component):
            a, c, e, lam = _slab_closed_form(component, omega, dt, lmax, rtol)
            total.m1a, total.m1c, total.error = total.m1a + a, total.m1c + c, total.error + e
            structured += abs(lam - _uniform_lambda(component, omega, dt))
            continue
        kind = realspace_kind(component)
        lam = realspace_lambda(component, kind, omega, dt, rtol) if kind is not None else None
        routes.append((component, lam))
        structured += abs(lam.structured) if lam is not None else 0.0
    scale = 2.0 * lmax * (lmax + 1) * structured
    fast = [r for r in routes if r[1] is not None]
    for component, lam in fast:
        _realspace_route(component, lam, omega, dt, lmax, rtol, scale, 1.0 / len(fast), split, max_nodes, progress, total)
    rest = [c for c, lam in routes if lam is None]
    if rest:
        integrals = generic_integrals(AxisymmetricTensor(tuple(rest)), omega, dt, lmax, rtol=rtol, max_nodes=max_nodes, progress=progress)
        c, err_c = contract_m1c(integrals.gram, lmax, integrals.gram_error)
        total.m1a -= ell * (ell + 1) * integrals.lam
        total.m1c += c
        total.error += 2.0 * lmax * (lmax + 1) * integrals.lam_error + err_c
        total.nodes += integrals.nodes
        total.converged &= integrals.converged
    return GenericMixingMatrix(dt=dt, lmax=lmax, m1a=total.m1a, m1c=total.m1c, error=total.error, nodes=total.nodes,
                               converged=total.converged, tail_error=total.tail_error)

