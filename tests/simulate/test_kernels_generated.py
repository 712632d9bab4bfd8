"""The generated pusher: one definition, three backends.

The lookups against independent interpolations (np.interp, scipy's RegularGridInterpolator, the
plane-wave sum written out), |v| conserved on every backend and field kind, the backends in
agreement (numba and NumPy bit for bit, the host-compiled CUDA source to 1e-10), the generated
modules reproducible and tied to derive's step, and the one backend registry.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from dataclasses import replace

import numpy as np
import pytest
import sympy as sp
from scipy.interpolate import RegularGridInterpolator

from crmix import Spectrum, TurbulenceModel
from crmix.backend import to_numpy
from crmix.codegen.config import TARGETS
from crmix.codegen.generate import generated_dir
from crmix.derive import boris as derive_boris
from crmix.derive import lookups as derive_lookups
from crmix.generated import pusher_cuda, pusher_numba, pusher_numpy
from crmix.simulate import boris, kernels
from crmix.simulate.backtrack import backtrack
from crmix.simulate.fields import FieldSum, Grid2D, NestedGrids, NestedGrids2D, PlaneWaves, SlabTable
from crmix.simulate.synthesis import nested_grids, plane_waves, realisation_rng, slab_table

SLAB = TurbulenceModel(geometry="slab", eta=0.5, rho=0.1, spectrum=Spectrum(kmax=2 * math.pi * 20 / 0.1))
ISO = TurbulenceModel(geometry="isotropic", eta=0.5, rho=0.3, spectrum=Spectrum(kmax=2 * math.pi * 5 / 0.3))
KINDS = ["table_z", "grid_xy", "nested_grids", "plane_waves", "table_z+grid_xy", "nested_grids_xy", "table_z+nested_grids_xy"]
PUSHER_TARGETS = [t for t in TARGETS if t.output.startswith("pusher_")]


def _grid_xy(seed: int = 0) -> Grid2D:
    """A random periodic 2D field (the synthesis of 2D turbulence is not part of the lookup)."""
    return Grid2D(0.4 * np.random.default_rng(seed).standard_normal((12, 10, 2)), 0.35)


def _nested_grids_xy(seed: int = 0) -> NestedGrids2D:
    """Three random periodic 2D grids of different spacings (the synthesis of 2D turbulence is not part of the lookup)."""
    grids = 0.4 * np.random.default_rng(seed).standard_normal((3, 12, 12, 2))
    return NestedGrids2D(grids, np.array([1.3, 0.35, 0.09]), np.array([1.0, 4.0, 16.0]), np.array([4.0, 16.0, 64.0]))


def _field(kind: str, seed: int = 4):
    make = {
        "table_z": lambda: slab_table(SLAB, realisation_rng(seed, 0)),
        "grid_xy": lambda: _grid_xy(seed),
        "nested_grids": lambda: nested_grids(ISO, realisation_rng(seed, 0), n=16, points_per_wavelength=4),
        "plane_waves": lambda: plane_waves(ISO, realisation_rng(seed, 0), n_modes=32),
        "table_z+grid_xy": lambda: FieldSum((slab_table(SLAB, realisation_rng(seed, 0)), _grid_xy(seed))),
        "nested_grids_xy": lambda: _nested_grids_xy(seed),
        "table_z+nested_grids_xy": lambda: FieldSum((slab_table(SLAB, realisation_rng(seed, 0)), _nested_grids_xy(seed))),
    }
    field = make[kind]()
    assert field.kind == kind
    return field


def _directions(n: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((3, n))
    return np.ascontiguousarray(v / np.linalg.norm(v, axis=0))


def _points(n: int, scale: float, seed: int = 7) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-scale, scale, (3, n))


# --------------------------------------------------------------------------------------------
# the lookups against independent interpolations
def _periodic_interpolator(values: np.ndarray, spacing: float) -> RegularGridInterpolator:
    """scipy's multilinear interpolation of a periodic grid: the first node appended at the far end."""
    padded = values
    for axis in range(values.ndim - 1):
        padded = np.concatenate([padded, np.take(padded, [0], axis=axis)], axis=axis)
    nodes = [spacing * np.arange(s) for s in padded.shape[:-1]]
    return RegularGridInterpolator(nodes, padded, method="linear")


