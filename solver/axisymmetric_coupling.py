"""Angular-momentum algebra of the generic M^(1c): the per-mode Gram blocks K^J and the contraction.

For one wave vector with field multipoles w^q_{L N} (crmix.solver.axisymmetric_orbits) and density
S (spherical components S~_{q q'} = U S U^dagger, U_{q i} = (e_i)_q), recoupling
Y_L^N L_{-q} to rank J (crmix.derive.axisymmetric_weights) gives the coefficients

    t_d[q](J, Q) = (-1)^q w^q_{J+d, Q+q} <J+d, Q+q; 1, -q | J, Q>,      d = L - J in {-1, 0, 1},

and the Gram blocks K^J_{d d'} = sum_Q sum_{q q'} S~_{q q'} t_d[q](J, Q) t_{d'}[q'](J, Q)^*.  Only
the real parts of K_00, K_{-1,-1}, K_{11} and K_{-1,1} enter M (L + l + l0 is even, so L = J or
L = J +- 1 for one (l, l0, J)):

    M^(1c)_{l l0} = sum_{L = J} rho_0^2 K^J_00 + sum_{J: L = J -+ 1} [rho_-^2 K^J_{--} + rho_+^2 K^J_{++} + 2 rho_- rho_+ Re K^J_{-+}],
    rho_d = chi~_d(l, l0, J) (l, J+d, l0; 0 0 0),

with chi~ the generated coupling weights (chi up to a phase common to one J).  The vector of a
mode is ``GRAM_ENTRIES`` x (J_max + 1) real numbers; the contraction is O(l_max^3).

The uniform part.  A mode much longer than the orbit is a uniform field there: the field seen is
W_q = int_0^dT e^{-i q Omega s} ds in every direction, so only w^q_00 = sqrt(4 pi) W_q is nonzero and
only K^1_{--} (J = 1, L = 0): 4 pi sum_q S~_qq |W_q|^2 (``uniform_gram``).  Its (1c) part cancels the
(1a) part of the same field exactly (crmix.derive.axisymmetric_realspace, ``uniform_field_cancels``);
the generic path integrates K^J less this value and adds the closed form of its integral.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from crmix.generated import axisymmetric_weights as weights
from crmix.solver.wigner import zero_m_threej

__all__ = ["GRAM_ENTRIES", "UNIFORM_ENTRY", "contract_m1c", "gram_blocks", "gram_weights", "spherical_density", "uniform_gram"]

#: Rows of the per-mode vector: Re K_00, Re K_{-1,-1}, Re K_{1,1}, Re K_{-1,1}.
GRAM_ENTRIES = 4
#: (row, J) of the uniform field's only Gram entry, K^1_{--}.
UNIFORM_ENTRY = (1, 1)
_SQ2 = math.sqrt(2.0)
#: U[q + 1, i] = (e_i)_q, spherical components q = -1, 0, 1 of the Cartesian unit vectors.
_U = np.array([[1 / _SQ2, -1j / _SQ2, 0.0], [0.0, 0.0, 1.0], [-1 / _SQ2, -1j / _SQ2, 0.0]])
_CASES = {-1: "below", 0: "equal", 1: "above"}
_M2_NAMES = {-1: "minus", 0: "zero", 1: "plus"}
_M2 = (-1, 0, 1)


def spherical_density(s_cart: np.ndarray) -> np.ndarray:
    """S~_{q q'} = sum_ij (e_i)_q S_ij (e_j)_{q'}^*: <omega_q omega_q'^*> in spherical components."""
    return _U @ s_cart @ _U.conj().T


