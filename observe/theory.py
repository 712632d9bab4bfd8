"""The prediction being compared: the mixing-matrix <C_l>/<C_1> at a given mixing time, cached.

:func:`predicted_spectrum` is the one place where crmix.observe asks the solver for a spectrum
(``crmix.solver.spectrum.angular_power_spectrum``: the steady state of KPM (20), truncated at l_max,
in the frame z = B0, ensemble-averaged over the turbulence).  A fit evaluates it at many Omega dT;
every evaluation builds a mixing matrix.  :class:`PredictionCache` keeps each evaluation in memory
and, given a folder, on disk (one ``.npz`` per evaluation, written atomically), so an interrupted or
repeated comparison does not recompute what it has.

The absolute scale of C_l is set by the gradient, C_l ~ |grad fbar / fbar|^2 (KPM (18)), which the
comparison fits as a free amplitude; the prediction is therefore returned as C_l / C_1, with the C_1
of a nominal gradient length (``GRADIENT_LENGTH_PC``) kept to translate the fitted amplitude back.
"""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from crmix.io import atomic_write
from crmix.model import TurbulenceModel
from crmix.solver.spectrum import MixingSource, angular_power_spectrum, length_unit_pc
from crmix.validation import integer, real

__all__ = ["GRADIENT_LENGTH_PC", "Prediction", "PredictionCache", "predicted_spectrum"]

#: Nominal fbar/|d_z fbar| (pc) of the stored C_1; the fitted amplitude rescales it.
GRADIENT_LENGTH_PC = 1000.0


@dataclass(frozen=True)
class Prediction:
    """C_l / C_1, l = 0..lmax, at one Omega dT, with C_1 at the nominal gradient and diagnostics."""

    omega_dt: float
    lmax: int
    ratio: np.ndarray
    C1: float
    tau_s: float
    lmax_drift: float
    warnings: tuple[str, ...] = field(default=())


def predicted_spectrum(model: TurbulenceModel, omega_dt: float, lmax: int, mixing: MixingSource | None = None) -> Prediction:
    """The solver's steady-state C_l/C_1 for ``model`` at Omega dT = ``omega_dt``, truncated at ``lmax``.

    ``mixing``: M from that source instead of the first order (e.g. measured by test particles,
    crmix.fit.mixing.MeasuredMixing).  This is the single function to replace by a faster path that
    reuses what does not depend on Delta T (everything else in crmix.observe only sees its result).
    """
    omega_dt = real("Omega dT", omega_dt, gt=0.0)
    lmax = integer("lmax", lmax, ge=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = angular_power_spectrum(model, lmax=lmax, omega_dt=omega_dt,
                                     gradient_length=GRADIENT_LENGTH_PC / length_unit_pc(model), mixing=mixing)
    tau_s = res.timestep.tau_s if res.timestep.tau_s is not None else math.nan
    return Prediction(omega_dt=omega_dt, lmax=lmax, ratio=np.asarray(res.ratio, dtype=float), C1=float(res.C[1]),
                      tau_s=float(tau_s), lmax_drift=float(res.drift.max_abs),
                      warnings=tuple(str(w.message) for w in caught))


def _key(model: TurbulenceModel, omega_dt: float, lmax: int, mixing: Any = None) -> dict[str, Any]:
    key = {"model": model.describe(), "spectrum": asdict(model.spectrum), "omega_dt": float(omega_dt), "lmax": int(lmax),
           "gradient_length_pc": GRADIENT_LENGTH_PC}
    if mixing is not None:  # a measured M: its run and ensemble (crmix.fit.mixing.MeasuredMixing.describe)
        key["mixing"] = mixing.describe()
    return key


class PredictionCache:
    """:func:`predicted_spectrum` with a memory cache and, optionally, a folder of finished evaluations."""

    def __init__(self, folder: str | Path | None = None):
        self.folder = None if folder is None else Path(folder)
        self._memory: dict[str, Prediction] = {}
        self.evaluations = 0

    def _path(self, digest: str) -> Path:
        assert self.folder is not None
        return self.folder / f"prediction-{digest[:20]}.npz"

    def _load(self, digest: str, key_text: str) -> Prediction | None:
        path = self._path(digest)
        if not path.is_file():
            return None
        try:
            with np.load(path) as data:
                if str(data["key"]) != key_text:
                    return None
                return Prediction(omega_dt=float(data["omega_dt"]), lmax=int(data["lmax"]), ratio=data["ratio"].copy(),
                                  C1=float(data["C1"]), tau_s=float(data["tau_s"]), lmax_drift=float(data["lmax_drift"]),
                                  warnings=tuple(json.loads(str(data["warnings"]))))
        except (OSError, ValueError, KeyError):
            return None

    def _store(self, digest: str, key_text: str, p: Prediction) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)

        def write(tmp: Path) -> None:
            with open(tmp, "wb") as fh:
                np.savez(fh, key=key_text, omega_dt=p.omega_dt, lmax=p.lmax, ratio=p.ratio, C1=p.C1, tau_s=p.tau_s,
                         lmax_drift=p.lmax_drift, warnings=json.dumps(list(p.warnings)))

        atomic_write(self._path(digest), write)

    def __call__(self, model: TurbulenceModel, omega_dt: float, lmax: int, mixing: Any = None) -> Prediction:
        key_text = json.dumps(_key(model, omega_dt, lmax, mixing), sort_keys=True)
        digest = hashlib.sha256(key_text.encode()).hexdigest()
        if digest in self._memory:
            return self._memory[digest]
        p = self._load(digest, key_text) if self.folder is not None else None
        if p is None:
            p = predicted_spectrum(model, omega_dt, lmax, mixing)
            self.evaluations += 1
            if self.folder is not None:
                self._store(digest, key_text, p)
        self._memory[digest] = p
        return p
