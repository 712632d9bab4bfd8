"""The measured mixing matrix (crmix.simulate.measured_mixing) against the theory's, and as the theory's input.

The first order of the diagram expansion, M^(1) = 1 + 2 M^(1a) + M^(1c) (KPM (22)-(25), (38), (47);
crmix.solver.mixing), is compared element by element with the M that test particles realise,
with pulls (M_meas - M^(1))/sigma_meas; the residual of a correct first order is the next order,
O(<omega^2>^2) at fixed Delta T.

:class:`MeasuredMixing` reads a ``crmix mixing`` run and serves its M(Delta T) to the mixing equation
(a crmix.solver.spectrum.MixingSource: ``angular_power_spectrum(..., mixing=...)``, ``SpectrumFamily``):
KPM (20) solved with the M that particles realise instead of the first order (docs/validation.md).
Between recorded Delta T the matrix is interpolated linearly, element by element.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np
from astropy.table import QTable

from crmix.model import TurbulenceModel
from crmix.records import with_units
from crmix.simulate.measured_mixing import matrix_columns
from crmix.solver.dispatch import model_mixing_matrix
from crmix.units import model_units

__all__ = ["MeasuredMixing", "first_order", "first_order_table", "measured_sources", "residual_scaling"]


def first_order(model: TurbulenceModel, times: np.ndarray, lmax: int) -> np.ndarray:
    """M^(1)(Delta T) = 1 + 2 M^(1a) + M^(1c) of ``model`` at every Delta T of ``times``: shape (n_T, lmax+1, lmax+1)."""
    return np.stack([model_mixing_matrix(model, float(t), max(int(lmax), 2)).on_host().full[: lmax + 1, : lmax + 1]
                     for t in times])


def first_order_table(model: TurbulenceModel, ensemble: Any) -> QTable:
    """Measured M, its error, M^(1) and the pull per (Delta T, l, l0) of a measured-mixing ensemble, every column with
    its unit (crmix.simulate.measured_mixing.matrix_columns: Delta T in yr beside Omega_dT; M and pulls dimensionless)."""
    theory = first_order(model, ensemble.times, ensemble.lmax)
    with np.errstate(invalid="ignore", divide="ignore"):
        pull = np.where(ensemble.mixing_error > 0, (ensemble.mixing - theory) / ensemble.mixing_error, np.nan)
    table = QTable({
        **matrix_columns(ensemble.times, ensemble.lmax, model_units(model)),
        **{name: np.asarray(values).reshape(-1) * u.one for name, values in (
            ("M", ensemble.mixing), ("M_err", ensemble.mixing_error), ("M_first_order", theory), ("pull", pull))},
    })
    table.meta.update({
        "description": "measured mixing matrix against the first order of the diagram expansion, 1 + 2 M^(1a) + M^(1c) "
                       "(KPM (38), (47)); pull = (M - M_first_order)/M_err; dT in yr and Omega_dT = Omega Delta T",
        "model": with_units(model.describe(), model_units(model)), "realisations": ensemble.n_realisations,
    })
    return table


def residual_scaling(power: Any, residual: Any, error: Any) -> tuple[np.ndarray, np.ndarray, float]:
    """Fit R = A s^2 + B s^3 to residuals R(s) = M_meas - M^(1) measured at turbulence powers s = <omega^2>.

    A correct first order leaves the next order, R = O(s^2) at fixed Delta T: A finite, the fit acceptable.
    Weighted least squares on (s, R, sigma) (1D arrays); returns ((A, B), their standard errors, chi^2).
    """
    s, r, e = (np.asarray(a, dtype=float) for a in (power, residual, error))
    if s.ndim != 1 or s.shape != r.shape or s.shape != e.shape or s.size < 3 or np.any(e <= 0):
        raise ValueError("power, residual and error must be 1D arrays of one length >= 3 with positive errors")
    design = np.stack([s**2, s**3], axis=1) / e[:, None]
    coef, *_ = np.linalg.lstsq(design, r / e, rcond=None)
    cov = np.linalg.inv(design.T @ design)
    chi2 = float(np.sum((design @ coef - r / e) ** 2))
    return coef, np.sqrt(np.diag(cov)), chi2


#: The model parameters two models must share for a run's M to stand for the other's (relative tolerance).
_MODEL_KEYS = ("geometry", "eta", "rho", "spectrum_kind", "spectrum_index", "kmin_Lc", "kmax_Lc")


@dataclass(frozen=True)
class MeasuredMixing:
    """M(Delta T) of a ``crmix mixing`` run folder (its ``mixing.npz``), as a mixing source (module docstring).

    ``axial``: the propagation of states axisymmetric about B0 (the gradient's dipole) instead of KPM (17)'s
    m0 average.
    """

    run: Path
    model: TurbulenceModel
    times: np.ndarray
    matrices: np.ndarray
    realisations: int

    @classmethod
    def read(cls, run: str | os.PathLike[str], *, axial: bool = False) -> MeasuredMixing:
        run = Path(run)
        path = run / "mixing.npz"
        if not path.is_file():
            raise ValueError(f"--mixing-run {str(run)!r} holds no mixing.npz: give the --out folder of a crmix mixing run")
        with np.load(path) as data:
            meta = json.loads(str(data["metadata"]))
            times = np.asarray(data["times"], dtype=float)
            matrices = np.asarray(data["axial" if axial else "mixing"], dtype=float)
        params = meta["parameters"]
        model = TurbulenceModel.from_description(params["model"], params["spectrum"])
        return cls(run=run, model=model, times=times, matrices=matrices, realisations=int(meta["realisations"]))

    @property
    def lmax(self) -> int:
        return self.matrices.shape[-1] - 1

    def describe(self) -> dict[str, Any]:
        """What identifies the measured M: the run folder, its recorded Delta T, realisations and l_max."""
        return {"run": str(self.run.resolve()), "times": [float(t) for t in self.times], "realisations": self.realisations,
                "lmax": self.lmax}

    def check_model(self, model: TurbulenceModel) -> None:
        """ValueError unless ``model`` is the run's (geometry, eta, rho and spectrum to 1e-6)."""
        mine, theirs = self.model.describe(), model.describe()
        for key in _MODEL_KEYS:
            a, b = mine.get(key), theirs.get(key)
            same = a == b if isinstance(a, str) or isinstance(b, str) else math.isclose(float(a), float(b), rel_tol=1e-6)
            if not same:
                raise ValueError(f"--mixing-run {str(self.run)!r} measured another model: {key} = {a} there, {b} here")

    def omega_dt_range(self, bounds: tuple[float, float] | None = None) -> tuple[float, float]:
        """The recorded Omega Delta T range, cut to ``bounds`` (ValueError naming --bounds when they do not overlap)."""
        lo, hi = float(self.times[0] * self.model.Omega), float(self.times[-1] * self.model.Omega)
        if bounds is not None:
            lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
        if not lo < hi:
            raise ValueError(f"--bounds {bounds} miss the Omega dT range {self.times[0] * self.model.Omega:.4g} .. "
                             f"{self.times[-1] * self.model.Omega:.4g} of --mixing-run {str(self.run)!r}")
        return lo, hi

    def __call__(self, dt: float, lmax: int) -> np.ndarray:
        """M(dt) truncated at lmax, linear in dt between the recorded Delta T (ValueError outside them)."""
        if lmax > self.lmax:
            raise ValueError(f"--mixing-run {str(self.run)!r} measured M up to l = {self.lmax}; lmax {lmax} is larger")
        t = self.times
        if not t[0] * (1 - 1e-9) <= dt <= t[-1] * (1 + 1e-9):
            raise ValueError(f"--mixing-run {str(self.run)!r} recorded Omega dT from {t[0]:.4g} to {t[-1]:.4g} "
                             f"(in 1/Omega); dt = {dt:.4g} is outside")
        k = int(np.clip(np.searchsorted(t, dt), 1, len(t) - 1)) if len(t) > 1 else 0
        if len(t) == 1:
            return self.matrices[0][: lmax + 1, : lmax + 1]
        w = float(np.clip((dt - t[k - 1]) / (t[k] - t[k - 1]), 0.0, 1.0))
        return ((1 - w) * self.matrices[k - 1] + w * self.matrices[k])[: lmax + 1, : lmax + 1]


def measured_sources(runs: Sequence[str | os.PathLike[str]] | None, models: Sequence[TurbulenceModel], lmax: int) -> list[MeasuredMixing | None]:
    """For each model the ``crmix mixing`` run among ``runs`` that measured it (``--mixing-run``), checked for ``lmax``.

    ``runs`` None: no measured M (the first order; a list of None).  A ValueError names --mixing-run when a
    run is unreadable, measured no model of the list, or no run measured one of the models.
    """
    if not runs:
        return [None] * len(models)
    read = [MeasuredMixing.read(run) for run in runs]
    chosen: list[MeasuredMixing | None] = []
    for model in models:
        for mix in read:
            try:
                mix.check_model(model)
            except ValueError:
                continue
            if lmax > mix.lmax:
                raise ValueError(f"--mixing-run {str(mix.run)!r} measured M up to l = {mix.lmax}: --lmax must be <= {mix.lmax}, got {lmax}")
            chosen.append(mix)
            break
        else:
            raise ValueError(f"--mixing-run: none of {[str(r) for r in runs]} measured the model with rho = {model.rho:.4g}, "
                             f"eta = {model.eta:g} ({model.geometry}, k_max L_c = {model.describe()['kmax_Lc']:.4g})")
    unused = [str(m.run) for m in read if all(m is not c for c in chosen)]
    if unused:
        raise ValueError(f"--mixing-run {unused} measured none of the models of this command")
    return chosen