@lru_cache(maxsize=4)
def _recoupling(lmax_field: int) -> tuple[np.ndarray, np.ndarray]:
    """Flat gather indices (J, (d, q), Q) into w[q, L, N + L_max] (shape (3, L_max + 2, 2 L_max + 1)) and the factors
    (-1)^q <L N; 1 -q | J Q>, |Q| <= L_max; entries off the triangles point at a zero and have factor 0."""
    jmax = lmax_field
    big_j = np.arange(jmax + 1)[:, None]
    big_q = np.arange(-lmax_field, lmax_field + 1)[None, :]
    index = np.zeros((jmax + 1, 3, 3, 2 * lmax_field + 1), dtype=np.int64)
    factor = np.zeros(index.shape)
    zero = (0 * (lmax_field + 2) + lmax_field + 1) * (2 * lmax_field + 1)  # w[0, L_max + 1, 0], always 0
    for di, d in enumerate((-1, 0, 1)):
        big_l = big_j + d
        for qi, q in enumerate(_M2):
            big_n = big_q + q
            valid = ((big_l >= 0) & (big_l <= lmax_field) & (np.abs(big_q) <= big_j)
                     & (np.abs(big_n) <= big_l) & ((d != 0) | (big_j > 0)))
            kernel = getattr(weights, f"clebsch_rank_one_{_CASES[d]}_{_M2_NAMES[-q]}")  # m2 = -q
            safe_l = np.where(valid, big_l, 2).astype(float)
            safe_n = np.where(valid, big_n, 0).astype(float)
            with np.errstate(invalid="ignore", divide="ignore"):
                cg = np.where(valid, kernel(safe_l, safe_n, np), 0.0)
            factor[:, di, qi] = (-1.0) ** q * cg
            flat = (qi * (lmax_field + 2) + big_l) * (2 * lmax_field + 1) + big_n + lmax_field
            index[:, di, qi] = np.where(valid, flat, zero)
    return index.reshape(jmax + 1, 9, -1), factor.reshape(jmax + 1, 9, -1)


def uniform_gram(s_cart: np.ndarray, omega: float, dt: float) -> float:
    """K^1_{--} of a uniform field with density ``s_cart``: 4 pi sum_q S~_qq |int_0^dT e^{-i q Omega s} ds|^2 (module docstring)."""
    w = omega * dt
    seen = 2.0 * (1.0 - math.cos(w)) / omega**2 if w > 1e-4 else dt * dt * (1.0 - w * w / 12.0)
    diag = np.real(np.diag(spherical_density(s_cart)))
    return float(4.0 * math.pi * (diag[0] * seen + diag[1] * dt * dt + diag[2] * seen))


def gram_blocks(w: np.ndarray, n_eff: int, s_cart: np.ndarray, lmax_field: int | None = None) -> np.ndarray:
    """The per-mode vector (GRAM_ENTRIES, lmax_field + 1) from w^q_{L N} (3, R + 1, 2 n_eff + 1), L <= R <= lmax_field
    (zero beyond R; default R = lmax_field), and S (module docstring).

    With the coefficients t as a (J, (d, q), Q) array, M = t t^dagger per J (one batched product) and
    K^J_{d e} = Re sum_{q q'} S~_{q q'} M_{(d q), (e q')}.
    """
    reach = w.shape[1] - 1
    lmax_field = reach if lmax_field is None else lmax_field
    index, factor = _recoupling(lmax_field)
    jmax = min(reach + 1, lmax_field)  # K^J vanishes beyond J = R + 1
    q_max = min(jmax, n_eff + 1)  # t_d[q](J, Q) needs |Q + q| <= n_eff
    cols = slice(lmax_field - q_max, lmax_field + q_max + 1)
    full = np.zeros((3, lmax_field + 2, 2 * lmax_field + 1), dtype=complex)
    full[:, : reach + 1, lmax_field - n_eff: lmax_field + n_eff + 1] = w
    t = np.take(full.reshape(-1), index[: jmax + 1, :, cols]) * factor[: jmax + 1, :, cols]  # (J, 9, Q)
    m = np.matmul(t, t.conj().transpose(0, 2, 1)).reshape(jmax + 1, 3, 3, 3, 3)  # (J, d, q, e, q')
    k = np.einsum("qr,jdqer->jde", spherical_density(s_cart), m).real
    out = np.zeros((GRAM_ENTRIES, lmax_field + 1))
    out[:, : jmax + 1] = np.stack([k[:, 1, 1], k[:, 0, 0], k[:, 2, 2], k[:, 0, 2]])
    return out


