"""Per-realisation observables and their ensemble averages (KPM Secs. 2.1.2, 3.1-3.3).

Per realisation i and backtracking time T: C_l^(i), the noise level N^(i) (KPM (7)), the dipole
vector Phi_i (KPM (52)), <r r> (the running diffusion tensor), and the local mean field B_i over
a cube of side L_avg around the observer (KPM Sec. 3.3).  The ensemble gives

    <C_l>^num = mean_i C_l^(i),   N_l = mean_i N^(i),   <C_l>^sub = <C_l>^num - N_l,
    Var <C_l>^sub ~ 2 N_l^2 / (2l + 1)  (KPM Sec. 2.1.2, per map; divide by the number of maps for
    the mean),   <C_1>^QLT = 4 pi |<Phi>|^2  (KPM (57)),   <cos alpha> = mean_i B_i . z / |B_i|,
    K_zz(T) = <z^2>/(2T), K_perp(T) = <x^2 + y^2>/(4T),  tau_s = 3 K_zz / v^2 (docs/physics.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from crmix.simulate.fields import Field

__all__ = ["EnsembleSummary", "RealisationResult", "local_mean_field"]


def local_mean_field(field: Field, omega0: float, l_avg: float, n_avg: int = 16) -> np.ndarray:
    """Mean of Omega0 z-hat + omega(r) over the cube of side ``l_avg`` centred on the observer.

    Midpoint rule on n_avg^3 points (for slab only the z average matters).  KPM Sec. 3.3 uses
    L_avg = L_c / 30.
    """
    if not (math.isfinite(l_avg) and l_avg > 0):
        raise ValueError(f"l_avg must be finite and > 0, got {l_avg}")
    s = (np.arange(n_avg) + 0.5) / n_avg * l_avg - 0.5 * l_avg
    x, y, z = (a.ravel() for a in np.meshgrid(s, s, s, indexing="ij"))
    w = field.evaluate(x, y, z, np)
    return np.array([w[0].mean(), w[1].mean(), w[2].mean() + omega0])


@dataclass(frozen=True)
class RealisationResult:
    """Observables of one realisation; arrays indexed by backtracking time first."""

    index: int
    times: np.ndarray  # (n_T,)
    cl: np.ndarray  # (n_T, lmax + 1)
    noise: np.ndarray  # (n_T,)
    dipole: np.ndarray  # (n_T, 3)
    moments: np.ndarray  # (n_T, 3, 3)  <r_i r_j>
    local_field: np.ndarray  # (3,)
    K: np.ndarray  # (3, 3) used in the Liouville mapping

    def arrays(self) -> dict[str, np.ndarray]:
        return {f: np.asarray(getattr(self, f)) for f in self.__dataclass_fields__}

    @classmethod
    def from_arrays(cls, data: dict[str, np.ndarray]) -> RealisationResult:
        kw = {f: np.asarray(data[f]) for f in cls.__dataclass_fields__}
        kw["index"] = int(kw["index"])
        return cls(**kw)


@dataclass(frozen=True)
class EnsembleSummary:
    """Ensemble averages over N realisations (module docstring)."""

    times: np.ndarray
    n_realisations: int
    cl_num: np.ndarray  # (n_T, lmax+1)
    cl_sub: np.ndarray
    noise: np.ndarray  # (n_T,)
    cl_sub_variance: np.ndarray  # (n_T, lmax+1), 2 N^2 / (2l+1)
    cl_scatter: np.ndarray  # (n_T, lmax+1), sample standard deviation of C_l^(i)
    c1_qlt: np.ndarray  # (n_T,)
    c1_dipole: np.ndarray  # (n_T,), 4 pi <|Phi|^2>  (KPM (55))
    mean_dipole: np.ndarray  # (n_T, 3)
    cos_alpha: float
    K_zz: np.ndarray  # (n_T,)
    K_perp: np.ndarray  # (n_T,)

    @property
    def omega_tau_s(self) -> float:
        """Omega tau_s = 3 K_zz / v^2 at the largest T (v = 1; docs/physics.md, not KPM's K_zz/3)."""
        return float(3.0 * self.K_zz[-1])

    @classmethod
    def from_results(cls, results: Sequence[RealisationResult]) -> EnsembleSummary:
        if not results:
            raise ValueError("an ensemble needs at least one realisation")
        times = results[0].times
        cl = np.stack([r.cl for r in results])
        noise_i = np.stack([r.noise for r in results])
        dip = np.stack([r.dipole for r in results])
        mom = np.stack([r.moments for r in results]).mean(axis=0)
        b = np.stack([r.local_field for r in results])
        ell = np.arange(cl.shape[-1])
        noise = noise_i.mean(axis=0)
        cl_num = cl.mean(axis=0)
        mean_dip = dip.mean(axis=0)
        bnorm = np.linalg.norm(b, axis=1)
        cos_alpha = float(np.mean(b[:, 2] / bnorm)) if np.all(bnorm > 0) else float("nan")
        return cls(
            times=times,
            n_realisations=len(results),
            cl_num=cl_num,
            cl_sub=cl_num - noise[:, None],
            noise=noise,
            cl_sub_variance=2.0 * noise[:, None] ** 2 / (2 * ell + 1),
            cl_scatter=cl.std(axis=0, ddof=1) if len(results) > 1 else np.full_like(cl_num, np.nan),
            c1_qlt=4.0 * math.pi * np.sum(mean_dip**2, axis=-1),
            c1_dipole=4.0 * math.pi * np.mean(np.sum(dip**2, axis=-1), axis=0),
            mean_dipole=mean_dip,
            cos_alpha=cos_alpha,
            K_zz=mom[:, 2, 2] / (2.0 * times),
            K_perp=(mom[:, 0, 0] + mom[:, 1, 1]) / (4.0 * times),
        )

    def arrays(self) -> dict[str, np.ndarray]:
        return {f: np.asarray(getattr(self, f)) for f in self.__dataclass_fields__}
