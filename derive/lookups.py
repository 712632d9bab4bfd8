"""The turbulent-field lookups omega(r), defined once: what every pusher backend emits, and its checks.

A lookup turns the arrays of one field representation (``simulate/fields.py``, ``kernel_data``)
into omega at a point.  Two families:

* :class:`PeriodicGrid` -- multilinear interpolation on a periodic regular grid over some of the
  coordinates (KPM Sec. 2.1.2: "a simple interpolation between grid points"), optionally summed over
  a leading axis of grids of different spacing (nested grids, after Giacinti et al. 2012).  The slab
  table (linear in z), the 2D grid (bilinear in x, y) and the nested 3D grids (trilinear) are three
  instances.
* :class:`PlaneWaveSum` -- omega = sum_m a_m cos(k_m . r + phi_m) (Giacalone & Jokipii 1994).

The value of a lookup is a SymPy expression in the cell fractions and the loaded node values (or
mode parameters); the index arithmetic that loads them -- floor, modulo n, the gather -- is each
backend's template (``codegen/backends/``).  :data:`FIELD_KINDS` lists the fields the pushers are
generated for: one lookup, or the sum of several (a composite such as slab + 2D).

Adding a representation: a new instance of a family here (or a new family with its template
macro per backend), its field class in ``simulate/fields.py`` with ``kind`` = the lookup's name,
an entry in :data:`FIELD_KINDS`, and ``crmix codegen``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import sympy as sp

from crmix.derive.exact import vanishes
from crmix.derive.registry import Verdict, identity, verdict

__all__ = ["FIELD_KINDS", "GRID_LOOKUPS", "LINEAR_WEIGHTS", "LOOKUPS", "PLANE_WAVES", "PeriodicGrid", "PlaneWaveSum"]

AXES = ("x", "y", "z")
#: the point the lookup is evaluated at
POSITION = sp.symbols("x y z", real=True)

#: the fraction f = u - floor(u) of a coordinate u (in node spacings) within its cell
F = sp.Symbol("f", real=True)
#: weights of the lower and the upper node of a cell: linear interpolation
LINEAR_WEIGHTS = (1 - F, F)


@dataclass(frozen=True)
class PeriodicGrid:
    """omega by multilinear interpolation on a periodic grid over ``axes`` (with ``levels``: a sum of grids).

    The values array is ``values[g, i_1, ..., i_d, c]`` (``g`` only with ``levels``): node
    (i_1..i_d) of grid g sits at i_a * h_g along axis a, the grid repeats after n_a nodes, and c runs
    over ``components`` (the others are zero).  The second array is 1/h (one per grid with levels).
    """

    name: str
    axes: tuple[str, ...]
    components: tuple[str, ...]
    levels: bool
    parameters: tuple[str, str]
    doc: str
    weights: tuple[sp.Expr, sp.Expr] = LINEAR_WEIGHTS

    def __post_init__(self) -> None:
        if not self.axes or not set(self.axes) <= set(AXES) or len(set(self.axes)) != len(self.axes):
            raise ValueError(f"{self.name}: axes must be distinct names among {AXES}, got {self.axes}")
        if not self.components or not set(self.components) <= set(AXES):
            raise ValueError(f"{self.name}: components must be among {AXES}, got {self.components}")

    @property
    def ranks(self) -> tuple[int, int]:
        """Number of dimensions of (values, inverse spacing)."""
        return (len(self.axes) + 1 + self.levels, int(self.levels))

    def fraction(self, axis: str) -> sp.Symbol:
        """The cell fraction along ``axis``."""
        return sp.Symbol(f"f_{axis}", real=True)

    @property
    def corners(self) -> tuple[tuple[int, ...], ...]:
        """The 2^d corners of a cell, 0 = lower node, 1 = upper node along each axis (C order)."""
        return tuple(itertools.product((0, 1), repeat=len(self.axes)))

    def node(self, corner: tuple[int, ...], component: str) -> sp.Symbol:
        """The loaded value of ``component`` at ``corner``."""
        return sp.Symbol("n" + "".join(map(str, corner)) + "_" + component, real=True)

    def interpolant(self) -> dict[str, sp.Expr]:
        """Component -> sum over corners of prod_a weight(f_a) * node value."""
        out = {}
        for c in self.components:
            terms = []
            for corner in self.corners:
                w = sp.Mul(*(self.weights[k].xreplace({F: self.fraction(a)}) for k, a in zip(corner, self.axes)))
                terms.append(w * self.node(corner, c))
            out[c] = sp.Add(*terms)
        return out


_k = sp.symbols("k_x k_y k_z", real=True)
_phi = sp.Symbol("phi", real=True)


@dataclass(frozen=True)
class PlaneWaveSum:
    """omega(r) = sum_m amplitude_m cos(phase_m(r)), phase_m = k_m . r + phi_m; arrays k (M, 3), amplitude (M, 3), phase (M,)."""

    name: str
    parameters: tuple[str, str, str]
    doc: str
    phase: sp.Expr = _k[0] * POSITION[0] + _k[1] * POSITION[1] + _k[2] * POSITION[2] + _phi

    components = AXES
    ranks = (2, 2, 1)

    def wave_vector(self) -> tuple[sp.Symbol, ...]:
        """The loaded k_m."""
        return _k

    def phase_offset(self) -> sp.Symbol:
        """The loaded phi_m."""
        return _phi

    def amplitude(self, component: str) -> sp.Symbol:
        """The loaded amplitude_m of ``component``."""
        return sp.Symbol(f"a_{component}", real=True)

    def term(self) -> dict[str, sp.Expr]:
        """Component -> one mode's contribution."""
        return {c: self.amplitude(c) * sp.cos(self.phase) for c in self.components}


