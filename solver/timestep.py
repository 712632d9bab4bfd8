"""The mixing time Delta T: given directly, from the QLT scattering time (KPM (51)), or from alpha (MA19).

Delta T is the one free parameter of the mixing equation (KPM Sec. 2.2.1, 2.2.4; MA19 Sec. 3).
Three ways to fix it, all in units of 1/Omega_ref (crmix.model):

* directly, ``omega_dt = Omega Delta T``;
* ``rule="kpm51"``: Omega Delta T = c (Omega tau_s)^(1/3), KPM (51) with c = 4 fitted to
  simulations in KPM Sec. 3.2 (Fig. 6); tau_s is the QLT scattering time of the model's geometry
  (``model.turbulence.qlt(model)``, crmix.geometry): slab's closed form (crmix.qlt), isotropic + B0
  with its resonance structure and a composite from its resonant (slab) part
  (crmix.qlt_axisymmetric).  c is calibrated for slab only;
* ``rule="scattering"``: Delta T = c tau_s (QLT tau_s), with c = SCATTERING_FRACTION the one value for
  which KPM (20) with the mixing matrix measured by test particles (``crmix mixing``; a
  crmix.solver.spectrum.MixingSource) reproduces the simulated C_l/C_1 of the slab validation
  ensembles (docs/validation.md); the rule to use with a measured M, not with the first order;
* ``rule="crossing"``: Delta T = c tau_s + b L_c/v, c = CROSSING_RULE[0] and b = CROSSING_RULE[1]: a part of
  the scattering time plus a part of the time to cross a correlation length.  With the measured M, the
  best Delta T of each slab validation ensemble is not one fraction of tau_s (its fraction falls as
  tau_s/L_c grows, at both turbulence levels); the two constants were fitted to five of the six
  ensembles, each of which it then predicts left out of the fit, and predicted the sixth before it was
  simulated (docs/validation.md).  ``coefficient`` replaces c; b stays;
* ``alpha = k_in Delta T`` (MA19 Sec. 3.2), k_in = ``model.k_max``; the only choice besides
  ``omega_dt`` where QLT gives no scattering time: MA19's straight-line orbits (eta = 1) and 2D
  turbulence alone (k_par = 0, no resonant scattering).

The mixing equation assumes gyro-resonant interactions and unperturbed orbits, so it is valid for
Omega Delta T >~ 2 pi and Delta T < tau_s (KPM Sec. 2.2.1).  Outside that range
:func:`mixing_time` warns (``warnings.warn``) and records the reason in ``MixingTime.warnings``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

from crmix.model import TurbulenceModel
from crmix.validation import real

__all__ = [
    "CROSSING_CALIBRATED",
    "CROSSING_RULE",
    "DT_RULES",
    "KPM51_COEFFICIENT",
    "RULE_COEFFICIENTS",
    "SCATTERING_FRACTION",
    "MixingTime",
    "MixingTimeRule",
    "MixingTimeWarning",
    "crossing_time",
    "mixing_time",
]

#: Rules that derive Delta T from the model.
DT_RULES = ("kpm51", "scattering", "crossing")
#: c in Omega Delta T = c (Omega tau_s)^(1/3), fitted in KPM Sec. 3.2 (Fig. 6).
KPM51_COEFFICIENT = 4.0
#: c in Delta T = c tau_s: the one c of the measured mixing matrix against the slab ensembles (docs/validation.md).
SCATTERING_FRACTION = 0.45
#: (c, b) in Delta T = c tau_s + b L_c/v: the measured mixing matrix against the slab ensembles (docs/validation.md).
CROSSING_RULE = (0.309, 0.103)
#: tau_s v / L_c of the ensembles that calibrate the crossing rule: outside it the rule is an extrapolation (warned).
CROSSING_CALIBRATED = (0.42, 7.2)
#: each rule's default coefficient (of tau_s or of tau_s^(1/3))
RULE_COEFFICIENTS = {"kpm51": KPM51_COEFFICIENT, "scattering": SCATTERING_FRACTION, "crossing": CROSSING_RULE[0]}
#: A replaceable mixing-time rule: rule(model) -> Delta T in 1/Omega_ref.
MixingTimeRule = Callable[[TurbulenceModel], float]


class MixingTimeWarning(UserWarning):
    """Delta T lies outside the validity range of the mixing equation (KPM Sec. 2.2.1)."""


@dataclass(frozen=True)
class MixingTime:
    """Delta T and where it came from, in units of 1/Omega_ref.

    dt
        Delta T.
    source
        ``"omega_dt"``, ``"kpm51"``, ``"scattering"``, ``"crossing"``, ``"alpha"`` or ``"rule NAME"`` (a rule function).
    tau_s
        The QLT scattering time when the model has one (``model.turbulence.has_qlt(model)``) and it was
        computed (the kpm51 rule; slab always), else ``None``.
    alpha
        k_in Delta T (k_in = model.k_max), always reported.
    warnings
        Human-readable reasons why Delta T is outside the validity range (empty when inside).
    """

    dt: float
    source: str
    tau_s: float | None
    alpha: float
    Omega: float
    warnings: tuple[str, ...] = field(default=())

    @property
    def omega_dt(self) -> float:
        """Omega_ref Delta T (the unit of time is 1/Omega_ref)."""
        return self.dt

    @property
    def messages(self) -> tuple[str, ...]:
        """The warnings as :func:`mixing_time` issues them."""
        return tuple(f"mixing time outside the validity range: {text}" for text in self.warnings)

    def describe(self) -> dict[str, object]:
        """Flat dictionary for output metadata."""
        return {
            "dt": self.dt,
            "dt_source": self.source,
            "omega_dt": self.omega_dt,
            "alpha": self.alpha,
            "tau_s": self.tau_s if self.tau_s is not None else float("nan"),
            "dt_warnings": list(self.warnings),
        }


def crossing_time(model: TurbulenceModel, tau_s: float, coefficient: float = CROSSING_RULE[0]) -> float:
    """Delta T = c tau_s + b L_c/v (v = 1; ``rule="crossing"``, module docstring), in 1/Omega_ref."""
    return coefficient * tau_s + CROSSING_RULE[1] * model.L_c


def mixing_time(
    model: TurbulenceModel,
    *,
    omega_dt: float | None = None,
    alpha: float | None = None,
    rule: str | MixingTimeRule | None = None,
    coefficient: float | None = None,
) -> MixingTime:
    """Fix Delta T for ``model``: give exactly one of ``omega_dt``, ``alpha``, ``rule`` (module docstring).

    ``rule`` is a name of DT_RULES or a function ``rule(model) -> Delta T`` (1/Omega_ref): the explicit,
    replaceable choice where QLT gives no scattering time (2D) or KPM (51) is not calibrated.  With
    none given, models with a QLT scattering time use ``rule="kpm51"``; the others (isotropic without
    B0, 2D) must give ``alpha``, ``omega_dt`` or a rule function.
    """
    given = [name for name, v in (("omega_dt", omega_dt), ("alpha", alpha), ("rule", rule)) if v is not None]
    if len(given) > 1:
        raise ValueError(f"give at most one of omega_dt, alpha, dt rule; got {', '.join(given)}")
    if not given:
        if not model.turbulence.has_qlt(model):
            raise ValueError(
                "the mixing time needs alpha = k_in dt (> 0) or omega_dt (> 0) for "
                f"{model.geometry} turbulence with eta = {model.eta}: no QLT scattering time here"
            )
        rule = "kpm51"
    if rule is not None and not callable(rule) and rule not in DT_RULES:
        raise ValueError(f"dt rule must be one of {DT_RULES} or a function of the model, got {rule!r}")
    if coefficient is None:
        coefficient = RULE_COEFFICIENTS[rule] if isinstance(rule, str) else KPM51_COEFFICIENT
    coefficient = real("dt coefficient c", coefficient, gt=0)

    # tau_s for the rules; with Delta T given, only where it is a closed form (slab) -- the generic resonance
    # sum (crmix.qlt_axisymmetric) takes seconds at the default band, not spent just to warn
    wanted = (rule is not None and not callable(rule)) or model.turbulence.slab_qlt
    qlt = model.turbulence.qlt(model) if wanted else None
    tau_s = qlt.tau_s if qlt is not None else None
    if omega_dt is not None:
        dt, source = real("omega_dt", omega_dt, gt=0), "omega_dt"
    elif alpha is not None:
        dt, source = real("alpha", alpha, gt=0) / model.k_max, "alpha"
    elif callable(rule):
        dt, source = real("Delta T from the dt rule", rule(model), gt=0), f"rule {getattr(rule, '__name__', 'function')}"
    else:
        if tau_s is None:
            raise ValueError(
                f"dt rule {rule!r} needs a QLT scattering time (a regular field, eta < 1, and resonant "
                f"turbulence: 2D alone has none); give alpha or omega_dt for {model.geometry} turbulence "
                f"with eta = {model.eta}"
            )
        if rule == "scattering":
            dt, source = coefficient * tau_s, "scattering"
        elif rule == "crossing":
            dt, source = crossing_time(model, tau_s, coefficient), "crossing"
        else:
            dt, source = coefficient * tau_s ** (1.0 / 3.0), "kpm51"  # KPM (51)

    problems = []
    if model.Omega > 0.0 and model.Omega * dt < 2.0 * math.pi:
        problems.append(
            f"Omega dt = {model.Omega * dt:.3g} < 2 pi: too short for gyroresonant interactions (KPM Sec. 2.2.1)"
        )
    if source == "crossing" and tau_s is not None and not CROSSING_CALIBRATED[0] <= tau_s / model.L_c <= CROSSING_CALIBRATED[1]:
        problems.append(
            f"tau_s v/L_c = {tau_s / model.L_c:.3g} lies outside [{CROSSING_CALIBRATED[0]:g}, {CROSSING_CALIBRATED[1]:g}], "
            "the range of the ensembles the crossing rule was calibrated on (docs/validation.md)"
        )
    if tau_s is not None and dt >= tau_s:
        problems.append(
            f"dt = {dt:.3g} >= tau_s = {tau_s:.3g}: orbits are no longer unperturbed (KPM Sec. 2.2.1)"
        )
    step = MixingTime(dt=dt, source=source, tau_s=tau_s, alpha=dt * model.k_max, Omega=model.Omega, warnings=tuple(problems))
    for message in step.messages:
        warnings.warn(message, MixingTimeWarning, stacklevel=2)
    return step
