"""Quasi-linear pitch-angle scattering for axisymmetric turbulence: slab, isotropic with B0, 2D, composites.

Conventions (docs/physics.md, "QLT for axisymmetric turbulence"; c = v = 1, units of 1/Omega)
------------------------------------------------------------------------------------------------
On the unperturbed helix, dmu/dt = z^.(p^ x omega) = sqrt(1 - mu^2) e_a.omega with
e_a = (-sin a, cos a, 0) at the gyrophase a, so D_mumu = nu(mu)(1 - mu^2) with
nu(mu) = int_0^inf ds <e_a(0).omega e_a(s).omega>.  For a tensor density S (crmix.spectral_tensors)
the gyrophase average is a series of harmonics (check ``qlt_gyrophase_weights``),

    <e_a(0).S e_a(s) e^{-i k.r(s)}>_a = sum_N C_N e^{i (k_par mu + N Omega) s},
    C_N = S_xx J_N'(z)^2 + S_yy (N J_N(z)/z)^2 + 2 Im S_xy J_N'(z) N J_N(z)/z,    z = k_perp sqrt(1 - mu^2)/Omega,

and Re int_0^inf e^{i x s} ds = pi delta(x) leaves the resonances k_par mu + N Omega = 0:

    nu(mu) = pi sum_N int dk_measure C_N delta(k_par mu + N Omega).

* N = +-1 are the gyroresonances; for slab (z = 0) they are the only ones, C = (S_xx + S_yy)/4,
  and nu = (pi/2) G(Omega/|mu|)/|mu| with G = E/2, exactly crmix.qlt.
* |N| >= 2 are the higher harmonics of perpendicular wave vectors (J_N(z), z != 0).
* N = 0 is the transit-time (Landau) term, resonant at k_par = 0 with weight S_xx J_1(z)^2: the
  component of omega in the (k, B0) plane perpendicular to B0.  For divergence-free isotropic
  turbulence S_xx = (k_par/k)^2 E/4 vanishes at k_par = 0, so the static (magnetostatic) term is
  0; it is kept in the formula for tensors where it is not.
* 2D turbulence has k_par = 0: only N = 0 could resonate, and its weight S_xx = 0 (omega is along
  k x B0).  2D alone has no QLT resonant scattering; a 2D component adds nothing to nu.
  A tensor without any resonance raises a ValueError (give the mixing time directly).

lambda_par = (3/8) int_{-1}^{1} (1 - mu^2)^2 / D_mumu dmu, K_zz = v lambda_par / 3 and
tau_s = lambda_par / v = 3 K_zz / v^2, as crmix.qlt.

The 90-degree treatment
-----------------------
As crmix.qlt: the band-limited spectrum leaves |mu| < Omega/k_max without resonance (the gap); the
mu integral is cut to the resonant band.  For components with full support (isotropic) the rate
also vanishes *linearly* at the gap edge, nu ~ |mu| - Omega/k_max (only modes with k ~ k_max and
k_perp -> 0 resonate there), so the cut integral diverges logarithmically at the edge: strict QLT
gives no finite lambda_par for a hard-cut isotropic spectrum.  crmix therefore cuts such tensors at
``mu_cut`` = ``EDGE_FACTOR`` Omega/k_max (the onset of the second harmonic, below which the only
resonance is the truncated first one) -- an explicit, replaceable choice -- and reports in
``gap_contribution`` the relative change of lambda_par when the cut is moved to 1.1 Omega/k_max
(for line-only tensors: crmix.qlt's continuation of the spectrum through the gap).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
from scipy import integrate, special

from crmix.qlt import QLTScattering
from crmix.spectral_tensors import AxisymmetricTensor, TensorComponent
from crmix.validation import real

__all__ = [
    "EDGE_FACTOR",
    "AxisymmetricQLT",
    "NoResonantScattering",
    "QLTScattering",
    "pitch_angle_diffusion",
    "qlt_scattering",
    "resonance_rate",
    "scattering_time",
]

#: mu_cut = EDGE_FACTOR Omega / k_max for tensors with full-support components (module docstring).
EDGE_FACTOR = 2.0
#: Gauss nodes per panel in the resonance integrals (checked against twice as many).
_NODES = 16
#: Gauss nodes per piece of the mu integral (checked against twice as many).
_MU_NODES = 12


class NoResonantScattering(ValueError):
    """The tensor has no QLT resonance (2D alone): the mixing time must be given directly."""


def _check_omega(omega: Any) -> float:
    omega = real("omega (the gyrofrequency Omega in the regular field)", omega)
    if omega <= 0:
        raise ValueError(f"omega must be > 0 for QLT scattering (no regular field, no gyroresonance), got {omega}")
    return omega


def _component_rate_full(component: TensorComponent, mu: float, omega: float, nodes: int) -> float:
    """pi/|mu| sum_N int dk/k C_N(S(k, c*)), c* = -N Omega/(k mu), over the band: full support (module docstring).

    Gauss-Legendre panels in ln k, <= 0.5 wide and <= 2 pi Omega/sqrt(1 - mu^2) wide in k (about two
    periods of J_N(z)^2); the integrand is smooth in k (C_N is even in z, z^2 ~ k^2 - k_par^2).
    """
    amu = abs(mu)
    st = math.sqrt(max(1.0 - mu * mu, 0.0))
    n_top = int(math.floor(component.kmax * amu / omega))
    x, w = np.polynomial.legendre.leggauss(nodes)
    ts, ns, wts = [], [], []
    dk_max = 2.0 * math.pi * omega / max(st, 1e-3)
    for big_n in range(-n_top, n_top + 1):
        lo = max(component.kmin, abs(big_n) * omega / amu * (1.0 + 1e-15))
        hi = component.kmax
        if hi <= lo:
            continue
        edges = [lo]
        while edges[-1] < hi:
            edges.append(min(edges[-1] * math.exp(0.5), edges[-1] + dk_max, hi))
        t_edges = np.log(edges)
        half = 0.5 * np.diff(t_edges)
        ts.append(((t_edges[:-1] + half)[:, None] + half[:, None] * x[None, :]).ravel())
        wts.append((half[:, None] * w[None, :]).ravel())
        ns.append(np.full(ts[-1].shape, big_n))
    if not ts:
        return 0.0
    t, n, wt = np.concatenate(ts), np.concatenate(ns), np.concatenate(wts)
    k = np.exp(t)
    c = -n * omega / (k * mu)
    s = np.asarray(component.density(k, c, np), dtype=complex)
    z = k * np.sqrt(np.maximum(1.0 - c * c, 0.0)) * st / omega
    j_minus, j_plus = special.jv(n - 1, z), special.jv(n + 1, z)
    deriv = 0.5 * (j_minus - j_plus)  # J_N'
    ratio = 0.5 * (j_minus + j_plus)  # N J_N / z (and its z -> 0 limit)
    cn = s[:, 0, 0].real * deriv**2 + s[:, 1, 1].real * ratio**2 + 2.0 * s[:, 0, 1].imag * deriv * ratio
    return math.pi * float(np.sum(wt * cn)) / amu


def _component_rate(component: TensorComponent, mu: float, omega: float, nodes: int) -> float:
    """nu(mu) of one component (module docstring)."""
    amu = abs(mu)
    if amu == 0.0:
        return 0.0
    if component.where.along_b0:
        k = omega / amu
        if not (component.kmin <= k <= component.kmax):
            return 0.0
        total = 0.0
        for c in (1.0, -1.0):
            big_n = -1 if c * mu > 0 else 1  # k c mu + N Omega = 0 with k > 0
            s = np.asarray(component.density(np.array(k), np.array(c), np), dtype=complex)
            total += (s[0, 0].real + s[1, 1].real) / 4.0 + big_n * s[0, 1].imag / 2.0
        return math.pi * total / amu
    if component.where.perpendicular:
        grid = np.geomspace(component.kmin, component.kmax, 33)
        s = np.asarray(component.density(grid, np.zeros_like(grid), np))
        if np.max(np.abs(s[:, 0, 0])) > 0:
            raise ValueError(f"{component.name}: a 2D component with omega along k (S_xx != 0) has a divergent "
                             "N = 0 resonance delta(k_par mu) at k_par = 0; QLT does not apply")
        return 0.0
    return _component_rate_full(component, mu, omega, nodes)


def resonance_rate(tensor: AxisymmetricTensor, mu: Any, omega: float, xp: ModuleType = np) -> Any:
    """nu(mu) = D_mumu / (1 - mu^2), the QLT pitch-angle scattering rate of ``tensor`` (module docstring)."""
    omega = _check_omega(omega)
    mu_arr = np.atleast_1d(np.asarray(mu, dtype=float))
    if np.any(np.abs(mu_arr) > 1):
        raise ValueError("mu (pitch-angle cosine) must lie in [-1, 1]")
    out = np.array([sum(_component_rate(c, float(m), omega, _NODES) for c in tensor.components) for m in mu_arr.ravel()])
    return xp.asarray(out.reshape(np.shape(mu)))


def pitch_angle_diffusion(tensor: AxisymmetricTensor, mu: Any, omega: float, xp: ModuleType = np) -> Any:
    """D_mumu = nu(mu)(1 - mu^2), in units of Omega."""
    mu_arr = np.asarray(mu, dtype=float)
    return xp.asarray(np.asarray(resonance_rate(tensor, mu_arr, omega)) * (1.0 - mu_arr * mu_arr))


@dataclass(frozen=True)
class _Band:
    low: float
    high: float
    breaks: tuple[float, ...]


def _resonant_band(tensor: AxisymmetricTensor, omega: float) -> _Band:
    """|mu| range with resonances, and the breakpoints of nu (harmonic onsets N Omega/k_max, N Omega/k_min)."""
    lows, highs, breaks = [], [], set()
    for comp in tensor.components:
        if comp.where.perpendicular:
            continue
        lows.append(omega / comp.kmax)
        if comp.where.along_b0:
            highs.append(min(1.0, omega / comp.kmin))
            breaks.add(min(1.0, omega / comp.kmin))
        else:
            highs.append(1.0)
            for big_n in range(1, int(comp.kmax / omega) + 1):
                breaks.update({big_n * omega / comp.kmax, big_n * omega / comp.kmin})
        breaks.add(omega / comp.kmax)
    if not lows or min(lows) >= 1.0:
        raise NoResonantScattering(
            "no QLT resonant scattering for this tensor (2D turbulence alone has k_par = 0; or k_max < Omega): "
            "give the mixing time directly (omega_dt = Omega Delta T)")
    low, high = min(lows), max(highs)
    return _Band(low, high, tuple(sorted(b for b in breaks if low < b < high)))


def _lambda_integral(tensor: AxisymmetricTensor, omega: float, lo: float, hi: float, breaks: tuple[float, ...],
                     nodes: int) -> float:
    """(3/4) int_lo^hi (1 - mu^2) [1/nu(mu) + 1/nu(-mu)]/2 dmu: lambda_par over |mu| in [lo, hi].

    Gauss-Legendre in ln mu on pieces between the breakpoints of nu, at most 0.25 wide in ln mu
    (1/nu varies like a power of mu near the gap, as 1/G(Omega/mu) does for slab).
    """
    edges = [lo] + [b for b in breaks if lo < b < hi] + [hi]
    pieces = []
    for a, b in zip(edges[:-1], edges[1:]):
        n = max(1, math.ceil(math.log(b / a) / 0.25))
        pieces += list(zip(np.geomspace(a, b, n + 1)[:-1], np.geomspace(a, b, n + 1)[1:]))
    x, w = np.polynomial.legendre.leggauss(nodes)
    total = 0.0
    for a, b in pieces:
        half = 0.5 * math.log(b / a)
        mu = np.exp(math.log(a) + half * (x + 1.0))
        rate_p = np.array([sum(_component_rate(c, m, omega, _NODES) for c in tensor.components) for m in mu])
        rate_m = np.array([sum(_component_rate(c, -m, omega, _NODES) for c in tensor.components) for m in mu])
        if np.any(rate_p <= 0) or np.any(rate_m <= 0):
            raise NoResonantScattering(f"D_mumu vanishes inside the resonant band at |mu| in [{a:.4g}, {b:.4g}]")
        total += half * np.sum(w * mu * (1.0 - mu * mu) * 0.5 * (1.0 / rate_p + 1.0 / rate_m))
    return 0.75 * total


@dataclass(frozen=True)
class AxisymmetricQLT(QLTScattering):
    """crmix.qlt's QLT numbers (lambda_par, the band [mu_gap_low, mu_gap_high], gap_contribution) plus

    lambda_error   |lambda_par(12 nodes per piece) - lambda_par(24)|, the mu quadrature's error estimate;
    edge_cut       True when the cut sits at EDGE_FACTOR Omega/k_max above the gap (full-support tensors).
    """

    lambda_error: float = 0.0
    edge_cut: bool = False


def qlt_scattering(tensor: AxisymmetricTensor, omega: float, *, edge_factor: float = EDGE_FACTOR) -> AxisymmetricQLT:
    """lambda_par, the resonant band and the cut diagnostic of ``tensor`` (module docstring).

    ``edge_factor``: the mu cut in units of Omega/k_max for tensors with full-support components.
    Raises :class:`NoResonantScattering` (a ValueError) for tensors without resonance (2D alone).
    """
    omega = _check_omega(omega)
    edge_factor = real("edge_factor", edge_factor, ge=1)
    band = _resonant_band(tensor, omega)
    full = any(c.where.full for c in tensor.components)
    cut = min(edge_factor * band.low, 0.5 * (band.low + band.high)) if full else band.low
    lam = _lambda_integral(tensor, omega, cut, band.high, band.breaks, 2 * _MU_NODES)
    coarse = _lambda_integral(tensor, omega, cut, band.high, band.breaks, _MU_NODES)
    if full:
        closer = 1.1 * band.low
        extra = _lambda_integral(tensor, omega, closer, cut, (), _MU_NODES) if cut > closer else 0.0
        gap = extra / lam
    else:
        gap = _line_gap_contribution(tensor, omega, band, lam)
    return AxisymmetricQLT(lambda_par=lam, mu_gap_low=cut, mu_gap_high=band.high, gap_contribution=gap,
                           lambda_error=abs(lam - coarse), edge_cut=full)


def _line_gap_contribution(tensor: AxisymmetricTensor, omega: float, band: _Band, lam: float) -> float:
    """Relative lambda_par the gaps would add with every slab spectrum continued by its shape (as crmix.qlt)."""
    continued = AxisymmetricTensor(tuple(
        TensorComponent(c.name, c.support, c.spectrum, 1e-300, 1e300, c.polarisation)
        for c in tensor.components if c.where.along_b0))
    if not continued.components:
        return 0.0

    def integrand(mu: float) -> float:
        rates = [sum(_component_rate(c, sign * mu, omega, _NODES) for c in continued.components) for sign in (1, -1)]
        return 0.75 * (1.0 - mu * mu) * 0.5 * (1.0 / rates[0] + 1.0 / rates[1])

    extra, _ = integrate.quad(integrand, 0.0, band.low, epsrel=1e-8, epsabs=0.0, limit=400)
    if band.high < 1.0:
        extra += integrate.quad(integrand, band.high, 1.0, epsrel=1e-8, epsabs=0.0, limit=400)[0]
    return extra / lam


def scattering_time(tensor: AxisymmetricTensor, omega: float) -> float:
    """Omega tau_s = Omega lambda_par / v of ``tensor`` (module docstring)."""
    return qlt_scattering(tensor, omega).tau_s
