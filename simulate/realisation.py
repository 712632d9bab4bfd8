"""One realisation: the turbulent field of (seed, index), backtracked and measured (KPM Sec. 2.1).

:func:`synthesize_field` draws the field with the synthesiser the model's geometry names
(crmix.geometry: ``geometry.synthesis``), :func:`simulate_realisation` backtracks one particle per
HEALPix pixel through it (crmix.simulate.backtrack) and measures the observables that do not
depend on the Liouville mapping (crmix.simulate.ensemble.RealisationResult).  Its random numbers
come from (seed, index) alone, so a realisation is the same whichever engine computes it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from crmix.model import TurbulenceModel
from crmix.simulate import skymap, synthesis
from crmix.simulate.backtrack import backtrack
from crmix.simulate.ensemble import RealisationResult, local_mean_field
from crmix.simulate.fields import Field
from crmix.simulate.tensor_synthesis import tensor_field

if TYPE_CHECKING:
    from crmix.simulate.config import SimulationConfig

__all__ = ["SYNTHESISERS", "simulate_realisation", "synthesiser", "synthesize_field"]


def _tensor_field(model: TurbulenceModel, rng: np.random.Generator, *, method: str, **options: Any) -> Field:
    """The geometry's tensor drawn by crmix.simulate.tensor_synthesis (2D, composites)."""
    return tensor_field(model.turbulence.tensor(model), rng, method=method, **options)  # type: ignore[union-attr]


#: The synthesisers a geometry names per field method (crmix.geometry: ``geometry.synthesis``).  Slab and
#: isotropic keep their model-based synthesisers (bit-identical fields for a seed); the others draw their tensor.
SYNTHESISERS: dict[str, Callable[..., Field]] = {
    "slab_table": synthesis.slab_table,
    "nested_grids": synthesis.nested_grids,
    "plane_waves": synthesis.plane_waves,
    "tensor_grid": partial(_tensor_field, method="grid"),
    "tensor_waves": partial(_tensor_field, method="waves"),
}


def synthesiser(model: TurbulenceModel, method: str) -> str:
    """The name of the synthesiser of ``model``'s geometry for field ``method``; ValueError where there is none."""
    name = model.turbulence.synthesiser(method)
    if name is None:
        methods = ", ".join(m for m, _ in model.turbulence.synthesis)
        raise ValueError(f"--field {method} is not available for {model.geometry} turbulence (its field methods: {methods})")
    if name not in SYNTHESISERS:
        raise ValueError(f"the simulation of {model.geometry} turbulence needs the {name!r} synthesis, which this version "
                         "of crmix does not have yet (the theory, crmix spectrum, has it)")
    return name


def synthesize_field(config: SimulationConfig, index: int) -> Field:
    """Realisation ``index`` of the turbulent field (its random numbers from (seed, index) alone)."""
    rng = synthesis.realisation_rng(config.seed, index)
    return SYNTHESISERS[synthesiser(config.model, config.method)](config.model, rng, **dict(config.synthesis_options))


def simulate_realisation(config: SimulationConfig, index: int, *, progress: Any = None) -> tuple[RealisationResult, np.ndarray, Field]:
    """Synthesise, backtrack, measure: (observables, component maps (n_T, 6, N_pix) by momentum pixel, field)."""
    model = config.model
    fld = synthesize_field(config, index)
    bt = backtrack(fld, model.Omega, config.nside, config.times, config.dt, backend=config.backend,
                   dtype=np.dtype(config.dtype), progress=progress, steps=config.steps)
    comps = skymap.component_maps(bt.position, bt.momentum)  # (n_T, 6, N_pix)
    lmax = 3 * config.nside - 1
    result = RealisationResult(
        index=index,
        times=bt.times,
        cross=np.stack([skymap.cross_spectra(c, lmax) for c in comps]),
        neighbour=np.stack([skymap.neighbour_difference_matrix(c, config.nside) for c in comps]),
        dipole=skymap.dipole_response(comps, bt.observed),
        moments=skymap.displacement_moments(bt.position),
        extent=np.max(np.abs(bt.position), axis=-1),
        period=np.asarray(fld.period, dtype=float),
        local_field=local_mean_field(fld, model.Omega, config.l_avg_value),
    )
    return result, comps, fld
