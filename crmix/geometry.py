"""Turbulence geometries: what each one owns, and the registry the model, the solver and the simulation read.

A :class:`Geometry` is everything about the *shape* of the turbulence that the rest of crmix needs,
so that no layer branches on a geometry's name (tests/test_geometry.py checks that):

* the correlation tensor P_ij(k), numeric (:meth:`Geometry.tensor`, an
  :class:`crmix.spectral_tensors.AxisymmetricTensor` for a model) and symbolic
  (:meth:`Geometry.symbolic`, the SymPy polarisation of each component at azimuth 0 as a function of
  c = cos theta_k, for crmix.derive and the tests);
* its normalisation to eta: the components' spectra integrate to their power fractions of
  <omega^2> = eta/(1 - eta) (B0 units; 1 in B_rms units without B0; crmix.model);
* the range of eta: geometries without a regular field of their own (slab, 2D: dB perpendicular
  to B0) need B0, 0 < eta < 1; isotropic turbulence allows eta = 1 (MA19);
* the unperturbed orbit: a helix about B0 when the model has a regular field (Omega > 0), else a
  straight line (:meth:`Geometry.orbit`);
* the reduction of the mixing matrix: the :class:`crmix.closed_forms.ClosedForm` it carries on the
  model's orbit (``closed_form(model)``; slab on helices and straight lines, KPM (38), (47); isotropic
  on straight lines, MA19 (3.15), (3.21)-(3.23)) or ``None``, the generic axisymmetric path
  (crmix.solver.axisymmetric, which the brute force of crmix.solver.brute_force checks);
  crmix.solver.dispatch chooses the path from it;
* quasi-linear theory: :meth:`Geometry.qlt` -- slab's closed form (crmix.qlt, KPM App. A), the
  generic resonance sum of crmix.qlt_axisymmetric (isotropic + B0, composites: 2D parts add no
  resonance), or ``None`` (2D alone: k_par = 0, no resonant scattering; the mixing time must then
  be given, it cannot come from KPM (51));
* ``parallel_fraction``: the share of <omega^2> along B0 (0 for slab and 2D, 1/3 isotropic), which
  fixes the Gaussian field's <cos a> (KPM Sec. 3.3);
* ``synthesis``: the simulation's synthesiser per field method (crmix.simulate.runner).

:class:`Elementary` geometries have one tensor component (slab, isotropic, 2D); a
:class:`Composite` is a sum of parts, each an elementary geometry with its own power fraction and,
optionally, its own :class:`crmix.model.Spectrum` (slab + 2D at 20 : 80 for the solar wind, Bieber et
al. 1996).  :func:`register` adds a user's geometry; :func:`geometry_for` resolves a name with
parameters (``slab_fraction``).  docs/architecture.md ("How to add a geometry") is the recipe.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol, cast, runtime_checkable

from crmix.closed_forms import ISOTROPIC_CLOSED_FORM, SLAB_CLOSED_FORM, ClosedForm
from crmix.spectral_tensors import (
    SLAB_FRACTION_SOLAR_WIND,
    SUPPORTS,
    AxisymmetricTensor,
    Polarisation,
    TensorComponent,
    _isotropic_polarisation,
    _slab_polarisation,
    _two_d_polarisation,
    model_spectrum,
)
from crmix.symbolic_tensors import SymbolicComponent, isotropic_symbolic, slab_symbolic, two_d_symbolic
from crmix.validation import real

if TYPE_CHECKING:
    import sympy as sp

    from crmix.model import Spectrum, TurbulenceModel
    from crmix.qlt import QLTScattering

__all__ = [
    "COMPOSITE",
    "GEOMETRIES",
    "ISOTROPIC",
    "SLAB",
    "TWO_D",
    "Composite",
    "Elementary",
    "Geometry",
    "Part",
    "SymbolicComponent",
    "TurbulenceLevelError",
    "geometry_for",
    "orbit",
    "register",
]

HELIX = "helix"


class TurbulenceLevelError(ValueError):
    """eta outside the range a geometry allows (its message starts "eta must satisfy"; a request names its option)."""


STRAIGHT_LINE = "straight line"


def orbit(model: TurbulenceModel) -> str:
    """The unperturbed orbit: a helix about B0 with a regular field (Omega > 0), else a straight line."""
    return HELIX if model.Omega > 0.0 else STRAIGHT_LINE


@runtime_checkable
class Geometry(Protocol):
    """What a turbulence geometry owns (module docstring); :class:`Elementary` and :class:`Composite` are the two kinds."""

    name: str
    needs_regular_field: bool
    parallel_fraction: float
    resonant: bool
    slab_qlt: bool
    synthesis: tuple[tuple[str, str], ...]

    def tensor(self, model: TurbulenceModel) -> AxisymmetricTensor: ...

    def symbolic(self, c: sp.Symbol) -> tuple[SymbolicComponent, ...]: ...

    def elementary(self) -> tuple[Elementary, ...]: ...

    def closed_form(self, model: TurbulenceModel) -> ClosedForm | None: ...

    def parameters(self) -> dict[str, float]: ...

    def with_parameters(self, **parameters: float) -> Geometry: ...

    def synthesiser(self, method: str) -> str | None: ...

    def orbit(self, model: TurbulenceModel) -> str: ...

    def eta_range(self) -> str: ...

    def check_eta(self, eta: float) -> None: ...

    def has_qlt(self, model: TurbulenceModel) -> bool: ...

    def qlt(self, model: TurbulenceModel) -> QLTScattering | None: ...


class _Shared:
    """What every geometry derives from the attributes of :class:`Geometry` (no state of its own)."""

    name: str
    needs_regular_field: bool
    resonant: bool
    slab_qlt: bool

    synthesis: tuple[tuple[str, str], ...]

    def __str__(self) -> str:
        return self.name

    def synthesiser(self, method: str) -> str | None:
        """The simulation's synthesiser for field ``method`` ("grid", "waves"), None where there is none."""
        return dict(self.synthesis).get(method)

    def orbit(self, model: TurbulenceModel) -> str:
        """The unperturbed orbit of ``model`` (:func:`orbit`)."""
        return orbit(model)

    def eta_range(self) -> str:
        """The allowed turbulence levels, as text for error messages."""
        return "0 < eta < 1" if self.needs_regular_field else "0 < eta <= 1"

    def check_eta(self, eta: float) -> None:
        """:class:`TurbulenceLevelError` (a ValueError) unless 0 < eta < 1 (or <= 1 for geometries that need no regular field)."""
        upper_ok = eta < 1.0 or (eta == 1.0 and not self.needs_regular_field)
        if not (eta > 0.0 and upper_ok):
            raise TurbulenceLevelError(f"eta must satisfy {self.eta_range()} for {self.name} turbulence, got {eta!r}")

    def has_qlt(self, model: TurbulenceModel) -> bool:
        """A QLT scattering time exists: a regular field (gyroresonance) and a resonant component."""
        return model.Omega > 0.0 and self.resonant

    def qlt(self, model: TurbulenceModel) -> QLTScattering | None:
        """The QLT transport numbers of ``model`` (module docstring), ``None`` where QLT gives none (cached per model)."""
        return _qlt(model) if self.has_qlt(model) else None

    def parameters(self) -> dict[str, float]:
        return {}

    def with_parameters(self, **parameters: float) -> Any:
        """A copy with new parameters (:meth:`parameters` names them); ValueError for one it does not take."""
        unknown = sorted(set(parameters) - set(self.parameters()))
        if unknown:
            takes = ", ".join(self.parameters()) or "none"
            raise ValueError(f"{unknown[0]} is not a parameter of {self.name} turbulence (its parameters: {takes})")
        return self


