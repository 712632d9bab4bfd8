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

Full-support components take their rate from crmix.qlt_resonances: the harmonics in k_perp below the
shell k_s = K Omega/|mu| (``harmonics``), the straight-line continuum above; ``lambda_error`` adds the
split's estimate |lambda_par(K) - lambda_par(K/2)| to the mu quadrature's.  The mu integral resolves
the first harmonic onsets in their own variables (``_onset_pieces``) and runs one adaptive
Gauss-Kronrod pass over all pieces, to ``rtol`` relative to lambda_par.

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
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
from scipy import integrate

from crmix.qlt import QLTScattering
from crmix.qlt_resonances import HARMONICS, full_support_rates
from crmix.spectral_tensors import AxisymmetricTensor, TensorComponent
from crmix.validation import integer, real

__all__ = [
    "EDGE_FACTOR",
    "HARMONICS",
    "MU_RTOL",
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
#: Relative tolerance of each adaptive piece of the mu quadrature of lambda_par (``rtol``).
MU_RTOL = 1e-4
#: Harmonic onsets N Omega/k_max (and N Omega/k_min) that break the mu integral, N = 1 .. _ONSET_BREAKS.
_ONSET_BREAKS = 6
#: The onset panels [N, N + 1] Omega/k_max, N < _ONSET_PANELS, integrated in kappa_N (``_onset_panel``).
_ONSET_PANELS = 9
#: scipy's quad_vec rule: 21 Kronrod nodes span several periods of nu's band-edge ripple.
_RULE = "gk21"
#: The tolerance of the gap diagnostic (a relative change of lambda_par, reported, never used).
_GAP_RTOL = 1e-3


class NoResonantScattering(ValueError):
    """The tensor has no QLT resonance (2D alone): the mixing time must be given directly."""


def _check_omega(omega: Any) -> float:
    omega = real("omega (the gyrofrequency Omega in the regular field)", omega)
    if omega <= 0:
        raise ValueError(f"omega must be > 0 for QLT scattering (no regular field, no gyroresonance), got {omega}")
    return omega


def _component_rate(component: TensorComponent, mu: float, omega: float, harmonics: int | None) -> float:
    """nu(mu) of one component (module docstring; full support: crmix.qlt_resonances)."""
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
    return full_support_rates(component, amu, omega, harmonics)[0 if mu > 0 else 1]


def _rates(tensor: AxisymmetricTensor, amu: float, omega: float, harmonics: int | None) -> tuple[float, float]:
    """(nu(|mu|), nu(-|mu|)) of the tensor: one Bessel evaluation serves both signs of full-support components."""
    plus = minus = 0.0
    for comp in tensor.components:
        if comp.where.full:
            p, m = full_support_rates(comp, amu, omega, harmonics)
        else:
            p, m = _component_rate(comp, amu, omega, harmonics), _component_rate(comp, -amu, omega, harmonics)
        plus, minus = plus + p, minus + m
    return plus, minus


def _check_harmonics(harmonics: Any) -> int | None:
    return None if harmonics is None else integer("harmonics (exact harmonics below the continuum split)", harmonics, ge=2)


def resonance_rate(tensor: AxisymmetricTensor, mu: Any, omega: float, xp: ModuleType = np, *,
                   harmonics: int | None = HARMONICS) -> Any:
    """nu(mu) = D_mumu / (1 - mu^2), the QLT pitch-angle scattering rate of ``tensor`` (module docstring).

    ``harmonics``: full-support components sum the harmonics exactly below k_s = harmonics Omega/|mu| and
    take the straight-line continuum above (crmix.qlt_resonances); ``None`` sums them over the whole band.
    """
    omega = _check_omega(omega)
    harmonics = _check_harmonics(harmonics)
    mu_arr = np.atleast_1d(np.asarray(mu, dtype=float))
    if np.any(np.abs(mu_arr) > 1):
        raise ValueError("mu (pitch-angle cosine) must lie in [-1, 1]")
    out = np.array([sum(_component_rate(c, float(m), omega, harmonics) for c in tensor.components) for m in mu_arr.ravel()])
    return xp.asarray(out.reshape(np.shape(mu)))


def pitch_angle_diffusion(tensor: AxisymmetricTensor, mu: Any, omega: float, xp: ModuleType = np, *,
                          harmonics: int | None = HARMONICS) -> Any:
    """D_mumu = nu(mu)(1 - mu^2), in units of Omega."""
    mu_arr = np.asarray(mu, dtype=float)
    return xp.asarray(np.asarray(resonance_rate(tensor, mu_arr, omega, harmonics=harmonics)) * (1.0 - mu_arr * mu_arr))


@dataclass(frozen=True)
class _Band:
    low: float
    high: float
    breaks: tuple[float, ...]
    onset_k: float | None  # k_max of the full-support components: their onsets get mapped panels


def _resonant_band(tensor: AxisymmetricTensor, omega: float, harmonics: int | None) -> _Band:
    """|mu| range with resonances, and the breakpoints of nu.

    The onsets N Omega/k_max, N Omega/k_min of the first ``_ONSET_BREAKS`` harmonics (the onset of N is
    C^(2N - 2)-smooth: J_N(z)^2 ~ z^(2N) at k_perp -> 0; the adaptive quadrature takes the later ones),
    and the |mu| where the continuum split k_s enters the band.
    """
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
            for big_n in range(1, min(int(comp.kmax / omega), _ONSET_BREAKS) + 1):
                breaks.update({big_n * omega / comp.kmax, big_n * omega / comp.kmin})
            if harmonics is not None:  # where the continuum split k_s = K Omega/|mu| enters the band
                breaks.update({harmonics * omega / comp.kmax, (harmonics // 2) * omega / comp.kmax})
        breaks.add(omega / comp.kmax)
    if not lows or min(lows) >= 1.0:
        raise NoResonantScattering(
            "no QLT resonant scattering for this tensor (2D turbulence alone has k_par = 0; or k_max < Omega): "
            "give the mixing time directly (omega_dt = Omega Delta T)")
    low, high = min(lows), max(highs)
    full = [c.kmax for c in tensor.components if c.where.full]
    return _Band(low, high, tuple(sorted(b for b in breaks if low < b < high)), max(full) if full else None)


@dataclass(frozen=True)
class _LambdaDensity:
    """(3/4)(1 - mu^2) [1/nu(mu) + 1/nu(-mu)]/2, the integrand of lambda_par in mu, at each split level."""

    tensor: AxisymmetricTensor
    omega: float
    levels: tuple[int | None, ...]
    rtol: float

    def __call__(self, mu: float) -> np.ndarray:
        out = np.empty(len(self.levels))
        exact_value = None  # levels whose split k_s lies above the band all give the exact rates
        for i, level in enumerate(self.levels):
            exact = level is None or level * self.omega / mu >= self.tensor.k_max
            if exact and exact_value is not None:
                out[i] = exact_value
                continue
            rate_p, rate_m = _rates(self.tensor, mu, self.omega, level)
            if rate_p <= 0 or rate_m <= 0:
                raise NoResonantScattering(f"D_mumu vanishes inside the resonant band at |mu| = {mu:.6g}")
            out[i] = 0.75 * (1.0 - mu * mu) * 0.5 * (1.0 / rate_p + 1.0 / rate_m)
            exact_value = out[i] if exact else exact_value
        return out


#: A piece of the lambda integral: the integrand in a local variable x, and x's range.
_Piece = tuple[Callable[[float], np.ndarray], float, float]


def _onset_pieces(density: _LambdaDensity, k_top: float, big_n: int, lo: float, hi: float) -> list[_Piece]:
    """The part [lo, hi] of the onset panel [N, N + 1] Omega/k_top of harmonic N, in variables that resolve it.

    Harmonic N enters at mu_N = N Omega/k_top with k_par = k_top and k_perp <= kappa_N,
    kappa_N^2 = k_top^2 - (N Omega/mu)^2; its weight ~ (kappa_N/N)^(2N) (a polynomial in kappa_N^2)
    saturates within kappa_N ~ N Omega, a layer N^3/(2 (k_top/Omega)^2) of the panel wide.  The panel
    is integrated in kappa_N up to 4 N Omega (the layer) and in kappa_N^2 above (smooth in mu, but for
    the ripple of each harmonic's band edge k = k_top, period ~ pi Omega in kappa_N).
    """
    n_omega = big_n * density.omega

    def in_kappa2(kap2: float) -> np.ndarray:  # d mu / d kappa^2 = N Omega / (2 (k_top^2 - kappa^2)^(3/2))
        root = math.sqrt(k_top**2 - kap2)
        return density(n_omega / root) * 0.5 * n_omega / root**3

    k2_lo, k2_hi = (max(k_top**2 - (n_omega / mu) ** 2, 0.0) for mu in (lo, hi))
    k2_mid = min(max((4.0 * n_omega) ** 2, k2_lo), k2_hi)
    pieces: list[_Piece] = []
    if k2_mid > k2_lo:
        pieces.append((lambda kap: 2.0 * kap * in_kappa2(kap * kap), math.sqrt(k2_lo), math.sqrt(k2_mid)))
    if k2_hi > k2_mid:
        pieces.append((in_kappa2, k2_mid, k2_hi))
    return pieces


def _lambda_integral(density: _LambdaDensity, lo: float, hi: float, band: _Band) -> tuple[np.ndarray, float]:
    """(3/4) int_lo^hi (1 - mu^2) [1/nu(mu) + 1/nu(-mu)]/2 dmu: lambda_par over |mu| in [lo, hi], at each split level.

    The first harmonic onsets of full-support components in their own variables (``_onset_pieces``),
    the rest in ln mu through the breakpoints of nu; all pieces laid end to end in one variable for one
    adaptive Gauss-Kronrod (10-21), so that its tolerance is relative to lambda_par, and all levels at
    the same nodes.  Returns the values and the quadrature's error estimate.
    """
    pieces: list[_Piece] = []
    if band.onset_k is not None:
        onsets = [n * density.omega / band.onset_k for n in range(1, _ONSET_PANELS + 1)]
        for big_n, (a, b) in enumerate(zip(onsets[:-1], onsets[1:]), start=1):
            if max(a, lo) < min(b, hi):
                pieces += _onset_pieces(density, band.onset_k, big_n, max(a, lo), min(b, hi))
        lo = max(lo, onsets[-1])
    if lo < hi:
        cuts = [lo] + [b for b in band.breaks if lo < b < hi] + [hi]
        pieces += [(lambda t: math.exp(t) * density(math.exp(t)), math.log(a), math.log(b)) for a, b in zip(cuts[:-1], cuts[1:])]
    starts = np.cumsum([0.0] + [b - a for _, a, b in pieces])

    def laid_end_to_end(x: float) -> np.ndarray:
        i = min(int(np.searchsorted(starts, x, side="right")) - 1, len(pieces) - 1)
        f, a, _ = pieces[i]
        return f(a + (x - starts[i]))

    v, e = integrate.quad_vec(laid_end_to_end, 0.0, float(starts[-1]), epsabs=0.0, epsrel=density.rtol, norm="max",
                              quadrature=_RULE, points=list(starts[1:-1]) or None, limit=4000)
    return np.asarray(v), float(e)


@dataclass(frozen=True)
class AxisymmetricQLT(QLTScattering):
    """crmix.qlt's QLT numbers (lambda_par, the band [mu_gap_low, mu_gap_high], gap_contribution) plus

    lambda_error      the error estimate of lambda_par: the mu quadrature's (adaptive Gauss-Kronrod)
                      plus ``continuum_error``;
    continuum_error   |lambda_par(K) - lambda_par(K/2)|, the straight-line continuum's error estimate
                      (K = ``harmonics``; 0 for the exact sum and for tensors without full support);
    edge_cut          True when the cut sits at EDGE_FACTOR Omega/k_max above the gap (full-support tensors).
    """

    lambda_error: float = 0.0
    continuum_error: float = 0.0
    edge_cut: bool = False


def qlt_scattering(tensor: AxisymmetricTensor, omega: float, *, edge_factor: float = EDGE_FACTOR,
                   harmonics: int | None = HARMONICS, rtol: float | None = None) -> AxisymmetricQLT:
    """lambda_par, the resonant band and the cut diagnostic of ``tensor`` (module docstring).

    ``edge_factor``: the mu cut in units of Omega/k_max for tensors with full-support components.
    ``harmonics``: K of the continuum split k_s = K Omega/|mu| (crmix.qlt_resonances); ``None`` sums every
    harmonic over the whole band (the reference: its cost grows like (k_max/Omega)^3).
    ``rtol``: relative tolerance of each adaptive piece of the mu integral (its estimate is in lambda_error);
    ``None``: MU_RTOL for tensors with full-support components (whose rate is costly), 1e-10 for the others.
    Raises :class:`NoResonantScattering` (a ValueError) for tensors without resonance (2D alone).
    """
    omega = _check_omega(omega)
    edge_factor = real("edge_factor", edge_factor, ge=1)
    harmonics = _check_harmonics(harmonics)
    band = _resonant_band(tensor, omega, harmonics)
    full = any(c.where.full for c in tensor.components)
    rtol = (MU_RTOL if full else 1e-10) if rtol is None else real("rtol (relative tolerance of the mu quadrature)", rtol,
                                                                  ge=1e-10, le=1e-2)
    cut = min(edge_factor * band.low, 0.5 * (band.low + band.high)) if full else band.low
    levels = (harmonics, harmonics // 2) if full and harmonics is not None else (harmonics,)
    values, quad_error = _lambda_integral(_LambdaDensity(tensor, omega, levels, rtol), cut, band.high, band)
    lam = float(values[0])
    split_error = float(abs(values[0] - values[-1]))
    if full:
        closer = 1.1 * band.low
        gap_density = _LambdaDensity(tensor, omega, levels[:1], max(rtol, _GAP_RTOL))
        extra = _lambda_integral(gap_density, closer, cut, band)[0][0] if cut > closer else 0.0
        gap = extra / lam
    else:
        gap = _line_gap_contribution(tensor, omega, band, lam)
    return AxisymmetricQLT(lambda_par=lam, mu_gap_low=cut, mu_gap_high=band.high, gap_contribution=gap,
                           lambda_error=quad_error + split_error, continuum_error=split_error, edge_cut=full)


def _line_gap_contribution(tensor: AxisymmetricTensor, omega: float, band: _Band, lam: float) -> float:
    """Relative lambda_par the gaps would add with every slab spectrum continued by its shape (as crmix.qlt)."""
    continued = AxisymmetricTensor(tuple(
        TensorComponent(c.name, c.support, c.spectrum, 1e-300, 1e300, c.polarisation)
        for c in tensor.components if c.where.along_b0))
    if not continued.components:
        return 0.0

    def integrand(mu: float) -> float:
        rates = [sum(_component_rate(c, sign * mu, omega, None) for c in continued.components) for sign in (1, -1)]
        return 0.75 * (1.0 - mu * mu) * 0.5 * (1.0 / rates[0] + 1.0 / rates[1])

    extra, _ = integrate.quad(integrand, 0.0, band.low, epsrel=1e-8, epsabs=0.0, limit=400)
    if band.high < 1.0:
        extra += integrate.quad(integrand, band.high, 1.0, epsrel=1e-8, epsabs=0.0, limit=400)[0]
    return extra / lam


def scattering_time(tensor: AxisymmetricTensor, omega: float) -> float:
    """Omega tau_s = Omega lambda_par / v of ``tensor`` (module docstring)."""
    return qlt_scattering(tensor, omega).tau_s
