"""<C_l> of the relative intensity for a TurbulenceModel: mixing time, mixing matrix, steady state, diagnostics.

This module assembles the pieces of KPM Sec. 2.2 / MA19 Sec. 3 for one model:

1. Delta T from :func:`crmix.solver.timestep.mixing_time` (given, KPM (51), or alpha).
2. M(Delta T) through the reduction the model's geometry names (crmix.geometry): the closed forms
   of :func:`crmix.solver.mixing.mixing_matrix` (slab; isotropic without B0) or the generic path of
   crmix.solver.axisymmetric (isotropic + B0, 2D, composites), truncated at l_max.
3. The dipole source S of KPM (18)/(20) (:func:`dipole_source`).
4. The steady state of KPM (20), exact at l_max, with its l_max drift and power budget, and
   optionally the extrapolation in l_max of KPM Sec. 2.2.3 (crmix.solver.steady_state).

Normalisation of the source
---------------------------
S = (8 pi/3) K_zz (d_z fbar/fbar)^2 (KPM (18); docs/physics.md; MA19 (3.4) prints 8 pi/9), with the
gradient along B0.  For slab models K_zz is the QLT value (crmix.qlt) and the gradient is
given as the length L_grad = fbar/|d_z fbar|; then Fick's law predicts the dipole power
C_1^QLT = 4 pi (K_zz/L_grad)^2 (KPM (56)-(57)), and ``C1_over_C1_QLT`` reports how the mixing
matrix's dipole compares (KPM Fig. 7: close to 1).  Without a QLT K (isotropic turbulence) crmix
follows MA19 Fig. 2 and fixes K |grad fbar/fbar|^2 = 1e-4 k_out unless ``source_rate`` is given.
C_l/C_1 does not depend on S at all.

The optional correction of KPM Sec. 3.3 multiplies S by 1/<cos a>^2, a the angle between B0 and the
local field B0 + dB of one realisation (the dipole follows the local field; KPM estimate
1/<cos a>^2 ~ 1/eta ~ 2 at eta = 0.5).  crmix evaluates <cos a> for the model's Gaussian field
(:func:`mean_cos_field_angle`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np
from scipy import integrate, special

from crmix.model import TurbulenceModel
from crmix.qlt import QLTScattering
from crmix.solver.choices import DEFAULT_LMAX, DEFAULT_LMAX_GENERIC, MIN_LMAX_EXTRAPOLATION
from crmix.solver.closure import (
    CLOSURES,
    ZONAL_CLOSURES,
    ZONAL_ROWS,
    ClosureSolution,
    closure_lmax_drift,
    solve_closure,
    zonal_columns,
    zonal_generator,
)
from crmix.solver.steady_state import (
    MIN_EXPONENT_FOR_LIMIT,
    Extrapolation,
    LmaxDrift,
    SteadyState,
    extrapolate_lmax,
    lmax_drift,
    steady_state,
)
from crmix.solver.timestep import MixingTime, MixingTimeRule, mixing_time
from crmix.validation import integer

__all__ = [
    "DEFAULT_LMAX",
    "DEFAULT_LMAX_GENERIC",
    "MA19_SOURCE",
    "SLOPE_RANGE",
    "AngularSpectrum",
    "MixingSource",
    "angular_power_spectrum",
    "check_spectrum_options",
    "dipole_source",
    "length_unit_pc",
    "mean_cos_field_angle",
    "solve_spectrum",
    "sourced_mixing_matrix",
    "spectral_slope",
]

#: MA19 Fig. 2: K |grad fbar / fbar|^2 = 1e-4 k_out when no K is known.
MA19_SOURCE = 1e-4
#: M(Delta T) truncated at l_max from outside the diagram expansion: ``source(dt, lmax)`` returns the
#: (lmax + 1)^2 matrix M_{l l0} of KPM (17) (e.g. measured by test particles: crmix.fit.mixing.MeasuredMixing).
MixingSource = Callable[[float, int], Any]
#: Multipole range of the fitted slope of C_l/C_1 (KPM Sec. 3.2 quote ~ -2.7 for l >~ 5).
SLOPE_RANGE = (5, 30)


def dipole_source(diffusion: float, gradient: float, correction: float = 1.0) -> float:
    """S = (8 pi/3) K (grad fbar/fbar)^2 times the optional 1/<cos a>^2 (KPM (18), docs/physics.md)."""
    for name, v in (("diffusion coefficient", diffusion), ("gradient", gradient), ("correction", correction)):
        if not (math.isfinite(v) and v > 0):
            raise ValueError(f"{name} must be finite and > 0, got {v!r}")
    return 8.0 * math.pi / 3.0 * diffusion * gradient**2 * correction


def length_unit_pc(model: TurbulenceModel) -> float:
    """The length 1/Omega_ref (c = 1) in parsec, for a model built with TurbulenceModel.from_physical."""
    if model.physical is None:
        raise ValueError("the model carries no physical scale: build it with TurbulenceModel.from_physical")
    return model.physical.l_c_pc / model.L_c


def mean_cos_field_angle(model: TurbulenceModel) -> float:
    """<cos a>, a the angle between B0 and the local field B0 + dB, for Gaussian dB (KPM Sec. 3.3).

    The geometry's ``parallel_fraction`` p = <w_z^2>/<w^2> (crmix.geometry) fixes the Gaussian field:
    w_z of variance p s, the transverse |w_perp|^2 exponential with mean (1 - p) s, s = eta/(1-eta).
    Slab and 2D (p = 0): <cos a> = <1/sqrt(1 + |w|^2)> = sqrt(pi/s) erfcx(1/sqrt(s)).
    Isotropic (p = 1/3): the transverse average in closed form as above, the parallel one by quadrature.
    """
    if model.Omega <= 0.0:
        raise ValueError("eta must be < 1 for the 1/<cos a>^2 correction: without B0 there is no angle to B0")
    s = model.omega_rms2

    def transverse(a: Any, b: float) -> Any:  # <a / sqrt(a^2 + b x)>, x ~ Exp(1)
        return a * np.sqrt(np.pi / b) * special.erfcx(np.abs(a) / np.sqrt(b))

    p = model.turbulence.parallel_fraction
    if p == 0.0:
        return float(transverse(1.0, s))
    sz = math.sqrt(s * p)  # w_z ~ N(0, p s); the integrand has a kink where 1 + w_z = 0

    def parallel(z: float) -> float:
        return math.exp(-0.5 * (z / sz) ** 2) / (sz * math.sqrt(2 * math.pi)) * float(transverse(1.0 + z, (1.0 - p) * s))

    below, _ = integrate.quad(parallel, -math.inf, -1.0, epsabs=1e-13)
    above, _ = integrate.quad(parallel, -1.0, math.inf, epsabs=1e-13)
    return below + above


def spectral_slope(C: np.ndarray, lo: int = SLOPE_RANGE[0], hi: int = SLOPE_RANGE[1]) -> float:
    """Least-squares slope of log C_l against log l over lo <= l <= min(hi, l_max); NaN if < 2 points."""
    ell = np.arange(len(C))
    use = (ell >= lo) & (ell <= hi) & np.isfinite(C) & (C > 0)
    if use.sum() < 2:
        return math.nan
    return float(np.polyfit(np.log(ell[use]), np.log(C[use]), 1)[0])


@dataclass(frozen=True)
class AngularSpectrum:
    """The steady-state <C_l> of one model and everything needed to judge it.

    ``C`` is the result truncated at l_max (exact), or the l_max extrapolation when requested
    (NaN above the extrapolated range), or the chosen closure's (crmix.solver.closure) when that is
    not "truncated"; ``steady`` and ``drift`` always describe the truncated form.  ``metadata`` is
    flat and goes into the output table.
    """

    model: TurbulenceModel
    timestep: MixingTime
    steady: SteadyState
    drift: LmaxDrift
    extrapolation: Extrapolation | None
    qlt: QLTScattering | None
    source_rate: float
    C1_QLT: float
    mixing_error: float
    metadata: dict[str, Any] = field(repr=False)
    closure: ClosureSolution | None = None

    @property
    def C(self) -> np.ndarray:
        if self.closure is not None:
            return self.closure.C
        return self.steady.C if self.extrapolation is None else self.extrapolation.C

    @property
    def ell(self) -> np.ndarray:
        return np.arange(len(self.C))

    @property
    def ratio(self) -> np.ndarray:
        """C_l / C_1."""
        return self.C / self.C[1]

    @property
    def slope(self) -> float:
        """Fitted slope of C_l/C_1 over SLOPE_RANGE (log-log)."""
        return spectral_slope(self.ratio)


def sourced_mixing_matrix(source: MixingSource, dt: float, lmax: int) -> np.ndarray:
    """M = source(dt, lmax) checked: a finite (lmax + 1)^2 matrix, ValueError otherwise."""
    M = np.asarray(source(float(dt), int(lmax)), dtype=float)
    if M.shape != (lmax + 1, lmax + 1) or not np.all(np.isfinite(M)):
        raise ValueError(f"the mixing source must give a finite ({lmax + 1}, {lmax + 1}) matrix at dt = {dt:.4g}, got shape {M.shape}")
    return M


def _nanmax(a: np.ndarray) -> float:
    finite = a[np.isfinite(a)]
    return float(np.max(finite)) if finite.size else math.nan


def _ranges(ells: tuple[int, ...]) -> str:
    """(1, 2, 3, 7) -> '1-3, 7'."""
    out, start = [], ells[0]
    for prev, cur in zip(ells, ells[1:] + (None,)):
        if cur != prev + 1:
            out.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = cur
    return ", ".join(out)


def _source(
    model: TurbulenceModel, qlt: QLTScattering | None, gradient_length: float | None, correction: float
) -> tuple[float, float, str]:
    """(S, C_1^QLT, description) for the model (module docstring)."""
    if qlt is not None:
        if gradient_length is None or not (math.isfinite(gradient_length) and gradient_length > 0):
            raise ValueError(f"gradient length (fbar/|d_z fbar|) must be finite and > 0, got {gradient_length!r}")
        S = dipole_source(qlt.K_zz, 1.0 / gradient_length, correction)
        return S, 4.0 * math.pi * (qlt.K_zz / gradient_length) ** 2, "(8 pi/3) K_zz^QLT / L_grad^2"
    return dipole_source(MA19_SOURCE * model.k_min, 1.0, correction), math.nan, "(8 pi/3) 1e-4 k_out (MA19 Fig. 2)"


def _closure(name: str, model: TurbulenceModel, m1a: np.ndarray, m1c: np.ndarray, dt: float, S: float, lmax: int,
             rtol: float) -> tuple[ClosureSolution | None, dict[str, Any]]:
    """The closure's solution (None for the truncated form) and its metadata (crmix.solver.closure)."""
    if name == "truncated":
        return None, {"closure": name}
    coefficients, rows = None, lmax
    if name in ZONAL_CLOSURES:
        rows = max(lmax, ZONAL_ROWS)
        coefficients = zonal_generator(*zonal_columns(model, dt, rows, rtol=rtol))
    solution = solve_closure(name, m1a, m1c, dt, S, coefficients=coefficients)
    _, drift = (closure_lmax_drift(name, m1a, m1c, dt, S, coefficients=coefficients, solution=solution) if lmax >= 4
                else (None, math.nan))
    return solution, {
        "closure": name,
        "closure_rows": rows,
        "closure_theta_resolved": solution.theta_resolved,
        "closure_monopole_fraction": solution.monopole_fraction,
        "closure_sink_fraction": solution.sink_fraction,
        "closure_lmax_drift_max": drift,
    }


