"""Axisymmetric spectral tensors of the turbulent field about B0 = B0 z: slab, isotropic, 2D, composite.

The two-point function of the turbulent gyrovector omega = q dB / p is
R_ij(r) = <omega_i(x + r) omega_j(x)> = int d^3k P_ij(k) e^{i k.r}.  Symmetry about B0 means
P(R k) = R P(k) R^T for every rotation R about z, so P is fixed by its values at azimuth psi = 0
(k = k (sqrt(1 - c^2), 0, c) in the x-z plane, c = cos theta_k = k_par / k).  Everything the
theory needs is an integral of a rotation-invariant contraction with P over d^3k, so the psi
integral is done once and a component is stored as the density S_ij(k, c) = P_ij at psi = 0 times
the measure of its support (docs/physics.md, "Axisymmetric turbulence on helical orbits"):

=========  ==========================  =================================================
support    wave vectors                int d^3k P_ij F  =
=========  ==========================  =================================================
``slab``   k along B0 (c = +-1)        sum_{c = +-1} int dk S_ij(k, c) F(k, c)
``2d``     k perpendicular (c = 0)     int dk S_ij(k, 0) F(k, 0)
``full``   all directions              int dk int_{-1}^{1} dc S_ij(k, c) F(k, c)
=========  ==========================  =================================================

with k in the band [kmin, kmax].  Each component is S = E(k) pol(k, c): E the shell spectrum with
int E dk = its power (crmix.model: int E dk = <omega^2>), pol the distribution of that power over
directions and polarisations, normalised to Tr pol summed or integrated over the support = 1.
The geometries (all divergence-free, omega perpendicular to k):

* slab, KPM (28): pol = diag(1, 1, 0)/4 at c = +-1, i.e. P = g delta(k_perp)/k_perp delta_ab with
  G = E/2 = 4 pi g and int d^3k delta(k_perp)/k_perp F = 2 pi int dk_par F (docs/physics.md);
* isotropic, MA19 (3.12): pol = (delta_ij - k^_i k^_j)/4, i.e. P = g/k^2 (delta_ij - k^_i k^_j),
  g = E/(8 pi);
* 2D: k perpendicular to B0 and omega perpendicular to both k and B0 (div B = 0, dB_z = 0):
  pol = y^ y^ at c = 0 (omega along k^ x z^), i.e. P = delta(k_par) E/(2 pi k_perp) e1 e1,
  e1 = k^ x z^ / |k^ x z^|;
* composite: a sum of components, each with its own spectrum and power fraction (slab + 2D,
  20 : 80 for the solar wind).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from crmix.validation import real

if TYPE_CHECKING:
    from crmix.model import TurbulenceModel

__all__ = [
    "SLAB_FRACTION_SOLAR_WIND",
    "SUPPORTS",
    "AxisymmetricTensor",
    "Support",
    "TensorComponent",
    "composite_tensor",
    "isotropic_tensor",
    "model_spectrum",
    "slab_tensor",
    "tensor_from_model",
    "two_d_tensor",
]


@dataclass(frozen=True)
class Support:
    """Where a component's wave vectors lie, and the direction measure of ``int d^3k`` there (module docstring).

    name        the label a :class:`TensorComponent` gives.
    directions  the c = cos theta_k of a line support (k along B0: c = +-1; k perpendicular: c = 0), or
                ``None`` for all directions (the (k, c) half-plane).
    """

    name: str
    directions: tuple[float, ...] | None

    @property
    def full(self) -> bool:
        """Wave vectors in every direction (a 2D (k, c) integral)."""
        return self.directions is None

    @property
    def along_b0(self) -> bool:
        """Wave vectors parallel to B0 only (slab-like: k_perp = 0, the orbit's gyration is not seen)."""
        return self.directions is not None and all(abs(c) == 1.0 for c in self.directions)

    @property
    def perpendicular(self) -> bool:
        """Wave vectors perpendicular to B0 only (2D-like: k_par = 0, no gyroresonance)."""
        return self.directions is not None and all(c == 0.0 for c in self.directions)

    def nodes(self) -> tuple[np.ndarray, np.ndarray]:
        """Directions c and weights of the direction measure (exact for the polarisations here)."""
        if self.directions is None:
            return np.polynomial.legendre.leggauss(24)
        return np.asarray(self.directions, dtype=float), np.ones(len(self.directions))


#: Where a component's wave vectors lie (module docstring), by the name a component gives.
SUPPORTS: dict[str, Support] = {s.name: s for s in (Support("slab", (1.0, -1.0)), Support("2d", (0.0,)), Support("full", None))}
#: Slab share of the power in the solar wind's slab + 2D composite (Bieber et al. 1996: ~20 %).
SLAB_FRACTION_SOLAR_WIND = 0.2

#: E(k, xp): the shell spectrum, defined for every k > 0 (the band is the component's [kmin, kmax]).
Spectrum1D = Callable[[Any, ModuleType], Any]
#: pol(k, c, xp) -> (..., 3, 3): the polarisation and direction distribution at psi = 0.
Polarisation = Callable[[Any, Any, ModuleType], Any]

_NORM_RTOL = 1e-9


def _slab_polarisation(k: Any, c: Any, xp: ModuleType = np) -> Any:
    """diag(1, 1, 0)/4 (each of c = +-1 carries half the power, each of x, y half of that)."""
    shape = xp.broadcast_shapes(xp.shape(k), xp.shape(c))
    out = xp.zeros(shape + (3, 3))
    out[..., 0, 0] = 0.25
    out[..., 1, 1] = 0.25
    return out


def _isotropic_polarisation(k: Any, c: Any, xp: ModuleType = np) -> Any:
    """(delta_ij - k^_i k^_j)/4 with k^ = (sqrt(1 - c^2), 0, c)."""
    c = xp.broadcast_to(xp.asarray(c, dtype=float), xp.broadcast_shapes(xp.shape(k), xp.shape(c)))
    s = xp.sqrt(xp.maximum(1.0 - c * c, 0.0))
    kh = xp.stack([s, xp.zeros_like(c), c], axis=-1)
    return 0.25 * (xp.eye(3) - kh[..., :, None] * kh[..., None, :])


def _two_d_polarisation(k: Any, c: Any, xp: ModuleType = np) -> Any:
    """y^ y^: omega along k^ x z^ for k^ = x^ (dB perpendicular to k and to B0)."""
    shape = xp.broadcast_shapes(xp.shape(k), xp.shape(c))
    out = xp.zeros(shape + (3, 3))
    out[..., 1, 1] = 1.0
    return out


@dataclass(frozen=True)
class TensorComponent:
    """One component S_ij(k, c) = E(k) pol(k, c) of an axisymmetric spectral tensor (module docstring).

    name          a label ("slab", "isotropic", "2d" or the user's).
    support       "slab", "2d" or "full".
    spectrum      E(k, xp) > 0, in 1/Omega_ref units, defined beyond the band too (QLT continues it).
    kmin, kmax    the band.
    polarisation  pol(k, c, xp), Hermitian 3x3, normalised over the support (checked).
    """

    name: str
    support: str
    spectrum: Spectrum1D
    kmin: float
    kmax: float
    polarisation: Polarisation

    def __post_init__(self) -> None:
        if self.support not in SUPPORTS:
            raise ValueError(f"support must be one of {tuple(SUPPORTS)}, got {self.support!r}")
        kmin = real(f"{self.name} kmin", self.kmin, gt=0)
        kmax = real(f"{self.name} kmax", self.kmax)
        if not kmax > kmin:
            raise ValueError(f"{self.name}: need kmin < kmax, got kmin={kmin}, kmax={kmax}")
        for kk in (kmin, math.sqrt(kmin * kmax), kmax):
            c, w = self.where.nodes()
            pol = np.asarray(self.polarisation(np.full(c.shape, kk), c, np), dtype=complex)
            if pol.shape != c.shape + (3, 3):
                raise ValueError(f"{self.name}: polarisation(k, c, xp) must return shape (..., 3, 3), got {pol.shape}")
            if not np.allclose(pol, np.conj(np.swapaxes(pol, -1, -2)), rtol=0, atol=1e-12):
                raise ValueError(f"{self.name}: polarisation must be Hermitian")
            total = float(np.sum(w * np.trace(pol, axis1=-2, axis2=-1).real))
            if abs(total - 1.0) > _NORM_RTOL:
                raise ValueError(f"{self.name}: the trace of the polarisation over the {self.support} support must be 1 "
                                 f"(the spectrum carries the power), got {total:.12g} at k = {kk:.4g}")

    @property
    def where(self) -> Support:
        """The :class:`Support` named by ``support``."""
        return SUPPORTS[self.support]

    def density(self, k: Any, c: Any, xp: ModuleType = np) -> Any:
        """S_ij(k, c) = E(k) pol(k, c), (..., 3, 3); the caller keeps k inside [kmin, kmax]."""
        e = xp.asarray(self.spectrum(k, xp), dtype=float)
        return e[..., None, None] * self.polarisation(k, c, xp)

    @property
    def power(self) -> float:
        """int_kmin^kmax E dk = <omega^2> carried by this component."""
        from scipy import integrate

        value, _ = integrate.quad(lambda k: float(self.spectrum(np.float64(k), np)), self.kmin, self.kmax,
                                  epsrel=1e-12, limit=200, points=None)
        return float(value)

    def scaled(self, factor: float) -> TensorComponent:
        """The same component with its power multiplied by ``factor`` (> 0)."""
        factor = real(f"{self.name} power factor", factor, gt=0)
        spectrum = self.spectrum

        def scaled_spectrum(k: Any, xp: ModuleType = np) -> Any:
            return factor * spectrum(k, xp)

        return replace(self, spectrum=scaled_spectrum)


@dataclass(frozen=True)
class AxisymmetricTensor:
    """P_ij(k) as a sum of components (the mixing matrix and QLT rates are linear in it)."""

    components: tuple[TensorComponent, ...]

    def __post_init__(self) -> None:
        if not self.components or not all(isinstance(c, TensorComponent) for c in self.components):
            raise ValueError("an AxisymmetricTensor needs at least one TensorComponent")

    @property
    def power(self) -> float:
        """<omega^2> = sum of the components' powers."""
        return sum(c.power for c in self.components)

    @property
    def k_min(self) -> float:
        return min(c.kmin for c in self.components)

    @property
    def k_max(self) -> float:
        return max(c.kmax for c in self.components)

    def __add__(self, other: AxisymmetricTensor) -> AxisymmetricTensor:
        return AxisymmetricTensor(self.components + other.components)

    def scaled(self, factor: float) -> AxisymmetricTensor:
        """Every component's power times ``factor``."""
        return AxisymmetricTensor(tuple(c.scaled(factor) for c in self.components))


def _component(name: str, support: str, spectrum: Spectrum1D, kmin: float, kmax: float,
               polarisation: Polarisation) -> AxisymmetricTensor:
    return AxisymmetricTensor((TensorComponent(name, support, spectrum, kmin, kmax, polarisation),))


def slab_tensor(spectrum: Spectrum1D, kmin: float, kmax: float) -> AxisymmetricTensor:
    """Slab turbulence, KPM (28): dB perpendicular to B0, k along B0; int E dk = <omega^2>."""
    return _component("slab", "slab", spectrum, kmin, kmax, _slab_polarisation)


def isotropic_tensor(spectrum: Spectrum1D, kmin: float, kmax: float) -> AxisymmetricTensor:
    """Isotropic turbulence, MA19 (3.12): P = g/k^2 (delta_ij - k^_i k^_j), g = E/(8 pi)."""
    return _component("isotropic", "full", spectrum, kmin, kmax, _isotropic_polarisation)


def two_d_tensor(spectrum: Spectrum1D, kmin: float, kmax: float) -> AxisymmetricTensor:
    """2D turbulence: k perpendicular to B0, dB perpendicular to k and B0; P = delta(k_par) E/(2 pi k_perp) e1 e1."""
    return _component("2d", "2d", spectrum, kmin, kmax, _two_d_polarisation)


def composite_tensor(slab: AxisymmetricTensor, two_d: AxisymmetricTensor,
                     slab_fraction: float = SLAB_FRACTION_SOLAR_WIND) -> AxisymmetricTensor:
    """slab_fraction * slab + (1 - slab_fraction) * two_d (each part normalised to the same <omega^2>)."""
    f = real("slab_fraction", slab_fraction, ge=0, le=1)
    parts = []
    if f > 0:
        parts.append(slab.scaled(f))
    if f < 1:
        parts.append(two_d.scaled(1.0 - f))
    return sum(parts[1:], parts[0])


def model_spectrum(model: TurbulenceModel) -> Spectrum1D:
    """The model's E(k) (crmix.model) continued beyond its band by its analytic shape."""
    amplitude, spectrum, k_bend = model.power_amplitude, model.spectrum, model.k_bend

    def spectrum_fn(k: Any, xp: ModuleType = np) -> Any:
        k = xp.asarray(k, dtype=float)
        return amplitude * spectrum.shape(k, k_bend, xp)

    return spectrum_fn


def tensor_from_model(model: TurbulenceModel) -> AxisymmetricTensor:
    """The tensor of a :class:`crmix.TurbulenceModel`: its geometry's (crmix.geometry), spectrum, band and power."""
    return model.turbulence.tensor(model)
