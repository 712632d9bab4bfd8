"""What an ensemble depends on (:class:`SimulationConfig`) and how it is reduced (:class:`Analysis`), checked once.

``crmix simulate`` and ``crmix scan`` build both from their options (:meth:`SimulationConfig.from_physical`,
:meth:`Analysis.from_physical`, which take astropy Quantities or their text); a Python user builds
the same objects, from Quantities or from a :class:`crmix.TurbulenceModel` in internal units.  The
constructors check every value (a ValueError names the option of ``crmix simulate`` and its range)
and compute, once, the Boris step dt and the backtracking times rounded to whole steps
(:func:`crmix.simulate.boris.record_steps`): the runner, the pusher, the resource estimate and the Dask tasks read
``config.dt`` and ``config.steps`` and never recompute or re-check them.

This module imports no healpy, numba or astropy at import time (the commands' parsers read its choices).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from crmix.model import NAMED_SPECTRA, RG_OVER_LAMBDA_MIN, TurbulenceModel
from crmix.simulate.boris import MIN_STEPS_PER_GYRATION, MIN_STEPS_PER_WAVELENGTH, StepRule, record_steps
from crmix.validation import integer, real

__all__ = [
    "FIELD_METHODS",
    "NOISE_ESTIMATORS",
    "PARAMETER_OPTIONS",
    "Analysis",
    "SimulationConfig",
    "check_steps",
    "parse_times",
]

FIELD_METHODS = ("grid", "waves")
#: The estimators of the shot noise N_l (crmix.simulate.skymap).
NOISE_ESTIMATORS = ("pixel", "kpm")
_STEP_OPTIONS = "--step, --steps-per-gyration, --steps-per-wavelength"
#: the options of crmix simulate that set each parameter of run.json (named when a resume is refused)
PARAMETER_OPTIONS = {
    "model": "--geometry, --slab-fraction, --eta, --rigidity, --brms, --lc, --rg-over-lambda-min", "spectrum": "--spectrum, --rg-over-lambda-min",
    "nside": "--nside", "times": "--times", "recorded_times": f"--times, {_STEP_OPTIONS}", "seed": "--seed", "dt": _STEP_OPTIONS,
    "step_rule": _STEP_OPTIONS, "method": "--field", "l_avg": "--lc", "backend": "--backend", "dtype": "the precision",
}


def _named(flag: str, check: Any, *args: Any) -> Any:
    """``check(*args)``, its ValueError prefixed with the option ``flag``."""
    try:
        return check(*args)
    except ValueError as exc:
        raise ValueError(f"{flag}: {exc}") from None


def parse_times(text: str | Sequence[float]) -> tuple[float, ...]:
    """--times: comma-separated backtracking times T > 0 in 1/Omega, strictly increasing (or a sequence of them)."""
    try:
        values = tuple(float(t) for t in (text.split(",") if isinstance(text, str) else text) if str(t).strip())
    except ValueError as exc:
        raise ValueError(f"--times must be comma-separated numbers (backtracking times in 1/Omega), got {text!r}") from exc
    if not values or not all(math.isfinite(t) and t > 0 for t in values):
        raise ValueError(f"--times must be backtracking times T > 0 (in 1/Omega), got {text!r}")
    if any(b <= a for a, b in zip(values, values[1:])):
        raise ValueError(f"--times must be strictly increasing, got {text!r}")
    return values


@dataclass(frozen=True)
class SimulationConfig:
    """Everything the realisations depend on (and nothing else: the mapping is the :class:`Analysis`).

    method
        ``"grid"`` (slab table / nested grids / the tensor synthesis, as the geometry names it:
        crmix.geometry) or ``"waves"`` (plane-wave sum; slab and isotropic).
    l_avg
        Side of the cube for the local mean field; None means L_c / 30 (KPM Sec. 3.3).
    backend, dtype
        The pusher and its precision.  Backtracking is chaotic: different backends or precisions give
        trajectories that part after a few hundred gyro-times, so both belong to the run's identity.

    Derived once in the constructor: ``dt`` (the Boris step of ``step`` for the model) and ``steps``
    (the step counts of the recorded times, :func:`crmix.simulate.boris.record_steps`).
    """

    model: TurbulenceModel
    nside: int = 8
    times: tuple[float, ...] = (10.0, 30.0, 100.0, 300.0)
    seed: int = 0
    step: StepRule = field(default_factory=StepRule)
    method: str = "grid"
    l_avg: float | None = None
    dtype: str = "float64"
    backend: str = "numba"
    synthesis_options: tuple[tuple[str, Any], ...] = ()
    dt: float = field(init=False, compare=False)
    steps: np.ndarray = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        from crmix.simulate.backtrack import BACKENDS, validate_nside
        from crmix.simulate.realisation import synthesiser

        _named("--nside", validate_nside, self.nside)
        dt = _named("--step", self.step.dt, self.model)
        object.__setattr__(self, "dt", dt)
        object.__setattr__(self, "steps", _named("--times", record_steps, self.times, dt))
        integer("--seed", self.seed, ge=0)
        if self.method not in FIELD_METHODS:
            raise ValueError(f"--field must be one of {FIELD_METHODS}, got {self.method!r}")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")
        if self.backend not in BACKENDS:
            raise ValueError(f"--backend must be one of {BACKENDS}, got {self.backend!r}")
        if self.backend == "cupy":
            from crmix.backend import cupy_or_none

            if cupy_or_none() is None:
                raise ValueError("--backend cupy needs CuPy and a CUDA device; use numba or numpy")
        synthesiser(self.model, self.method)

    @classmethod
    def from_physical(
        cls,
        geometry: Any = "slab",
        *,
        rigidity: Any = "1PV",
        b_rms: Any = "4uG",
        l_c: Any = "30pc",
        eta: float | None = None,
        spectrum: str = "kolmogorov",
        rg_over_lambda_min: float | None = None,
        times: str | Sequence[float] = (10.0, 30.0, 100.0, 300.0),
        step: StepRule | None = None,
        **options: Any,
    ) -> SimulationConfig:
        """The configuration of a model in physical units (Quantities or their text, as ``crmix simulate`` takes them).

        ``eta``: None is 0.5, or 1 (MA19) for a geometry that needs no regular field; ``rg_over_lambda_min``:
        None is 150 (KPM Sec. 2.1.2); ``times`` in 1/Omega; ``options``: the other fields (nside, seed, method, backend).
        """
        import astropy.units as u

        from crmix.geometry import TurbulenceLevelError, geometry_for
        from crmix.units import quantity, reduced_rigidity

        turbulence = geometry_for(geometry)
        eta = (0.5 if turbulence.needs_regular_field else 1.0) if eta is None else eta
        eta = real("--eta", eta)
        rigidity = quantity(rigidity, u.V, "--rigidity", example="1PV")
        b_rms = quantity(b_rms, u.G, "--brms", example="4uG")
        l_c = quantity(l_c, u.pc, "--lc", example="30pc")
        ratio = RG_OVER_LAMBDA_MIN if rg_over_lambda_min is None else rg_over_lambda_min
        if not (math.isfinite(ratio) and ratio > 0):
            raise ValueError(f"--rg-over-lambda-min must be > 0, got {ratio}")
        if spectrum not in NAMED_SPECTRA:
            raise ValueError(f"--spectrum must be one of {tuple(NAMED_SPECTRA)}, got {spectrum!r}")
        rho = reduced_rigidity(rigidity, b_rms, l_c)
        try:  # the model checks eta (once); its message names the option here
            model = TurbulenceModel.from_physical(turbulence, rigidity=rigidity, b_rms=b_rms, l_c=l_c, eta=eta,
                                                  spectrum=NAMED_SPECTRA[spectrum](kmax=2.0 * math.pi * ratio / rho))
        except TurbulenceLevelError as exc:
            raise ValueError(f"--{exc}") from None
        return cls(model=model, times=parse_times(times), step=step or StepRule(), **options)

    @property
    def recorded_times(self) -> np.ndarray:
        """The backtracking times T rounded to whole steps (``steps * dt``), in 1/Omega."""
        return self.steps * self.dt

    @property
    def particle_steps(self) -> int:
        """Boris steps of one realisation: the last recorded step for each of the 12 Nside^2 particles."""
        return int(self.steps[-1]) * 12 * self.nside**2

    @property
    def l_avg_value(self) -> float:
        return self.l_avg if self.l_avg is not None else self.model.L_c / 30.0

    @property
    def length_unit_pc(self) -> float:
        """One length unit 1/Omega in pc (the model's physical scale; ValueError without one)."""
        if self.model.physical is None:
            raise ValueError("the model has no physical scale (build it with TurbulenceModel.from_physical)")
        return self.model.physical.l_c_pc / self.model.L_c

    def parameters(self) -> dict[str, Any]:
        """A JSON-able dictionary that identifies the run (compared on resume)."""
        return {
            "model": self.model.describe(),
            "spectrum": asdict(self.model.spectrum),
            "nside": self.nside,
            "times": [float(t) for t in self.times],
            "recorded_times": [float(t) for t in self.recorded_times],
            "seed": int(self.seed),
            "dt": self.dt,
            "step_rule": asdict(self.step),
            "method": self.method,
            "l_avg": self.l_avg_value,
            "dtype": self.dtype,
            "backend": self.backend,
            "synthesis_options": dict(self.synthesis_options),
        }


@dataclass(frozen=True)
class Analysis:
    """How the realisations are reduced to ensemble statistics (none of it changes a realisation).

    gradient
        g = grad f-bar / f-bar in 1/Omega units; None means z-hat / L_c (along B0, KPM Sec. 3.3).
        Every C_l scales as |g|^2.
    diffusion
        The ONE diffusion tensor of the Liouville mapping KPM (3) for every T: ``"qlt"`` (K_zz of slab
        QLT, crmix.qlt), ``"ensemble"`` (the ensemble's <r r>/(2 T) at the largest T requested, so it
        depends on that T), or a 3x3 matrix in 1/Omega units (c = 1).  None: QLT where the model has
        it (slab with a regular field), else the ensemble estimate.
    noise
        The estimator of the shot noise N_l: ``"pixel"`` or ``"kpm"`` (crmix.simulate.skymap).
    lmax
        Largest multipole of the tables; None means 2 N_side (at most 3 N_side - 1).
    """

    gradient: tuple[float, float, float] | None = None
    diffusion: str | tuple[tuple[float, float, float], ...] | None = None
    noise: str = "pixel"
    lmax: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.diffusion, str) and self.diffusion not in ("ensemble", "qlt"):
            raise ValueError(f"--diffusion must be 'ensemble', 'qlt' or a 3x3 matrix, got {self.diffusion!r}")
        if self.noise not in NOISE_ESTIMATORS:
            raise ValueError(f"--noise estimator must be one of {NOISE_ESTIMATORS}, got {self.noise!r}")

    @classmethod
    def from_physical(cls, config: SimulationConfig, *, gradient_length: Any = "1kpc", diffusion: Any = None,
                      noise: str = "pixel", lmax: int | None = None) -> Analysis:
        """The analysis of ``crmix simulate``: the gradient length (a length) along B0, --diffusion ('ensemble', 'qlt',
        K_zz[,K_perp] as text or Quantities of length^2/time), the noise estimator and l_max, checked for ``config``."""
        import astropy.units as u

        from crmix.units import gradient_length as checked_length

        unit_pc = config.length_unit_pc
        g = unit_pc / checked_length(gradient_length).to_value(u.pc)
        analysis = cls(gradient=(0.0, 0.0, g), diffusion=_diffusion(diffusion, unit_pc), noise=noise, lmax=lmax)
        _named("--lmax", analysis.lmax_for, config.nside)
        return analysis

    def lmax_for(self, nside: int) -> int:
        lmax = 2 * nside if self.lmax is None else int(self.lmax)
        if not 1 <= lmax <= 3 * nside - 1:
            raise ValueError(f"lmax must be between 1 and 3 nside - 1 = {3 * nside - 1}, got {lmax}")
        return lmax


