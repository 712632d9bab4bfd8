"""The theory in physical units: a :class:`SpectrumRequest`, checked once, and the spectra it asks for.

``crmix spectrum`` builds a :class:`SpectrumRequest` from its options, and a Python user builds the
same object from astropy Quantities (bare numbers for dimensional inputs are refused, as on the
command line)::

    import astropy.units as u
    from crmix.theory import SpectrumRequest, angular_power_spectra, spectrum_table

    request = SpectrumRequest(rigidity=[10 * u.TV, 1 * u.PV], eta=0.5, gradient_length=1 * u.kpc)
    table = spectrum_table(request, angular_power_spectra(request))   # ell, C_ell, C_ell_over_C_1 per rigidity

The constructor checks every value (a ValueError names the option and its range), resolves the
defaults that depend on the geometry (eta, l_max), builds one :class:`crmix.TurbulenceModel` per
rigidity and converts the gradient length into the model's unit 1/Omega -- the only conversion.
The mixing time Delta T of each model (crmix.solver.timestep: given, or KPM (51) with the QLT
scattering time) is computed once, on first use of :attr:`SpectrumRequest.timesteps`; the solver
(crmix.solver.spectrum.solve_spectrum) takes the models, Delta T and the checked options and
checks nothing again.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

import astropy.units as u

from crmix.geometry import Geometry, TurbulenceLevelError, geometry_for
from crmix.model import NAMED_SPECTRA, TurbulenceModel
from crmix.units import gradient_length, model_units, quantity
from crmix.validation import real

if TYPE_CHECKING:
    from astropy.table import QTable

    from crmix.resources import ResourceEstimate
    from crmix.solver.spectrum import AngularSpectrum, MixingSource
    from crmix.solver.timestep import MixingTime

__all__ = ["BACKENDS", "SpectrumRequest", "angular_power_spectra", "rigidity_label", "spectrum_table"]

#: array libraries of the closed-form mixing matrix
BACKENDS = ("numpy", "cupy")


def rigidity_label(rigidity: u.Quantity) -> str:
    """``10TV``, ``1PV``: the rigidity in the largest unit in which it is >= 1 (column suffixes, output names)."""
    for unit in (u.EV, u.PV, u.TV, u.GV, u.V):
        value = rigidity.to_value(unit)
        if value >= 1:
            return f"{value:g}{unit}"
    return f"{rigidity.to_value(u.V):g}V"


def _tuple(value: Any) -> tuple[Any, ...]:
    """One value or several: a string, a scalar (a Quantity, or a bare number that quantity() refuses) is one."""
    if isinstance(value, (str, int, float)) or (isinstance(value, u.Quantity) and value.isscalar):
        return (value,)
    return tuple(value)


@dataclass(frozen=True)
class SpectrumRequest:
    """What ``crmix spectrum`` computes, every value checked in the constructor (module docstring).

    rigidity            one or several rigidities (Quantities or text such as ``"10TV"``).
    geometry            a registered geometry's name or a crmix.geometry.Geometry (with its parameters).
    spectrum            a name of crmix.model.NAMED_SPECTRA.
    eta                 turbulence level; None: 0.5, or 1 (MA19) for a geometry that needs no regular field.
    b_rms, l_c          RMS field and correlation length (Quantities or text).
    rg_over_lambda_min  r_g / smallest wavelength; None: the model's default (150, KPM Sec. 2.1.2).
    lmax                truncation; None: DEFAULT_LMAX (closed forms) or DEFAULT_LMAX_GENERIC (generic path).
    dt_rule, omega_dt, alpha, dt_coefficient
                        Delta T: a rule (KPM (51), or c tau_s for a measured M) with its coefficient (None: the
                        rule's default), Omega dT, or alpha = k_max dT (one at most).
    gradient_length     fbar/|d_z fbar| along B0 (a length).
    cos_alpha_correction, extrapolate, closure, backend
                        as crmix.solver.spectrum.angular_power_spectrum.
    mixing_run          crmix mixing run folders, one per rigidity's model: KPM (20) with the M measured by test
                        particles (crmix.fit.mixing.MeasuredMixing) instead of the first order; closure "truncated".

    After construction ``rigidity`` is a tuple of Quantities, ``b_rms``, ``l_c`` and ``gradient_length``
    Quantities, ``eta``, ``lmax`` and ``extrapolate`` hold the resolved values, ``models`` the (label, model)
    pairs and ``sources`` each model's measured M (None: the first order).
    """

    rigidity: Sequence[u.Quantity | str] | u.Quantity | str = "10TV"
    geometry: Geometry | str = "slab"
    spectrum: str = "kolmogorov"
    eta: float | None = None
    b_rms: u.Quantity | str = "4uG"
    l_c: u.Quantity | str = "30pc"
    rg_over_lambda_min: float | None = None
    lmax: int | None = None
    dt_rule: str | None = None
    omega_dt: float | None = None
    alpha: float | None = None
    dt_coefficient: float | None = None
    gradient_length: u.Quantity | str = "1kpc"
    cos_alpha_correction: bool = False
    extrapolate: float | str | None = None
    closure: str = "truncated"
    backend: str = "numpy"
    mixing_run: Sequence[str] | None = None
    models: tuple[tuple[str, TurbulenceModel], ...] = field(init=False, repr=False)
    sources: tuple[MixingSource | None, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        from crmix.solver.choices import DEFAULT_LMAX, DEFAULT_LMAX_GENERIC, MIN_LMAX_EXTRAPOLATION
        from crmix.solver.closure import CLOSURES, ZONAL_CLOSURES
        from crmix.solver.timestep import DT_RULES, RULE_COEFFICIENTS

        def put(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        geometry = geometry_for(self.geometry)
        if self.spectrum not in NAMED_SPECTRA:
            raise ValueError(f"--spectrum must be one of {tuple(NAMED_SPECTRA)}, got {self.spectrum!r}")
        eta = (0.5 if geometry.needs_regular_field else 1.0) if self.eta is None else real("--eta", self.eta)
        put("eta", eta)
        b_rms = quantity(self.b_rms, u.G, "--brms", example="4uG")
        l_c = quantity(self.l_c, u.pc, "--lc", example="30pc")
        rigidities = tuple(quantity(r, u.V, "--rigidity", example="10TV") for r in _tuple(self.rigidity))
        if not rigidities:
            raise ValueError("--rigidity needs at least one rigidity, e.g. 10TV")
        put("rigidity", rigidities)
        put("b_rms", b_rms)
        put("l_c", l_c)
        models = []
        for rigidity in rigidities:
            try:  # the model checks eta (once); its message names the option here
                model = TurbulenceModel.from_physical(geometry, rigidity=rigidity, b_rms=b_rms, l_c=l_c, eta=eta,
                                                      spectrum=NAMED_SPECTRA[self.spectrum]())
            except TurbulenceLevelError as exc:
                raise ValueError(f"--{exc}") from None
            if self.rg_over_lambda_min is not None:
                kmax_lc = 2.0 * math.pi * real("--rg-over-lambda-min", self.rg_over_lambda_min, gt=0) / model.rho
                if not kmax_lc > model.spectrum.kmin:
                    raise ValueError(f"--rg-over-lambda-min is too small: k_max L_c = {kmax_lc:.3g} <= k_min L_c = "
                                     f"{model.spectrum.kmin:.3g}")
                model = model.with_(spectrum=replace(model.spectrum, kmax=kmax_lc))
            models.append((rigidity_label(rigidity), model))
        labels = [label for label, _ in models]
        if len(set(labels)) != len(labels):
            raise ValueError(f"--rigidity values must differ, got {labels}")
        put("models", tuple(models))

        generic = self.generic
        lmax = (DEFAULT_LMAX_GENERIC if generic else DEFAULT_LMAX) if self.lmax is None else self.lmax
        if isinstance(lmax, bool) or not isinstance(lmax, int) or lmax < 2:
            raise ValueError(f"--lmax must be >= 2, got {lmax}")
        put("lmax", lmax)
        if self.closure not in CLOSURES:
            raise ValueError(f"--closure must be one of {CLOSURES}, got {self.closure!r}")
        if self.extrapolate is not None:
            try:
                target = float(self.extrapolate)
            except ValueError as exc:
                raise ValueError(f"--extrapolate must be an lmax >= --lmax or inf, got {self.extrapolate!r}") from exc
            if not target >= lmax:
                raise ValueError(f"--extrapolate must be an lmax >= --lmax = {lmax} or inf, got {target:g}")
            if lmax < MIN_LMAX_EXTRAPOLATION:
                raise ValueError(f"--lmax must be >= {MIN_LMAX_EXTRAPOLATION} with --extrapolate, got {lmax}")
            if self.closure != "truncated":
                raise ValueError(f"--extrapolate applies to --closure truncated only, got --closure {self.closure}")
            put("extrapolate", target)
        if self.dt_rule is not None and self.dt_rule not in DT_RULES:
            raise ValueError(f"--dt-rule must be one of {DT_RULES}, got {self.dt_rule!r}")
        given = [name for name, v in (("--dt-rule", self.dt_rule), ("--omega-dt", self.omega_dt), ("--alpha", self.alpha))
                 if v is not None]
        if len(given) > 1:
            raise ValueError(f"give at most one of --dt-rule, --omega-dt, --alpha; got {', '.join(given)}")
        put("dt_coefficient", RULE_COEFFICIENTS[self.dt_rule or "kpm51"] if self.dt_coefficient is None else self.dt_coefficient)
        for name, value in (("--omega-dt", self.omega_dt), ("--alpha", self.alpha), ("--dt-coefficient", self.dt_coefficient)):
            if value is not None:
                real(name, value, gt=0)
        model = models[0][1]
        if not model.turbulence.has_qlt(model):
            why = ("no QLT resonant scattering (k_par = 0)" if model.Omega > 0
                   else "no regular field (eta = 1): no gyroresonance")
            if self.dt_rule is not None:
                raise ValueError(f"--dt-rule kpm51 needs a QLT scattering time, and {model.geometry} turbulence with eta = {eta} "
                                 f"has none ({why}); pass --omega-dt or --alpha")
            if self.alpha is None and self.omega_dt is None:
                raise ValueError(f"--alpha (> 0) or --omega-dt (> 0) is required for {model.geometry} turbulence with eta = {eta} "
                                 f"({why}: no QLT scattering time)")
        if self.backend not in BACKENDS:
            raise ValueError(f"--backend must be one of {BACKENDS}, got {self.backend!r}")
        if self.backend == "cupy":
            if generic:
                raise ValueError("--backend cupy runs the closed forms (slab; isotropic with eta = 1); "
                                 f"{model.geometry} turbulence with eta = {eta} takes the generic path, which runs on numpy")
            from crmix.backend import namespace_by_name

            try:
                namespace_by_name("cupy")
            except RuntimeError as exc:
                raise ValueError(f"--backend cupy: {exc}") from exc
        if self.closure in ZONAL_CLOSURES and generic:
            raise ValueError(f"--closure {self.closure} needs the closed-form columns of M (slab; isotropic with eta = 1), and "
                             f"{model.geometry} turbulence with eta = {eta} takes the generic path: use --closure truncated or bourret")
        put("gradient_length", gradient_length(self.gradient_length))
        if self.cos_alpha_correction and eta >= 1.0:
            raise ValueError("--cos-alpha-correction needs a regular field: eta < 1")
        put("sources", (None,) * len(models))
        if self.mixing_run:
            if self.closure != "truncated":
                raise ValueError(f"--mixing-run is solved by KPM (20) truncated at lmax: drop --closure {self.closure}")
            if self.extrapolate is not None:
                raise ValueError("--mixing-run is solved at the run's lmax: drop --extrapolate")
            from crmix.fit.mixing import measured_sources

            put("mixing_run", tuple(str(r) for r in self.mixing_run))
            put("sources", tuple(measured_sources(self.mixing_run, [m for _, m in models], lmax)))

    @property
    def generic(self) -> bool:
        """Whether some model takes the generic axisymmetric path (no closed form on its orbit)."""
        return any(m.turbulence.closed_form(m) is None for _, m in self.models)

    @property
    def size_options(self) -> str:
        """The options that set the cost (named when an estimate is refused)."""
        if self.generic:
            return "--lmax, --rg-over-lambda-min or --rigidity"
        return "--lmax, or k_max dT (the kappa quadrature): --rg-over-lambda-min, --omega-dt, --alpha, --dt-coefficient"

    def parameters(self) -> dict[str, Any]:
        """The record of the request for a table's metadata: the resolved values, dimensional ones as Quantities,
        the geometry by name with its parameters (crmix.records.with_units gives the rest their units)."""
        record = {k: v for k, v in vars(self).items() if k not in ("models", "geometry", "timesteps", "sources")}
        record["rigidity"] = [u.Quantity(r).to(u.V) for r in _tuple(self.rigidity)]
        geometry = geometry_for(self.geometry)
        record.update(geometry=geometry.name, **geometry.parameters())
        return record

    def gradient_length_in(self, model: TurbulenceModel) -> float:
        """fbar/|d_z fbar| in the model's unit of length c/Omega_ref."""
        return float(model_units(model).internal(u.Quantity(self.gradient_length), "length"))

    def shortest_estimate(self) -> ResourceEstimate | None:
        """The generic path's cost at the shortest valid Delta T (Omega dT = 2 pi), its QLT tau_s included, known
        before tau_s is computed; None where Delta T is given or the closed forms run."""
        if not self.generic or self.omega_dt is not None or self.alpha is not None:
            return None
        from crmix.solver.resources import spectrum_estimate

        return spectrum_estimate([(m, 2.0 * math.pi / m.Omega) for _, m in self.models], int(self.lmax or 0))

    @cached_property
    def timesteps(self) -> tuple[MixingTime, ...]:
        """Delta T of each model (crmix.solver.timestep.mixing_time), computed once; its warnings are in ``MixingTime.messages``."""
        from crmix.solver.timestep import mixing_time

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # kept in MixingTime.messages, reported with each result
            return tuple(mixing_time(m, omega_dt=self.omega_dt, alpha=self.alpha, rule=self.dt_rule,
                                     coefficient=float(self.dt_coefficient or 0)) for _, m in self.models)

    def estimate(self) -> ResourceEstimate:
        """Peak memory and time of all the steady states (crmix.solver.resources)."""
        from crmix.solver.resources import spectrum_estimate

        return spectrum_estimate([(m, step.dt) for (_, m), step in zip(self.models, self.timesteps)], int(self.lmax or 0))


def angular_power_spectra(request: SpectrumRequest, *, progress: bool = False) -> list[tuple[str, AngularSpectrum]]:
    """The steady-state <C_l> (KPM (20)) of every model of ``request``, with its label; each result's
    ``metadata["warnings"]`` lists the warnings of its mixing time and its solution."""
    from crmix.backend import namespace_by_name
    from crmix.solver.spectrum import solve_spectrum

    xp = namespace_by_name(request.backend)
    results = []
    for (label, model), step, source in zip(request.models, request.timesteps, request.sources):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = solve_spectrum(model, step, lmax=int(request.lmax or 0), gradient_length=request.gradient_length_in(model),
                                 cos_alpha_correction=request.cos_alpha_correction,
                                 extrapolate=None if request.extrapolate is None else float(request.extrapolate),
                                 closure=request.closure, progress=progress, xp=xp, mixing=source)
        res.metadata["warnings"] = [*step.messages, *(str(w.message) for w in caught)]
        results.append((label, res))
    return results


def spectrum_table(request: SpectrumRequest, results: list[tuple[str, AngularSpectrum]]) -> QTable:
    """The ECSV table of ``crmix spectrum``: one row per (rigidity, l) with C_ell, C_ell/C_1 (dimensionless: the
    relative intensity) and the l_max drift of C_ell/C_1; the request, each rigidity's derived numbers (physical and
    in the model's units, crmix.records) and the provenance in the metadata."""
    import numpy as np
    from astropy.table import QTable, vstack

    from crmix.io import plain
    from crmix.provenance import provenance
    from crmix.records import with_units

    blocks = []
    for (_, res), rigidity in zip(results, request.rigidity):
        n = len(res.ell)
        block = QTable()
        block["rigidity"] = np.full(n, rigidity.to_value(u.V)) * u.V
        block["ell"] = res.ell
        block["C_ell"] = res.C * u.one
        block["C_ell_over_C_1"] = res.ratio * u.one
        block["lmax_drift"] = np.resize(res.drift.drift, n) * u.one
        if res.extrapolation is not None:
            block["extrapolation_exponent"] = np.resize(res.extrapolation.exponent, n) * u.one
        blocks.append(block)
    table = vstack(blocks)
    table.meta["description"] = (
        "steady-state <C_l> of the relative intensity (Kuhlen, Phan & Mertsch (4), (20)), one row per rigidity and "
        "multipole; C_0 = 0 by construction (the monopole is not a dynamical degree of freedom; see monopole_rate); "
        "lmax_drift: (C_l/C_1)(l_max)/(C_l/C_1)(l_max/2) - 1 (NaN where not compared).  Metadata: the request "
        "(parameters) and per rigidity (runs) the model and the solution, physical values beside Omega_<name>, the "
        "value in the model's units (times in 1/Omega, lengths in c/Omega, K in c^2/Omega: dimensionless)"
    )
    table.meta["parameters"] = with_units(request.parameters())
    table.meta["runs"] = {label: with_units(plain({k: v for k, v in res.metadata.items() if k not in _NOT_IN_METADATA}),
                                            model_units(res.model)) for label, res in results}
    table.meta["provenance"] = provenance(request.backend, "float64")
    return table


#: a solution's record left out of the table's metadata: the per-multipole diagnostics (columns of the table) and
#: omega_dt (Omega dt, which the metadata states as Omega_dt beside dt in yr)
_NOT_IN_METADATA = ("lmax_drift", "extrapolation_exponent", "omega_dt")
