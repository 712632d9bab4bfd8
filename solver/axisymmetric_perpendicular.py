"""The field multipoles of a wave vector perpendicular to B0 on the helix, by one FFT per multipole.

For k = (k, 0, 0) (2D turbulence, k_par = 0) the position seen at look-back s is A(s)^T k = k sigma(s) n(s)
with sigma = 2 sin(Omega s/2)/Omega and n = (cos(Omega s/2), -sin(Omega s/2), 0) in the plane
perpendicular to B0, so the plane-wave expansion of e^{i k.r(s)} (crmix.derive.axisymmetric,
``perpendicular_multipoles``) gives, with u = Omega s/2, x = 2k/Omega and U = Omega dT/2,

    w^q_{LN} = 4 pi (-i)^L Y_L^N(pi/2, 0) (2/Omega) I_{L, N - 2q},   I_{L,m} = int_0^U e^{imu} j_L(x sin u) du.

Y_L^N(pi/2, 0) vanishes unless L + N is even, and then e^{imu} j_L(x sin u) has the period pi: over the
n_p full half-turns in [0, U] I_{L,m} = n_p pi g_{L,-m} + int_0^delta e^{imu} j_L(x sin u) du, with
g_{L,p} the Fourier coefficients of j_L(x sin u) (band-limited to |p| <~ x + 12 x^(1/3)) and
delta = U - n_p pi; the rest is sum_p g_{L,p} h(m + p), h(n) = int_0^delta e^{inu} du, a correlation
done by FFT.  The cost is O(L_max (x + L_max) log) per wave vector, against O(L_max^2 (x + L_max)) for
the mu projection of crmix.solver.axisymmetric_orbits that it replaces on this line.

j_L(y) for all L <= L_max comes from the upward recurrence where it is stable (L < |y|) and from
Miller's downward recurrence, normalised by sum_L (2L+1) j_L^2 = 1, where it is not.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy import fft, special

__all__ = ["perpendicular_multipoles", "spherical_bessel_table"]

#: Multipoles above the largest needed that start Miller's recurrence (j_L falls like y^L/(2L+1)!! beyond L ~ |y|).
MILLER_MARGIN = 40


def spherical_bessel_table(lmax: int, y: np.ndarray) -> np.ndarray:
    """j_L(y), L = 0..lmax, shape (lmax + 1, len(y)), for real y (module docstring)."""
    y = np.asarray(y, dtype=float)
    ay = np.abs(y)
    out = np.zeros((lmax + 1, y.size))
    high = np.nonzero(ay >= lmax + 1.0)[0]  # the upward recurrence is stable for every L <= lmax < |y|
    if high.size:
        yb = ay[high]
        up = np.empty((lmax + 1, high.size))
        up[0] = np.sin(yb) / yb
        if lmax >= 1:
            up[1] = np.sin(yb) / yb**2 - np.cos(yb) / yb
            for ell in range(1, lmax):
                up[ell + 1] = (2 * ell + 1) / yb * up[ell] - up[ell - 1]
        out[:, high] = up
    low = np.nonzero(ay < lmax + 1.0)[0]
    if low.size:  # Miller: downward from lmax + MILLER_MARGIN (+ |y|), normalised by sum (2L+1) j_L^2 = 1
        top = lmax + MILLER_MARGIN
        ys = ay[low]
        safe = np.where(ys > 0, ys, 1.0)
        f_next, f = np.zeros(low.size), np.ones(low.size)
        miller = np.zeros((lmax + 1, low.size))
        norm = np.zeros(low.size)
        for ell in range(top, 0, -1):
            if ell <= lmax:
                miller[ell] = f
            norm += (2 * ell + 1) * f * f
            f_next, f = f, (2 * ell + 1) / safe * f - f_next
            if np.any(np.abs(f) > 1e100):  # keep the unnormalised values and their squares finite
                scale = np.where(np.abs(f) > 1e100, 1e-100, 1.0)
                f, f_next, miller, norm = f * scale, f_next * scale, miller * scale, norm * scale * scale
        miller[0] = f
        norm += f * f
        j0 = np.where(ys > 1e-8, np.sin(safe) / safe, 1.0)
        j1 = np.where(ys > 1e-8, np.sin(safe) / safe**2 - np.cos(safe) / safe, ys / 3.0)
        first = np.abs(j0) > np.abs(j1)
        sign = np.sign(np.where(first, miller[0] * j0, miller[1] * j1))
        miller = miller * (sign / np.sqrt(norm))
        miller[:, ys == 0] = 0.0
        miller[0, ys == 0] = 1.0
        out[:, low] = miller
    odd = (np.arange(lmax + 1) % 2 == 1)[:, None]
    return np.where(odd & (y < 0)[None, :], -out, out)


@lru_cache(maxsize=4)
def _equator_harmonics(lmax: int) -> np.ndarray:
    """Y_L^N(pi/2, 0) for N = -L_max..L_max, shape (L_max + 1, 2 L_max + 1) (Condon-Shortley)."""
    y = special.sph_legendre_p_all(lmax, lmax, np.array([0.5 * math.pi]))[0][:, :, 0]
    order = [n % y.shape[1] for n in range(-lmax, lmax + 1)]
    return y[:, order]


def perpendicular_multipoles(k_perp: float, dt: float, omega: float, lmax_field: int) -> np.ndarray:
    """w^q_{LN} (shape (3, L_max + 1, 2 L_max + 1), q = -1, 0, 1; N = -L_max..L_max) of the mode k = (k_perp, 0, 0)."""
    x, big_u = 2.0 * k_perp / omega, 0.5 * omega * dt
    n_half = int(big_u // math.pi)
    delta = big_u - n_half * math.pi
    band = int(x + 12.0 * x ** (1.0 / 3.0) + 24)
    n = fft.next_fast_len(2 * band + 2)
    u = 2.0 * math.pi * np.arange(n) / n
    g = fft.fft(spherical_bessel_table(lmax_field, x * np.sin(u)), axis=1) / n  # g[L, p mod n]
    m_max = lmax_field + 2
    m = np.arange(-m_max, m_max + 1)
    # sum_p g_p h(m + p), p in [-n/2, n/2): correlation of A[i] = g_{i - n/2} with B[t] = h(t - n/2 - m_max)
    size = fft.next_fast_len(n + 2 * m_max + 1)
    a = np.zeros((lmax_field + 1, size), dtype=complex)
    a[:, :n] = np.roll(g, n // 2, axis=1)
    t = np.arange(n + 2 * m_max + 1) - n // 2 - m_max
    safe = np.where(t == 0, 1, t)
    b = np.zeros(size, dtype=complex)
    b[: t.size] = np.where(t == 0, delta, (np.exp(1j * safe * delta) - 1.0) / (1j * safe))
    partial = fft.ifft(fft.fft(b)[None, :] * np.conj(fft.fft(np.conj(a), axis=1)), axis=1)[:, : 2 * m_max + 1]
    full = math.pi * n_half * g[:, (-m) % n]
    integral = full + partial  # I_{L, m}, m = -m_max..m_max
    ell = np.arange(lmax_field + 1)
    pref = 4.0 * math.pi * (2.0 / omega) * (-1j) ** ell[:, None] * _equator_harmonics(lmax_field)  # (L, N)
    big_n = np.arange(-lmax_field, lmax_field + 1)
    return np.stack([pref * integral[:, big_n - 2 * q + m_max] for q in (-1, 0, 1)])