def check_spectrum_options(model: TurbulenceModel, lmax: int, closure: str, extrapolate: float | None,
                           mixing: MixingSource | None = None) -> int:
    """The truncation, closure and extrapolation of a spectrum, checked once before any work; returns l_max."""
    lmax = integer("lmax", lmax, ge=2)
    if closure not in CLOSURES:
        raise ValueError(f"closure must be one of {CLOSURES}, got {closure!r}")
    if extrapolate is not None and closure != "truncated":
        raise ValueError(f"the l_max extrapolation applies to the truncated form only, got closure {closure!r}")
    if extrapolate is not None and not (extrapolate >= lmax):
        raise ValueError(f"extrapolation target must be >= lmax = {lmax} (or inf), got {extrapolate!r}")
    if extrapolate is not None and lmax < MIN_LMAX_EXTRAPOLATION:
        raise ValueError(f"lmax must be >= {MIN_LMAX_EXTRAPOLATION} to extrapolate in lmax, got {lmax}")
    if mixing is not None and closure != "truncated":
        raise ValueError(f"a measured mixing matrix is solved by KPM (20) truncated at lmax: closure must be 'truncated', got {closure!r}")
    if closure in ZONAL_CLOSURES and model.turbulence.closed_form(model) is None:
        raise ValueError(f"closure {closure!r} needs the closed-form columns of M (slab; isotropic without B0), and "
                         f"{model.geometry} turbulence on {model.turbulence.orbit(model)} orbits has none: use "
                         "'truncated' or 'bourret'")
    return lmax


