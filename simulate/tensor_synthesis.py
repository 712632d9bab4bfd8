"""Synthetic turbulence with an axisymmetric spectral tensor: slab, 2D, isotropic and their sums.

:func:`tensor_field` draws one realisation of omega = q dB / p for a
:class:`~crmix.spectral_tensors.AxisymmetricTensor`, one field per component (all random numbers
from the generator passed in, component after component), summed in a
:class:`~crmix.simulate.fields.FieldSum` when there are several.  The normalisation is
:mod:`crmix.simulate.synthesis`'s: every mode (or shell or ring of modes) receives the *exact*
integral of the component's E over the wavenumber cell it represents (8-point Gauss-Legendre on
the cell, :func:`~crmix.simulate.synthesis.cell_power`), so the expected <omega^2> of a component
is its power int_kmin^kmax E dk however coarse the mode lattice is at kmin.

Each support has one synthesiser (:data:`SYNTHESISERS`), each with a grid method (the default) and
a plane-wave method:

* ``slab`` -- k along B0 = B0 z^.  Grid: the periodic FFT table in z of
  :func:`~crmix.simulate.synthesis.slab_fft_table` (KPM (28)), sized by ``box_over_lmax`` and
  ``points_per_wavelength`` (:func:`~crmix.simulate.synthesis.table_size`).  Waves: k along z,
  polarisation uniformly random in the x-y plane.
* ``2d`` -- k perpendicular to B0, omega perpendicular to k and to B0, a function of (x, y) only.
  Grid: omega = curl(A z^) = (d_y A, -d_x A, 0) on a periodic n x n grid
  (:class:`~crmix.simulate.fields.Grid2D`): in each ring [m k_f, (m+1) k_f) of the 2D lattice
  (k_f = 2 pi / L, L = n h the box) the ring's power int_ring E dk is shared equally by its lattice
  modes (:func:`~crmix.simulate.synthesis.shell_powers`), and mode k gets
  c_k = xi_k sqrt(P_k) (k_y, -k_x)/k with xi_k complex Gaussian, <|xi_k|^2> = 2, so
  Re(c_k e^{i k.r}) carries the variance P_k; omega = Re sum_k c_k e^{i k.r} (a full complex FFT,
  k and -k independent).  Every mode is perpendicular to k and has omega_z = 0, so the spectral
  divergence k . omega_k vanishes to round-off.  The box is ``box_over_wavelength`` times the
  longest wave, the spacing resolves the shortest with ``points_per_wavelength`` nodes:
  n = box_over_wavelength * points_per_wavelength * kmax / kmin (rounded up to an FFT length).  If
  that exceeds the option ``n_xy`` (nodes per side, default 2048), the band is cut into nested grids of n nodes
  (:func:`~crmix.simulate.synthesis.grid_bands`, each band a factor
  n / (points_per_wavelength * box_over_wavelength) in k), summed in one
  :class:`~crmix.simulate.fields.NestedGrids2D` (one generated lookup for any number of grids; it
  repeats after the coarsest box, as the isotropic nested grids do).
  Memory: 2 * itemsize * n^2 per grid (64 MiB at n = 2048 in float64), and about 100 n^2 bytes
  transiently while one grid is drawn.  Waves: k = k (cos phi, sin phi, 0), phi uniform,
  polarisation k^ x z^.
* ``full`` -- isotropic turbulence (MA19 (3.12)).  Grid: the nested periodic cubic grids of
  :func:`~crmix.simulate.synthesis.nested_isotropic_grids`.  Waves: isotropic directions,
  polarisation uniformly random perpendicular to k.

Plane waves (``method="waves"``): ``n_modes`` waves per component on log-spaced cells of its band,
amplitude sqrt(2 int_cell E dk), so <omega^2> = sum a_m^2 / 2 = the component's power exactly;
the waves of all components form one :class:`~crmix.simulate.fields.PlaneWaves` (a sum of plane
waves is one).

A synthesiser draws the polarisation of its support's reference tensor
(:func:`~crmix.spectral_tensors.slab_tensor`, :func:`~crmix.spectral_tensors.two_d_tensor`,
:func:`~crmix.spectral_tensors.isotropic_tensor`); a component with another polarisation (helical,
say) is refused.  :func:`tensor_field_bytes` is the memory of the field without drawing it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.fft

from crmix.simulate.fields import Field, FieldSum, Grid2D, NestedGrids2D, PlaneWaves
from crmix.simulate.synthesis import (
    CellPower,
    GridBand,
    cell_power,
    grid_bands,
    isotropic_directions,
    nested_field,
    nested_isotropic_grids,
    shell_powers,
    slab_fft_table,
    table_size,
    transverse_polarisations,
    wave_cells,
)
from crmix.spectral_tensors import AxisymmetricTensor, TensorComponent, isotropic_tensor, slab_tensor, two_d_tensor

__all__ = ["METHODS", "SYNTHESISERS", "Synthesiser", "component_cells", "tensor_field", "tensor_field_bytes", "two_d_bands", "two_d_grid"]

#: Bytes per plane wave: k (3), amplitude (3) and phase (1) in float64.
_WAVE_BYTES = 7 * 8
#: Relative tolerance of the polarisation check against the synthesiser's reference.
_POLARISATION_RTOL = 1e-9


def component_cells(component: TensorComponent) -> CellPower:
    """cells(k1, k2) = int_{k1}^{k2} E dk of ``component``, each cell clipped to its band."""
    spectrum = component.spectrum

    def cells(k1: np.ndarray, k2: np.ndarray) -> np.ndarray:
        return cell_power(lambda k: spectrum(k, np), component.kmin, component.kmax, k1, k2)

    return cells


# --------------------------------------------------------------------------------------------
# slab: a periodic table along z
def _slab_grid(component: TensorComponent, rng: np.random.Generator, *, box_over_lmax: float, points_per_wavelength: float,
               dtype: Any, workers: int | None) -> Field:
    n, dz = table_size(component.kmin, component.kmax, box_over_lmax, points_per_wavelength)
    return slab_fft_table(component_cells(component), n, dz, rng, dtype=dtype, workers=workers)


def _slab_grid_bytes(component: TensorComponent, *, box_over_lmax: float, points_per_wavelength: float, dtype: Any,
                     **drawing: Any) -> int:
    """The table's bytes (``drawing``: options of the drawing alone, ``workers``)."""
    n, _ = table_size(component.kmin, component.kmax, box_over_lmax, points_per_wavelength)
    return 2 * np.dtype(dtype).itemsize * n


