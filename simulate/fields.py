"""Turbulent-field representations and their evaluation (the NumPy/CuPy reference).

A field here is the *turbulent* gyrovector omega(r) = q dB(r)/p in units of Omega_ref
(crmix/model.py); the regular field enters the pusher separately as Omega0 z-hat.  Three
representations, each evaluated by one ``evaluate(x, y, z, xp)``:

* :class:`SlabTable` -- slab turbulence, (omega_x, omega_y) tabulated on a fine periodic 1D grid in
  z, linear interpolation (KPM Sec. 2.1.2: grid-based synthesis, "a simple interpolation between
  grid points").
* :class:`NestedGrids` -- isotropic 3D turbulence as a sum of periodic FFT grids, each carrying one
  band of k (KPM Sec. 2.1.2, after Giacinti et al. 2012), trilinear interpolation.
* :class:`PlaneWaves` -- a sum of plane waves omega = sum_m a_m cos(k_m . r + phi_m), a_m perpendicular
  to k_m (Giacalone & Jokipii 1994), the cross-check of both grid methods.

The compiled kernels (:mod:`crmix.simulate.kernels`) evaluate exactly the same formulas; the
arrays they take are listed by :meth:`kernel_data`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["Field", "NestedGrids", "PlaneWaves", "SlabTable"]


def _periodic_cell(u: Any, n: int, xp: ModuleType) -> tuple[Any, Any, Any]:
    """Lower node index i (mod n), upper node j = i+1 (mod n) and the fraction u - floor(u)."""
    fl = xp.floor(u)
    frac = u - fl
    i = fl.astype(xp.int64) % n
    return i, (i + 1) % n, frac


@dataclass(frozen=True)
class SlabTable:
    """omega_x, omega_y of slab turbulence at z_j = j dz, j = 0..n-1, periodic with L = n dz.

    ``table`` has shape (n, 2): the two transverse components of one node are adjacent in memory,
    so one interpolation touches two cache lines at most.
    """

    table: Any
    dz: float

    @property
    def n(self) -> int:
        return int(self.table.shape[0])

    @property
    def length(self) -> float:
        """Period L = n dz."""
        return self.n * self.dz

    def evaluate(self, x: Any, y: Any, z: Any, xp: ModuleType = np) -> tuple[Any, Any, Any]:
        """omega(r) by linear interpolation in z; omega_z = 0."""
        i, j, f = _periodic_cell(z / self.dz, self.n, xp)
        t = self.table
        wx = (1 - f) * t[i, 0] + f * t[j, 0]
        wy = (1 - f) * t[i, 1] + f * t[j, 1]
        return wx, wy, xp.zeros_like(wx)

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
class NestedGrids:
    """Sum of G periodic cubic grids: ``grids[g, ix, iy, iz, c]`` = omega_c at (ix, iy, iz) * spacing[g].

    All grids have the same number of nodes n per side; grid g has spacing ``spacing[g]`` and box
    n * spacing[g], and carries the band [k_lo[g], k_hi[g]) of the spectrum.
    """

    grids: Any
    spacing: Any
    k_lo: Any
    k_hi: Any

    @property
    def n(self) -> int:
        return int(self.grids.shape[1])

    def evaluate(self, x: Any, y: Any, z: Any, xp: ModuleType = np) -> tuple[Any, Any, Any]:
        """omega(r): the sum over grids of the trilinear interpolation of each grid."""
        out = [xp.zeros_like(x) for _ in range(3)]
        for g in range(self.grids.shape[0]):
            h = float(self.spacing[g])
            ix, jx, fx = _periodic_cell(x / h, self.n, xp)
            iy, jy, fy = _periodic_cell(y / h, self.n, xp)
            iz, jz, fz = _periodic_cell(z / h, self.n, xp)
            grid = self.grids[g]
            for cx, wx in ((ix, 1 - fx), (jx, fx)):
                for cy, wy in ((iy, 1 - fy), (jy, fy)):
                    for cz, wz in ((iz, 1 - fz), (jz, fz)):
                        w = wx * wy * wz
                        node = grid[cx, cy, cz]  # (N, 3)
                        for c in range(3):
                            out[c] = out[c] + w * node[:, c]
        return out[0], out[1], out[2]

    def kernel_data(self) -> tuple[Any, Any]:
        return self.grids, 1.0 / self.spacing

    @property
    def period(self) -> tuple[float, float, float]:
        """The field repeats after the box of the coarsest grid along every axis."""
        box = float(np.max(np.asarray(self.spacing, dtype=float))) * self.n
        return (box, box, box)

    def to(self, xp: ModuleType, dtype: Any = None) -> NestedGrids:
        dt = dtype or self.grids.dtype
        return NestedGrids(xp.asarray(self.grids, dtype=dt), xp.asarray(self.spacing, dtype=dt), self.k_lo, self.k_hi)

    @property
    def nbytes(self) -> int:
        return int(self.grids.nbytes)


@dataclass(frozen=True)
class PlaneWaves:
    """omega(r) = sum_m amplitude[m] cos(k[m] . r + phase[m]); ``amplitude[m]`` is perpendicular to ``k[m]``."""

    k: Any  # (M, 3)
    amplitude: Any  # (M, 3)
    phase: Any  # (M,)

    def evaluate(self, x: Any, y: Any, z: Any, xp: ModuleType = np) -> tuple[Any, Any, Any]:
        out = [xp.zeros_like(x) for _ in range(3)]
        for m in range(self.k.shape[0]):
            c = xp.cos(self.k[m, 0] * x + self.k[m, 1] * y + self.k[m, 2] * z + self.phase[m])
            for i in range(3):
                out[i] = out[i] + self.amplitude[m, i] * c
        return out[0], out[1], out[2]

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


Field = SlabTable | NestedGrids | PlaneWaves
