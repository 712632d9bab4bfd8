"""The sky's C_l from the pair propagator over the pair's whole age, and the age-ordered resummation of M.

The age-integral relation
-------------------------
KPM (3) maps the particle seen with p-hat to delta = g . r(t0) - 3 p-hat(t0) . K . g, r(t0) = -int_0^T p-hat(t) dt
(t the look-back time, g along B0).  The pair average of delta_A delta_B, projected on P_l(p_A . p_B) (KPM (4)),
has three parts: the direction correlations <mu_A(t) mu_B(t')> at all pairs of look-back times, their cross
terms with mu(T), and <mu_A(T) mu_B(T)>.  Equal-time correlations are the pair propagator of KPM (17) acting
on the gradient's dipole, c(t) = M(t) e_1 (M^ax of crmix.simulate.pair_propagator when the dipole is the one
along B0); unequal times are closed by the single-particle decorrelation <mu(t') | mu(t)> = mu(t) rho(t' - t),
rho(tau) = exp(-tau/tau_1) with int rho = 3 K (K_zz = int <mu(0) mu(tau)> dtau).  With the K of the mapping
equal to that K, the three parts sum to (:func:`age_integrated_spectrum` for any two K)

    C(T) = S int_0^T c(t) dt + C_1(0) c(T),     S = (8 pi/3) K g^2,  C_1(0) = 4 pi K^2 g^2,

the steady state of KPM (20) is S int_0^infinity c(t) dt.  KPM (19) is the
same sum with c(t) replaced by the Markov chain M(Delta T)^(t/Delta T) e_1 of pairs that restart from a common
point every Delta T.  The relation is checked against the particles (their measured c(t) and C_l(T)) in
docs/validation.md.

The age-ordered resummation
---------------------------
The first order X(s) = 2 M^(1a)(s) + M^(1c)(s) of a pair of age s (KPM (38), (47) at Delta T = s) is the
time-convolutionless generator at second order: dM/ds = M(s) dX/ds, ordered in age from the observer (the
pair's common point) outwards, so M(s_k) = M(s_{k-1}) expm(X(s_k) - X(s_{k-1})) on a grid of ages
(:func:`age_ordered_exponential`).  It equals 1 + X to first order, keeps sum_l (2l+1) M_{l l0} = 2 l0 + 1
exactly (every factor does), and makes the diagonal exp(2 M^(1a) + M^(1c)_ll) where X is diagonal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.linalg import expm

from crmix.generated import pair_age as kernels

__all__ = ["age_integrated_spectrum", "age_ordered_exponential", "generator_path"]


def generator_path(generator: Callable[[float], np.ndarray], ages: Any) -> np.ndarray:
    """X(s) at the ages s_1 < s_2 < ... (ages > 0, increasing), with X(0) = 0 prepended: shape (n + 1, L, L)."""
    s = np.asarray(ages, dtype=float)
    if s.ndim != 1 or s.size == 0 or not np.all(np.isfinite(s)) or s[0] <= 0 or np.any(np.diff(s) <= 0):
        raise ValueError(f"ages must be finite, > 0 and strictly increasing, got {ages!r}")
    first = np.asarray(generator(float(s[0])), dtype=float)
    path = [np.zeros_like(first), first] + [np.asarray(generator(float(a)), dtype=float) for a in s[1:]]
    return np.stack(path)


def age_ordered_exponential(path: np.ndarray) -> np.ndarray:
    """M(s_k) = M(s_{k-1}) expm(X(s_k) - X(s_{k-1})), M(s_0) = 1, for a path X(s_k) (X(s_0) = 0): same shape."""
    x = np.asarray(path, dtype=float)
    if x.ndim != 3 or x.shape[1] != x.shape[2]:
        raise ValueError(f"path must have shape (n, L, L), got {x.shape}")
    out = np.empty_like(x)
    out[0] = np.eye(x.shape[1])
    for k in range(1, x.shape[0]):
        out[k] = out[k - 1] @ expm(x[k] - x[k - 1])
    return out


def age_integrated_spectrum(ages: Any, dipole_column: Any, gradient: float, diffusion: float,
                            particle_diffusion: float | None = None) -> np.ndarray:
    """C_l(T) of the relative intensity from the pair propagator's dipole column c(t) at every age T of the grid.

    ``ages`` (n,) start at 0; ``dipole_column`` (n, L) is c(t) = M(t) e_1 there (c(0) = e_1); ``gradient`` is
    |grad fbar|/fbar along B0, ``diffusion`` the K_zz of the mapping KPM (3), ``particle_diffusion`` the particles'
    own K_zz (tau_1 = 3 K of the single-particle decorrelation; default: the mapping's).  With tau = 3 K_p
    (the weights are crmix.generated.pair_age, derived in crmix.derive.pair_age),

        C(T) = (4 pi/9) g^2 [2 tau int_0^T c(t) (1 - e^{-(T-t)/tau}) dt + 6 K int_0^T c(t) e^{-(T-t)/tau} dt + 9 K^2 c(T)],

    which is S int_0^T c dt + C_1(0) c(T) when K_p = K (module docstring).  Trapezoidal rule on the grid.
    """
    t = np.asarray(ages, dtype=float)
    c = np.asarray(dipole_column, dtype=float)
    if t.ndim != 1 or c.ndim != 2 or c.shape[0] != t.size or t[0] != 0 or np.any(np.diff(t) <= 0):
        raise ValueError(f"ages (n,) must start at 0 and increase, dipole_column be (n, L); got {t.shape}, {c.shape}")
    for name, value in (("gradient", gradient), ("diffusion", diffusion), ("particle_diffusion", particle_diffusion)):
        if value is not None and not (np.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    tau = 3.0 * (diffusion if particle_diffusion is None else particle_diffusion)
    out = np.empty_like(c)
    for k, T in enumerate(t):
        integrand = c[: k + 1] * kernels.age_weight(T - t[: k + 1], tau, diffusion, xp=np)[:, None]
        out[k] = np.trapezoid(integrand, t[: k + 1], axis=0) + kernels.age_present_weight(diffusion, xp=np) * c[k]
    return kernels.age_prefactor(gradient, xp=np) * out
