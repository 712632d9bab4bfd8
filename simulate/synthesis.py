"""Synthetic turbulence with the spectrum and level of a :class:`~crmix.model.TurbulenceModel`.

Normalisation (crmix/model.py): int E dk = <omega^2>, E = model.power.  Every mode (or shell of
modes) receives the *exact* integral of E over the wavenumber cell it represents, so the expected
<omega^2> equals the model's to quadrature precision however coarse the mode lattice is at k_min.

* Slab (KPM (28)): omega_a(z) = sum_n [a_n cos(k_n z) + b_n sin(k_n z)], a = x, y, with a_n, b_n
  independent N(0, sigma_n^2), sigma_n^2 = int_cell G dk, G = E/2 (one transverse component).
  Then R(s) = <omega_x(z) omega_x(z+s)> = sum_n sigma_n^2 cos(k_n s) -> int G cos(k s) dk.
* Isotropic (MA19 (3.12)): in each band a complex Gaussian vector per lattice mode, projected
  perpendicular to k (div B = 0 mode by mode), with equal power for the lattice modes of one shell
  and the shell's power int_shell E dk.
* Plane waves: M waves on log-spaced cells, amplitude sqrt(2 int_cell E dk), random phase and
  polarisation perpendicular to k, k along z (slab) or isotropic.

Every random number comes from the generator passed in; :func:`realisation_rng` makes it from
(seed, realisation index) alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import scipy.fft

from crmix.model import TurbulenceModel
from crmix.simulate.fields import NestedGrids, PlaneWaves, SlabTable
from crmix.spectral_tensors import SUPPORTS, Support

__all__ = [
    "CellPower",
    "GridBand",
    "band_power",
    "cell_power",
    "grid_bands",
    "isotropic_directions",
    "isotropic_grid",
    "model_support",
    "nested_field",
    "nested_grids",
    "nested_isotropic_grids",
    "plane_waves",
    "realisation_rng",
    "shell_powers",
    "slab_fft_table",
    "slab_table",
    "slab_table_size",
    "table_size",
    "transverse_polarisations",
    "wave_cells",
]

F = TypeVar("F")
#: cells(k1, k2) -> int_{k1}^{k2} E dk for arrays of cells, clipped to the band
CellPower = Callable[[np.ndarray, np.ndarray], np.ndarray]
#: Gauss-Legendre nodes per wavenumber cell in :func:`band_power` (cells are narrow: exact to ~1e-12).
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(8)
#: Modes drawn per chunk in the slab synthesis (bounds the temporaries for tables of 1e9 points).
_CHUNK = 1 << 22


def model_support(model: TurbulenceModel) -> Support:
    """Where the wave vectors of a one-component model lie (the model-based synthesisers take one component)."""
    components = model.turbulence.tensor(model).components
    if len(components) != 1:
        raise ValueError(f"the model-based synthesisers take one tensor component, {model.geometry} turbulence has "
                         f"{len(components)}: use crmix.simulate.tensor_synthesis.tensor_field")
    return SUPPORTS[components[0].support]


def realisation_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of realisation ``index`` of a run with ``seed``: a function of the pair alone."""
    if int(seed) < 0 or int(index) < 0:
        raise ValueError(f"seed and realisation index must be >= 0, got seed={seed}, index={index}")
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(index)]))


def cell_power(spectrum: Callable[[Any], Any], k_min: float, k_max: float, k1: Any, k2: Any) -> np.ndarray:
    """int_{k1}^{k2} E(k) dk for arrays of cells, each clipped to the band [k_min, k_max].

    ``spectrum(k)`` is E on the band; 8-point Gauss-Legendre on each (narrow) clipped cell.
    """
    a = np.clip(np.asarray(k1, dtype=float), k_min, k_max)
    b = np.clip(np.asarray(k2, dtype=float), k_min, k_max)
    half, mid = 0.5 * (b - a), 0.5 * (b + a)
    nodes = np.clip(mid[..., None] + half[..., None] * _GL_NODES, k_min, k_max)
    return half * (spectrum(nodes) @ _GL_WEIGHTS)