@lru_cache(maxsize=4)
def _contraction_weights(lmax: int) -> tuple[np.ndarray, ...]:
    """rho for the L = J terms and the L = J -+ 1 pairs on the (l, l0, j) grid, with the J indices."""
    z = zero_m_threej(lmax)  # (l, l0, j): (l l0 |l-l0|+2j; 0 0 0)
    idx = np.arange(lmax + 1)
    ell, ell0, j = np.meshgrid(idx, idx, idx, indexing="ij")
    lo = np.minimum(ell, ell0)
    big_l = np.abs(ell - ell0) + 2 * j
    equal = (j <= lo) & (big_l >= 1) & (ell0 >= 1)
    pair = (j < lo) & (ell0 >= 1)  # J = L_j + 1 between L_j and L_{j+1}
    big_j = big_l + 1
    with np.errstate(invalid="ignore", divide="ignore"):
        chi_eq = np.where(equal, weights.coupling_equal(ell * 1.0, ell0 * 1.0, np.where(equal, big_l, 1) * 1.0, np), 0.0)
        chi_lo = np.where(pair, weights.coupling_below(ell * 1.0, ell0 * 1.0, np.where(pair, big_j, 2) * 1.0, np), 0.0)
        chi_hi = np.where(pair, weights.coupling_above(ell * 1.0, ell0 * 1.0, np.where(pair, big_j, 2) * 1.0, np), 0.0)
    z_next = np.concatenate([z[:, :, 1:], np.zeros((lmax + 1, lmax + 1, 1))], axis=2)
    rho_eq = chi_eq * z
    rho_lo = chi_lo * z
    rho_hi = chi_hi * z_next
    return rho_eq, rho_lo, rho_hi, np.where(equal, big_l, 0), np.where(pair, big_j, 0)


@lru_cache(maxsize=4)
def gram_weights(lmax: int) -> np.ndarray:
    """max over (l, l0) of |the coefficient of each Gram entry (GRAM_ENTRIES, 2 lmax + 1) in M^(1c)_{l l0}|: an error
    vector e of the Gram entries changes no element of M^(1c) by more than gram_weights . e."""
    rho_eq, rho_lo, rho_hi, j_eq, j_pair = _contraction_weights(lmax)
    out = np.zeros((GRAM_ENTRIES, 2 * lmax + 2))
    for row, (coef, index) in enumerate(((rho_eq**2, j_eq), (rho_lo**2, j_pair), (rho_hi**2, j_pair), (2.0 * np.abs(rho_lo * rho_hi), j_pair))):
        np.maximum.at(out[row], index.ravel(), np.abs(coef).ravel())
    return out[:, : 2 * lmax + 1]


def contract_m1c(gram: np.ndarray, lmax: int, gram_error: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """M^(1c)_{l l0}, l, l0 <= lmax, from the integrated Gram vector (GRAM_ENTRIES, >= 2 lmax + 1); and its error bound."""
    need = 2 * lmax + 1
    if gram.ndim != 2 or gram.shape[0] != GRAM_ENTRIES or gram.shape[1] < need:
        raise ValueError(f"gram must have shape ({GRAM_ENTRIES}, >= {need}) for lmax = {lmax}, got {gram.shape}")
    rho_eq, rho_lo, rho_hi, j_eq, j_pair = _contraction_weights(lmax)

    def apply(g: np.ndarray, absolute: bool) -> np.ndarray:
        f = np.abs if absolute else (lambda x: x)
        total = f(rho_eq) ** 2 * g[0][j_eq]
        total = total + f(rho_lo) ** 2 * g[1][j_pair] + f(rho_hi) ** 2 * g[2][j_pair]
        total = total + 2.0 * f(rho_lo * rho_hi) * g[3][j_pair]
        return np.sum(total, axis=2)

    m1c = apply(gram, False)
    err = float(np.max(apply(np.abs(gram_error), True))) if gram_error is not None else 0.0
    return m1c, err