def angular_power_spectrum(
    model: TurbulenceModel,
    *,
    lmax: int = DEFAULT_LMAX,
    omega_dt: float | None = None,
    alpha: float | None = None,
    dt_rule: str | MixingTimeRule | None = None,
    dt_coefficient: float | None = None,
    extrapolate: float | None = None,
    closure: str = "truncated",
    **options: Any,
) -> AngularSpectrum:
    """Steady-state <C_l>, l = 0 .. l_max, of the relative intensity (KPM (4), (20); module docstring).

    Checks ``lmax``, ``closure`` and ``extrapolate`` (:func:`check_spectrum_options`), fixes Delta T from
    ``omega_dt``, ``alpha`` or the rule (crmix.solver.timestep.mixing_time) and solves
    (:func:`solve_spectrum`, which takes the other ``options``):

    gradient_length
        fbar/|d_z fbar| in units of 1/Omega_ref (slab models; sets the absolute scale of C_l).
    cos_alpha_correction
        Multiply the source by 1/<cos a>^2 (KPM Sec. 3.3).
    extrapolate
        ``None``, or the l_max to extrapolate to (``math.inf`` for KPM Sec. 2.2.3's limit); C is then
        replaced by the extrapolation (crmix.solver.steady_state.extrapolate_lmax).
    closure
        One of crmix.solver.closure.CLOSURES; "truncated" is the seeds' KPM (20).  The zonal closures
        ("continuum", "flux") take columns 1, 2 of M^(1c) to max(lmax, ZONAL_ROWS) rows, so that their
        C_l do not depend on lmax; "bourret" works on M at lmax.
    rtol, progress
        Tolerance of the mixing matrix (default: its path's, crmix.solver.dispatch.mixing_rtol); a progress bar.
    xp
        Array namespace of the closed-form mixing matrix (NumPy, or CuPy on a GPU); the steady state,
        the closures and the generic path run on the host.
    mixing
        ``None``: M of the first order of the diagram expansion (the seeds' theory).  A
        :data:`MixingSource`: M(Delta T) from that source instead (e.g. measured by test particles),
        solved by KPM (20) truncated at l_max (``closure`` "truncated"; the other closures are built
        on the first order's parts and are refused).
    """
    lmax = check_spectrum_options(model, lmax, closure, extrapolate, options.get("mixing"))
    timestep = mixing_time(model, omega_dt=omega_dt, alpha=alpha, rule=dt_rule, coefficient=dt_coefficient)
    return solve_spectrum(model, timestep, lmax=lmax, extrapolate=extrapolate, closure=closure, **options)