def _slab_directions(rng: np.random.Generator, n_modes: int) -> np.ndarray:
    return np.tile([0.0, 0.0, 1.0], (n_modes, 1))


# --------------------------------------------------------------------------------------------
# 2D: omega = curl(A z^) on periodic grids in (x, y)
def two_d_bands(kmin: float, kmax: float, *, n: int, points_per_wavelength: float, box_over_wavelength: float) -> tuple[int, list[GridBand]]:
    """(nodes per side, the grids' bands) of a 2D synthesis of [kmin, kmax] (module docstring).

    One grid when box_over_wavelength * points_per_wavelength * kmax / kmin nodes per side (rounded
    up to an FFT length) are at most ``n``, nested grids of ``n`` nodes otherwise.
    """
    if points_per_wavelength <= 2.0:
        raise ValueError(f"points_per_wavelength must be > 2 (Nyquist), got {points_per_wavelength}")
    if box_over_wavelength < 1.0:
        raise ValueError(f"box_over_wavelength must be >= 1 (the box must hold the longest wave), got {box_over_wavelength}")
    per_wave = points_per_wavelength * box_over_wavelength
    one_grid = scipy.fft.next_fast_len(int(math.ceil(max(per_wave * kmax / kmin, 2.0 * per_wave))))
    nodes = min(int(n), one_grid)
    return nodes, grid_bands(kmin, kmax, nodes, points_per_wavelength, box_over_wavelength)


def two_d_grid(cells: CellPower, band: GridBand, n: int, rng: np.random.Generator, dtype: Any = np.float64) -> np.ndarray:
    """omega[ix, iy, c] (c = x, y) of one band of 2D turbulence, omega = curl(A z^), on a periodic n x n grid (module docstring).

    Memory: 2 * itemsize * n^2 for the grid and about 100 n^2 bytes transiently.
    """
    k1 = 2.0 * math.pi * np.fft.fftfreq(n, d=band.spacing)
    kx, ky = np.meshgrid(k1, k1, indexing="ij", sparse=True)
    kmag = np.sqrt(kx * kx + ky * ky)
    power = shell_powers(cells, kmag, band.k_lo, band.k_hi, 2.0 * math.pi / band.box, band.last)
    # <|xi|^2> = 2: c_k = xi sqrt(P_k) e_k has <|c_k|^2> = 2 P_k, and Re(c_k e^{ik.r}) carries variance P_k
    xi = (rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))) * np.sqrt(power)
    del power
    safe = np.where(kmag > 0, kmag, 1.0)
    grid = np.empty((n, n, 2), dtype=dtype)
    # e_k = (k_y, -k_x)/k = k^ x z^: omega perpendicular to k and to z (div omega = 0, omega_z = 0)
    grid[..., 0] = np.fft.ifft2(xi * (ky / safe)).real * float(n) ** 2
    grid[..., 1] = np.fft.ifft2(xi * (-kx / safe)).real * float(n) ** 2
    return grid