@dataclass(frozen=True, eq=True)
class Elementary(_Shared):
    """A geometry with one tensor component (slab, isotropic, 2D, or a user's).

    name                 registry name.
    support              where the wave vectors lie (crmix.spectral_tensors.SUPPORTS).
    polarisation         pol(k, c, xp), unit trace over the support (numeric).
    symbolic_polarisation  c -> the same as a SymPy matrix.
    needs_regular_field  eta < 1 required: the tensor is defined about B0 (slab, 2D: dB perpendicular to it).
    closed_form_orbits   orbits on which ``form`` applies (empty: the generic path on every orbit).
    parallel_fraction    <omega_z^2>/<omega^2>.
    resonant             QLT has resonances (False for k perpendicular to B0 with omega along k x B0).
    slab_qlt             crmix.qlt's slab closed form applies (KPM App. A).
    synthesis            (field method, synthesiser) pairs (crmix.simulate.realisation).
    form                 the closed form (crmix.closed_forms) on ``closed_form_orbits``, None without one.
    """

    name: str
    support: str
    polarisation: Polarisation
    symbolic_polarisation: Callable[[Any], Any]
    needs_regular_field: bool
    closed_form_orbits: tuple[str, ...]
    parallel_fraction: float
    resonant: bool
    synthesis: tuple[tuple[str, str], ...]
    slab_qlt: bool = False
    form: ClosedForm | None = None

    def __post_init__(self) -> None:
        if self.support not in SUPPORTS:
            raise ValueError(f"support must be one of {tuple(SUPPORTS)}, got {self.support!r}")
        if self.closed_form_orbits and self.form is None:
            raise ValueError(f"{self.name}: closed_form_orbits {self.closed_form_orbits} need the closed form (form=...)")
        real(f"{self.name} parallel_fraction", self.parallel_fraction, ge=0, le=1)

    def component(self, spectrum: Callable[[Any, Any], Any], kmin: float, kmax: float) -> AxisymmetricTensor:
        """This geometry's tensor with shell spectrum E(k) (int E dk = its power) on [kmin, kmax]."""
        return AxisymmetricTensor((TensorComponent(self.name, self.support, spectrum, kmin, kmax, self.polarisation),))

    def tensor(self, model: TurbulenceModel) -> AxisymmetricTensor:
        """The tensor of ``model``: its spectrum E(k) (int E dk = <omega^2>, crmix.model) on its band."""
        return self.component(model_spectrum(model), model.k_min, model.k_max)

    def symbolic(self, c: Any) -> tuple[SymbolicComponent, ...]:
        """The SymPy polarisation of the one component (unit power over the support)."""
        return (SymbolicComponent(self.name, self.support, 1.0, self.symbolic_polarisation(c)),)

    def elementary(self) -> tuple[Elementary, ...]:
        """The elementary geometries this one is made of: itself."""
        return (self,)

    def closed_form(self, model: TurbulenceModel) -> ClosedForm | None:
        """The closed form on the model's orbit, or None (the generic path)."""
        return self.form if orbit(model) in self.closed_form_orbits else None