def test_table_z_is_periodic_linear_interpolation() -> None:
    field = _field("table_z")
    r = _points(500, 3 * field.length)
    nodes = field.dz * np.arange(field.n)
    wx, wy, wz = field.evaluate(*r)
    # the cell fraction of u = z/dz is known to eps |u|: allow that much of the difference of neighbours
    step = np.max(np.abs(np.roll(field.table, -1, axis=0) - field.table))
    atol = 4 * np.finfo(float).eps * np.max(np.abs(r[2])) / field.dz * step + 1e-14
    assert atol < 1e-10
    for c, w in enumerate((wx, wy)):
        np.testing.assert_allclose(w, np.interp(r[2], nodes, field.table[:, c], period=field.length), rtol=0, atol=atol)
    assert np.all(wz == 0)


def test_grid_xy_is_periodic_bilinear_interpolation_of_x_and_y() -> None:
    field = _field("grid_xy")
    lx, ly, _ = field.period
    r = _points(500, 3 * lx)
    reference = _periodic_interpolator(field.grid, field.spacing)(np.stack([r[0] % lx, r[1] % ly], axis=1))
    w = field.evaluate(*r)
    np.testing.assert_allclose(np.stack(w[:2], axis=1), reference, rtol=0, atol=1e-12)
    assert np.all(w[2] == 0)
    shifted = field.evaluate(r[0] + lx, r[1] - 2 * ly, r[2] + 17.0)  # periodic in x, y; independent of z
    np.testing.assert_allclose(np.stack(shifted), np.stack(w), rtol=0, atol=1e-12)


def test_nested_grids_are_the_sum_of_periodic_trilinear_interpolations() -> None:
    field = _field("nested_grids")
    r = _points(300, 2 * field.period[0])
    reference = np.zeros((r.shape[1], 3))
    for g in range(field.grids.shape[0]):
        h = float(field.spacing[g])
        reference += _periodic_interpolator(field.grids[g], h)((r % (field.n * h)).T)
    assert field.grids.shape[0] >= 2
    np.testing.assert_allclose(np.stack(field.evaluate(*r), axis=1), reference, rtol=0, atol=1e-11)


def test_nested_grids_xy_are_the_sum_of_periodic_bilinear_interpolations_of_x_and_y() -> None:
    field = _field("nested_grids_xy")
    r = _points(300, 2 * field.period[0])
    reference = np.zeros((r.shape[1], 2))
    for g in range(field.grids.shape[0]):
        h = float(field.spacing[g])
        reference += _periodic_interpolator(field.grids[g], h)((r[:2] % (field.n * h)).T)
    w = field.evaluate(*r)
    np.testing.assert_allclose(np.stack(w[:2], axis=1), reference, rtol=0, atol=1e-11)
    assert np.all(w[2] == 0)
    np.testing.assert_array_equal(np.stack(field.evaluate(r[0], r[1], r[2] + 17.0)), np.stack(w))  # independent of z
    assert field.period == (field.n * 1.3, field.n * 1.3, math.inf)


def test_plane_waves_are_the_sum_of_cosines() -> None:
    field = _field("plane_waves")
    r = _points(200, 50.0)
    reference = field.amplitude.T @ np.cos(field.k @ r + field.phase[:, None])
    np.testing.assert_allclose(np.stack(field.evaluate(*r)), reference, rtol=0, atol=1e-12)