def _two_d_grid(component: TensorComponent, rng: np.random.Generator, *, n_xy: int, points_per_wavelength: float,
                box_over_wavelength: float, dtype: Any) -> Field:
    nodes, bands = two_d_bands(component.kmin, component.kmax, n=n_xy, points_per_wavelength=points_per_wavelength,
                               box_over_wavelength=box_over_wavelength)
    cells = component_cells(component)
    grids = [two_d_grid(cells, band, nodes, rng, dtype) for band in bands]
    if len(bands) == 1:
        return Grid2D(grids[0], bands[0].spacing)
    return nested_field(NestedGrids2D, grids, bands, dtype)


def _two_d_grid_bytes(component: TensorComponent, *, n_xy: int, points_per_wavelength: float, box_over_wavelength: float, dtype: Any) -> int:
    nodes, bands = two_d_bands(component.kmin, component.kmax, n=n_xy, points_per_wavelength=points_per_wavelength,
                               box_over_wavelength=box_over_wavelength)
    return len(bands) * 2 * np.dtype(dtype).itemsize * nodes**2


def _two_d_directions(rng: np.random.Generator, n_modes: int) -> np.ndarray:
    phi = rng.uniform(0.0, 2.0 * math.pi, n_modes)
    return np.stack([np.cos(phi), np.sin(phi), np.zeros(n_modes)], axis=1)