@dataclass(frozen=True)
class Part:
    """One part of a :class:`Composite`: an elementary geometry, its power fraction, optionally its own spectrum."""

    geometry: Elementary
    fraction: float
    spectrum: Spectrum | None = None


def _fraction_name(part: Part) -> str:
    return f"{part.geometry.name}_fraction"


@dataclass(frozen=True)
class Composite(_Shared):
    """A sum of parts; part i carries fraction_i <omega^2> with its own spectrum (the model's when None).

    The fractions are positive and sum to 1; the parameters are the fractions of all parts but the
    last (``slab_fraction`` for slab + 2D), the last part takes the rest.
    """

    name: str
    parts: tuple[Part, ...]
    synthesis: tuple[tuple[str, str], ...] = (("grid", "tensor_grid"), ("waves", "tensor_waves"))

    def __post_init__(self) -> None:
        if len(self.parts) < 2 or not all(isinstance(p, Part) and isinstance(p.geometry, Elementary) for p in self.parts):
            raise ValueError(f"{self.name}: a composite needs at least two Parts of elementary geometries")
        for p in self.parts:
            real(_fraction_name(p), p.fraction, gt=0, lt=1)
        if abs(sum(p.fraction for p in self.parts) - 1.0) > 1e-12:
            raise ValueError(f"{self.name}: the power fractions must sum to 1, got {[p.fraction for p in self.parts]}")
        if len({p.geometry.name for p in self.parts}) != len(self.parts):
            raise ValueError(f"{self.name}: each part must be a different geometry")

    @property
    def needs_regular_field(self) -> bool:  # type: ignore[override]
        return any(p.geometry.needs_regular_field for p in self.parts)

    @property
    def parallel_fraction(self) -> float:
        return sum(p.fraction * p.geometry.parallel_fraction for p in self.parts)

    @property
    def resonant(self) -> bool:  # type: ignore[override]
        return any(p.geometry.resonant for p in self.parts)

    @property
    def slab_qlt(self) -> bool:  # type: ignore[override]
        return False

    def tensor(self, model: TurbulenceModel) -> AxisymmetricTensor:
        """Sum of the parts: part i is its geometry's tensor for the model with its spectrum, times fraction_i."""
        total = None
        for p in self.parts:
            sub = model if p.spectrum is None else model.with_(spectrum=p.spectrum)
            piece = p.geometry.component(model_spectrum(sub), sub.k_min, sub.k_max).scaled(p.fraction)
            total = piece if total is None else total + piece
        assert total is not None
        return total

    def symbolic(self, c: Any) -> tuple[SymbolicComponent, ...]:
        """Each part's SymPy polarisation with its power fraction."""
        return tuple(replace(s, fraction=p.fraction) for p in self.parts for s in p.geometry.symbolic(c))

    def elementary(self) -> tuple[Elementary, ...]:
        """The parts' geometries."""
        return tuple(p.geometry for p in self.parts)

    def closed_form(self, model: TurbulenceModel) -> ClosedForm | None:
        """None: the sum goes through the generic path (which uses the slab closed form for a slab part)."""
        return None

    def parameters(self) -> dict[str, float]:
        return {_fraction_name(p): p.fraction for p in self.parts[:-1]}

    def with_parameters(self, **parameters: float) -> Composite:
        super().with_parameters(**parameters)
        fractions = [parameters.get(_fraction_name(p), p.fraction) for p in self.parts[:-1]]
        for p, f in zip(self.parts, fractions):
            real(_fraction_name(p), f, gt=0, lt=1)
        rest = 1.0 - sum(fractions)
        if not rest > 0:
            raise ValueError(f"{self.name}: the fractions of {[_fraction_name(p) for p in self.parts[:-1]]} must sum to < 1, "
                             f"got {fractions}")
        parts = tuple(replace(p, fraction=float(f)) for p, f in zip(self.parts, [*fractions, rest]))
        return replace(self, parts=parts)


