"""nu(+-|mu|) of a full-support tensor component: the harmonic resonances below k_s, their straight-line continuum above.

The rate (crmix.qlt_axisymmetric, docs/physics.md "QLT for axisymmetric turbulence"; units of Omega)
----------------------------------------------------------------------------------------------------
nu(mu) = (pi/|mu|) sum_N int dk/k C_N(k, c_N),  c_N = -N Omega/(k mu): harmonic N resonates on the
line k_par = |N| Omega/|mu| of the (k_par, k_perp) plane.  Along that line dk/k = k_perp dk_perp/k^2,
and the Bessel weights oscillate with period pi Omega/sin(theta) in k_perp (z = k_perp sin(theta)/Omega).
The harmonic sum is integrated in k_perp, in Gauss-Legendre panels at most four periods of J_N(z)^2 and
0.5 in ln k wide (in k the onset k = |N| Omega/|mu| is a square-root point: J_N(z) changes on a
k-scale |mu|/(2 N Omega) there, far below a period, which panels in k do not resolve).  One Bessel
evaluation serves N and -N and both signs of mu: J_{-N} = (-1)^N J_N and z depends on c^2 only; z
does not depend on N either, so the harmonics share one grid, and where the Bessel period alone sets
the panels (|mu| < 1/(8 pi): the spectrum varies slower) one table of J_n on z panels serves every mu.

The continuum above k_s
-----------------------
Where k |mu| >> Omega the resonances crowd (spacing Omega/|mu| in k_par) and the sum tends to the
straight-line limit, the gyrophase average of pi delta(k.v) with e_a fixed:

    sum_N J_N(z)^2 delta(k_par mu + N Omega) -> (1/pi) / sqrt(z^2 Omega^2 - (k_par mu)^2),

(J_N'^2 and (N J_N/z)^2 take the weights sin^2 a and cos^2 a of the same average).  With c = sin(theta)
sin(phi) the edge |c| = sin(theta) of the resonant cone becomes regular (derive/qlt_continuum.py):

    nu_cont(mu) = int dk/k int_{-pi/2}^{pi/2} dphi [S_xx cos^2 phi + mu^2 sin^2 phi S_yy] / (1 - c^2),

which for isotropic turbulence (S = E (delta - k^ k^)/4) is (pi/8) int E/k dk at every mu, the
straight-line rate of MA19.  The helicity term Im S_xy is odd in the charge and drops out at this order.
crmix splits the band at the shell k_s = K Omega/|mu| (K = ``harmonics``): the exact sum below,
the continuum above.  The continuum's error falls faster than K^-3 (its corrections oscillate in k
with period Omega/|mu| and cancel against the smooth spectrum); crmix.qlt_axisymmetric estimates
it from the same integral at K/2.  ``harmonics=None`` sums every harmonic over the whole band (the
reference; its cost grows like (k_max/Omega)^2 per mu).
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
from scipy import special

from crmix.spectral_tensors import TensorComponent

__all__ = ["HARMONICS", "continuum_rate", "full_support_rates", "harmonic_rates"]

#: K: harmonics below the split shell k_s = K Omega/|mu| are summed exactly (module docstring).
HARMONICS = 32
#: Gauss nodes per panel (<= 4 periods of J_N(z)^2) of the k_perp integrals (tests check them against twice as many).
NODES = 16
#: Gauss nodes in phi of the continuum's direction integral and per ln k panel of its k integral.
_PHI_NODES = 24


@cache
def _legendre(nodes: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(nodes)  # type: ignore[no-any-return]


def _gauss(edges: list[float], nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on the panels between ``edges``."""
    x, w = _legendre(nodes)
    e = np.asarray(edges)
    half = 0.5 * np.diff(e)
    return ((e[:-1] + half)[:, None] + half[:, None] * x[None, :]).ravel(), (half[:, None] * w[None, :]).ravel()


def _edges(lo: float, hi: float, breaks: list[float], width: float, scale: float) -> list[float]:
    """Panel edges on [lo, hi] through ``breaks``, each panel <= ``width`` and <= 0.5 max(k_perp, scale) wide."""
    edges = [lo]
    for stop in sorted({b for b in breaks if lo < b < hi} | {hi}):
        while edges[-1] < stop:
            edges.append(min(edges[-1] + min(width, 0.5 * max(edges[-1], scale)), stop))
    return edges