def band_power(model: TurbulenceModel, k1: Any, k2: Any) -> np.ndarray:
    """int_{k1}^{k2} E(k) dk for arrays of cells, each clipped to the model's band [k_min, k_max].

    White and power-law spectra (index != 1) use the model's closed form ``Spectrum.shape_integral``
    (one power per cell edge: tables of 1e9 points need it); other shapes :func:`cell_power` on
    ``model.power``.
    """
    spec = model.spectrum
    if spec.kind == "white" or (spec.kind == "power_law" and spec.index != 1.0):
        a = np.clip(np.asarray(k1, dtype=float), model.k_min, model.k_max)
        b = np.clip(np.asarray(k2, dtype=float), model.k_min, model.k_max)
        return model.power_amplitude * spec.shape_integral(a, b, model.k_bend)
    return cell_power(model.power, model.k_min, model.k_max, k1, k2)


def table_size(k_min: float, k_max: float, box_over_lmax: float = 8.0, points_per_wavelength: float = 10.0) -> tuple[int, float]:
    """(n, dz) of a periodic table of [k_min, k_max]: period >= box_over_lmax * L_max, >= points_per_wavelength per lambda_min.

    L_max = 2 pi / k_min, lambda_min = 2 pi / k_max; n is rounded up to a 5-smooth FFT length.
    """
    if box_over_lmax < 1.0:
        raise ValueError(f"box_over_lmax must be >= 1 (the table must hold the longest wave), got {box_over_lmax}")
    if points_per_wavelength < 2.0:
        raise ValueError(f"points_per_wavelength must be >= 2 (Nyquist), got {points_per_wavelength}")
    length = box_over_lmax * 2.0 * math.pi / k_min
    n = scipy.fft.next_fast_len(int(math.ceil(length * points_per_wavelength * k_max / (2.0 * math.pi))), real=True)
    return n, length / n


def slab_table_size(model: TurbulenceModel, box_over_lmax: float = 8.0, points_per_wavelength: float = 10.0) -> tuple[int, float]:
    """(n, dz) of the slab table: period >= box_over_lmax * L_max, >= points_per_wavelength per lambda_min.

    L_max = 2 pi / k_min, lambda_min = 2 pi / k_max (KPM Sec. 2.1.2: "a factor of 8 larger than the
    largest wavelength", "at least 10 grid points" per smallest wavelength).  n is rounded up to a
    5-smooth FFT length.
    """
    return table_size(model.k_min, model.k_max, box_over_lmax, points_per_wavelength)