TABLE_Z = PeriodicGrid(
    name="table_z",
    axes=("z",),
    components=("x", "y"),
    levels=False,
    parameters=("table", "inv_dz"),
    doc="Slab turbulence: (omega_x, omega_y) on a periodic table in z, linear interpolation (KPM Sec. 2.1.2).",
)
GRID_XY = PeriodicGrid(
    name="grid_xy",
    axes=("x", "y"),
    components=("x", "y"),
    levels=False,
    parameters=("grid", "inv_spacing"),
    doc="2D turbulence: (omega_x, omega_y) of (x, y) on a periodic square grid, bilinear interpolation.",
)
NESTED_GRIDS = PeriodicGrid(
    name="nested_grids",
    axes=("x", "y", "z"),
    components=("x", "y", "z"),
    levels=True,
    parameters=("grids", "inv_spacing"),
    doc="Isotropic turbulence: the sum over nested periodic cubic grids of their trilinear interpolations (KPM Sec. 2.1.2).",
)
NESTED_GRIDS_XY = PeriodicGrid(
    name="nested_grids_xy",
    axes=("x", "y"),
    components=("x", "y"),
    levels=True,
    parameters=("grids", "inv_spacing"),
    doc="2D turbulence: the sum over nested periodic square grids in (x, y) of their bilinear interpolations.",
)
PLANE_WAVES = PlaneWaveSum(
    name="plane_waves",
    parameters=("k", "amplitude", "phase"),
    doc="A sum of plane waves omega = sum_m a_m cos(k_m . r + phi_m), a_m perpendicular to k_m (Giacalone & Jokipii 1994).",
)

GRID_LOOKUPS: tuple[PeriodicGrid, ...] = (TABLE_Z, GRID_XY, NESTED_GRIDS, NESTED_GRIDS_XY)
LOOKUPS: tuple[PeriodicGrid | PlaneWaveSum, ...] = (*GRID_LOOKUPS, PLANE_WAVES)

#: The fields the pushers are generated for: each a lookup or the sum of lookups (a composite).
FIELD_KINDS: tuple[tuple[str, ...], ...] = (
    ("table_z",),
    ("grid_xy",),
    ("nested_grids",),
    ("plane_waves",),
    ("table_z", "grid_xy"),
    ("nested_grids_xy",),
    ("table_z", "nested_grids_xy"),
)


@identity("multilinear_interpolation", "KPM", "Sec. 2.1.2 (grid interpolation)")
def multilinear_interpolation(lookups: tuple[PeriodicGrid, ...] = GRID_LOOKUPS) -> Verdict:
    """Each grid lookup reproduces every multilinear function of the cell position exactly (nodes, continuity)."""
    failed = []
    for lookup in lookups:
        f = [lookup.fraction(a) for a in lookup.axes]
        subsets = [s for r in range(len(f) + 1) for s in itertools.combinations(range(len(f)), r)]
        coeff = {s: sp.Symbol("c_" + "".join(map(str, s)) if s else "c") for s in subsets}

        def g(u: tuple[sp.Expr, ...]) -> sp.Expr:
            return sp.Add(*(coeff[s] * sp.Mul(*(u[a] for a in s)) for s in subsets))

        for c, value in lookup.interpolant().items():
            nodes = {lookup.node(corner, c): g(corner) for corner in lookup.corners}
            if not vanishes(sp.expand(value.xreplace(nodes) - g(tuple(f)))):
                failed.append(f"{lookup.name}.{c}")
    return verdict(not failed, "exact for multilinear functions" if not failed else f"not exact: {failed}")


@identity("plane_wave_divergence_free", "KPM", "Sec. 2.1.2 (Giacalone & Jokipii 1994)")
def plane_wave_divergence_free(lookup: PlaneWaveSum = PLANE_WAVES) -> Verdict:
    """Each mode has wave vector k_m (grad of its phase) and is divergence-free when a_m is perpendicular to k_m."""
    k = lookup.wave_vector()
    term = lookup.term()
    grad = [sp.diff(lookup.phase, r) for r in POSITION]
    wave_vector_ok = all(vanishes(gk - kk) for gk, kk in zip(grad, k))
    div = sp.Add(*(sp.diff(term[c], r) for c, r in zip(AXES, POSITION)))
    a = {c: lookup.amplitude(c) for c in AXES}
    perpendicular = {a["z"]: -(a["x"] * k[0] + a["y"] * k[1]) / k[2]}
    div_ok = vanishes(sp.cancel(div.xreplace(perpendicular)))
    ok = wave_vector_ok and div_ok
    return verdict(ok, f"grad(phase) = k: {wave_vector_ok}; div omega = 0 for a . k = 0: {div_ok}")
