"""crmix.simulate: backtracking test particles through synthetic turbulence to sky maps and C_l.

The independent check of the theory (KPM Sec. 2.1, MA19 Sec. 4).  It takes the same
:class:`~crmix.model.TurbulenceModel` as the solver and nothing from the solver.

* :mod:`~crmix.simulate.synthesis` -- slab FFT table, isotropic nested grids, plane-wave sums
* :mod:`~crmix.simulate.tensor_synthesis` -- the same for an axisymmetric spectral tensor (slab, 2D,
  isotropic, composites)
* :mod:`~crmix.simulate.fields`    -- the field representations and their NumPy/CuPy evaluation
* :mod:`~crmix.simulate.boris`     -- the Boris pusher (reference twin) and the step rule
* :mod:`~crmix.simulate.kernels`   -- the same step compiled: numba (CPU threads) and CUDA (CuPy)
* :mod:`~crmix.simulate.backtrack` -- HEALPix initial directions, backtracking by charge reversal
* :mod:`~crmix.simulate.skymap`    -- Liouville mapping KPM (3), C_l, dipole KPM (52), noise KPM (7)
* :mod:`~crmix.simulate.ensemble`  -- per-realisation results and ensemble averages, K_zz(T)
* :mod:`~crmix.simulate.config`    -- SimulationConfig and Analysis: what a run depends on, checked once
* :mod:`~crmix.simulate.realisation` -- one realisation: field, backtracking, observables
* :mod:`~crmix.simulate.store`     -- the run folder: run.json, realisation files and hashes, resume
* :mod:`~crmix.simulate.tables`    -- the ensemble tables and the printed summary
* :mod:`~crmix.simulate.runner`    -- resumable ensemble runs on an engine, and their reduction
* :mod:`~crmix.simulate.cluster`   -- the engines: serial, a Dask LocalCluster, a scheduler, Slurm
* :mod:`~crmix.simulate.scan`      -- ensembles over rigidities x eta as one task graph

The command line (``crmix simulate``, ``crmix scan``) is crmix.commands.
"""

from __future__ import annotations

from crmix.lazy import lazy_exports

__all__ = ["Analysis", "Engine", "ScanPoint", "SimulationConfig", "reduce_ensemble", "rereduce", "run_ensemble", "run_scan", "sky_maps",
           "summary_lines"]

__getattr__ = lazy_exports(__name__, {
    "Analysis": "crmix.simulate.config",
    "Engine": "crmix.simulate.cluster",
    "ScanPoint": "crmix.simulate.scan",
    "SimulationConfig": "crmix.simulate.config",
    "reduce_ensemble": "crmix.simulate.runner",
    "rereduce": "crmix.simulate.runner",
    "run_ensemble": "crmix.simulate.runner",
    "run_scan": "crmix.simulate.scan",
    "sky_maps": "crmix.simulate.store",
    "summary_lines": "crmix.simulate.tables",
})
