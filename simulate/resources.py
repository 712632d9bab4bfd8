"""Memory and time of a simulation before it starts (crmix.resources; rates from benchmarks/RESULTS.md).

Memory (the peak of one realisation; realisations run one after another):

* the field: slab table 2 x itemsize per point and 32 bytes per point transiently in the FFT
  synthesis; nested grids 3 x itemsize x n^3 per grid and about 250 n^3 bytes transiently; plane
  waves 7 x 8 bytes per mode; a tensor synthesis (2D, composites) its ``tensor_field_bytes``
  (crmix.simulate.tensor_synthesis) and as much again transiently;
* the particles: 6 x 8 bytes of state and 6 x 8 bytes per recorded time each;
* the maps: the six component maps per recorded time and their alm (crmix.simulate.skymap).

Time: particle-steps / the measured rate of the backend and field kind on the 2-core CPU machine
(the GPU's is unmeasured: a nominal rate, said so; a tensor synthesis' field pushes at the nested
grids' rate per component, also unmeasured), plus the synthesis.
"""

from __future__ import annotations

from crmix.resources import ResourceEstimate
from crmix.simulate import synthesis
from crmix.simulate.realisation import synthesiser
from crmix.simulate.tensor_synthesis import tensor_field_bytes

__all__ = ["RATES", "simulation_estimate"]

#: particle-steps per second (backend, field kind), 2-core CPU machine; waves per mode, grids per grid
RATES = {
    ("numba", "table"): 1.7e8, ("numpy", "table"): 3.6e7, ("cupy", "table"): 1e10,
    ("numba", "grids"): 3.8e7, ("numpy", "grids"): 2.4e6, ("cupy", "grids"): 2e9,
    ("numba", "waves"): 2e8, ("numpy", "waves"): 2e7, ("cupy", "waves"): 1e10,
}
#: seconds per slab-table point of the FFT synthesis (two transforms)
SYNTHESIS_SECONDS_PER_POINT = 1e-7


def _waves(config, opts: dict, itemsize: int) -> tuple[str, float, float, int]:
    modes = int(opts.get("n_modes", 256))
    return "waves", 56.0 * modes, 0.0, modes


def _slab_table(config, opts: dict, itemsize: int) -> tuple[str, float, float, int]:
    n, _ = synthesis.slab_table_size(config.model, opts.get("box_over_lmax", 8.0), opts.get("points_per_wavelength", 10.0))
    return "table", 2.0 * itemsize * n, 32.0 * n, n


def _nested_grids(config, opts: dict, itemsize: int) -> tuple[str, float, float, int]:
    model = config.model
    n = int(opts.get("n", 64))
    grids = len(synthesis.grid_bands(model.k_min, model.k_max, n, opts.get("points_per_wavelength", 8.0),
                                     opts.get("box_over_wavelength", 2.0)))
    return "grids", 3.0 * itemsize * n**3 * grids, 250.0 * n**3, grids


def _tensor_grid(config, opts: dict, itemsize: int) -> tuple[str, float, float, int]:
    tensor = config.model.turbulence.tensor(config.model)
    nbytes = float(tensor_field_bytes(tensor, method="grid", **opts))
    return "grids", nbytes, nbytes, len(tensor.components)  # pushed at the nested grids' rate per component (unmeasured)


def _tensor_waves(config, opts: dict, itemsize: int) -> tuple[str, float, float, int]:
    tensor = config.model.turbulence.tensor(config.model)
    nbytes = float(tensor_field_bytes(tensor, method="waves", **opts))
    return "waves", nbytes, 0.0, len(tensor.components) * int(opts.get("n_modes", 256))


#: Field size per synthesiser (crmix.simulate.runner.SYNTHESISERS).
FIELD_SIZES = {"plane_waves": _waves, "slab_table": _slab_table, "nested_grids": _nested_grids,
               "tensor_grid": _tensor_grid, "tensor_waves": _tensor_waves}


def _field(config) -> tuple[str, float, float, int]:
    """(kind, bytes, transient bytes, points or modes) of the field of ``config`` (crmix.simulate.runner)."""
    itemsize = 4 if config.dtype == "float32" else 8
    return FIELD_SIZES[synthesiser(config.model, config.method)](config, dict(config.synthesis_options), itemsize)


def simulation_estimate(config, realisations: int) -> ResourceEstimate:
    """Peak memory of one realisation and the time of ``realisations`` of them."""
    kind, field_bytes, transient, size = _field(config)
    npix = 12 * config.nside**2
    n_t = len(config.times)
    particles = npix * (48.0 + 48.0 * n_t)
    maps = n_t * 6 * npix * 8.0 * 2.0 + 6 * 16.0 * (3 * config.nside) ** 2
    rate = RATES[(config.backend, kind)]
    if kind in ("waves", "grids"):
        rate /= size
    steps = config.particle_steps
    synth = SYNTHESIS_SECONDS_PER_POINT * size if kind == "table" else 0.0
    return ResourceEstimate(
        memory={"field": field_bytes, "field synthesis": transient, "particles": particles, "maps": maps},
        seconds=realisations * (steps / rate + synth),
    )
