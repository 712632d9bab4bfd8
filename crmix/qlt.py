"""Quasi-linear theory (QLT) of pitch-angle scattering in slab turbulence: D_mumu, lambda_par, tau_s, K_zz.

Conventions (docs/physics.md, "QLT scattering"; c = v = 1, times and lengths in 1/Omega)
------------------------------------------------------------------------------------------
From the Bourret resummation of KPM App. A ((A22)-(A28)), a particle of pitch-angle cosine mu on
an unperturbed helix sees the transverse two-point function R(s) = int_0^inf dk G(k) cos(k s),
G = E/2 (crmix.model), at s = mu tau, so

    D_mumu = nu(mu) (1 - mu^2),    nu(mu) = int_0^inf dtau R(mu tau) cos(Omega tau)
                                          = (pi/2) G(Omega/|mu|) / |mu|      (gyroresonance k|mu| = Omega).

The parallel mean free path and the diffusion coefficient along B0 are (Jokipii; Hasselmann &
Wibberenz; the standard QLT result)

    lambda_par = (3 v / 8) int_{-1}^{1} (1 - mu^2)^2 / D_mumu dmu,    K_zz = v lambda_par / 3,

and crmix's scattering time is the mean-free time tau_s = lambda_par / v = 3 K_zz / v^2.
KPM Sec. 2.2.1 writes "tau_s = K_zz/3"; with c = 1 that is a factor 9 smaller than
lambda_par / v.  crmix uses lambda_par / v, which is the time scale on which the pitch-angle
distribution isotropises (KPM quote Omega tau_s ~ 100 at rho = 8.9e-3, see the tests).

The resonance gaps
------------------
A band-limited spectrum has G = 0 outside [k_min, k_max], so D_mumu vanishes for
|mu| < Omega/k_max (no mode short enough to resonate: the 90-degree gap) and, when k_min > Omega,
for |mu| > Omega/k_min.  Strict QLT then gives lambda_par = infinity: a particle in the gap is never
scattered through it.  In reality the gap is bridged by effects QLT drops (non-resonant mirroring,
finite orbit perturbations).  crmix **cuts** the mu integral to the resonant band (the gap
contributes nothing to lambda_par) and reports the gap edges together with ``gap_contribution``:
the relative amount the gap would add if the spectrum's shape were continued through it (finite
for spectra falling slower than k^-2).  A small ``gap_contribution`` means the cut is immaterial.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import integrate

if TYPE_CHECKING:
    from crmix.model import TurbulenceModel

__all__ = [
    "QLTScattering",
    "parallel_diffusion",
    "pitch_angle_diffusion",
    "qlt_scattering",
    "resonance_frequency",
    "scattering_time",
]

_QUAD_RTOL = 1e-10


def _require_slab_with_field(model: TurbulenceModel) -> None:
    if not model.turbulence.slab_qlt:
        raise ValueError(
            f"geometry must be 'slab' for this closed-form QLT scattering time (got {model.geometry!r}); "
            "other geometries: model.turbulence.qlt(model) (crmix.qlt_axisymmetric), or give the mixing time directly"
        )
    if model.Omega <= 0.0:
        raise ValueError("eta must be < 1 for a QLT scattering time (no regular field, no gyroresonance)")


def _G(model: TurbulenceModel, k: Any, xp: ModuleType = np) -> Any:
    """G(k) = E(k)/2, the spectrum of one transverse component (crmix.model)."""
    return 0.5 * model.power(k, xp)


def resonance_frequency(model: TurbulenceModel, mu: Any, xp: ModuleType = np) -> Any:
    """nu(mu) = (pi/2) G(Omega/|mu|)/|mu|, the QLT pitch-angle scattering rate (KPM (A22)-(A28)).

    Zero in the resonance gaps (docstring of this module) and at mu = 0.
    """
    _require_slab_with_field(model)
    a = xp.abs(xp.asarray(mu, dtype=float))
    safe = xp.where(a > 0, a, 1.0)
    return xp.where(a > 0, 0.5 * math.pi * _G(model, model.Omega / safe, xp) / safe, 0.0)


def pitch_angle_diffusion(model: TurbulenceModel, mu: Any, xp: ModuleType = np) -> Any:
    """D_mumu = nu(mu) (1 - mu^2) in units of Omega (slab QLT)."""
    mu = xp.asarray(mu, dtype=float)
    return resonance_frequency(model, mu, xp) * (1.0 - mu * mu)


@dataclass(frozen=True)
class QLTScattering:
    """QLT transport numbers of a slab model, in units of 1/Omega (c = v = 1).

    lambda_par
        Parallel mean free path (3/8) int (1-mu^2)^2/D_mumu over the resonant band.
    mu_gap_low, mu_gap_high
        D_mumu > 0 only for mu_gap_low < |mu| < mu_gap_high (mu_gap_high = 1 without an upper gap).
    gap_contribution
        Relative increase of lambda_par if the spectrum's shape were continued through the gaps
        (``inf`` when that continuation does not converge).
    """

    lambda_par: float
    mu_gap_low: float
    mu_gap_high: float
    gap_contribution: float

    @property
    def tau_s(self) -> float:
        """Scattering time tau_s = lambda_par / v (KPM writes K_zz/3; docs/physics.md)."""
        return self.lambda_par

    @property
    def K_zz(self) -> float:
        """Parallel diffusion coefficient K_zz = v lambda_par / 3."""
        return self.lambda_par / 3.0


def _lambda_integrand_k(model: TurbulenceModel, G_of_k: Any) -> Any:
    """Integrand of lambda_par in x = ln k.

    With k = Omega/mu: (3/4) int_0^1 (1-mu^2)/nu dmu = (3 Omega^2/(2 pi)) int (1 - Omega^2/k^2)/(k^2 G(k)) d ln k.
    """
    omega = model.Omega

    def f(x: float) -> float:
        k = math.exp(x)
        g = G_of_k(k)
        return 1.5 * omega * omega * (1.0 - (omega / k) ** 2) / (math.pi * k * k * g)

    return f


def _integrate_log(f: Any, x1: float, x2: float, breaks: list[float]) -> float:
    pts = sorted(b for b in breaks if x1 < b < x2)
    value, _ = integrate.quad(f, x1, x2, points=pts or None, epsrel=_QUAD_RTOL, epsabs=0.0, limit=400)
    return value


def qlt_scattering(model: TurbulenceModel) -> QLTScattering:
    """lambda_par, the resonance gaps and the gap diagnostic of a slab model (module docstring)."""
    _require_slab_with_field(model)
    omega = model.Omega
    k_lo = max(omega, model.k_min)  # mu <= 1  <=>  k >= Omega
    k_hi = model.k_max
    if k_hi <= k_lo:
        raise ValueError(
            f"no gyroresonant mode: need k_max > Omega, got k_max = {k_hi:.4g} Omega "
            "(rho too large for this spectrum)"
        )
    breaks = [math.log(model.k_bend)] if model.spectrum.kind == "bendover" else []
    inside = _lambda_integrand_k(model, lambda k: float(_G(model, k)))
    lam = _integrate_log(inside, math.log(k_lo), math.log(k_hi), breaks)

    # The gaps, with the spectrum's shape continued analytically beyond the band.
    amp = 0.5 * model.power_amplitude

    def G_cont(k: float) -> float:
        return amp * float(model.spectrum.shape(np.float64(k), model.k_bend))

    cont = _lambda_integrand_k(model, G_cont)
    lower = _integrate_log(cont, math.log(omega), math.log(k_lo), breaks) if k_lo > omega else 0.0
    # Beyond k_max the integrand grows like k^(index - 2): the continued gap diverges for index >= 2.
    # In mu = Omega/k over (0, mu_gap_low) the integrand ~ mu^(1 - index): integrable.
    if model.spectrum.index >= 2.0:
        upper = math.inf
    else:
        upper, _ = integrate.quad(
            lambda mu: cont(math.log(omega / mu)) / mu, 0.0, omega / k_hi, epsrel=1e-8, epsabs=0.0, limit=400
        )
    gap = (upper + lower) / lam
    return QLTScattering(
        lambda_par=lam,
        mu_gap_low=omega / k_hi,
        mu_gap_high=min(1.0, omega / model.k_min),
        gap_contribution=gap,
    )


def scattering_time(model: TurbulenceModel) -> float:
    """QLT scattering time Omega tau_s = Omega lambda_par / v of a slab model (module docstring)."""
    return qlt_scattering(model).tau_s


def parallel_diffusion(model: TurbulenceModel) -> float:
    """QLT parallel diffusion coefficient K_zz = v lambda_par / 3, in units of c^2/Omega."""
    return qlt_scattering(model).K_zz