def _combine(component: TensorComponent, n: np.ndarray, kp: np.ndarray, wt: np.ndarray, d: np.ndarray, r: np.ndarray,
             amu: float, omega: float) -> tuple[float, float]:
    """(pi/|mu|) sum of C_{+-N} dk/k over the nodes, for mu = |mu| and -|mu| (module docstring)."""
    k_par = n * omega / amu
    k = np.hypot(k_par, kp)
    gamma = k_par / k
    s_plus, s_minus = np.split(np.asarray(component.density(np.concatenate([k, k]), np.concatenate([gamma, -gamma]), np),
                                          dtype=complex), 2)
    # N > 0 with mu > 0 resonates at c = -gamma, -N at +gamma; for -|mu| the other way round.
    even = (s_plus[:, 0, 0].real + s_minus[:, 0, 0].real) * d * d + (s_plus[:, 1, 1].real + s_minus[:, 1, 1].real) * r * r
    odd = 2.0 * (s_minus[:, 0, 1].imag - s_plus[:, 0, 1].imag) * d * r
    measure = wt * kp / (k * k)  # dk/k = k_perp dk_perp / k^2
    scale = math.pi / amu
    return scale * float(np.sum(measure * (even + odd))), scale * float(np.sum(measure * (even - odd)))


@cache
def _transit_time_weight(component: TensorComponent) -> bool:
    """Whether S_xx(k, c = 0) != 0 on the band: the N = 0 (transit-time) resonance has weight S_xx J_1(z)^2.

    Divergence-free isotropic turbulence has S_xx = c^2 E/4: no N = 0 term (crmix.qlt_axisymmetric).
    """
    k = np.geomspace(component.kmin, component.kmax, 17)
    return bool(np.any(np.asarray(component.density(k, np.zeros_like(k), np))[:, 0, 0] != 0))


def _bessel(order: np.ndarray, z: np.ndarray) -> np.ndarray:
    """J_order(z) by scipy.special: j0 and j1 (six times faster than jv) for the first two orders."""
    values = np.empty(z.shape)
    for n, j_n in ((0, special.j0), (1, special.j1)):
        values[order == n] = j_n(z[order == n])
    values[order > 1] = special.jv(order[order > 1], z[order > 1])
    return values


#: Width in z of the shared panels where the Bessel period sets them (four periods of J_N(z)^2).
_Z_PANEL = 4.0 * math.pi


