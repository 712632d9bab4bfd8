"""What ``crmix compare`` compares, checked once: :class:`CompareRequest`.

Built by the command from its options and equally by a Python user (Quantities or their text for
the energies, the field and the correlation length); the constructor reads the measured table,
checks every value (a ValueError names the option and its range) and builds the
:class:`crmix.observe.compare.Comparison` that :func:`crmix.observe.compare.run_comparison` runs.
Its choices are crmix.observe.choices (importable without healpy: the command's parser reads them).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmix.model import NAMED_SPECTRA
from crmix.observe.choices import COMPARE_SPECTRA, DEFAULT_FIELD, DEFAULT_LMAX, DIPOLES, FILTERS

if TYPE_CHECKING:
    from crmix.observe.compare import Comparison, Coverage

__all__ = ["CompareRequest"]

@dataclass(frozen=True)
class CompareRequest:
    """The options of ``crmix compare`` (module docstring); ``comparison`` is built and checked in the constructor.

    data            a measured table (CSV or ECSV), None: the shipped IceTop 11-year spectra.
    tiers, energy   the compared tiers and their median energies (Quantities or text; required for other tables).
    coverage        ``band:DEC1,DEC2`` in degrees, or a HEALPix weight map's path.
    events, noise_level  shot noise per tier (at most one; None: fitted).
    eta, b_rms, l_c, spectrum, charge   the slab model (rigidity = E/Z).
    maps, time      a crmix simulate run whose sky maps give the shape, and its backtracking time.
    one_sky_variance  chi^2 with the one-sky covariance at the best fit beside the published errors (False: those alone).
    mixing_run      crmix mixing runs, one per tier's model: the theory with the M measured by test particles
                    (crmix.fit.mixing.MeasuredMixing) instead of the first order.
    out             output folder; predictions are cached in ``out/predictions``.
    """

    data: str | os.PathLike[str] | None = None
    tiers: Sequence[str] | None = None
    energy: Sequence[Any] | None = None
    charge: int = 1
    coverage: str = "band:-90,-35"
    filter: str = "m0"
    field_direction: tuple[float, float] = DEFAULT_FIELD
    dipole: str = "b0"
    events: Sequence[float] | None = None
    noise_level: Sequence[float] | None = None
    spectrum: str = "kolmogorov"
    eta: float = 0.5
    b_rms: Any = "4uG"
    l_c: Any = "30pc"
    lmax: int = DEFAULT_LMAX
    omega_dt_range: tuple[float, float] | None = None
    grid: int = 7
    maps: str | os.PathLike[str] | None = None
    time: float | None = None
    mixing_run: Sequence[str | os.PathLike[str]] | None = None
    realisations: int = 200
    nside: int = 64
    seed: int = 0
    one_sky_variance: bool = True
    out: str | os.PathLike[str] = "crmix-out/compare"
    progress: bool = True
    comparison: Comparison = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "comparison", _comparison(self))


def _check_numbers(args: CompareRequest) -> None:
    """The scalar options, each named with its range (before any file is read)."""
    from crmix.validation import integer, real

    integer("--seed", args.seed, ge=0)
    integer("--realisations (Gaussian skies for the one-sky scatter)", args.realisations, ge=2)
    integer("--grid", args.grid, ge=3)
    integer("--charge", args.charge, ge=1)
    integer("--lmax", args.lmax, ge=2)
    nside = integer("--nside", args.nside, ge=1)
    if nside & (nside - 1):
        raise ValueError(f"--nside must be a power of two, got {nside}")
    ra, dec = args.field_direction
    real("--field-direction RA (deg)", ra, ge=0, lt=360)
    real("--field-direction Dec (deg)", dec, ge=-90, le=90)
    if args.omega_dt_range is not None:
        lo, hi = args.omega_dt_range
        lo = real("--omega-dt-range LO", lo, gt=0)
        hi = real("--omega-dt-range HI", hi, gt=0)
        if not lo < hi:
            raise ValueError(f"--omega-dt-range must satisfy 0 < LO < HI (finite), got {lo:g} {hi:g}")
    if args.time is not None:
        real("--time (1/Omega)", args.time, gt=0)
    if not (math.isfinite(args.eta) and 0 < args.eta < 1):
        raise ValueError(f"--eta must satisfy 0 < eta < 1 (slab turbulence), got {args.eta}")
    for v in args.events or ():
        real("--events", v, gt=0)
    for v in args.noise_level or ():
        real("--noise-level", v, ge=0)


def _coverage(text: str) -> Coverage:
    from crmix.observe.compare import Coverage
    from crmix.observe.sky import check_band, read_weights

    if text.startswith("band:"):
        try:
            lo, hi = (float(v) for v in text[5:].split(","))
        except ValueError as exc:
            raise ValueError(f"--coverage band must read band:DEC1,DEC2 (degrees), got {text!r}") from exc
        lo, hi = check_band(lo, hi)
        return Coverage(dec_min=lo, dec_max=hi)
    return Coverage(weights=read_weights(text), name=Path(text).name)


def _per_tier(name: str, values: Sequence[float] | None, tiers: list[str]) -> dict[str, float] | None:
    if values is None:
        return None
    if len(values) != len(tiers):
        raise ValueError(f"{name} needs one value per compared tier ({len(tiers)}: {', '.join(tiers)}), got {len(values)}")
    return dict(zip(tiers, values))


def _comparison(args: CompareRequest) -> Comparison:
    """Every check before any work: ValueError naming the option and its allowed range."""
    import astropy.units as u

    from crmix.io import check_output_folder
    from crmix.observe.compare import Comparison
    from crmix.observe.data import icetop11, read_measured
    from crmix.observe.simulated import read_simulated_sky_maps
    from crmix.units import quantity
    from crmix.validation import real

    _check_numbers(args)
    if args.spectrum not in COMPARE_SPECTRA:
        raise ValueError(f"--spectrum must be one of {COMPARE_SPECTRA}, got {args.spectrum!r}")
    if args.filter not in FILTERS:
        raise ValueError(f"--filter must be one of {FILTERS}, got {args.filter!r}")
    if args.dipole not in DIPOLES:
        raise ValueError(f"--dipole must be one of {DIPOLES}, got {args.dipole!r}")
    try:
        data = icetop11() if args.data is None else read_measured(Path(args.data))
    except ValueError as exc:
        raise ValueError(f"--data: {exc}") from None
    if args.tiers is not None:
        known = [d.tier for d in data]
        missing = [t for t in args.tiers if t not in known]
        if missing:
            raise ValueError(f"--tiers: the table has tiers {known}, not {missing}")
        data = [d for d in data if d.tier in args.tiers]
    tiers = [d.tier for d in data]
    lmax_data = max(d.lmax for d in data)
    if args.maps is None and args.lmax < lmax_data:
        raise ValueError(f"--lmax must be >= the largest measured l = {lmax_data}, got {args.lmax}")
    if args.nside & (args.nside - 1) or 3 * args.nside - 1 < lmax_data:
        raise ValueError(f"--nside must be a power of two with 3 nside - 1 >= {lmax_data} (the largest measured l), got {args.nside}")
    if args.energy is not None:
        energies = _per_tier("--energy", [quantity(e, u.eV, "--energy").to_value(u.TeV) for e in args.energy], tiers) or {}
        for tier, e in energies.items():
            real(f"--energy of tier {tier} (TeV)", e, gt=0)
        data = [d.with_energy(energies[d.tier]) for d in data]
    if args.maps is None and any(d.energy_TeV is None for d in data):
        raise ValueError("--energy is required (one per tier) for a table other than the shipped IceTop spectra")
    events = _per_tier("--events", args.events, tiers)
    levels = _per_tier("--noise-level", args.noise_level, tiers)
    try:
        coverage = _coverage(args.coverage)
    except ValueError as exc:
        raise ValueError(exc if str(exc).startswith("--coverage") else f"--coverage: {exc}") from None
    if not coverage.is_band:
        from crmix.observe import namaster

        namaster.require()  # a weight map's kernel or one-sky covariance comes from NaMaster
    if events is not None:
        levels = {t: 4.0 * math.pi * coverage.event_factor() / n for t, n in events.items()}
    b_rms = quantity(args.b_rms, u.G, "--brms").to_value(u.uG)
    l_c = quantity(args.l_c, u.pc, "--lc").to_value(u.pc)
    real("--brms (uG)", b_rms, gt=0)
    real("--lc (pc)", l_c, gt=0)
    if args.mixing_run is not None and args.maps is not None:
        raise ValueError("--mixing-run gives the theory's M; --maps replaces the theory by simulated skies: choose one")
    maps = None
    out = Path(args.out)
    check_output_folder(out)
    if args.maps is not None:
        if args.time is None:
            raise ValueError("--time (a backtracking time of the --maps run) is required with --maps")
        try:
            maps = read_simulated_sky_maps(Path(args.maps), args.time)
        except ValueError as exc:
            raise ValueError(f"--maps: {exc}") from None
    elif args.time is not None:
        raise ValueError("--time needs --maps")
    if args.grid < 3:
        raise ValueError(f"--grid must be >= 3, got {args.grid}")
    out = Path(args.out)
    check_output_folder(out)
    comparison = Comparison(
        data=data, coverage=coverage, filter=args.filter, field_direction=(float(args.field_direction[0]), float(args.field_direction[1])), dipole=args.dipole,
        noise_levels=levels, charge=args.charge, eta=args.eta, b_rms_uG=b_rms, l_c_pc=l_c, spectrum=NAMED_SPECTRA[args.spectrum](),
        lmax=args.lmax, omega_dt_range=None if args.omega_dt_range is None else (float(args.omega_dt_range[0]), float(args.omega_dt_range[1])),
        grid_points=args.grid, realisations=args.realisations, nside=args.nside, seed=args.seed, maps=maps,
        mixing_runs=None if args.mixing_run is None else tuple(str(r) for r in args.mixing_run),
        one_sky_variance=args.one_sky_variance, cache=out / "predictions", progress=args.progress,
    )
    if comparison.mixing_runs:  # each run must have measured one tier's model, to the model's l_max
        from crmix.fit.mixing import measured_sources

        models = [comparison.model(d.energy_TeV) for d in comparison.data if d.energy_TeV is not None]
        measured_sources(comparison.mixing_runs, models, comparison.lmax)
    return comparison