def _diffusion(given: Any, pc_per_unit: float) -> str | tuple[tuple[float, float, float], ...] | None:
    """--diffusion: 'ensemble', 'qlt', or K_zz[,K_perp] with units (length^2/time), in 1/Omega units (c = 1)."""
    if given is None or (isinstance(given, str) and given in ("ensemble", "qlt")):
        return given
    import astropy.constants as const
    import astropy.units as u

    from crmix.units import quantity

    parts = [p for p in given.split(",") if p.strip()] if isinstance(given, str) else list(given)
    if not 1 <= len(parts) <= 2:
        raise ValueError(f"--diffusion must be 'ensemble', 'qlt' or K_zz[,K_perp] with units (e.g. 3e28cm2/s), got {given!r}")
    k = []
    for part, name in zip(parts, ("K_zz", "K_perp")):
        q = quantity(part, u.cm**2 / u.s, f"--diffusion ({name})", positive=name == "K_zz", example="3e28cm2/s")
        k.append((q / const.c).to_value(u.pc) / pc_per_unit)  # K / c is a length; 1/Omega is pc_per_unit pc
    k_zz, k_perp = k[0], (k[1] if len(k) > 1 else 0.0)
    if k_perp < 0:
        raise ValueError(f"--diffusion: K_perp must be >= 0, got {parts[1]!r}")
    return ((k_perp, 0.0, 0.0), (0.0, k_perp, 0.0), (0.0, 0.0, k_zz))


def check_steps(steps_per_gyration: float, steps_per_wavelength: float, step: float | None) -> StepRule:
    """The Boris step rule of the options (--steps-per-gyration, --steps-per-wavelength, --step), checked."""
    real("--steps-per-gyration", steps_per_gyration, ge=MIN_STEPS_PER_GYRATION)
    real("--steps-per-wavelength", steps_per_wavelength, ge=MIN_STEPS_PER_WAVELENGTH)
    if step is not None:
        real("--step", step, gt=0)
    return StepRule(steps_per_gyration=steps_per_gyration, steps_per_wavelength=steps_per_wavelength, step=step)