@lru_cache(maxsize=64)
def _qlt(model: TurbulenceModel) -> QLTScattering:
    """Slab's closed form (crmix.qlt, KPM App. A) or the generic resonance sum (crmix.qlt_axisymmetric)."""
    if model.turbulence.slab_qlt:
        from crmix.qlt import qlt_scattering

        return qlt_scattering(model)
    from crmix.qlt_axisymmetric import qlt_scattering as generic_qlt

    return generic_qlt(model.turbulence.tensor(model), model.Omega)


#: KPM (28): k along B0, dB perpendicular to B0; closed forms on helices and straight lines.
SLAB = Elementary(
    name="slab", support="slab", polarisation=_slab_polarisation, symbolic_polarisation=slab_symbolic,
    needs_regular_field=True, closed_form_orbits=(HELIX, STRAIGHT_LINE), parallel_fraction=0.0, resonant=True,
    synthesis=(("grid", "slab_table"), ("waves", "plane_waves")), slab_qlt=True, form=SLAB_CLOSED_FORM,
)
#: MA19 (3.12): isotropic and divergence-free; the closed form on straight lines (eta = 1), the generic path on helices.
ISOTROPIC = Elementary(
    name="isotropic", support="full", polarisation=_isotropic_polarisation, symbolic_polarisation=isotropic_symbolic,
    needs_regular_field=False, closed_form_orbits=(STRAIGHT_LINE,), parallel_fraction=1.0 / 3.0, resonant=True,
    synthesis=(("grid", "nested_grids"), ("waves", "plane_waves")), form=ISOTROPIC_CLOSED_FORM,
)
#: k perpendicular to B0, omega along k x B0 (docs/physics.md); the generic path; no QLT resonance.
TWO_D = Elementary(
    name="2d", support="2d", polarisation=_two_d_polarisation, symbolic_polarisation=two_d_symbolic,
    needs_regular_field=True, closed_form_orbits=(), parallel_fraction=0.0, resonant=False,
    synthesis=(("grid", "tensor_grid"), ("waves", "tensor_waves")),
)
#: Slab + 2D with the solar wind's slab fraction (Bieber et al. 1996); ``slab_fraction`` is its parameter.
COMPOSITE = Composite(name="composite", parts=(Part(SLAB, SLAB_FRACTION_SOLAR_WIND), Part(TWO_D, 1.0 - SLAB_FRACTION_SOLAR_WIND)))

_REGISTRY: dict[str, Geometry] = {}
#: The registered geometries by name (read-only view; :func:`register` adds one).
GEOMETRIES: Mapping[str, Geometry] = MappingProxyType(_REGISTRY)


def register(geometry: Geometry, *, replace_existing: bool = False) -> Geometry:
    """Add ``geometry`` to the registry under its name (the CLI's --geometry choices, run records)."""
    if not isinstance(geometry, Geometry):
        raise ValueError(f"geometry must provide the crmix.geometry.Geometry protocol, got {type(geometry).__name__}")
    if not geometry.name or not isinstance(geometry.name, str):
        raise ValueError(f"geometry name must be a non-empty string, got {geometry.name!r}")
    if geometry.name in _REGISTRY and not replace_existing and _REGISTRY[geometry.name] != geometry:
        raise ValueError(f"a geometry named {geometry.name!r} is registered already (pass replace_existing=True)")
    _REGISTRY[geometry.name] = geometry
    return geometry


for _g in (SLAB, ISOTROPIC, TWO_D, COMPOSITE):
    register(cast(Geometry, _g))


def geometry_for(geometry: str | Geometry, **parameters: float) -> Geometry:
    """The registered geometry of that name (or ``geometry`` itself) with ``parameters`` applied."""
    if isinstance(geometry, str):
        if geometry not in _REGISTRY:
            raise ValueError(f"geometry must be one of {tuple(_REGISTRY)}, got {geometry!r}")
        geometry = _REGISTRY[geometry]
    elif not isinstance(geometry, Geometry):
        raise ValueError(f"geometry must be a name in {tuple(_REGISTRY)} or a crmix.geometry.Geometry, got {geometry!r}")
    return geometry.with_parameters(**parameters) if parameters else geometry