def _two_d_polarisations(khat: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """k^ x z^ (no random numbers: the 2D polarisation is fixed by k)."""
    return np.cross(khat, [0.0, 0.0, 1.0])


# --------------------------------------------------------------------------------------------
# full: isotropic nested cubic grids
def _full_grid(component: TensorComponent, rng: np.random.Generator, *, n: int, points_per_wavelength: float,
               box_over_wavelength: float, dtype: Any) -> Field:
    return nested_isotropic_grids(component_cells(component), component.kmin, component.kmax, rng, n=n,
                                  points_per_wavelength=points_per_wavelength, box_over_wavelength=box_over_wavelength, dtype=dtype)


def _full_grid_bytes(component: TensorComponent, *, n: int, points_per_wavelength: float, box_over_wavelength: float, dtype: Any) -> int:
    bands = grid_bands(component.kmin, component.kmax, n, points_per_wavelength, box_over_wavelength)
    return len(bands) * 3 * np.dtype(dtype).itemsize * n**3


# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Synthesiser:
    """The synthesis of the components of one support (module docstring).

    reference      the support's tensor constructor (spectrum, kmin, kmax) -> AxisymmetricTensor:
                   the polarisation drawn.
    grid           (component, rng, **grid_options) -> the component's field on a lookup table or grids.
    grid_bytes     (component, **grid_options) -> the memory of that field.
    grid_options   the grid method's options and their defaults.
    directions     (rng, n_modes) -> the plane waves' k^, (n_modes, 3).
    polarisations  (k^, rng) -> the plane waves' unit polarisations, (n_modes, 3).
    check_cosines  c = cos theta_k on the support where a component's polarisation is compared with
                   the reference (at kmin, sqrt(kmin kmax) and kmax).
    """

    support: str
    reference: Callable[..., AxisymmetricTensor]
    grid: Callable[..., Field]
    grid_bytes: Callable[..., int]
    grid_options: Mapping[str, Any]
    directions: Callable[[np.random.Generator, int], np.ndarray]
    polarisations: Callable[[np.ndarray, np.random.Generator], np.ndarray]
    check_cosines: tuple[float, ...]

    def check_polarisation(self, component: TensorComponent) -> None:
        """ValueError unless ``component`` has this support's reference polarisation (the one drawn)."""
        reference = self.reference(component.spectrum, component.kmin, component.kmax).components[0].polarisation
        c = np.asarray(self.check_cosines)
        for k in (component.kmin, math.sqrt(component.kmin * component.kmax), component.kmax):
            kk = np.full(c.shape, k)
            got, want = component.polarisation(kk, c, np), reference(kk, c, np)
            if not np.allclose(got, want, rtol=_POLARISATION_RTOL, atol=_POLARISATION_RTOL):
                raise ValueError(f"{component.name}: only the {self.support} support's reference polarisation "
                                 f"({self.reference.__name__}) can be synthesised; this component's differs at k = {k:.4g}")


#: support -> its synthesiser.
SYNTHESISERS: dict[str, Synthesiser] = {
    s.support: s
    for s in (
        Synthesiser("slab", slab_tensor, _slab_grid, _slab_grid_bytes,
                    {"box_over_lmax": 8.0, "points_per_wavelength": 10.0, "dtype": np.float64, "workers": None},
                    _slab_directions, transverse_polarisations, (1.0, -1.0)),
        Synthesiser("2d", two_d_tensor, _two_d_grid, _two_d_grid_bytes,
                    {"n_xy": 2048, "points_per_wavelength": 8.0, "box_over_wavelength": 2.0, "dtype": np.float64},
                    _two_d_directions, _two_d_polarisations, (0.0,)),
        Synthesiser("full", isotropic_tensor, _full_grid, _full_grid_bytes,
                    {"n": 64, "points_per_wavelength": 8.0, "box_over_wavelength": 2.0, "dtype": np.float64},
                    isotropic_directions, transverse_polarisations, (-1.0, -0.5, 0.0, 0.3, 1.0)),
    )
}

#: The plane-wave method's options and their defaults (every support).
_WAVE_OPTIONS: Mapping[str, Any] = {"n_modes": 256}


def _waves(synth: Synthesiser, component: TensorComponent, rng: np.random.Generator, *, n_modes: int) -> Field:
    kmag, amp = wave_cells(component_cells(component), component.kmin, component.kmax, n_modes)
    khat = synth.directions(rng, n_modes)
    pol = synth.polarisations(khat, rng)
    phase = rng.uniform(0.0, 2.0 * math.pi, n_modes)
    return PlaneWaves(kmag[:, None] * khat, amp[:, None] * pol, phase)


def _waves_bytes(synth: Synthesiser, component: TensorComponent, *, n_modes: int) -> int:
    if n_modes < 1:
        raise ValueError(f"n_modes must be >= 1, got {n_modes}")
    return _WAVE_BYTES * n_modes


@dataclass(frozen=True)
class _Method:
    """A synthesis method: its fields, their memory, its options (per synthesiser) and how parts combine."""

    draw: Callable[..., Field]
    nbytes: Callable[..., int]
    options: Callable[[Synthesiser], Mapping[str, Any]]
    combine: Callable[[list[Field]], Field]


def _sum_fields(parts: list[Field]) -> Field:
    return parts[0] if len(parts) == 1 else FieldSum(tuple(parts))


def _join_waves(parts: list[Field]) -> Field:
    return PlaneWaves(*(np.concatenate([getattr(p, name) for p in parts]) for name in ("k", "amplitude", "phase")))


#: method name -> how it synthesises.
_METHODS: dict[str, _Method] = {
    "grid": _Method(lambda synth, component, rng, **opts: synth.grid(component, rng, **opts),
                    lambda synth, component, **opts: synth.grid_bytes(component, **opts), lambda synth: synth.grid_options, _sum_fields),
    "waves": _Method(_waves, _waves_bytes, lambda synth: _WAVE_OPTIONS, _join_waves),
}
#: The synthesis methods: lookup tables and grids (the default), plane waves.
METHODS = tuple(_METHODS)


def _plan(tensor: AxisymmetricTensor, method: str, options: Mapping[str, Any]) -> tuple[_Method, list[tuple[Synthesiser, TensorComponent, dict[str, Any]]]]:
    """The method, and per component its synthesiser and options (defaults updated by ``options``)."""
    if not isinstance(tensor, AxisymmetricTensor):
        raise TypeError(f"tensor must be an AxisymmetricTensor, got {type(tensor).__name__}")
    try:
        how = _METHODS[method]
    except KeyError:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}") from None
    plan, known = [], set()
    for component in tensor.components:
        synth = SYNTHESISERS[component.support]
        synth.check_polarisation(component)
        defaults = how.options(synth)
        known |= set(defaults)
        plan.append((synth, component, {name: options.get(name, value) for name, value in defaults.items()}))
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(f"unknown synthesis options {unknown} for method {method!r} and supports "
                        f"{sorted({c.support for c in tensor.components})}; allowed: {sorted(known)}")
    return how, plan


def tensor_field(tensor: AxisymmetricTensor, rng: np.random.Generator, *, method: str = "grid", **options: Any) -> Field:
    """One realisation of the turbulent gyrovector field with the spectral tensor ``tensor`` (module docstring).

    One field per component, drawn from ``rng`` in the order of ``tensor.components``, summed in a
    FieldSum when there are several (the grid method), or joined into one PlaneWaves
    (``method="waves"``).  ``options`` are the method's
    (:data:`SYNTHESISERS`' ``grid_options``, or ``n_modes`` for waves); each applies to every
    component whose synthesiser takes it.
    """
    how, plan = _plan(tensor, method, options)
    return how.combine([how.draw(synth, component, rng, **opts) for synth, component, opts in plan])


def tensor_field_bytes(tensor: AxisymmetricTensor, *, method: str = "grid", **options: Any) -> int:
    """The memory (bytes) of :func:`tensor_field`'s field for these arguments, without drawing it (its ``nbytes``)."""
    how, plan = _plan(tensor, method, options)
    return sum(how.nbytes(synth, component, **opts) for synth, component, opts in plan)