def slab_fft_table(cells: CellPower, n: int, dz: float, rng: np.random.Generator, *, dtype: Any = np.float64,
                   workers: int | None = None) -> SlabTable:
    """One slab realisation on the periodic table of n points dz apart; ``cells(k1, k2)`` = int_{k1}^{k2} E dk.

    The FFT synthesis of the module docstring, sigma_m^2 = cells(k_m - dk/2, k_m + dk/2) / 2 for each
    of omega_x, omega_y.  Memory: the table (2 * itemsize bytes per point) plus, transiently, one
    complex spectrum (8 bytes per point, transformed in place) and one real FFT output (8 bytes per
    point): 32 bytes per point in float64, 24 in float32 (benchmarks/backtracking.py measures it).
    """
    dk = 2.0 * math.pi / (n * dz)
    n_modes = n // 2 + 1
    table = np.empty((n, 2), dtype=dtype)
    for component in range(2):
        spectrum = np.zeros(n_modes, dtype=np.complex128)
        for start in range(1, n_modes, _CHUNK):
            m = np.arange(start, min(n_modes, start + _CHUNK))
            k = m * dk
            sigma = np.sqrt(0.5 * cells(k - 0.5 * dk, k + 0.5 * dk))  # G = E/2
            if n % 2 == 0:
                sigma[m == n // 2] = 0.0  # the Nyquist mode is real: never populated (k_max is far below it)
            a = rng.standard_normal(m.size)
            b = rng.standard_normal(m.size)
            # irfft: x_j = (1/n) [X_0 + 2 sum_m Re(X_m e^{2 pi i m j/n})]  =>  X_m = (n/2)(a_m - i b_m)
            spectrum[m] = (0.5 * n) * sigma * (a - 1j * b)
        table[:, component] = scipy.fft.irfft(spectrum, n, overwrite_x=True, workers=workers)
        del spectrum
    return SlabTable(table, dz)


def slab_table(
    model: TurbulenceModel,
    rng: np.random.Generator,
    *,
    box_over_lmax: float = 8.0,
    points_per_wavelength: float = 10.0,
    dtype: Any = np.float64,
    workers: int | None = None,
) -> SlabTable:
    """One realisation of slab turbulence as a periodic table (FFT synthesis, module docstring).

    The table is :func:`slab_table_size`'s; memory as :func:`slab_fft_table`.
    """
    if not model_support(model).along_b0:
        raise ValueError(f"slab_table needs wave vectors along B0 (slab), got geometry={model.geometry!r}")
    n, dz = slab_table_size(model, box_over_lmax, points_per_wavelength)
    return slab_fft_table(lambda k1, k2: band_power(model, k1, k2), n, dz, rng, dtype=dtype, workers=workers)


def shell_powers(cells: CellPower, kmag: np.ndarray, k_lo: float, k_hi: float, k_fund: float, last: bool) -> np.ndarray:
    """Power per lattice mode: int_shell E dk (``cells``) shared equally by the lattice modes of each shell.

    Shells are [m k_f, (m+1) k_f) cut to the band [k_lo, k_hi) (closed at k_max for the last band);
    ``kmag`` holds the lattice's |k| (a shell in 3D, a ring in 2D).  A shell without lattice modes
    (possible only at a cut band edge) gives its power to the band's other shells, so the band
    carries int_band E dk exactly.
    """
    inner = np.arange(math.floor(k_lo / k_fund) + 1, math.ceil(k_hi / k_fund)) * k_fund
    edges = np.unique(np.concatenate([[k_lo], inner[(inner > k_lo) & (inner < k_hi)], [k_hi]]))
    shell = np.searchsorted(edges, kmag, side="right") - 1
    if last:
        shell[kmag == k_hi] = edges.size - 2
    valid = (shell >= 0) & (shell < edges.size - 1)
    counts = np.bincount(shell[valid], minlength=edges.size - 1)
    power = cells(edges[:-1], edges[1:])
    total = power.sum()
    power = np.where(counts > 0, power, 0.0)
    power *= total / power.sum()
    per_mode = np.zeros(kmag.shape)
    per_mode[valid] = power[shell[valid]] / counts[shell[valid]]
    return per_mode


@dataclass(frozen=True)
class GridBand:
    """One grid of a nested synthesis: box L = n h, spacing h, the band [k_lo, k_hi) (``last``: closed at k_hi)."""

    k_lo: float
    k_hi: float
    box: float
    spacing: float
    last: bool


def grid_bands(k_min: float, k_max: float, n: int, points_per_wavelength: float, box_over_wavelength: float) -> list[GridBand]:
    """The nested grids of n nodes per side covering [k_min, k_max] (:func:`nested_grids`' rule).

    Grid g carries [k_lo_g, k_hi_g): k_lo_g = box_over_wavelength * 2 pi / L_g, k_hi_g =
    2 pi / (points_per_wavelength h_g), k_lo_0 = k_min, k_lo_{g+1} = k_hi_g.
    """
    ratio = n / (points_per_wavelength * box_over_wavelength)
    if ratio <= 1.5:
        raise ValueError(
            f"nested grids need n / (points_per_wavelength * box_over_wavelength) > 1.5, got {ratio:.3g} "
            f"(n={n}, points_per_wavelength={points_per_wavelength}, box_over_wavelength={box_over_wavelength})"
        )
    bands = []
    k_lo = k_min
    while k_lo < k_max * (1 - 1e-12):
        box = box_over_wavelength * 2.0 * math.pi / k_lo
        h = box / n
        k_hi = min(k_max, 2.0 * math.pi / (points_per_wavelength * h))
        bands.append(GridBand(k_lo, k_hi, box, h, k_hi >= k_max))
        k_lo = k_hi
    return bands


def isotropic_grid(cells: CellPower, band: GridBand, n: int, rng: np.random.Generator, dtype: Any = np.float64) -> np.ndarray:
    """omega[ix, iy, iz, c] of one isotropic band on a periodic n^3 grid (MA19 (3.12), module docstring).

    Memory: 3 * itemsize * n^3 for the grid and about 250 n^3 bytes transiently.
    """
    k1 = 2.0 * math.pi * np.fft.fftfreq(n, d=band.spacing)
    kx, ky, kz = np.meshgrid(k1, k1, k1, indexing="ij", sparse=True)
    kmag = np.sqrt(kx * kx + ky * ky + kz * kz)
    power = shell_powers(cells, kmag, band.k_lo, band.k_hi, 2.0 * math.pi / band.box, band.last)
    # complex Gaussian vector, <|xi_c|^2> = 1; after the projection <|xi_perp|^2> = 2, so
    # c_k = xi_perp sqrt(P_k) has <|c_k|^2> = 2 P_k and Re(c_k e^{ik.r}) carries variance P_k.
    xi = (rng.standard_normal((3, n, n, n)) + 1j * rng.standard_normal((3, n, n, n))) * math.sqrt(0.5)
    safe = np.where(kmag > 0, kmag, 1.0)
    khat = (kx / safe, ky / safe, kz / safe)
    kdotxi = khat[0] * xi[0] + khat[1] * xi[1] + khat[2] * xi[2]
    for c in range(3):
        xi[c] = (xi[c] - khat[c] * kdotxi) * np.sqrt(power)
    # A full complex FFT (not rfftn): the modes k and -k are drawn independently, which keeps the
    # variance bookkeeping above exact without imposing Hermitian symmetry on the k_z = 0 plane.
    field = np.fft.ifftn(xi, axes=(1, 2, 3)).real * float(n) ** 3
    return np.ascontiguousarray(np.moveaxis(field, 0, -1), dtype=dtype)


def nested_field(kind: Callable[..., F], grids: list[np.ndarray], bands: list[GridBand], dtype: Any = np.float64) -> F:
    """The nested lookup ``kind`` (NestedGrids, NestedGrids2D) of ``grids``, grid g drawn on ``bands[g]``."""
    return kind(np.stack(grids), np.asarray([b.spacing for b in bands], dtype=dtype),
                np.asarray([b.k_lo for b in bands]), np.asarray([b.k_hi for b in bands]))


def nested_grids(
    model: TurbulenceModel,
    rng: np.random.Generator,
    *,
    n: int = 64,
    points_per_wavelength: float = 8.0,
    box_over_wavelength: float = 2.0,
    dtype: Any = np.float64,
) -> NestedGrids:
    """One realisation of isotropic turbulence on nested periodic grids (KPM Sec. 2.1.2).

    Grid g has spacing h_g, box L_g = n h_g, and carries [k_lo_g, k_hi_g) with
    k_lo_g = box_over_wavelength * 2 pi / L_g (the longest wave of the band fits ``box_over_wavelength``
    times into the box) and k_hi_g = 2 pi / (points_per_wavelength h_g); k_lo_0 = k_min and
    k_lo_{g+1} = k_hi_g.  Each band spans a factor n / (points_per_wavelength * box_over_wavelength)
    in k.  Between the nodes, linear interpolation keeps the fraction (2 + cos(2 pi/p))/3 of the power
    of a wave along an axis with wavelength p h: 67% at p = 4, 90% at p = 8 for the top of each
    band (the nodes carry it in full), hence the default p = 8.
    Memory: 3 * itemsize * n^3 per grid, and about 250 n^3 bytes transiently.
    """
    if not model_support(model).full:
        raise ValueError(f"nested_grids needs wave vectors in all directions (isotropic), got geometry={model.geometry!r}")
    return nested_isotropic_grids(lambda k1, k2: band_power(model, k1, k2), model.k_min, model.k_max, rng, n=n,
                                  points_per_wavelength=points_per_wavelength, box_over_wavelength=box_over_wavelength, dtype=dtype)


def nested_isotropic_grids(cells: CellPower, k_min: float, k_max: float, rng: np.random.Generator, *, n: int = 64,
                           points_per_wavelength: float = 8.0, box_over_wavelength: float = 2.0, dtype: Any = np.float64) -> NestedGrids:
    """Isotropic turbulence of the band [k_min, k_max] with cell powers ``cells`` on nested grids (:func:`nested_grids`)."""
    bands = grid_bands(k_min, k_max, n, points_per_wavelength, box_over_wavelength)
    return nested_field(NestedGrids, [isotropic_grid(cells, band, n, rng, dtype) for band in bands], bands, dtype)


def wave_cells(cells: CellPower, k_min: float, k_max: float, n_modes: int) -> tuple[np.ndarray, np.ndarray]:
    """(|k_m|, a_m) of ``n_modes`` plane waves on log-spaced cells of [k_min, k_max], a_m = sqrt(2 int_cell E dk)."""
    if n_modes < 1:
        raise ValueError(f"n_modes must be >= 1, got {n_modes}")
    edges = np.geomspace(k_min, k_max, n_modes + 1)
    return np.sqrt(edges[:-1] * edges[1:]), np.sqrt(2.0 * cells(edges[:-1], edges[1:]))


def isotropic_directions(rng: np.random.Generator, n_modes: int) -> np.ndarray:
    """``n_modes`` unit vectors uniform on the sphere, (n_modes, 3)."""
    cos_t = rng.uniform(-1.0, 1.0, n_modes)
    phi = rng.uniform(0.0, 2.0 * math.pi, n_modes)
    sin_t = np.sqrt(1.0 - cos_t**2)
    return np.stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t], axis=1)


