"""Reading the sky maps of a ``crmix simulate`` run, as relative intensity in arrival directions.

What this reader assumes of a run folder (the layout written by crmix.simulate.runner):

* ``run.json`` holds the run's parameters, among them ``nside``, ``times`` (the requested
  backtracking times, sorted) and ``recorded_times`` (the times actually reached, the same order);
* realisation i is finished when ``realisation_{i:05d}.npz`` exists (it is written last); its sky
  maps are ``realisation_{i:05d}.fits``, a HEALPix table with one column per backtracking time, in
  the order of ``times``;
* a map's value is the relative intensity f/fbar - 1 (KPM (3)); its pixel is the **momentum**
  direction p-hat of the particle at the observer, in the B0 frame (z along the regular field).

A particle observed with momentum p-hat arrives from the direction -p-hat, so the arrival-direction
map is the momentum map at the antipodal pixel (:func:`crmix.observe.sky.antipodal_pixels`; exact
on the HEALPix grid).  The maps stay in the B0 frame; crmix.observe.forward rotates them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import healpy as hp
import numpy as np

from crmix.observe.sky import antipodal_pixels

__all__ = ["SimulatedSky", "read_simulated_sky_maps"]


@dataclass(frozen=True)
class SimulatedSky:
    """maps[n_real, N_pix]: relative intensity in arrival directions, B0 frame, HEALPix RING."""

    maps: np.ndarray
    nside: int
    time: float
    recorded_time: float
    realisations: tuple[int, ...]
    parameters: dict[str, Any]


def _time_index(params: dict[str, Any], time: float) -> int:
    times = [float(t) for t in params.get("times", [])]
    recorded = [float(t) for t in params.get("recorded_times", times)]
    for k, (t, r) in enumerate(zip(times, recorded)):
        if math.isclose(time, t, rel_tol=1e-9) or math.isclose(time, r, rel_tol=1e-6):
            return k
    raise ValueError(f"time must be one of the run's backtracking times {times}, got {time!r}")


def read_simulated_sky_maps(run_dir: str | Path, time: float) -> SimulatedSky:
    """The finished realisations' maps at backtracking time ``time`` (module docstring for the format)."""
    run_dir = Path(run_dir)
    run_file = run_dir / "run.json"
    if not run_file.is_file():
        raise ValueError(f"simulation folder {str(run_dir)!r} holds no run.json (not a crmix simulate run)")
    params = json.loads(run_file.read_text())
    column = _time_index(params, float(time))
    nside = int(params["nside"])
    finished = sorted(int(p.stem.split("_")[1]) for p in run_dir.glob("realisation_*.npz"))
    if not finished:
        raise ValueError(f"simulation folder {str(run_dir)!r} has no finished realisation")
    antipode = antipodal_pixels(nside)
    maps = []
    for i in finished:
        path = run_dir / f"realisation_{i:05d}.fits"
        if not path.is_file():
            raise ValueError(f"realisation {i} of {str(run_dir)!r} is finished but its sky maps {path.name} are missing")
        m = np.asarray(hp.read_map(str(path), field=column, dtype=np.float64), dtype=float)
        if m.size != hp.nside2npix(nside):
            raise ValueError(f"{path.name} has {m.size} pixels, run.json says Nside = {nside}")
        maps.append(m[antipode])
    recorded = float(params.get("recorded_times", params["times"])[column])
    return SimulatedSky(np.stack(maps), nside, float(params["times"][column]), recorded, tuple(finished), params)
