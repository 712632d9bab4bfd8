"""The measured shape of a simulated ensemble: C_l/C_1 at one backtracking time, with its covariance.

A ``crmix simulate`` run folder holds ``ensemble_cl.ecsv`` (the parameters of the run and of its
reduction in the metadata), ``ensemble_transport.ecsv`` (K_zz(T), <cos alpha>, C_1 three ways) and
``ensemble_realisations.ecsv`` (C_l^sub of every realisation).  The data vector of a fit is

    R_l = <C_l>^sub / <C_1>^sub,   l in [l_lo, l_hi],

and its covariance the jackknife over realisations (delete one, recompute R, (N-1)/N sum of the outer
products), which carries the scatter of the field between realisations and the shot noise together.
``"diagonal"`` keeps its diagonal (the errors of the table); ``"full"`` the whole matrix, which
needs N > n_l + 2 realisations and is inverted with the Hartlap factor (N - n_l - 2)/(N - 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np

from crmix.fit.request import COVARIANCES
from crmix.model import TurbulenceModel
from crmix.simulate.reduced import read_reduced_run
from crmix.simulate.store import reduction_record
from crmix.simulate.tables import read_table

__all__ = ["COVARIANCES", "SimulatedShape", "read_shape"]



@dataclass(frozen=True)
class SimulatedShape:
    """R_l = <C_l>^sub/<C_1>^sub of a run at one T, its covariance, and what the run says about transport.

    ``time`` and ``omega_tau_s`` in the model's units (Omega T, Omega tau_s); ``metadata``: the run's record
    (crmix.simulate.store.reduction_record).
    """

    run: Path
    model: TurbulenceModel
    time: float
    ells: np.ndarray
    ratio: np.ndarray
    covariance: np.ndarray
    inverse_covariance: np.ndarray
    covariance_kind: str
    n_realisations: int
    omega_tau_s: float
    omega_tau_s_error: float
    k_zz_converged: bool | None
    cos_alpha: float
    c1_sub_over_qlt: float
    metadata: dict[str, Any]

    @property
    def error(self) -> np.ndarray:
        return np.sqrt(np.diag(self.covariance))


def _jackknife_covariance(sub: np.ndarray) -> np.ndarray:
    """Jackknife covariance of mean(C_l)/mean(C_1) over realisations; sub (N, n_l + 1) with column 0 = C_1."""
    n = sub.shape[0]
    loo = (sub.sum(axis=0)[None] - sub) / (n - 1)
    r = loo[:, 1:] / loo[:, :1]
    d = r - r.mean(axis=0)
    return (n - 1) / n * d.T @ d


def read_shape(run: str | Path, *, time: float | None = None, ells: tuple[int, int] = (2, 20),
               covariance: str = "diagonal") -> SimulatedShape:
    """The data vector and covariance of a fit from a reduced ``crmix simulate`` run (module docstring).

    ``time``: the backtracking time Omega T (nearest recorded; default the largest); ``ells``: (l_lo, l_hi),
    l_hi cut to the largest multipole of the run's tables.  The tables are read with their units
    (crmix.simulate.tables.read_table: a run reduced by an earlier crmix is refused with the way to
    re-reduce it); the model and the reduction from the run's record (crmix.simulate.store.reduction_record).
    """
    run = Path(run)
    if covariance not in COVARIANCES:
        raise ValueError(f"covariance must be one of {COVARIANCES}, got {covariance!r}")
    read_reduced_run(run)  # the structure of the three tables, and that they come from one reduction
    per = read_table(run / "ensemble_realisations.ecsv")
    transport = read_table(run / "ensemble_transport.ecsv")
    record = reduction_record(run)
    times = np.asarray(transport["Omega_T"].to_value(u.one), dtype=float)
    k = int(np.argmin(np.abs(times - time))) if time is not None else len(times) - 1
    if time is not None and abs(times[k] - time) > 0.01 * time:
        raise ValueError(f"--time {time:g} is not a backtracking time of {run}; recorded: {', '.join(f'{t:.6g}' for t in times)}")
    lmax_table = int(record["analysis"]["lmax"])
    lo, hi = int(ells[0]), min(int(ells[1]), lmax_table)
    if not 2 <= lo <= hi:
        raise ValueError(f"--ell must satisfy 2 <= lo <= hi with lo <= {lmax_table} (the l_max of {run}'s tables), got {ells[0]}:{ells[1]}")
    at_t = np.isclose(per["Omega_T"].to_value(u.one), times[k], rtol=1e-9)
    n_real = int(record["realisations"])
    sub = np.asarray(per["C_sub"][at_t].to_value(u.one), dtype=float).reshape(n_real, lmax_table + 1)
    if n_real < 3:
        raise ValueError(f"run folder {str(run)!r}: a fit needs >= 3 realisations for its jackknife covariance, it has {n_real}")
    columns = np.concatenate([[1], np.arange(lo, hi + 1)])
    sel = sub[:, columns]
    mean = sel.mean(axis=0)
    if not mean[0] > 0:
        raise ValueError(f"{run}: <C_1>^sub = {mean[0]:.3g} at T = {times[k]:.6g} is not positive, so C_l/C_1 has no meaning "
                         "(too few realisations, or a time before any dipole builds up: choose another --time)")
    ratio = mean[1:] / mean[0]
    cov = _jackknife_covariance(sel)
    flat = np.flatnonzero(~(np.diag(cov) > 0))
    if flat.size:
        raise ValueError(f"{run}: the jackknife variance of C_l/C_1 is 0 at l = {', '.join(str(lo + int(i)) for i in flat[:5])}, "
                         "so chi^2 is undefined there (identical realisations?); choose --ell without them")
    n_l = hi - lo + 1
    if covariance == "full":
        if n_real <= n_l + 2:
            raise ValueError(f"--covariance full of {n_l} multipoles needs more than {n_l + 2} realisations, {run} has {n_real}; "
                             "use --covariance diagonal or fewer multipoles (--ell)")
        inverse = (n_real - n_l - 2) / (n_real - 1) * np.linalg.inv(cov)
    else:
        cov = np.diag(np.diag(cov))
        inverse = np.diag(1.0 / np.diag(cov))
    c1_ratio = float((transport["C1_sub"][k] / transport["C1_QLT"][k]).to_value(u.one))
    params = record["parameters"]
    model = TurbulenceModel.from_description(params["model"], params["spectrum"])
    meta = transport.meta
    return SimulatedShape(
        run=run, model=model, time=float(times[k]), ells=np.arange(lo, hi + 1), ratio=ratio, covariance=cov,
        inverse_covariance=inverse, covariance_kind=covariance, n_realisations=n_real,
        omega_tau_s=float(meta["Omega_tau_s"].to_value(u.one)), omega_tau_s_error=float(meta["Omega_tau_s_err"].to_value(u.one)),
        k_zz_converged=meta["K_zz_converged"], cos_alpha=float(meta["cos_alpha"].to_value(u.one)),
        c1_sub_over_qlt=c1_ratio if math.isfinite(c1_ratio) else math.nan, metadata=record,
    )