def test_composite_is_the_sum_of_its_parts() -> None:
    field = _field("table_z+grid_xy")
    r = _points(300, 40.0)
    total = np.stack(field.evaluate(*r))
    parts = sum(np.stack(p.evaluate(*r)) for p in field.parts)
    np.testing.assert_array_equal(total, parts)
    assert field.period == (field.parts[1].period[0], field.parts[1].period[1], field.parts[0].period[2])
    assert field.nbytes == field.parts[0].nbytes + field.parts[1].nbytes
    with pytest.raises(ValueError, match="two or more fields"):
        FieldSum((field.parts[0],))


@pytest.mark.parametrize("kind", KINDS)
def test_numba_lookup_equals_numpy_lookup_bit_for_bit(kind: str) -> None:
    field = _field(kind)
    r = _points(64, 30.0)
    data = field.kernel_data()
    numba_values = np.array([pusher_numba.LOOKUPS[kind](*r[:, i], *data) for i in range(r.shape[1])]).T
    np.testing.assert_array_equal(numba_values, np.stack(field.evaluate(*r)))


def test_every_field_class_has_a_generated_lookup_and_kernels() -> None:
    kinds = {SlabTable.kind, Grid2D.kind, NestedGrids.kind, NestedGrids2D.kind, PlaneWaves.kind, "table_z+grid_xy", "table_z+nested_grids_xy"}
    generated = {"+".join(k) for k in derive_lookups.FIELD_KINDS}
    assert kinds == generated
    for table in (pusher_numpy.LOOKUPS, pusher_numba.LOOKUPS, pusher_numba.ADVANCE, pusher_cuda.KERNELS):
        assert set(table) == generated


# --------------------------------------------------------------------------------------------
# every backend on every field kind
def _backends(host_cuda) -> dict:
    return {"numpy": kernels.advance_numpy, "numba": kernels.advance_numba, "cuda-host": host_cuda}


@pytest.mark.parametrize("backend", ["numpy", "numba", "cuda-host"])
@pytest.mark.parametrize("kind", KINDS)
def test_speed_is_conserved_on_every_backend_and_field_kind(backend: str, kind: str, host_cuda) -> None:
    field = _field(kind, seed=8)
    x = _points(16, 20.0, seed=9)
    v = _directions(16, 10)
    x0 = x.copy()
    _backends(host_cuda)[backend](field, 1.0, x, v, -1, 0.05, 3000)
    assert np.max(np.abs(x - x0)) > 10.0  # it moved
    assert np.max(np.abs(np.linalg.norm(v, axis=0) - 1.0)) < 1e-12


@pytest.mark.parametrize("kind", ["grid_xy", "table_z+grid_xy"])
def test_new_kinds_agree_across_backends(kind: str, host_cuda) -> None:
    """numba = NumPy bit for bit, the host-compiled CUDA source to 1e-10 (as for the other kinds in test_boris)."""
    field = _field(kind)
    x0, v0 = _points(40, 50.0, seed=5), _directions(40, 6)
    runs = {}
    for name, advance in _backends(host_cuda).items():
        x, v = x0.copy(), v0.copy()
        advance(field, 1.0, x, v, -1, 0.02, 300)
        runs[name] = (x, v)
    assert np.max(np.abs(runs["numpy"][0] - x0)) > 1.0
    np.testing.assert_array_equal(runs["numba"][0], runs["numpy"][0])
    np.testing.assert_array_equal(runs["numba"][1], runs["numpy"][1])
    np.testing.assert_allclose(runs["cuda-host"][0], runs["numpy"][0], rtol=0, atol=1e-10)
    np.testing.assert_allclose(runs["cuda-host"][1], runs["numpy"][1], rtol=0, atol=1e-10)


@pytest.mark.parametrize("real", ["float", "double"])
def test_cuda_source_compiles_with_the_cuda_compiler(real: str, tmp_path) -> None:
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        pytest.skip("no CUDA compiler (nvcc)")
    (tmp_path / "pusher.cu").write_text(pusher_cuda.SOURCE)
    subprocess.run([nvcc, "-ptx", f"-DREAL={real}", "-o", str(tmp_path / "pusher.ptx"), str(tmp_path / "pusher.cu")], check=True)
    ptx = (tmp_path / "pusher.ptx").read_text()
    for name, _ in pusher_cuda.KERNELS.values():
        assert f".entry {name}(" in ptx