def solve_spectrum(
    model: TurbulenceModel,
    timestep: MixingTime,
    *,
    lmax: int,
    gradient_length: float | None = None,
    cos_alpha_correction: bool = False,
    extrapolate: float | None = None,
    closure: str = "truncated",
    rtol: float | None = None,
    progress: bool = False,
    xp: ModuleType = np,
    mixing: MixingSource | None = None,
) -> AngularSpectrum:
    """<C_l> for a model whose options were checked (:func:`check_spectrum_options`) and Delta T fixed
    (crmix.solver.timestep.mixing_time, or a crmix.theory.SpectrumRequest): nothing is checked again."""
    qlt = model.turbulence.qlt(model)
    correction = 1.0 / mean_cos_field_angle(model) ** 2 if cos_alpha_correction else 1.0
    S, C1_qlt, source_text = _source(model, qlt, gradient_length, correction)

    from crmix.solver.dispatch import mixing_rtol, model_mixing_matrix

    rtol = mixing_rtol(model, rtol)
    if mixing is None:
        mm = model_mixing_matrix(model, timestep.dt, int(lmax), rtol=rtol, progress=progress, xp=xp).on_host()
        m1a, m1c, M, mixing_error = mm.m1a, mm.m1c, mm.full, float(mm.error)
    else:
        M, mixing_error = sourced_mixing_matrix(mixing, timestep.dt, int(lmax)), math.nan
        m1a = m1c = None
    steady = steady_state(M, timestep.dt, S)
    drift = lmax_drift(M, timestep.dt, S)
    extrapolation = None if extrapolate is None else extrapolate_lmax(M, timestep.dt, S, target=float(extrapolate))
    closed, closure_meta = (None, {"closure": closure}) if m1a is None else _closure(closure, model, m1a, m1c, timestep.dt, S, int(lmax), rtol)
    if closure == "truncated" and drift.max_abs > 0.05:
        warnings.warn(
            f"C_l/C_1 drifts by up to {drift.max_abs:.1%} (l <= {drift.ell_range[1]}) between lmax = "
            f"{drift.lmax_half} and {drift.lmax}: the truncation matters (see lmax_drift in the output)",
            stacklevel=2,
        )
    meta: dict[str, Any] = dict(model.describe())
    meta.update(timestep.describe())
    meta.update(
        {
            "lmax": int(lmax),
            "source_rate": S,
            "source": source_text,
            "gradient_length": gradient_length if gradient_length is not None else float("nan"),
            "cos_alpha_correction": correction,
            "mixing_rtol": rtol,
            "mixing_path": ("given (measured)" if mixing is not None
                            else "closed form" if model.turbulence.closed_form(model) is not None else "generic"),
            "orbit": model.turbulence.orbit(model),
            "mixing_error": mixing_error,
            "steady_state_residual": steady.residual,
            "monopole_rate": steady.monopole_rate,
            "leak_rate": steady.leak_rate,
            "leak_fraction": steady.leak_rate / (3.0 * S),
            "monopole_fraction": steady.monopole_rate / (3.0 * S),
            "lmax_drift_max": drift.max_abs,
            "lmax_drift_ell_range": list(drift.ell_range),
            "lmax_drift_lmax_half": drift.lmax_half,
            "lmax_drift": [float(d) for d in drift.drift],
            "C1_QLT": C1_qlt,
            "C1_over_C1_QLT": steady.C[1] / C1_qlt,
            "extrapolated": extrapolate is not None,
        }
    )
    meta.update(closure_meta)
    if qlt is not None:
        meta.update(
            {
                "lambda_par": qlt.lambda_par,
                "K_zz": qlt.K_zz,
                "mu_gap_low": qlt.mu_gap_low,
                "mu_gap_high": qlt.mu_gap_high,
                "gap_contribution": qlt.gap_contribution,
            }
        )
    if extrapolation is not None:
        meta.update(
            {
                "extrapolation_target": extrapolation.target,
                "extrapolation_ell_max": extrapolation.ell_max,
                "extrapolation_exponent": [float(p) for p in extrapolation.exponent],
                "extrapolation_fit_residual_max": _nanmax(extrapolation.fit_residual),
                "extrapolation_correction_max": _nanmax(np.abs(extrapolation.correction[1:])),
                "extrapolation_no_limit": list(extrapolation.no_limit),
            }
        )
        if extrapolation.no_limit:
            warnings.warn(
                f"no lmax -> infinity limit for l in {_ranges(extrapolation.no_limit)}: C_l grows like "
                f"ln lmax there (fitted exponent < {MIN_EXPONENT_FOR_LIMIT}); those C_l are NaN; extrapolate "
                "to a finite lmax instead",
                stacklevel=2,
            )
    result = AngularSpectrum(
        model=model,
        timestep=timestep,
        steady=steady,
        drift=drift,
        extrapolation=extrapolation,
        qlt=qlt,
        source_rate=S,
        C1_QLT=C1_qlt,
        mixing_error=mixing_error,
        metadata=meta,
        closure=closed,
    )
    meta["slope"] = result.slope
    meta["slope_ell_range"] = list(SLOPE_RANGE)
    return result