@cache
def _z_table(nodes: int, panels: int, orders: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gauss nodes and weights on the z panels [j, j + 1] _Z_PANEL, j < ``panels``, and J_n there for n < ``orders``."""
    z, w = _gauss(list(_Z_PANEL * np.arange(panels + 1)), nodes)
    table = _bessel(np.repeat(np.arange(orders), z.size), np.tile(z, orders)).reshape(orders, z.size)
    return z, w, table


def _shared_z_nodes(z_hi: np.ndarray, nodes: int) -> tuple[np.ndarray, ...]:
    """(N, z, weight, J_{N-1}, J_{N+1}) for harmonics N = 1 .. len(z_hi) on z in [0, z_hi[N - 1]].

    The whole panels come from one table shared by every mu (``_z_table``, sizes rounded up so that
    few are made); each harmonic's last, partial panel gets its own nodes.
    """
    harmonics = np.arange(1, z_hi.size + 1)
    whole = np.floor(z_hi / _Z_PANEL).astype(int)
    panels = 1 << max(int(whole.max()), 1).bit_length()
    z_tab, w_tab, table = _z_table(nodes, panels, 16 * (-(-(z_hi.size + 2) // 16)))
    counts = whole * nodes
    n_whole = np.repeat(harmonics, counts)
    idx = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    start = _Z_PANEL * whole
    part = z_hi > start
    half = 0.5 * (z_hi - start)[part]
    x, w = _legendre(nodes)
    z_part = ((start[part] + half)[:, None] + half[:, None] * x[None, :]).ravel()
    n_part = np.repeat(harmonics[part], nodes)
    return (np.concatenate([n_whole, n_part]), np.concatenate([z_tab[idx], z_part]),
            np.concatenate([w_tab[idx], (half[:, None] * w[None, :]).ravel()]),
            np.concatenate([table[n_whole - 1, idx], _bessel(n_part - 1, z_part)]),
            np.concatenate([table[n_whole + 1, idx], _bessel(n_part + 1, z_part)]))


def harmonic_rates(component: TensorComponent, amu: float, omega: float, k_cap: float,
                   nodes: int = NODES) -> tuple[float, float]:
    """(nu(|mu|), nu(-|mu|)) from every harmonic resonance with k in [kmin, min(kmax, k_cap)] (module docstring).

    The harmonics N >= 1 share one k_perp grid (z does not depend on N), broken at each one's ends, so
    that each J_n(z) at a node is evaluated once for N = n - 1 and N = n + 1.
    """
    k_hi = min(component.kmax, k_cap)
    st = math.sqrt(max(1.0 - amu * amu, 0.0))
    width = 4.0 * math.pi * omega / max(st, 1e-3)  # four periods of J_N(z)^2
    plus = minus = 0.0
    if k_hi > component.kmin and _transit_time_weight(component):  # N = 0: c = 0, k = k_perp; _combine counts it twice
        kp, wt = _gauss(_edges(component.kmin, k_hi, [], width, component.kmin), nodes)
        zero = np.zeros_like(kp)
        plus, minus = _combine(component, zero, kp, 0.5 * wt, -special.j1(kp * st / omega), zero, amu, omega)
    n_top = int(math.floor(k_hi * amu / omega))
    if n_top < 1:
        return plus, minus
    harmonics = np.arange(1, n_top + 1)
    k_par = harmonics * omega / amu
    lo = np.sqrt(np.maximum(component.kmin**2 - k_par**2, 0.0))
    hi = np.sqrt(np.maximum(k_hi**2 - k_par**2, 0.0))
    if 0.5 * omega / amu >= width and not np.any(lo > 0):  # panels set by the Bessel period alone: share them
        big_n, z, wz, j_minus, j_plus = _shared_z_nodes(hi * st / omega, nodes)
        kp, wt = z * omega / st, wz * omega / st
    else:
        kp_all, wt_all = _gauss(_edges(0.0, float(hi[0]), [*lo, *hi], width, omega / amu), nodes)
        active = (kp_all[None, :] >= lo[:, None]) & (kp_all[None, :] <= hi[:, None])  # (N - 1, node)
        needed = np.zeros((n_top + 2, kp_all.size), dtype=bool)  # J_n at a node, n = 0 .. n_top + 1
        needed[:-2] |= active
        needed[2:] |= active
        order, node = np.nonzero(needed)
        bessel = np.zeros(needed.shape)
        bessel[order, node] = _bessel(order, kp_all[node] * st / omega)
        big_n, node = np.nonzero(active)
        big_n += 1
        kp, wt, j_minus, j_plus = kp_all[node], wt_all[node], bessel[big_n - 1, node], bessel[big_n + 1, node]
    p, m = _combine(component, big_n, kp, wt, 0.5 * (j_minus - j_plus), 0.5 * (j_minus + j_plus), amu, omega)
    return plus + p, minus + m


def continuum_rate(component: TensorComponent, amu: float, k_lo: float) -> float:
    """The straight-line rate of the shells k in [max(kmin, k_lo), kmax] (module docstring); even in mu."""
    k_lo = max(component.kmin, k_lo)
    if k_lo >= component.kmax:
        return 0.0
    st = math.sqrt(max(1.0 - amu * amu, 0.0))
    x, w = _legendre(_PHI_NODES)
    phi, w_phi = 0.5 * math.pi * x, 0.5 * math.pi * w
    c = st * np.sin(phi)
    n_ln = max(1, math.ceil(math.log(component.kmax / k_lo) / 0.5))
    t, wt = _gauss(list(np.linspace(math.log(k_lo), math.log(component.kmax), n_ln + 1)), NODES)
    kk, cc = np.meshgrid(np.exp(t), c, indexing="ij")
    s = np.asarray(component.density(kk, cc, np), dtype=complex)
    weight = (s[..., 0, 0].real * np.cos(phi) ** 2 + amu * amu * np.sin(phi) ** 2 * s[..., 1, 1].real) / (1.0 - cc * cc)
    return float(wt @ weight @ w_phi)  # dk/k = d ln k


def full_support_rates(component: TensorComponent, amu: float, omega: float, harmonics: int | None,
                       nodes: int = NODES) -> tuple[float, float]:
    """(nu(|mu|), nu(-|mu|)): harmonics below k_s = ``harmonics`` Omega/|mu|, the continuum above (module docstring)."""
    if harmonics is None:
        return harmonic_rates(component, amu, omega, math.inf, nodes)
    k_split = harmonics * omega / amu
    plus, minus = harmonic_rates(component, amu, omega, k_split, nodes)
    rest = continuum_rate(component, amu, k_split)
    return plus + rest, minus + rest