@pytest.mark.gpu
@pytest.mark.parametrize("kind", KINDS)
def test_cuda_kernel_matches_numpy_in_float64(cp, kind: str) -> None:
    field = _field(kind)
    x0, v0 = _points(256, 20.0, seed=5), _directions(256, 6)
    xa, va = x0.copy(), v0.copy()
    boris.advance(field, 1.0, xa, va, -1, 0.01, 200, np)
    xb, vb = cp.asarray(x0), cp.asarray(v0)
    kernels.advance_cupy(field.to(cp, dtype=np.float64), 1.0, xb, vb, -1, 0.01, 200)
    np.testing.assert_allclose(to_numpy(xb), xa, rtol=0, atol=1e-9)
    np.testing.assert_allclose(to_numpy(vb), va, rtol=0, atol=1e-9)


# --------------------------------------------------------------------------------------------
# the generated modules and the registry
@pytest.mark.parametrize("target", PUSHER_TARGETS, ids=lambda t: t.output)
def test_generated_pusher_is_reproducible_and_stamped(target) -> None:
    render = target.backend.render
    text = render(target)
    assert text == render(target)
    assert text == (generated_dir() / target.output).read_text()
    lines = text.splitlines()
    assert lines[0] == "# generated by crmix codegen — do not edit"
    assert lines[1].startswith("# inputs-sha256: ") and len(lines[1].split()[-1]) == 64


@pytest.mark.parametrize("target", PUSHER_TARGETS, ids=lambda t: t.output)
def test_every_backend_emits_derives_step_and_lookups(target, monkeypatch) -> None:
    """A change of the step or of a lookup in derive/ changes every backend's text and its inputs hash."""
    render = target.backend.render
    before = render(target)
    b = derive_boris
    monkeypatch.setattr(b, "BORIS_STEP", b.with_assignment(b.BORIS_STEP, "f", 3 / (1 + b.tx * b.tx + b.ty * b.ty + b.tz * b.tz)))
    changed_step = render(target)
    assert "3/(tx*tx + ty*ty + tz*tz + 1)" in changed_step and "2/(tx*tx" not in changed_step
    assert changed_step.splitlines()[1] != before.splitlines()[1]
    monkeypatch.undo()
    f = derive_lookups.F
    broken = replace(derive_lookups.TABLE_Z, weights=(1 - f, 2 * f))
    monkeypatch.setattr(derive_lookups, "LOOKUPS", (broken, *derive_lookups.LOOKUPS[1:]))
    changed_lookup = render(target)
    assert changed_lookup != before and changed_lookup.splitlines()[1] != before.splitlines()[1]
    assert sp.srepr(derive_lookups.TABLE_Z.interpolant()["x"]) != sp.srepr(broken.interpolant()["x"])


def test_one_registry_of_pusher_backends() -> None:
    assert tuple(kernels.PUSHERS) == ("numpy", "numba", "cupy")
    assert kernels.pusher("numba").advance is kernels.advance_numba
    with pytest.raises(ValueError, match="backend must be one of"):
        kernels.pusher("fortran")
    with pytest.raises(ValueError, match="backend must be one of"):
        backtrack(_field("table_z"), 1.0, 1, [1.0], 0.1, backend="fortran")


def test_a_field_kind_without_generated_kernels_is_refused_by_name() -> None:
    field = FieldSum((_field("plane_waves"), _field("table_z")))
    x, v = np.zeros((3, 2)), _directions(2, 0)
    for advance in (kernels.advance_numpy, kernels.advance_numba):
        with pytest.raises(ValueError, match=r"no .* pusher is generated for the field kind 'plane_waves\+table_z'"):
            advance(field, 1.0, x, v, -1, 0.1, 1)
    with pytest.raises(ValueError, match="FIELD_KINDS"):
        kernels.cuda_arguments(field, np, np.float64)
