"""The turbulence model: one object that the solver and the simulation both take.

Everything physical lives here, so that theory and simulation cannot disagree on a normalisation.

Units (docs/physics.md, "Units and the model")
---------------------------------------------
c = 1.  Times and lengths are measured in 1/Omega_ref, the inverse gyrofrequency of the reference
field: the regular field B0 when there is one (KPM: Omega = q B0 / p), the RMS field when there is
none (MA19, eta = 1).  :attr:`TurbulenceModel.omega_reference` says which.  The turbulent field
enters as the gyrovector omega = q dB / p, so <omega^2> = <dB^2>/B_ref^2 in these units.

Spectrum normalisation
----------------------
The model's one-dimensional spectrum E(k) is normalised to the total turbulent power,

    int_{k_min}^{k_max} E(k) dk = <omega^2>      (both transverse components for slab).

Both seed papers write the correlation tensor with a function g(k) of the same normalisation,
g = E / (8 pi):

* isotropic, MA19 (3.12): <w_i(k) w_j*(k')> = g(k)/k^2 (delta_ij - k_i k_j/k^2) delta(k - k'), so
  <omega^2> = int d^3k 2 g/k^2 = 8 pi int g dk;
* slab, KPM (28): <w_a(k) w_b*(k')> = g(k_par) delta(k_perp)/k_perp delta_ab delta(k - k'), a, b in
  {x, y}, where int d^3k delta(k_perp)/k_perp F = 2 pi int_{-inf}^{inf} dk_par F(k_par) (the
  delta function counts in full at the end point k_perp = 0), so <omega^2> = 2 * 4 pi int_0 g dk.

In slab turbulence the two-point function of one transverse component along z is then
R(s) = <w_x(z) w_x(z+s)> = int_0^inf dk G(k) cos(k s) with G = E/2 = 4 pi g.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from types import ModuleType
from typing import Any, Literal, cast

import numpy as np

from crmix.geometry import Geometry, geometry_for
from crmix.validation import real

__all__ = ["NAMED_SPECTRA", "SPECTRUM_KINDS", "PhysicalScale", "Spectrum", "TurbulenceModel"]

SPECTRUM_KINDS = ("white", "power_law", "bendover")

#: L_max / L_c for a Kolmogorov-like spectrum (KPM Sec. 2.1.3, after Harari et al. 2002).
LMAX_OVER_LC = 5.0
#: r_g / lambda_min: the smallest wavelength is ~150 times smaller than the gyroradius (KPM 2.1.2).
RG_OVER_LAMBDA_MIN = 150.0


@dataclass(frozen=True)
class Spectrum:
    """Shape and range of the 1D turbulence spectrum E(k); wavenumbers in units of 1/L_c.

    kind
        ``"white"``: band-limited white noise, E = const on [k_min, k_max] (MA19 Sec. 3).
        ``"power_law"``: E ~ k^-index on [k_min, k_max] (Kolmogorov 5/3, Kraichnan 3/2).
        ``"bendover"``: E ~ (1 + (k/k_bend)^2)^(-index/2) on [k_min, k_max], flat below k_bend and
        a power law above it (the smooth form common in the slab-QLT literature).
    kmin, kmax
        k_min L_c and k_max L_c.  Defaults: k_min = 2 pi / L_max with L_max = 5 L_c; ``kmax=None``
        means lambda_min = r_g/150, resolved by :class:`TurbulenceModel` from its rho.
    """

    kind: Literal["white", "power_law", "bendover"] = "power_law"
    index: float = 5.0 / 3.0
    kmin: float = 2.0 * math.pi / LMAX_OVER_LC
    kmax: float | None = None
    kbend: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in SPECTRUM_KINDS:
            raise ValueError(f"spectrum kind must be one of {SPECTRUM_KINDS}, got {self.kind!r}")
        index = real("spectrum index", self.index)
        if self.kind == "white" and index != 0.0:
            raise ValueError(f"spectrum index must be 0 for white noise, got {index}")
        if self.kind == "bendover" and index <= 1.0:
            raise ValueError(f"spectrum index must be > 1 for a bend-over spectrum, got {index}")
        kmin = real("spectrum kmin", self.kmin)
        if kmin <= 0:
            raise ValueError(f"spectrum kmin must be > 0 (in 1/L_c), got {kmin}")
        if self.kmax is not None:
            kmax = real("spectrum kmax", self.kmax)
            if kmax <= kmin:
                raise ValueError(f"spectrum needs kmin < kmax, got kmin={kmin}, kmax={kmax}")
        if self.kbend is not None and real("spectrum kbend", self.kbend) <= 0:
            raise ValueError(f"spectrum kbend must be > 0 (in 1/L_c), got {self.kbend}")

    @classmethod
    def kolmogorov(cls, **kw: Any) -> Spectrum:
        """E ~ k^(-5/3) (the default)."""
        return cls(kind="power_law", index=5.0 / 3.0, **kw)

    @classmethod
    def kraichnan(cls, **kw: Any) -> Spectrum:
        """E ~ k^(-3/2)."""
        return cls(kind="power_law", index=1.5, **kw)

    @classmethod
    def white(cls, kmin: float, kmax: float) -> Spectrum:
        """Band-limited white noise on [kmin, kmax] (MA19's k_out, k_in), in 1/L_c."""
        return cls(kind="white", index=0.0, kmin=kmin, kmax=kmax)

    def shape(self, k: Any, kbend: float, xp: ModuleType = np) -> Any:
        """Unnormalised E(k) inside the band (no band limits applied); k and kbend in one unit."""
        if self.kind == "white":
            return xp.ones_like(k, dtype=float)
        if self.kind == "power_law":
            return k ** (-self.index)
        return (1.0 + (k / kbend) ** 2) ** (-0.5 * self.index)

    def shape_integral(self, k1: float, k2: float, kbend: float) -> float:
        """Closed form of int_{k1}^{k2} shape(k) dk."""
        q = self.index
        if self.kind == "white":
            return k2 - k1
        if self.kind == "power_law":
            if abs(q - 1.0) < 1e-12:
                return math.log(k2 / k1)
            return cast(float, (k2 ** (1.0 - q) - k1 ** (1.0 - q)) / (1.0 - q))

        from scipy import special

        def antiderivative(k: float) -> float:  # int (1 + x^2)^(-q/2) dx = x 2F1(1/2, q/2; 3/2; -x^2)
            x = k / kbend
            return kbend * x * float(special.hyp2f1(0.5, 0.5 * q, 1.5, -x * x))

        return antiderivative(k2) - antiderivative(k1)


#: The spectra the commands offer by name (--spectrum): name -> constructor taking Spectrum's range keywords.
NAMED_SPECTRA: dict[str, Callable[..., Spectrum]] = {
    "kolmogorov": Spectrum.kolmogorov,
    "kraichnan": Spectrum.kraichnan,
    "white": lambda **kw: Spectrum(kind="white", index=0.0, **kw),
    "bendover": lambda **kw: Spectrum(kind="bendover", index=5.0 / 3.0, **kw),
}


@dataclass(frozen=True)
class PhysicalScale:
    """The physical numbers a model was built from (kept for unit conversions and metadata)."""

    rigidity_V: float
    b_rms_G: float
    l_c_pc: float

    def gyroradius_pc(self) -> float:
        """r_g in the RMS field, in pc."""
        import astropy.units as u

        from crmix.units import gyroradius

        return float(gyroradius(self.rigidity_V * u.V, self.b_rms_G * u.G).to_value(u.pc))


@dataclass(frozen=True)
class TurbulenceModel:
    """Geometry, spectrum, turbulence level and reduced rigidity of a turbulence model.

    geometry
        A :class:`crmix.geometry.Geometry` or the name of a registered one (crmix.geometry.GEOMETRIES):
        ``"slab"`` (KPM: dB perpendicular to B0 = B0 z, a function of z only), ``"isotropic"``
        (MA19: isotropic, divergence-free, with or without a regular field), ``"2d"`` (k and dB
        perpendicular to B0) or ``"composite"`` (slab + 2D).  Resolved on construction:
        ``model.geometry`` is then the name, ``model.turbulence`` the Geometry object.
    spectrum
        :class:`Spectrum` (shape and range, in 1/L_c).  Default: Kolmogorov, L_max = 5 L_c,
        lambda_min = r_g / 150.
    eta
        Turbulence level eta = <dB^2> / (B0^2 + <dB^2>).  Slab, 2D and composites need a regular
        field: 0 < eta < 1.  Isotropic allows 0 < eta <= 1, eta = 1 being MA19's purely turbulent field.
    rho
        Reduced rigidity rho = r_g / L_c, r_g in B_rms = sqrt(B0^2 + <dB^2>) (KPM Sec. 2.1.3).
    """

    geometry: Geometry | str = "slab"
    spectrum: Spectrum = field(default_factory=Spectrum)
    eta: float = 0.5
    rho: float = 8.9e-3
    physical: PhysicalScale | None = None
    #: The resolved :class:`crmix.geometry.Geometry` (set on construction from ``geometry``; None only as the default).
    turbulence: Geometry = field(default=cast(Geometry, None), repr=False)

    def __post_init__(self) -> None:
        given, kept = self.geometry, self.turbulence
        keep = isinstance(given, str) and kept is not None and getattr(kept, "name", None) == given
        resolved = geometry_for(kept if keep else given)
        object.__setattr__(self, "geometry", resolved.name)
        object.__setattr__(self, "turbulence", resolved)
        if not isinstance(self.spectrum, Spectrum):
            raise ValueError(f"spectrum must be a crmix.Spectrum, got {type(self.spectrum).__name__}")
        resolved.check_eta(real("eta", self.eta))
        rho = real("rho", self.rho)
        if rho <= 0:
            raise ValueError(f"rho (= r_g/L_c) must be > 0, got {self.rho!r}")
        if self.kmax_lc <= self.spectrum.kmin:
            raise ValueError(
                f"spectrum needs kmin < kmax: kmin L_c = {self.spectrum.kmin}, kmax L_c = {self.kmax_lc}"
            )

    # ---- constructors -------------------------------------------------------------------------
    @classmethod
    def from_physical(
        cls,
        geometry: Geometry | str = "slab",
        *,
        rigidity: Any,
        b_rms: Any,
        l_c: Any,
        eta: float = 0.5,
        spectrum: Spectrum | None = None,
    ) -> TurbulenceModel:
        """Build from physical quantities: rigidity (e.g. ``10*u.TV``), B_rms (``4*u.uG``), L_c (``30*u.pc``)."""
        import astropy.units as u

        from crmix.units import reduced_rigidity

        rho = reduced_rigidity(u.Quantity(rigidity), u.Quantity(b_rms), u.Quantity(l_c))
        scale = PhysicalScale(
            rigidity_V=float(u.Quantity(rigidity).to_value(u.V)),
            b_rms_G=float(u.Quantity(b_rms).to_value(u.G)),
            l_c_pc=float(u.Quantity(l_c).to_value(u.pc)),
        )
        return cls(geometry=geometry, spectrum=spectrum or Spectrum(), eta=eta, rho=rho, physical=scale)

    @classmethod
    def ma19(cls, k_out_rg: float = 1e-3, k_in_rg: float = 1e2, rho: float = 1.0) -> TurbulenceModel:
        """MA19's validation setting: isotropic band-limited white noise, no regular field.

        ``k_out_rg`` and ``k_in_rg`` are k_out r_g and k_in r_g (MA19 Sec. 4: 1e-3 and 1e2).
        """
        spec = Spectrum.white(kmin=k_out_rg / rho, kmax=k_in_rg / rho)
        return cls(geometry="isotropic", spectrum=spec, eta=1.0, rho=rho)

    @classmethod
    def from_description(cls, description: dict[str, Any], spectrum: dict[str, Any]) -> TurbulenceModel:
        """Rebuild a model from :meth:`describe` and ``dataclasses.asdict(model.spectrum)`` (a run's record).

        The geometry is looked up by name in the registry (crmix.geometry) with the parameters the
        record carries (e.g. ``slab_fraction``).
        """
        base = geometry_for(description["geometry"])
        geometry = geometry_for(base, **{k: float(description[k]) for k in base.parameters() if k in description})
        physical = None
        if "physical_rigidity_V" in description:
            physical = PhysicalScale(rigidity_V=float(description["physical_rigidity_V"]),
                                     b_rms_G=float(description["physical_b_rms_G"]),
                                     l_c_pc=float(description["physical_l_c_pc"]))
        return cls(geometry=geometry, spectrum=Spectrum(**spectrum), eta=float(description["eta"]),
                   rho=float(description["rho"]), physical=physical)

    def geometry_parameters(self) -> dict[str, float]:
        """The geometry's parameters (e.g. ``slab_fraction``), as :meth:`describe` records them."""
        return self.turbulence.parameters()

    def with_(self, **changes: Any) -> TurbulenceModel:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    # ---- derived quantities, in units of 1/Omega_ref -------------------------------------------
    @property
    def omega_reference(self) -> Literal["B0", "Brms"]:
        """Which field defines the unit of time: B0 when there is a regular field, else B_rms."""
        return "B0" if self.eta < 1.0 else "Brms"

    @property
    def Omega(self) -> float:
        """Gyrofrequency in the regular field B0 (0 without one)."""
        return 1.0 if self.eta < 1.0 else 0.0

    @property
    def omega_rms2(self) -> float:
        """<omega^2> = <dB^2>/B_ref^2: eta/(1-eta) in B0 units, 1 in B_rms units."""
        return self.eta / (1.0 - self.eta) if self.eta < 1.0 else 1.0

    @property
    def r_g(self) -> float:
        """Gyroradius in the RMS field: sqrt(1 - eta) in B0 units, 1 in B_rms units."""
        return math.sqrt(1.0 - self.eta) if self.eta < 1.0 else 1.0

    @property
    def L_c(self) -> float:
        """Correlation length L_c = r_g / rho."""
        return self.r_g / self.rho

    @property
    def kmax_lc(self) -> float:
        """k_max L_c (the default puts lambda_min = r_g/150)."""
        if self.spectrum.kmax is not None:
            return float(self.spectrum.kmax)
        return 2.0 * math.pi * RG_OVER_LAMBDA_MIN / self.rho

    @property
    def k_min(self) -> float:
        """Smallest wavenumber, in Omega_ref units."""
        return self.spectrum.kmin / self.L_c

    @property
    def k_max(self) -> float:
        """Largest wavenumber, in Omega_ref units."""
        return self.kmax_lc / self.L_c

    @property
    def k_bend(self) -> float:
        """Bend-over wavenumber (bend-over spectra; defaults to k_min), in Omega_ref units."""
        kb = self.spectrum.kbend if self.spectrum.kbend is not None else self.spectrum.kmin
        return kb / self.L_c

    @property
    def power_amplitude(self) -> float:
        """A in E(k) = A * shape(k), fixed by int E dk = <omega^2>."""
        return self.omega_rms2 / self.spectrum.shape_integral(self.k_min, self.k_max, self.k_bend)

    def power(self, k: Any, xp: ModuleType = np) -> Any:
        """E(k), zero outside [k_min, k_max]; int E dk = <omega^2> (module docstring)."""
        k = xp.asarray(k, dtype=float)
        inside = (k >= self.k_min) & (k <= self.k_max)
        safe = xp.where(inside, k, self.k_min)
        return xp.where(inside, self.power_amplitude * self.spectrum.shape(safe, self.k_bend, xp), 0.0)

    def g(self, k: Any, xp: ModuleType = np) -> Any:
        """The seed papers' g(k) = E(k)/(8 pi) (MA19 (3.12), KPM (28))."""
        return self.power(k, xp) / (8.0 * math.pi)

    def describe(self) -> dict[str, Any]:
        """Flat dictionary of parameters and derived numbers, for output metadata."""
        d: dict[str, Any] = {
            "geometry": self.geometry,
            **self.geometry_parameters(),
            "spectrum_kind": self.spectrum.kind,
            "spectrum_index": self.spectrum.index,
            "eta": self.eta,
            "rho": self.rho,
            "omega_reference": self.omega_reference,
            "kmin_Lc": self.spectrum.kmin,
            "kmax_Lc": self.kmax_lc,
            "k_min": self.k_min,
            "k_max": self.k_max,
            "L_c": self.L_c,
            "r_g": self.r_g,
            "omega_rms2": self.omega_rms2,
        }
        if self.physical is not None:
            d.update({f"physical_{k}": v for k, v in asdict(self.physical).items()})
        return d
