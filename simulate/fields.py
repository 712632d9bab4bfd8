"""Turbulent-field representations and their evaluation.

A field here is the *turbulent* gyrovector omega(r) = q dB(r)/p in units of Omega_ref
(crmix/model.py); the regular field enters the pusher separately as Omega0 z-hat.  The
representations, each of one lookup ``kind`` (``crmix.derive.lookups``):

* :class:`SlabTable` (``table_z``) -- slab turbulence, (omega_x, omega_y) tabulated on a fine
  periodic 1D grid in z, linear interpolation (KPM Sec. 2.1.2: grid-based synthesis, "a simple
  interpolation between grid points").
* :class:`Grid2D` (``grid_xy``) -- 2D turbulence, (omega_x, omega_y) of (x, y) on a periodic
  square grid, bilinear interpolation.
* :class:`NestedGrids2D` (``nested_grids_xy``) -- 2D turbulence as a sum of periodic square
  grids in (x, y), each carrying one band of k (when one grid cannot hold the band), bilinear
  interpolation.
* :class:`NestedGrids` (``nested_grids``) -- isotropic 3D turbulence as a sum of periodic FFT
  grids, each carrying one band of k (KPM Sec. 2.1.2, after Giacinti et al. 2012), trilinear
  interpolation.
* :class:`PlaneWaves` (``plane_waves``) -- a sum of plane waves omega = sum_m a_m cos(k_m . r + phi_m),
  a_m perpendicular to k_m (Giacalone & Jokipii 1994), the cross-check of both grid methods.
* :class:`FieldSum` (``table_z+grid_xy``, ...) -- the sum of fields (a composite, slab + 2D).

``evaluate(x, y, z, xp)`` runs the generated NumPy/CuPy lookup of the field's kind on
``kernel_data()``; the numba and CUDA pushers run the lookups generated from the same definition
on the same arrays.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any, ClassVar, TypeVar

import numpy as np

from crmix.generated import pusher_numpy

__all__ = ["Field", "FieldSum", "Grid2D", "NestedGrids", "NestedGrids2D", "PlaneWaves", "SlabTable", "generated_for"]

T = TypeVar("T")


def generated_for(table: Mapping[str, T], field: Any, backend: str) -> T:
    """The entry of a generated table (lookups, kernels) for the kind of ``field``; ValueError if none."""
    try:
        return table[field.kind]
    except KeyError:
        raise ValueError(
            f"no {backend} pusher is generated for the field kind {field.kind!r}; generated: {sorted(table)} "
            "(add the kind to FIELD_KINDS in crmix.derive.lookups and run crmix codegen)"
        ) from None


class _Lookup:
    """omega(r) by the generated NumPy/CuPy lookup of the field's ``kind``."""

    kind: ClassVar[str]

    def kernel_data(self) -> tuple[Any, ...]:
        raise NotImplementedError

    def evaluate(self, x: Any, y: Any, z: Any, xp: ModuleType = np) -> tuple[Any, Any, Any]:
        """(omega_x, omega_y, omega_z) at the points (x, y, z) (arrays of one shape)."""
        return generated_for(pusher_numpy.LOOKUPS, self, "numpy")(x, y, z, *self.kernel_data(), xp)


@dataclass(frozen=True)
class SlabTable(_Lookup):
    """omega_x, omega_y of slab turbulence at z_j = j dz, j = 0..n-1, periodic with L = n dz.

    ``table`` has shape (n, 2): the two transverse components of one node are adjacent in memory,
    so one interpolation touches two cache lines at most.
    """

    table: Any
    dz: float

    kind: ClassVar[str] = "table_z"

    @property
    def n(self) -> int:
        return int(self.table.shape[0])

    @property
    def length(self) -> float:
        """Period L = n dz."""
        return self.n * self.dz

    def kernel_data(self) -> tuple[Any, float]:
        return self.table, 1.0 / self.dz

    @property
    def period(self) -> tuple[float, float, float]:
        """The field repeats after this distance along x, y, z (inf: never)."""
        return (math.inf, math.inf, self.length)

    def to(self, xp: ModuleType, dtype: Any = None) -> SlabTable:
        return SlabTable(xp.asarray(self.table, dtype=dtype or self.table.dtype), self.dz)

    @property
    def nbytes(self) -> int:
        return int(self.table.nbytes)


@dataclass(frozen=True)
class Grid2D(_Lookup):
    """omega_x, omega_y of 2D turbulence at (ix, iy) * spacing: ``grid[ix, iy, c]``, periodic with n * spacing.

    The field depends on x and y only and has omega_z = 0 (delta B perpendicular to the regular
    field along z); bilinear interpolation between the nodes.
    """

    grid: Any
    spacing: float

    kind: ClassVar[str] = "grid_xy"

    def kernel_data(self) -> tuple[Any, float]:
        return self.grid, 1.0 / self.spacing

    @property
    def period(self) -> tuple[float, float, float]:
        """The field repeats after n * spacing along x and y, never along z."""
        return (self.grid.shape[0] * self.spacing, self.grid.shape[1] * self.spacing, math.inf)

    def to(self, xp: ModuleType, dtype: Any = None) -> Grid2D:
        return Grid2D(xp.asarray(self.grid, dtype=dtype or self.grid.dtype), self.spacing)

    @property
    def nbytes(self) -> int:
        return int(self.grid.nbytes)


