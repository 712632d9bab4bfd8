"""Invariants that catch a broken pusher or synthesis on every backend and field kind.

* |p-hat| stays 1 along every backtracked trajectory (the Boris rotation conserves the speed).
* The backtracking charge: the physical particle (charge +1), launched from where backtracking puts
  it, arrives at the observer with the observed direction; with the charge of the backtracking
  flipped it does not.
* omega_x and omega_y of the slab table and of the nested grids are uncorrelated, and the same
  statistic rejects a field whose components were deliberately correlated.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from crmix import Spectrum, TurbulenceModel
from crmix.backend import cupy_or_none, namespace_by_name, to_numpy
from crmix.simulate import backtrack as backtrack_module
from crmix.simulate import kernels
from crmix.simulate.backtrack import backtrack
from crmix.simulate.boris import StepRule
from crmix.simulate.fields import Field, FieldSum, Grid2D, NestedGrids, SlabTable
from crmix.simulate.synthesis import nested_grids, plane_waves, realisation_rng, slab_table

SLAB = TurbulenceModel(geometry="slab", eta=0.5, rho=0.3, spectrum=Spectrum(kmax=2 * math.pi * 5 / 0.3))
ISO = TurbulenceModel(geometry="isotropic", eta=0.5, rho=0.3, spectrum=Spectrum(kmax=2 * math.pi * 5 / 0.3))


def _grid_xy(seed: int) -> Grid2D:
    """A 2D (x, y) field on a 32 x 32 periodic grid (any values serve the pusher's invariants)."""
    return Grid2D(0.5 * np.random.default_rng(seed).standard_normal((32, 32, 2)), 0.3)


#: every field kind the pushers have: the synthesised ones and the 2D grid alone and in a sum
FIELDS: dict[str, Callable[[], Field]] = {
    "slab table": lambda: slab_table(SLAB, realisation_rng(1, 0)),
    "nested grids": lambda: nested_grids(ISO, realisation_rng(1, 0), n=16, points_per_wavelength=4),
    "plane waves": lambda: plane_waves(ISO, realisation_rng(1, 0), n_modes=32),
    "grid_xy": lambda: _grid_xy(1),
    "slab table + grid_xy": lambda: FieldSum((slab_table(SLAB, realisation_rng(1, 0)), _grid_xy(1))),
}
BACKENDS = ["numpy", "numba", pytest.param("cupy", marks=pytest.mark.gpu)]


def _need(backend: str) -> None:
    if backend == "cupy" and cupy_or_none() is None:
        pytest.skip("CuPy with a CUDA device is not available")


def _model(kind: str) -> TurbulenceModel:
    return ISO if kind in ("nested grids", "plane waves") else SLAB


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", sorted(FIELDS))
def test_speed_stays_one_on_every_backend_and_field(backend: str, kind: str) -> None:
    _need(backend)
    model = _model(kind)
    dt = StepRule().dt(model)
    bt = backtrack(FIELDS[kind](), model.Omega, 2, [500 * dt, 3000 * dt], dt, backend=backend)
    assert np.max(np.abs(bt.position[-1])) > 100 * dt  # it did move
    assert np.max(np.abs(np.linalg.norm(bt.momentum, axis=1) - 1.0)) < 1e-12


def _miss(field: Field, model: TurbulenceModel, backend: str, n_steps: int) -> float:
    """Largest distance from the observer's (r = 0, p-hat) of the physical particles launched from the backtracked start."""
    dt = StepRule().dt(model)
    bt = backtrack(field, model.Omega, 2, [n_steps * dt], dt, backend=backend)
    push = kernels.pusher(backend)
    xp = namespace_by_name(push.namespace)
    x = xp.ascontiguousarray(xp.asarray(bt.position[0]))
    v = xp.ascontiguousarray(xp.asarray(bt.momentum[0]))  # p-hat(t0): the particle's own velocity
    push.advance(push.place(field, xp, np.float64), model.Omega, x, v, +1, dt, n_steps)
    return max(float(np.max(np.abs(to_numpy(x)))), float(np.max(np.abs(to_numpy(v) - bt.observed))))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", sorted(FIELDS))
def test_the_physical_particle_from_the_backtracked_start_reaches_the_observer(
        backend: str, kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _need(backend)
    field, model = FIELDS[kind](), _model(kind)
    n_steps = int(round(2 * math.pi / (model.Omega * StepRule().dt(model))))  # one gyration in B0
    assert _miss(field, model, backend, n_steps) < 1e-8
    monkeypatch.setattr(backtrack_module, "BACKTRACK_CHARGE", +1)  # the particle's own charge: not a backtracking
    assert _miss(field, model, backend, n_steps) > 0.1


def _xy_correlation(samples: list[np.ndarray]) -> tuple[float, float]:
    """The correlation coefficient of omega_x, omega_y averaged over realisations, and its error.

    ``samples``: per realisation, omega at many points, shape (N, >= 2).  Within one realisation the
    points are correlated over L_c, so the error is the realisations' scatter / sqrt(their number).
    """
    r = np.array([np.mean(s[:, 0] * s[:, 1]) / math.sqrt(np.mean(s[:, 0] ** 2) * np.mean(s[:, 1] ** 2)) for s in samples])
    return float(r.mean()), float(r.std(ddof=1) / math.sqrt(r.size))


def _slab_samples(fields: list[SlabTable]) -> list[np.ndarray]:
    return [np.asarray(f.table) for f in fields]


def _grid_samples(fields: list[NestedGrids]) -> list[np.ndarray]:
    points = np.random.default_rng(7).uniform(0.0, fields[0].period[0], (3, 4000))
    return [np.stack(f.evaluate(*points), axis=-1) for f in fields]


def _correlated_slab(f: SlabTable) -> SlabTable:
    table = np.array(f.table)
    table[:, 1] = (table[:, 1] + 0.4 * table[:, 0]) / math.sqrt(1.16)
    return SlabTable(table, f.dz)


def _correlated_grids(f: NestedGrids) -> NestedGrids:
    grids = np.array(f.grids)
    grids[..., 1] = (grids[..., 1] + 0.4 * grids[..., 0]) / math.sqrt(1.16)
    return NestedGrids(grids, f.spacing, f.k_lo, f.k_hi)


@pytest.mark.parametrize(("synthesise", "samples", "correlate"), [
    (lambda rng: slab_table(SLAB, rng), _slab_samples, _correlated_slab),
    (lambda rng: nested_grids(ISO, rng, n=16, points_per_wavelength=4), _grid_samples, _correlated_grids),
], ids=["slab table", "nested grids"])
def test_omega_x_and_omega_y_are_uncorrelated(synthesise, samples, correlate) -> None:
    fields = [synthesise(realisation_rng(11, i)) for i in range(24)]
    mean, error = _xy_correlation(samples(fields))
    assert abs(mean) < 4 * error and error < 0.05
    # the statistic sees a correlation of 0.4 / sqrt(1.16) = 0.37 between the components
    mean, error = _xy_correlation(samples([correlate(f) for f in fields]))
    assert mean > 8 * error and mean == pytest.approx(0.4 / math.sqrt(1.16), abs=4 * error)
