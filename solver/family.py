"""The steady-state spectrum of one model as a function of the mixing time Delta T (for fits).

A fit of Delta T (``crmix fit``, ``crmix compare``) evaluates the shape C_l/C_1 of the steady state
KPM (20) at many Delta T for the same model and truncation (through the reduction its geometry names:
the closed forms or the generic path, crmix.solver.axisymmetric).  :class:`SpectrumFamily` holds what does
not depend on Delta T -- the model, its spectral weight, the truncation -- validates once, and caches
every evaluation, so a fit never computes the same mixing matrix twice.  C_l/C_1 does not depend on
the source strength (the dipole source of KPM (18) only scales C_l), so the family solves with a
unit source.  With a ``closure`` other than KPM (20)'s ``"truncated"`` (crmix.solver.closure) the
shape is that closure's steady state at the same M; with a ``mixing`` source (crmix.solver.spectrum.MixingSource,
e.g. M measured by test particles) it is KPM (20) with that M.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import ModuleType

import numpy as np

from crmix.model import TurbulenceModel
from crmix.solver.closure import CLOSURES, ZONAL_CLOSURES, ZONAL_ROWS, solve_closure, zonal_columns, zonal_generator
from crmix.solver.dispatch import model_mixing_matrix
from crmix.solver.spectrum import MixingSource, sourced_mixing_matrix
from crmix.solver.steady_state import steady_state
from crmix.validation import integer, real

__all__ = ["SpectrumFamily"]


@dataclass
class SpectrumFamily:
    """C_l/C_1 of the steady state of ``model`` truncated at ``lmax``, at any Delta T (cached).

    Delta T is in units of 1/Omega_ref (``dt``); :meth:`dt_from` converts the fitted parameters of the
    seeds: Omega Delta T (KPM, slab) and alpha = k_max Delta T (MA19, isotropic).
    """

    model: TurbulenceModel
    lmax: int
    rtol: float = 1e-8
    xp: ModuleType = np
    closure: str = "truncated"
    mixing: MixingSource | None = None
    _cache: dict[float, np.ndarray] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.lmax = integer("lmax", self.lmax, ge=2)
        self.rtol = real("rtol", self.rtol, gt=0, lt=1)
        if self.closure not in CLOSURES:
            raise ValueError(f"closure must be one of {CLOSURES}, got {self.closure!r}")
        if self.mixing is not None and self.closure != "truncated":
            raise ValueError(f"a measured mixing matrix is solved by KPM (20) truncated at lmax: closure must be 'truncated', got {self.closure!r}")
        if self.closure in ZONAL_CLOSURES and self.model.turbulence.closed_form(self.model) is None:
            raise ValueError(f"closure {self.closure!r} needs the closed-form columns of M, and {self.model.geometry} turbulence "
                             f"on {self.model.turbulence.orbit(self.model)} orbits takes the generic path: use truncated or bourret")

    def dt_from(self, parameter: str, value: float) -> float:
        """Delta T for ``parameter`` = ``"omega_dt"`` (Omega Delta T) or ``"alpha"`` (k_max Delta T)."""
        value = real(parameter, value, gt=0)
        if parameter == "omega_dt":
            if self.model.Omega <= 0:
                raise ValueError("omega_dt needs a regular field (eta < 1); use alpha = k_max dt without one")
            return value / self.model.Omega
        if parameter == "alpha":
            return value / self.model.k_max
        raise ValueError(f"parameter must be 'omega_dt' or 'alpha', got {parameter!r}")

    def ratio(self, dt: float) -> np.ndarray:
        """C_l / C_1, l = 0..lmax, at Delta T = ``dt`` (cached), of the family's closure with a unit source."""
        dt = real("dt", dt, gt=0, unit="1/Omega_ref")
        key = float(dt)
        if key not in self._cache and self.mixing is not None:
            self._cache[key] = steady_state(sourced_mixing_matrix(self.mixing, key, self.lmax), key, 1.0).ratio
        if key not in self._cache:
            mm = model_mixing_matrix(self.model, key, self.lmax, rtol=self.rtol, xp=self.xp).on_host()
            if self.closure == "truncated":
                self._cache[key] = steady_state(mm.full, key, 1.0).ratio
            else:
                coefficients = None
                if self.closure in ZONAL_CLOSURES:
                    coefficients = zonal_generator(*zonal_columns(self.model, key, max(self.lmax, ZONAL_ROWS), rtol=self.rtol))
                self._cache[key] = solve_closure(self.closure, mm.m1a, mm.m1c, key, 1.0, coefficients=coefficients).ratio
        return self._cache[key]

    @property
    def evaluations(self) -> int:
        """How many distinct Delta T have been solved."""
        return len(self._cache)

    def log_ratio(self, dt: float, ells: np.ndarray) -> np.ndarray:
        """ln(C_l/C_1) at the multipoles ``ells`` (NaN where C_l <= 0)."""
        r = self.ratio(dt)[np.asarray(ells, dtype=int)]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(r > 0, np.log(np.where(r > 0, r, 1.0)), math.nan)