@dataclass(frozen=True)
class _NestedLookup(_Lookup):
    """G periodic grids of n nodes per side: grid g has spacing ``spacing[g]``, box n * spacing[g], band [k_lo[g], k_hi[g])."""

    grids: Any
    spacing: Any
    k_lo: Any
    k_hi: Any

    @property
    def n(self) -> int:
        return int(self.grids.shape[1])

    @property
    def box(self) -> float:
        """The coarsest grid's box, after which the sum repeats along its periodic axes."""
        return float(np.max(np.asarray(self.spacing, dtype=float))) * self.n

    def kernel_data(self) -> tuple[Any, Any]:
        return self.grids, 1.0 / self.spacing

    def to(self, xp: ModuleType, dtype: Any = None) -> _NestedLookup:
        dt = dtype or self.grids.dtype
        return type(self)(xp.asarray(self.grids, dtype=dt), xp.asarray(self.spacing, dtype=dt), self.k_lo, self.k_hi)

    @property
    def nbytes(self) -> int:
        return int(self.grids.nbytes)


@dataclass(frozen=True)
class NestedGrids(_NestedLookup):
    """Sum of G periodic cubic grids: ``grids[g, ix, iy, iz, c]`` = omega_c at (ix, iy, iz) * spacing[g].

    All grids have the same number of nodes n per side; grid g has spacing ``spacing[g]`` and box
    n * spacing[g], and carries the band [k_lo[g], k_hi[g]) of the spectrum.
    """

    kind: ClassVar[str] = "nested_grids"

    @property
    def period(self) -> tuple[float, float, float]:
        """The field repeats after the box of the coarsest grid along every axis."""
        return (self.box, self.box, self.box)


@dataclass(frozen=True)
class NestedGrids2D(_NestedLookup):
    """Sum of G periodic square grids in (x, y): ``grids[g, ix, iy, c]`` = omega_c at (ix, iy) * spacing[g], c = x, y.

    2D turbulence (omega_z = 0, no z dependence) whose band one grid cannot hold: all grids have n
    nodes per side, grid g has spacing ``spacing[g]`` and box n * spacing[g], and carries the band
    [k_lo[g], k_hi[g]) of the spectrum.
    """

    kind: ClassVar[str] = "nested_grids_xy"

    @property
    def period(self) -> tuple[float, float, float]:
        """The field repeats after the box of the coarsest grid along x and y, never along z."""
        return (self.box, self.box, math.inf)


@dataclass(frozen=True)
class PlaneWaves(_Lookup):
    """omega(r) = sum_m amplitude[m] cos(k[m] . r + phase[m]); ``amplitude[m]`` is perpendicular to ``k[m]``."""

    k: Any  # (M, 3)
    amplitude: Any  # (M, 3)
    phase: Any  # (M,)

    kind: ClassVar[str] = "plane_waves"

    def kernel_data(self) -> tuple[Any, Any, Any]:
        return self.k, self.amplitude, self.phase

    @property
    def period(self) -> tuple[float, float, float]:
        """Incommensurate wavenumbers: no period."""
        return (math.inf, math.inf, math.inf)

    def to(self, xp: ModuleType, dtype: Any = None) -> PlaneWaves:
        dt = dtype or self.k.dtype
        return PlaneWaves(xp.asarray(self.k, dtype=dt), xp.asarray(self.amplitude, dtype=dt), xp.asarray(self.phase, dtype=dt))

    @property
    def nbytes(self) -> int:
        return int(self.k.nbytes + self.amplitude.nbytes + self.phase.nbytes)


@dataclass(frozen=True)
class FieldSum(_Lookup):
    """The sum of two or more fields (a composite, e.g. slab + 2D turbulence), each of its own kind.

    Its kind is the parts' kinds joined by ``+``; its kernel arrays are the parts' in order.
    """

    parts: tuple[Any, ...]

    def __post_init__(self) -> None:
        if len(self.parts) < 2 or any(isinstance(p, FieldSum) for p in self.parts):
            raise ValueError(f"parts must be two or more fields, none itself a FieldSum, got {self.parts!r}")

    @property
    def kind(self) -> str:  # type: ignore[override]
        return "+".join(p.kind for p in self.parts)

    def kernel_data(self) -> tuple[Any, ...]:
        return tuple(a for p in self.parts for a in p.kernel_data())

    @property
    def period(self) -> tuple[float, float, float]:
        """Along each axis the shortest period of a part: beyond it that part meets its periodic copy."""
        periods = np.array([p.period for p in self.parts], dtype=float)
        return tuple(float(v) for v in periods.min(axis=0))

    def to(self, xp: ModuleType, dtype: Any = None) -> FieldSum:
        return FieldSum(tuple(p.to(xp, dtype=dtype) for p in self.parts))

    @property
    def nbytes(self) -> int:
        return sum(p.nbytes for p in self.parts)


Field = SlabTable | Grid2D | NestedGrids2D | NestedGrids | PlaneWaves | FieldSum