def transverse_polarisations(khat: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A unit vector perpendicular to each row of ``khat``, uniformly random about it, (M, 3)."""
    # an orthonormal pair perpendicular to k-hat: e1 = normalise(khat x a) with a the axis least parallel
    axis = np.where(np.abs(khat[:, 2:3]) < 0.9, [[0.0, 0.0, 1.0]], [[1.0, 0.0, 0.0]])
    e1 = np.cross(khat, axis)
    e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
    e2 = np.cross(khat, e1)
    psi = rng.uniform(0.0, 2.0 * math.pi, khat.shape[0])
    return np.cos(psi)[:, None] * e1 + np.sin(psi)[:, None] * e2


def plane_waves(model: TurbulenceModel, rng: np.random.Generator, *, n_modes: int = 256) -> PlaneWaves:
    """One realisation as a sum of ``n_modes`` plane waves on log-spaced cells of [k_min, k_max].

    Amplitude a_m = sqrt(2 int_cell E dk), so <omega^2> = sum a_m^2 / 2 = int E dk exactly; polarisation
    uniformly random perpendicular to k; k along z (slab, KPM (28)) or isotropic (MA19 (3.12)).
    """
    support = model_support(model)
    if support.perpendicular:
        raise ValueError("plane_waves draws k along B0 (slab) or in all directions (isotropic); 2D waves are "
                         "crmix.simulate.tensor_synthesis.tensor_field(..., method='waves')")
    kmag, amp = wave_cells(lambda k1, k2: band_power(model, k1, k2), model.k_min, model.k_max, n_modes)
    if support.along_b0:
        khat = np.tile([0.0, 0.0, 1.0], (n_modes, 1))
    else:
        khat = isotropic_directions(rng, n_modes)
    pol = transverse_polarisations(khat, rng)
    phase = rng.uniform(0.0, 2.0 * math.pi, n_modes)
    return PlaneWaves(kmag[:, None] * khat, amp[:, None] * pol, phase)
