"""Reading the sky maps of a ``crmix simulate`` run, as relative intensity in arrival directions.

The run's own reader, :func:`crmix.simulate.store.sky_maps`, gives the relative intensity
f/fbar - 1 (KPM (3)) of every realisation at one backtracking time, under the run's one Liouville
mapping (the gradient and K of its ensemble tables), with pixels in ARRIVAL directions in the B0
frame (z along the regular field).  The maps stay in the B0 frame; crmix.observe.forward rotates them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from crmix.model import TurbulenceModel
from crmix.simulate.store import recorded_time, sky_maps
from crmix.units import ModelUnits, model_units

__all__ = ["SimulatedSky", "read_simulated_sky_maps"]


@dataclass(frozen=True)
class SimulatedSky:
    """maps[n_real, N_pix]: relative intensity in arrival directions, B0 frame, HEALPix RING; ``parameters``: run.json's."""

    maps: np.ndarray
    nside: int
    time: float
    realisations: tuple[int, ...]
    parameters: dict[str, Any]

    @property
    def units(self) -> ModelUnits:
        """The units of the run's model (``time`` is Omega T in them)."""
        return model_units(TurbulenceModel.from_description(self.parameters["model"], self.parameters["spectrum"]))


def read_simulated_sky_maps(run_dir: str | Path, time: float) -> SimulatedSky:
    """The realisations' maps of a reduced run at backtracking time ``time`` (nearest recorded; ValueError otherwise)."""
    run_dir = Path(run_dir)
    if not (run_dir / "ensemble_cl.ecsv").is_file():
        raise ValueError(f"simulation folder {str(run_dir)!r} holds no ensemble_cl.ecsv (not a finished crmix simulate run)")
    maps, record = sky_maps(run_dir, float(time))
    params = record["parameters"]
    recorded = recorded_time(params, float(time))
    nside = int(params["nside"])
    return SimulatedSky(np.asarray(maps), nside, float(recorded), tuple(range(len(maps))), params)
