"""Synthesis of an axisymmetric spectral tensor: power, spectrum, div B, the 2D and slab structure, composites.

Statistical checks compare realisation means with the expectation within 5 standard errors of the
mean (the scatter over realisations), and assert that the error is small enough to resolve the
effect; each statistic is also shown to fail on a field that breaks it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from crmix.simulate import tensor_synthesis
from crmix.simulate.backtrack import backtrack
from crmix.simulate.fields import FieldSum, Grid2D, NestedGrids, NestedGrids2D, PlaneWaves, SlabTable
from crmix.simulate.tensor_synthesis import SYNTHESISERS, tensor_field, tensor_field_bytes, two_d_bands
from crmix.spectral_tensors import AxisymmetricTensor, TensorComponent, composite_tensor, isotropic_tensor, slab_tensor, two_d_tensor

#: the number of standard errors a realisation mean may lie from its expectation
Z = 5.0
REALISATIONS = 24


def kolmogorov(k: Any, xp: ModuleType = np) -> Any:
    return xp.asarray(k, dtype=float) ** (-5.0 / 3.0)


def white(k: Any, xp: ModuleType = np) -> Any:
    return xp.ones_like(xp.asarray(k, dtype=float))


def unit_power(tensor: AxisymmetricTensor) -> AxisymmetricTensor:
    return tensor.scaled(1.0 / tensor.power)


# bands of a factor 32 (2D: one 512^2 grid; slab: a 2560-point table), isotropic a factor 8 on 32^3 grids
TWO_D = unit_power(two_d_tensor(kolmogorov, 1.0, 32.0))
SLAB = unit_power(slab_tensor(kolmogorov, 1.0, 32.0))
ISOTROPIC = unit_power(isotropic_tensor(kolmogorov, 1.0, 8.0))
COMPOSITE = composite_tensor(SLAB, TWO_D, 0.2)


def _rng(seed: int, index: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, index]))


def _realisations(tensor: AxisymmetricTensor, seed: int, count: int = REALISATIONS, **options: Any) -> list[Any]:
    return [tensor_field(tensor, _rng(seed, i), **options) for i in range(count)]


def _assert_mean(samples: Any, expected: float, what: str, resolve: float = 0.2) -> None:
    """The mean of ``samples`` is ``expected`` within Z standard errors, which are below ``resolve`` * |expected|."""
    samples = np.asarray(samples, dtype=float)
    mean, err = samples.mean(), samples.std(ddof=1) / math.sqrt(samples.size)
    assert abs(mean - expected) < Z * err, f"{what}: {mean:.5g} +- {err:.2g}, expected {expected:.5g}"
    assert Z * err < resolve * abs(expected), f"{what}: the error {err:.2g} does not resolve {expected:.5g}"


def _t_statistic(samples: Any) -> float:
    """mean / standard error of the mean."""
    samples = np.asarray(samples, dtype=float)
    return float(samples.mean() / (samples.std(ddof=1) / math.sqrt(samples.size)))


def _xy_correlation(grid: np.ndarray) -> float:
    """<omega_x omega_y> / sqrt(<omega_x^2> <omega_y^2>) over the nodes."""
    wx, wy = grid[..., 0], grid[..., 1]
    return float((wx * wy).mean() / math.sqrt((wx * wx).mean() * (wy * wy).mean()))


def _sheared(grid: np.ndarray, shear: float = 0.5) -> np.ndarray:
    """omega_y + shear omega_x: a field whose x and y components are correlated."""
    out = grid.copy()
    out[..., 1] += shear * grid[..., 0]
    return out


def _ring_spectrum(fields: list[Grid2D]) -> tuple[np.ndarray, np.ndarray]:
    """(k, E(k)) of 2D grids: |FFT|^2 summed over the rings [m k_f, (m+1) k_f), averaged, per unit k."""
    n, h = fields[0].grid.shape[0], fields[0].spacing
    k_fund = 2.0 * math.pi / (n * h)
    k1 = 2.0 * math.pi * np.fft.fftfreq(n, d=h)
    ring = np.floor(np.hypot(*np.meshgrid(k1, k1, indexing="ij")) / k_fund).astype(int).ravel()
    power = np.zeros(ring.max() + 1)
    for f in fields:
        amplitude = np.fft.fft2(f.grid, axes=(0, 1)) / n**2
        power += np.bincount(ring, (np.abs(amplitude) ** 2).sum(axis=-1).ravel(), minlength=power.size)
    return (np.arange(power.size) + 0.5) * k_fund, power / (len(fields) * k_fund)


def _slope(k: np.ndarray, spectrum: np.ndarray, k_lo: float, k_hi: float) -> float:
    inside = (k >= k_lo) & (k <= k_hi)
    return float(np.polyfit(np.log(k[inside]), np.log(spectrum[inside]), 1)[0])


def _spectral_divergence(grid: np.ndarray, spacing: float) -> float:
    """max |k . omega_k| / max |k| |omega_k| over the FFT of a periodic grid (2D or 3D)."""
    axes = tuple(range(grid.ndim - 1))
    amplitude = np.fft.fftn(grid, axes=axes)
    k1 = [2.0 * math.pi * np.fft.fftfreq(n, d=spacing) for n in grid.shape[:-1]]
    k = np.meshgrid(*k1, indexing="ij")
    divergence = sum(k[a] * amplitude[..., a] for a in range(len(k)))
    scale = np.sqrt(sum(ka * ka for ka in k)) * np.sqrt((np.abs(amplitude) ** 2).sum(axis=-1))
    return float(np.abs(divergence).max() / scale.max())


# --------------------------------------------------------------------------------------------
# 2D
@pytest.fixture(scope="module")
def two_d_fields() -> list[Grid2D]:
    fields = _realisations(TWO_D, seed=5)
    assert all(isinstance(f, Grid2D) for f in fields)
    return fields


def test_two_d_power_matches_the_component(two_d_fields: list[Grid2D]) -> None:
    _assert_mean([(f.grid**2).sum(axis=-1).mean() for f in two_d_fields], TWO_D.power, "<omega^2>")
    for c in range(2):  # in-plane isotropy: each of x, y carries half
        _assert_mean([(f.grid[..., c] ** 2).mean() for f in two_d_fields], 0.5 * TWO_D.power, f"<omega_{'xy'[c]}^2>")


def test_two_d_field_is_planar_divergence_free_and_independent_of_z(two_d_fields: list[Grid2D]) -> None:
    field = two_d_fields[0]
    assert _spectral_divergence(field.grid, field.spacing) < 1e-12
    broken = _sheared(field.grid)  # a field that is not divergence-free fails the same check
    assert _spectral_divergence(broken, field.spacing) > 0.01
    x, y = np.random.default_rng(1).uniform(-30.0, 30.0, (2, 500))
    at = [field.evaluate(x, y, np.full_like(x, z)) for z in (0.0, 3.7, -1e4)]
    assert np.all(at[0][2] == 0.0)  # omega_z = 0
    for other in at[1:]:
        for a, b in zip(at[0], other):
            np.testing.assert_array_equal(a, b)  # no z dependence at all
    assert field.period[2] == math.inf and field.period[0] == field.period[1] == field.grid.shape[0] * field.spacing


def test_two_d_ring_spectrum_has_the_input_slope(two_d_fields: list[Grid2D]) -> None:
    k, spectrum = _ring_spectrum(two_d_fields)
    band = (2.0 * TWO_D.k_min, 0.5 * TWO_D.k_max)
    assert _slope(k, spectrum, *band) == pytest.approx(-5.0 / 3.0, abs=0.1)
    # the measurement tells spectra apart: a white input gives slope 0
    flat = _realisations(unit_power(two_d_tensor(white, 1.0, 32.0)), seed=6, count=4)
    assert _slope(*_ring_spectrum(flat), *band) == pytest.approx(0.0, abs=0.1)


def test_two_d_x_and_y_are_uncorrelated(two_d_fields: list[Grid2D]) -> None:
    r = [_xy_correlation(f.grid) for f in two_d_fields]
    assert abs(_t_statistic(r)) < Z
    # the statistic detects a correlation of the size of a shear omega_y += 0.5 omega_x
    assert abs(_t_statistic([_xy_correlation(_sheared(f.grid)) for f in two_d_fields])) > 2 * Z


def test_two_d_nested_grids_cover_the_band_and_carry_its_power() -> None:
    # 64 nodes cannot hold [1, 32] with 8 points per wavelength in a box of 2 L_max: bands of a factor 4
    nodes, bands = two_d_bands(TWO_D.k_min, TWO_D.k_max, n=64, points_per_wavelength=8.0, box_over_wavelength=2.0)
    assert nodes == 64 and [(b.k_lo, b.k_hi) for b in bands] == [(1.0, 4.0), (4.0, 16.0), (16.0, 32.0)]
    assert bands[0].k_lo == TWO_D.k_min and bands[-1].k_hi == TWO_D.k_max and bands[-1].last
    assert all(a.k_hi == b.k_lo for a, b in zip(bands[:-1], bands[1:]))
    fields = _realisations(TWO_D, seed=8, n_xy=64)
    assert all(isinstance(f, NestedGrids2D) for f in fields)
    _assert_mean([(f.grids**2).sum(axis=-1).mean(axis=(1, 2)).sum() for f in fields], TWO_D.power, "<omega^2> nested")
    field = fields[0]
    np.testing.assert_array_equal(field.k_lo, [1.0, 4.0, 16.0])
    for grid, h in zip(field.grids, field.spacing):
        assert _spectral_divergence(grid, float(h)) < 1e-12
    # the sum of the grids' bilinear interpolations, no z dependence, periodic after the coarsest box only
    x, y = np.random.default_rng(4).uniform(-40.0, 40.0, (2, 300))
    wx, wy, wz = field.evaluate(x, y, np.full_like(x, 7.0))
    parts = [Grid2D(grid, float(h)).evaluate(x, y, np.zeros_like(x)) for grid, h in zip(field.grids, field.spacing)]
    np.testing.assert_allclose(wx, sum(p[0] for p in parts), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(wy, sum(p[1] for p in parts), rtol=1e-12, atol=1e-14)
    assert np.all(wz == 0.0)
    assert field.period == (64 * field.spacing[0], 64 * field.spacing[0], math.inf)
    assert tensor_field_bytes(TWO_D, n_xy=64) == field.nbytes == 3 * 64**2 * 2 * 8


# --------------------------------------------------------------------------------------------
# slab
def _xy_coherence(table: np.ndarray) -> float:
    """sum_m cos(arg X_m - arg Y_m) / sqrt(N/2) over the populated modes: ~N(0, 1) for independent x, y."""
    x, y = np.fft.rfft(table[:, 0]), np.fft.rfft(table[:, 1])
    populated = (np.abs(x) > 1e-9 * np.abs(x).max()) & (np.abs(y) > 1e-9 * np.abs(y).max())  # not round-off
    cosines = (x[populated] * np.conj(y[populated])).real / (np.abs(x[populated]) * np.abs(y[populated]))
    return float(cosines.sum() / math.sqrt(0.5 * cosines.size))


def test_slab_power_structure_and_uncorrelated_components() -> None:
    fields = _realisations(SLAB, seed=9)
    assert all(isinstance(f, SlabTable) for f in fields)
    _assert_mean([(f.table**2).sum(axis=-1).mean() for f in fields], SLAB.power, "<omega^2> slab")
    # mode by mode the x and y components are independent: the coherence of all realisations is ~N(0, 1)
    def coherence(tables: list[np.ndarray]) -> float:
        return sum(_xy_coherence(t) for t in tables) / math.sqrt(len(tables))

    assert abs(coherence([f.table for f in fields])) < Z
    # it catches omega_y = omega_x (shared random numbers) in one realisation and a weak shear in all
    assert abs(coherence([np.stack([fields[0].table[:, 0]] * 2, axis=1)])) > 4 * Z  # = sqrt(2 N)
    assert abs(coherence([_sheared(f.table, 0.2) for f in fields])) > 2 * Z
    z = np.random.default_rng(2).uniform(-50.0, 50.0, 300)
    a = fields[0].evaluate(np.zeros_like(z), np.zeros_like(z), z)
    b = fields[0].evaluate(np.full_like(z, 17.0), np.full_like(z, -3.0), z)
    assert np.all(a[2] == 0.0)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)  # no x, y dependence


# --------------------------------------------------------------------------------------------
# composite slab + 2D
def test_composite_slab_and_two_d_fractions() -> None:
    fields = _realisations(COMPOSITE, seed=11)
    assert all(isinstance(f, FieldSum) and f.kind == "table_z+grid_xy" for f in fields)
    slab_power = [(f.parts[0].table ** 2).sum(axis=-1).mean() for f in fields]
    two_d_power = [(f.parts[1].grid ** 2).sum(axis=-1).mean() for f in fields]
    _assert_mean(slab_power, 0.2, "slab <omega^2>", resolve=0.3)
    _assert_mean(two_d_power, 0.8, "2D <omega^2>")
    s, d = np.mean(slab_power), np.mean(two_d_power)
    err_s, err_d = (np.std(p, ddof=1) / math.sqrt(len(p)) for p in (slab_power, two_d_power))
    fraction_err = math.hypot(d * err_s, s * err_d) / (s + d) ** 2  # the two parts' numbers are independent
    assert abs(s / (s + d) - 0.2) < Z * fraction_err < 0.1
    # each part has its own structure: the slab part depends on z only, the 2D part on x, y only
    rng = np.random.default_rng(3)
    x, y, z = rng.uniform(-20.0, 20.0, (3, 400))
    slab, planar = fields[0].parts
    for u, v in zip(slab.evaluate(x, y, z), slab.evaluate(x + 5.0, y - 2.0, z)):
        np.testing.assert_array_equal(u, v)
    for u, v in zip(planar.evaluate(x, y, z), planar.evaluate(x, y, z + 9.0)):
        np.testing.assert_array_equal(u, v)
    total = fields[0].evaluate(x, y, z)  # the composite's (generated) lookup is the sum of the parts'
    for t, u, v in zip(total, slab.evaluate(x, y, z), planar.evaluate(x, y, z)):
        np.testing.assert_allclose(t, u + v, rtol=1e-13, atol=1e-15)


# --------------------------------------------------------------------------------------------
# isotropic (the 'full' support; B0 enters the pusher only)
def test_isotropic_power_isotropy_and_divergence() -> None:
    fields = _realisations(ISOTROPIC, seed=12, count=16, n=32)
    assert all(isinstance(f, NestedGrids) for f in fields)
    assert fields[0].k_lo[0] == ISOTROPIC.k_min and fields[0].k_hi[-1] == ISOTROPIC.k_max
    per_axis = np.array([[(f.grids[..., c] ** 2).mean(axis=(1, 2, 3)).sum() for c in range(3)] for f in fields])
    _assert_mean(per_axis.sum(axis=1), ISOTROPIC.power, "<omega^2> isotropic")
    for c in range(3):
        _assert_mean(per_axis[:, c], ISOTROPIC.power / 3.0, f"<omega_{'xyz'[c]}^2>")
    for grid, h in zip(fields[0].grids, fields[0].spacing):
        assert _spectral_divergence(grid, float(h)) < 1e-12
    assert tensor_field_bytes(ISOTROPIC, n=32) == fields[0].nbytes


# --------------------------------------------------------------------------------------------
# plane waves
@pytest.mark.parametrize("tensor,planar", [(SLAB, True), (TWO_D, True), (ISOTROPIC, False), (COMPOSITE, True)],
                         ids=["slab", "2d", "full", "slab+2d"])
def test_plane_waves_power_is_exact_and_waves_are_transverse(tensor: AxisymmetricTensor, planar: bool) -> None:
    field = tensor_field(tensor, _rng(13, 0), method="waves", n_modes=64)
    assert isinstance(field, PlaneWaves) and field.k.shape == (64 * len(tensor.components), 3)
    assert 0.5 * (field.amplitude**2).sum() == pytest.approx(tensor.power, rel=1e-9)
    np.testing.assert_allclose(np.einsum("mi,mi->m", field.k, field.amplitude), 0.0, atol=1e-12)
    start = 0
    for component in tensor.components:
        k, a = field.k[start:start + 64], field.amplitude[start:start + 64]
        start += 64
        assert 0.5 * (a**2).sum() == pytest.approx(component.power, rel=1e-9)
        edges = np.geomspace(component.kmin, component.kmax, 65)
        np.testing.assert_allclose(np.linalg.norm(k, axis=1), np.sqrt(edges[:-1] * edges[1:]), rtol=1e-12)
    if planar:  # slab and 2D: omega_z = 0
        np.testing.assert_allclose(field.amplitude[:, 2], 0.0, atol=1e-15)
    else:  # isotropic: every direction
        assert np.abs(field.k[:, 2]).max() > 0.5 * np.linalg.norm(field.k, axis=1).min()
    assert tensor_field_bytes(tensor, method="waves", n_modes=64) == field.nbytes


def test_two_d_waves_lie_in_the_plane() -> None:
    field = tensor_field(TWO_D, _rng(14, 0), method="waves", n_modes=32)
    np.testing.assert_allclose(field.k[:, 2], 0.0, atol=0)
    khat = field.k / np.linalg.norm(field.k, axis=1, keepdims=True)
    np.testing.assert_allclose(np.cross(khat, [0.0, 0.0, 1.0]) * np.linalg.norm(field.amplitude, axis=1, keepdims=True),
                               field.amplitude, atol=1e-14)


# --------------------------------------------------------------------------------------------
# memory, reproducibility, bad input
@pytest.mark.parametrize("tensor,options", [(SLAB, {}), (TWO_D, {}), (TWO_D, {"n_xy": 64, "dtype": np.float32}),
                                            (ISOTROPIC, {"n": 16, "points_per_wavelength": 4}), (COMPOSITE, {"n_xy": 256})])
def test_bytes_without_drawing_match_the_field(tensor: AxisymmetricTensor, options: dict[str, Any]) -> None:
    assert tensor_field_bytes(tensor, **options) == tensor_field(tensor, _rng(15, 0), **options).nbytes


def test_default_two_d_field_memory() -> None:
    # a band of a factor 100: 2 * 8 * 100 = 1600 nodes per side, one grid, 2 float64 per node
    tensor = two_d_tensor(kolmogorov, 1.0, 100.0)
    assert tensor_field_bytes(tensor) == 1600**2 * 2 * 8
    # a factor 1e4 needs nested grids of the default 2048 nodes: log(1e4) / log(2048 / 16) -> 2 grids, 128 MiB
    assert tensor_field_bytes(two_d_tensor(kolmogorov, 1.0, 1e4)) == 2 * 2048**2 * 2 * 8


def test_seed_reproduces_the_composite_exactly_and_components_draw_in_order() -> None:
    a, b = tensor_field(COMPOSITE, _rng(16, 3)), tensor_field(COMPOSITE, _rng(16, 3))
    for p, q in zip(a.parts, b.parts):
        np.testing.assert_array_equal(p.kernel_data()[0], q.kernel_data()[0])
    # the slab part is drawn first, from the same numbers as the slab tensor alone (scaled by sqrt 0.2)
    alone = tensor_field(SLAB, _rng(16, 3))
    np.testing.assert_allclose(a.parts[0].table, math.sqrt(0.2) * alone.table, rtol=1e-12, atol=1e-15)


def _helical(k: Any, c: Any, xp: ModuleType = np) -> Any:
    shape = xp.broadcast_shapes(xp.shape(k), xp.shape(c))
    out = xp.zeros(shape + (3, 3), dtype=complex)
    out[..., 0, 0] = out[..., 1, 1] = 0.25
    out[..., 0, 1], out[..., 1, 0] = 0.25j, -0.25j
    return out


def test_bad_synthesis_input() -> None:
    with pytest.raises(ValueError, match="method must be one of"):
        tensor_field(SLAB, _rng(0, 0), method="spectral")
    with pytest.raises(TypeError, match=r"unknown synthesis options \['n'\]"):
        tensor_field(SLAB, _rng(0, 0), n=32)  # n is the isotropic grids' option, not the slab table's
    with pytest.raises(TypeError, match="unknown synthesis options"):
        tensor_field_bytes(TWO_D, method="waves", n_xy=64)
    with pytest.raises(TypeError, match="AxisymmetricTensor"):
        tensor_field(SLAB.components[0], _rng(0, 0))
    helical = AxisymmetricTensor((TensorComponent("helical slab", "slab", kolmogorov, 1.0, 32.0, _helical),))
    with pytest.raises(ValueError, match="reference polarisation"):
        tensor_field(helical, _rng(0, 0))
    with pytest.raises(ValueError, match="points_per_wavelength must be > 2"):
        tensor_field_bytes(TWO_D, points_per_wavelength=2.0)
    with pytest.raises(ValueError, match="n_modes must be >= 1"):
        tensor_field_bytes(TWO_D, method="waves", n_modes=0)


def test_one_synthesiser_per_support() -> None:
    from crmix.spectral_tensors import SUPPORTS

    assert set(SYNTHESISERS) == set(SUPPORTS)
    assert tensor_synthesis.METHODS == ("grid", "waves")


# --------------------------------------------------------------------------------------------
# backtracking through a 2D field
@pytest.mark.parametrize("field_of", [lambda: tensor_field(two_d_tensor(kolmogorov, 0.5, 8.0), _rng(17, 0)),
                                      lambda: tensor_field(composite_tensor(unit_power(slab_tensor(kolmogorov, 0.5, 8.0)),
                                                                            unit_power(two_d_tensor(kolmogorov, 0.5, 8.0))), _rng(17, 1)),
                                      lambda: tensor_field(two_d_tensor(kolmogorov, 0.5, 8.0), _rng(17, 2), n_xy=32),
                                      lambda: tensor_field(composite_tensor(unit_power(slab_tensor(kolmogorov, 0.5, 8.0)),
                                                                            unit_power(two_d_tensor(kolmogorov, 0.5, 8.0))), _rng(17, 3), n_xy=32)],
                         ids=["2d", "slab+2d", "nested 2d", "slab+nested 2d"])
def test_backtracking_through_two_d_turbulence_conserves_speed(field_of: Callable[[], Any]) -> None:
    field = field_of()
    assert field.kind in ("grid_xy", "table_z+grid_xy", "nested_grids_xy", "table_z+nested_grids_xy")
    runs = {b: backtrack(field, 1.0, 1, [2.0, 4.0], 0.02, backend=b) for b in ("numpy", "numba")}
    for run in runs.values():
        np.testing.assert_allclose(np.linalg.norm(run.momentum, axis=1), 1.0, rtol=0, atol=1e-12)
        assert np.all(np.isfinite(run.position)) and np.abs(run.position).max() > 1.0
    np.testing.assert_allclose(runs["numba"].position, runs["numpy"].position, rtol=0, atol=1e-9)
    np.testing.assert_allclose(runs["numba"].momentum, runs["numpy"].momentum, rtol=0, atol=1e-9)


def test_two_d_lookup_at_the_nodes_is_the_grid() -> None:
    field = tensor_field(two_d_tensor(kolmogorov, 0.5, 8.0), _rng(18, 0))
    n = field.grid.shape[0]
    ix, iy = (i.ravel() for i in np.meshgrid(np.arange(n), np.arange(n), indexing="ij"))
    scale = np.abs(field.grid).max()
    # the nodes of this period and of the next one along x and y, at any z
    for shift in (0, n):
        wx, wy, wz = field.evaluate((ix + shift) * field.spacing, (iy - shift) * field.spacing, np.full(ix.shape, 2.5))
        np.testing.assert_allclose(wx, field.grid[..., 0].ravel(), rtol=0, atol=1e-12 * scale)
        np.testing.assert_allclose(wy, field.grid[..., 1].ravel(), rtol=0, atol=1e-12 * scale)
        assert np.all(wz == 0.0)
