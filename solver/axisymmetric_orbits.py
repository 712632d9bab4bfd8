"""What one wave vector does along the unperturbed orbits: the (1c) field multipoles and the (1a) density.

For a mode k = (k_perp, 0, k_par) (azimuth psi = 0; crmix.spectral_tensors) seen by a particle that
arrives in direction p = (sqrt(1 - mu^2) cos phi, sqrt(1 - mu^2) sin phi, mu) and is traced back
by the look-back time s (docs/physics.md: r(s) = -int_0^s Rot(u) p du, Rot(s) = R_z(Omega s)):

(1c): the insertion -i omega.L at look-back s, rotated into the frame of the observed direction,
is sum_q (-1)^q omega_q W_q(p) L_{-q} in spherical components q (the bilinear form in omega_q
carries the tensor), with the field seen over the interval

    W_q(p) = int_0^dT ds e^{i k.r_p(s)} e^{-i q Omega s} = sum_{L, N} w^q_{L N} Y_L^N(p).

Helix (Omega > 0).  k.r_p(s) = -k_par mu s - z [sin(phi + Omega s) - sin phi], z = k_perp
sqrt(1 - mu^2)/Omega; the Jacobi-Anger expansion e^{-i z sin a} = sum_n J_n(z) e^{-i n a} gives

    W_q = sum_N e^{i N phi} W_q^N(mu),  W_q^N = sum_n J_n(z) J_{n+N}(z) dT h_a(-(k_par mu + (n+q) Omega) dT),

h_a(x) = int_0^1 e^{i x u} du, and w^q_{L N} = 2 pi int dmu Y_L^N(theta, 0) W_q^N(mu) by
Gauss-Legendre in mu.  Y_L^N J_n J_{n+N} is a polynomial in mu times powers of (1 - mu^2)
with an even total (J_n ~ z^|n|), so the mu rule converges like one for a band-limited function of
bandwidth L + 2 k_perp/Omega + |k_par| dT (the node count below); the Bessel sum is cut where
|J_n(z)| < 1e-17 (``bessel_cut``).

Straight lines (Omega = 0): r_p(s) = -s p and the plane-wave expansion gives
w_{L N} = 4 pi (-i)^L a_L(k) Y_L^{N*}(k^) for every q, a_L = int_0^dT j_L(k s) ds (KPM (48) at
Omega = 0, crmix.solver.integrals).

(1a): M^(1a)_{l l} = -l(l+1) Lambda with (the m sum by the transverse Unsold identity
sum_m Y_l^m* L_a L_b Y_l^m = l(l+1)(2l+1)/(8 pi) (delta_ab - p_a p_b))

    Lambda = (1/8 pi) int dp int_0^dT dT' int_0^T' dtau [Tr(S R_z(Omega tau)) - p(s2).S.p(s1)] e^{i k.(r(s2) - r(s1))},

tau = s1 - s2.  On the helix, with p(s)_i = sum_a pi_{ia} e^{i a (phi + Omega s)} and the
Jacobi-Anger sums, the phi average leaves

    Lambda = (1/4) int dmu sum_n { J_n^2 sum_b T_b H(n + b) - sum_{a,b} Pi_ab J_n J_{n-a-b} H(n - a) },

H(m) = dT^2 h_lambda((k_par mu + m Omega) dT), T_{+-1} = (S_xx + S_yy)/2 +- (S_xy - S_yx)/(2i),
T_0 = S_zz, Pi_ab = sum_ij pi_ia S_ij pi_jb (pi_{., +-1} = sqrt(1-mu^2) (1, -+i, 0)/2,
pi_{., 0} = (0, 0, mu)).  On straight lines
Lambda = (1/2) [Tr S ((2/3) b_0 - (1/3) b_2) + k^.S.k^ b_2], b_l = int_0^dT (dT - tau) j_l(k tau) dtau.
The identities are registered checks in crmix.derive.axisymmetric.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import fft, special

from crmix.generated import integrands as gen
from crmix.solver.integrals import time_factors

__all__ = ["Multipoles", "bessel_cut", "helix_multipoles", "mu_nodes", "straight_multipoles"]

#: Q-index spherical components: q = -1, 0, +1 in this order along every q axis.
Q_VALUES = (-1, 0, 1)


@dataclass(frozen=True)
class Multipoles:
    """w^q_{L N} (shape (3, L_max+1, 2 n_eff+1), N = -n_eff..n_eff; zero beyond) and Lambda of one wave vector."""

    w: np.ndarray
    n_eff: int
    lambda_density: float


def bessel_cut(z: float) -> int:
    """Largest |n| kept in the Jacobi-Anger sum at argument z: |J_n(z)| <= (z/2)^n/n! < 1e-17 beyond it,
    or, for large z, n > z + 12 z^(1/3) (the Airy tail of the turning point n = z)."""
    if z <= 0:
        return 0
    n = 1
    while n * math.log(z / 2.0) - math.lgamma(n + 1.0) > math.log(1e-17):
        n += 1
        if n > z + 12.0 * z ** (1.0 / 3.0) + 4.0:
            break
    return n


def mu_nodes(lmax_field: int, k_par: float, k_perp: float, dt: float, omega: float) -> int:
    """Gauss-Legendre nodes in mu for the helix projection (module docstring), rounded up to 16."""
    band = 2.0 * k_perp / omega + abs(k_par) * dt
    n = (lmax_field + band + 12.0 * max(band, 1.0) ** (1.0 / 3.0)) / 2.0 + 16.0
    return int(16 * math.ceil(n / 16.0))


@lru_cache(maxsize=16)
def _gauss(n: int) -> tuple[np.ndarray, np.ndarray]:
    return special.roots_legendre(n)


@lru_cache(maxsize=3)
def _harmonics_table(n_mu: int, lmax_field: int, n_max: int) -> np.ndarray:
    """2 pi w_j Y_L^N(theta_j, 0), shape (2 n_max+1, L+1, n_mu) for N = -n_max..n_max (Condon-Shortley)."""
    mu, wts = _gauss(n_mu)
    y = special.sph_legendre_p_all(lmax_field, n_max, np.arccos(mu))[0]  # (L, 2 n_max + 1 wrapped, j)
    order = [n % y.shape[1] for n in range(-n_max, n_max + 1)]
    table = np.ascontiguousarray(np.transpose(y[:, order, :], (1, 0, 2)))  # (N, L, j)
    return table * (2.0 * math.pi * wts)


def _bessel_nonnegative(n_max: int, z: np.ndarray) -> np.ndarray:
    """J_n(z) for n = 0..n_max, shape (n_max+1, len(z)), as the Jacobi-Anger coefficients of e^{i z sin theta}.

    J_n(z) = (1/M) sum_m e^{i z sin theta_m} e^{-i n theta_m}, theta_m = 2 pi m / M, is the
    trapezoidal rule of Bessel's integral, exact up to the aliased J_{M - n}(z); with
    M >= 2 n_max + 8 that is below the cut's 1e-17 (scipy's jv is slow at large order).
    """
    if n_max == 0:
        return special.j0(z)[None, :]
    size = fft.next_fast_len(2 * n_max + 8)
    theta = 2.0 * math.pi * np.arange(size) / size
    coeff = fft.fft(np.exp(1j * np.sin(theta)[:, None] * z[None, :]), axis=0) / size
    return coeff[: n_max + 1].real


def _bessel_rows(n_max: int, pad: int, z: np.ndarray) -> np.ndarray:
    """J_n(z) for n = -(n_max + pad) .. n_max + pad, shape (2(n_max + pad)+1, len(z)); zero past n_max."""
    pos = _bessel_nonnegative(n_max, z)
    sign = np.where(np.arange(n_max + 1) % 2 == 0, 1.0, -1.0)[:, None]
    rows = np.zeros((2 * (n_max + pad) + 1, z.shape[0]))
    rows[pad + n_max: pad + 2 * n_max + 1] = pos
    rows[pad: pad + n_max + 1] = (sign * pos)[::-1]
    return rows


def _lambda_helix(bes: np.ndarray, n_max: int, mu: np.ndarray, wts: np.ndarray, k_par: float,
                  dt: float, omega: float, s_cart: np.ndarray) -> float:
    """Lambda of one mode on the helix (module docstring); ``bes`` holds J_n for |n| <= n_max + 2."""
    st = np.sqrt(np.maximum(1.0 - mu * mu, 0.0))
    m = np.arange(-n_max - 1, n_max + 2)
    hl = dt * dt * gen.h_lambda((k_par * mu[None, :] + m[:, None] * omega) * dt, np)  # H(m), (m, j)
    width = 2 * n_max + 1
    h_shift = sliding_window_view(hl, width, axis=0)  # [b + 1, j, n + n_max] = H(n + b)
    j_shift = sliding_window_view(bes, width, axis=0)  # [s + 2, j, n + n_max] = J_{n + s}
    j_n = j_shift[2]  # (j, n)
    s = s_cart
    trace_terms = np.array([(s[0, 0] + s[1, 1]) / 2 - (s[0, 1] - s[1, 0]) / 2j, s[2, 2],
                            (s[0, 0] + s[1, 1]) / 2 + (s[0, 1] - s[1, 0]) / 2j])  # T_b, b = -1, 0, 1
    total = np.einsum("b,jn,bjn->j", trace_terms, j_n * j_n, h_shift)
    zero = np.zeros_like(mu)
    pi_vec = np.array([[st / 2, 1j * st / 2, zero], [zero, zero, mu], [st / 2, -1j * st / 2, zero]])  # (a, i, j)
    pair = np.einsum("aij,ik,bkj->abj", pi_vec, s, pi_vec)  # Pi_ab(mu_j)
    a = np.arange(3)[:, None]
    sums = np.einsum("jn,abjn,ajn->abj", j_n, j_shift[2 - (a - 1) - (a.T - 1)], h_shift[2 - a[:, 0]])
    total = total - np.einsum("abj,abj->j", pair, sums)
    return float(0.25 * np.sum(wts * total).real)


def _correlate(a_q: np.ndarray, j_n: np.ndarray, n_eff: int) -> np.ndarray:
    """W[N, j, q] = sum_n a_q[q, n, j] J_{n+N}(z_j), N = -n_eff..n_eff, by FFT along n.

    The linear correlation lives on |N| <= 2 n_max = width - 1; a period of width + n_eff keeps its
    aliases out of |N| <= n_eff.
    """
    width = j_n.shape[0]
    size = fft.next_fast_len(width + n_eff + 1)
    x = fft.fft(j_n, size, axis=0)  # (f, j)
    y = fft.ifft(a_q, size, axis=1) * size  # (q, f, j): sum_n a[n] e^{+i w n}
    c = fft.ifft(x[None, :, :] * y, axis=1)  # c[q, N mod size, j]
    idx = np.arange(-n_eff, n_eff + 1) % size
    return np.transpose(c[:, idx, :], (1, 2, 0))


def helix_multipoles(k_par: float, k_perp: float, s_cart: np.ndarray, dt: float, omega: float,
                     lmax_field: int) -> Multipoles:
    """w^q_{L N}, L <= lmax_field, and Lambda of the mode (k_par, k_perp) with density ``s_cart`` on the helix."""
    n_max = bessel_cut(k_perp / omega)
    n_mu = mu_nodes(lmax_field, k_par, k_perp, dt, omega)
    mu, wts = _gauss(n_mu)
    z = k_perp * np.sqrt(np.maximum(1.0 - mu * mu, 0.0)) / omega
    bes = _bessel_rows(n_max, 2, z)
    n_eff = min(lmax_field, 2 * n_max)
    lam = _lambda_helix(bes, n_max, mu, wts, k_par, dt, omega, s_cart)

    m = np.arange(-n_max - 1, n_max + 2)
    ha = dt * gen.h_a(-(k_par * mu[None, :] + m[:, None] * omega) * dt, np)  # H_a(m), (m, j)
    j_n = bes[2: 2 + 2 * n_max + 1]  # J_n, n = -n_max..n_max
    a_q = np.stack([j_n * ha[1 + q: 1 + q + 2 * n_max + 1] for q in Q_VALUES])  # (q, n, j)
    w_field = _correlate(a_q, j_n, n_eff) if n_max else a_q[:, 0, :].T[None]  # W_q^N(mu_j), (N, j, q)
    n_tab = min(lmax_field, 8 * math.ceil(n_eff / 8))  # a few table sizes serve every node
    table = _harmonics_table(n_mu, lmax_field, n_tab)[n_tab - n_eff: n_tab + n_eff + 1]  # (N, L, j)
    pairs = np.ascontiguousarray(w_field).view(float)  # (N, j, 2q): real and imaginary parts side by side
    w = np.matmul(table, pairs).view(complex)  # (N, L, q), without promoting the table to complex
    return Multipoles(w=np.ascontiguousarray(np.transpose(w, (2, 1, 0))), n_eff=n_eff, lambda_density=lam)


@lru_cache(maxsize=64)
def _direction_harmonics(lmax_field: int, c: float) -> np.ndarray:
    """Y_L^N(theta_k, 0) for N = -L_max..L_max, shape (L+1, 2 L_max+1)."""
    y = special.sph_legendre_p_all(lmax_field, lmax_field, np.array([math.acos(c)]))[0][:, :, 0]
    order = [n % y.shape[1] for n in range(-lmax_field, lmax_field + 1)]
    return y[:, order]


def straight_multipoles(k: float, c: float, s_cart: np.ndarray, dt: float, lmax_field: int) -> Multipoles:
    """w_{L N} (the same for every q) and Lambda of the mode (k, c) on straight lines (module docstring)."""
    a_time, b_time, _ = time_factors(max(lmax_field, 2), np.array([k * dt]), 0.0, with_lambda=True)
    ell = np.arange(lmax_field + 1)
    a_l = dt * a_time[ell, 0]
    w1 = 4.0 * math.pi * ((-1j) ** ell * a_l)[:, None] * _direction_harmonics(lmax_field, float(c))
    b0, b2 = dt * dt * b_time[0, 0].real, dt * dt * b_time[2, 0].real
    kh = np.array([math.sqrt(max(1.0 - c * c, 0.0)), 0.0, c])
    trace = float(np.trace(s_cart).real)
    longitudinal = float((kh @ s_cart @ kh).real)
    lam = 0.5 * (trace * (2.0 * b0 / 3.0 - b2 / 3.0) + longitudinal * b2)
    return Multipoles(w=np.broadcast_to(w1, (3,) + w1.shape).copy(), n_eff=lmax_field, lambda_density=lam)
