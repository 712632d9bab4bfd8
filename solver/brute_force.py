"""M^(1a) and M^(1c) straight from their defining integrals, for any correlation tensor and orbit.

This is the independent check of the closed forms in :mod:`crmix.solver.mixing` and the slow
fallback for a turbulence geometry that has no reduction yet.  It evaluates KPM (17) with the
(1a) operator KPM (30) / MA19 (3.13) (time-ordered) and the (1c) operator KPM (41), (46) /
MA19 (3.18) (full square, the two insertions sit on different particles):

    M^(1a)_{l l0} = (2l0+1)/(16 pi^2) int dpA dpB P_l(x) C_ab(pA)     [K^A_a K^A_b P_l0](x),
    M^(1c)_{l l0} = (2l0+1)/(16 pi^2) int dpA dpB P_l(x) D_ab(pA, pB) [K^A_a K^B_b P_l0](x),

x = pA.pB, K = p x d_p = i L (docs/physics.md), with the field correlations seen along the backward
orbits, rotated into the frame of the observed direction by the free propagator (Hadamard lemma
KPM (42)-(43): U0 L U0^-1 = Rot L, so omega.L becomes (Rot^T omega).L):

    C_ab(p)      = int_0^dT ds1 int_0^s1 ds2 [Rot(s2)^T R(r(s2) - r(s1)) Rot(s1)]_ab,
    D_ab(pA, pB) = int_0^dT dsA int_0^dT dsB [RotA(sA)^T R(rA(sA) - rB(sB)) RotB(sB)]_ab.

Here s is the look-back time t - t', r(s) the position and Rot(s) the rotation with
p-hat(t - s) = Rot(s) p-hat of the unperturbed orbit, and R_ij(dr) = <omega_i(x + dr) omega_j(x)>
is the two-point function of the turbulent gyrovector (with the k integral inside it).  The
angular-momentum operators act on P_l0 analytically (L is tangential, so the 3-vector form
P(pA.pB) may be differentiated):

    K^A_a K^A_b P(x) = (pB_a pA_b - delta_ab x) P'(x) + (pA x pB)_a (pA x pB)_b P''(x),
    K^A_a K^B_b P(x) = (delta_ab x - pB_a pA_b) P'(x) - (pA x pB)_a (pA x pB)_b P''(x).

Quadrature: Gauss-Legendre in mu_A, mu_B and the times, the trapezoidal rule (exact for trigonometric
polynomials) in the azimuth phi_B; phi_A = 0 by the symmetry about B0 ("axial"), or p_A = z and no
azimuth at all for rotation-invariant statistics and orbits ("spherical").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.polynomial import legendre
from scipy import special

__all__ = [
    "BruteForceResult",
    "brute_force_mixing",
    "helix_orbit",
    "isotropic_white_correlation",
    "slab_correlation",
    "straight_orbit",
    "sum_correlation",
    "two_d_white_correlation",
]

#: R_ij(dr): separations (..., 3) -> tensor (..., 3, 3), R_ij(dr) = <omega_i(x + dr) omega_j(x)>
CorrelationTensor = Callable[[np.ndarray], np.ndarray]
#: (p-hat (..., 3), look-back time s (...)) -> (r(t - s) - r_obs (..., 3), Rot(s) (..., 3, 3))
Orbit = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

#: largest multipole the brute force accepts (its cost grows like l^2 in every angular dimension)
LMAX_BRUTE_FORCE = 3


def helix_orbit(omega: float) -> Orbit:
    """Unperturbed helix in B0 = B0 z for a positive charge (dp/dt = p x Omega; KPM (29) up to the sense).

    Rot(s) = R_z(Omega s) (U0 = exp(i Omega s L_z), docs/physics.md), r(s) = -int_0^s Rot(u) p du.
    """
    if not (math.isfinite(omega) and omega > 0):
        raise ValueError(f"omega must be > 0 for a helix (use straight_orbit for Omega = 0), got {omega!r}")

    def orbit(p: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p, s = np.broadcast_arrays(p, np.asarray(s, dtype=float)[..., None])
        s = s[..., 0]
        c, sn = np.cos(omega * s), np.sin(omega * s)
        rot = np.zeros(s.shape + (3, 3))
        rot[..., 0, 0], rot[..., 0, 1], rot[..., 1, 0], rot[..., 1, 1], rot[..., 2, 2] = c, -sn, sn, c, 1.0
        ic, isn = sn / omega, (1.0 - c) / omega  # int_0^s cos, int_0^s sin
        r = -np.stack([ic * p[..., 0] - isn * p[..., 1], isn * p[..., 0] + ic * p[..., 1], s * p[..., 2]], axis=-1)
        return r, rot

    return orbit


def straight_orbit() -> Orbit:
    """Ballistic orbit without a regular field (MA19): r(s) = -s p, Rot = 1."""

    def orbit(p: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p, s = np.broadcast_arrays(p, np.asarray(s, dtype=float)[..., None])
        return -s * p, np.broadcast_to(np.eye(3), s.shape[:-1] + (3, 3))

    return orbit


def slab_correlation(r_of_z: Callable[[np.ndarray], np.ndarray]) -> CorrelationTensor:
    """Slab: R_ab(dr) = R(dz) delta_ab for a, b in {x, y}, zero otherwise (KPM (28); docs/physics.md)."""

    def tensor(dr: np.ndarray) -> np.ndarray:
        r = r_of_z(dr[..., 2])
        out = np.zeros(dr.shape[:-1] + (3, 3))
        out[..., 0, 0] = r
        out[..., 1, 1] = r
        return out

    return tensor


def _si_diff(k1: float, k2: float, r: np.ndarray, f: Callable[[np.ndarray], np.ndarray],
             series: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """int_{k1}^{k2} dk h(kr) = [F(k2 r) - F(k1 r)]/r with the antiderivative F; a series for small r."""
    small = r * k2 < 1e-2
    rs = np.where(small, 1.0, r)
    big = (f(k2 * rs) - f(k1 * rs)) / rs
    return np.where(small, series(r), big)


def isotropic_white_correlation(g0: float, k1: float, k2: float) -> CorrelationTensor:
    """Isotropic white noise g(k) = g0 on [k1, k2] (MA19 (3.12)), in closed form.

    R_ij(r) = int d^3k g/k^2 (delta_ij - k_i k_j) e^{ik.r}
            = 4 pi int dk g [(j0 - j1/(kr)) delta_ij + j2 r_i r_j],
    with int j0 = Si(x), int j1(x)/x = Si(x)/2 + cos x/(2x) - sin x/(2x^2), j2 = 3 j1/x - j0.
    """

    def si(x: np.ndarray) -> np.ndarray:
        return special.sici(x)[0]

    def f_j1x(x: np.ndarray) -> np.ndarray:
        return si(x) / 2 + np.cos(x) / (2 * x) - np.sin(x) / (2 * x * x)

    def tensor(dr: np.ndarray) -> np.ndarray:
        r = np.sqrt(np.sum(dr * dr, axis=-1))
        # series: int_{k1}^{k2} j0 dk = (k2-k1) - (k2^3-k1^3) r^2/18 + (k2^5-k1^5) r^4/600;
        #         int j1/x dk = (k2-k1)/3 - (k2^3-k1^3) r^2/90 + (k2^5-k1^5) r^4/4200
        d1, d3, d5 = k2 - k1, k2**3 - k1**3, k2**5 - k1**5
        i0 = _si_diff(k1, k2, r, si, lambda r: d1 - d3 * r**2 / 18 + d5 * r**4 / 600)
        i1 = _si_diff(k1, k2, r, f_j1x, lambda r: d1 / 3 - d3 * r**2 / 90 + d5 * r**4 / 4200)
        transverse = i0 - i1  # coefficient of delta_ij
        longitudinal_extra = 3 * i1 - i0  # coefficient of r_i r_j (int j2 = 3 int j1/x - int j0)
        rs = np.where(r > 0, r, 1.0)[..., None]
        rhat = dr / rs
        out = transverse[..., None, None] * np.eye(3) + longitudinal_extra[..., None, None] * rhat[..., :, None] * rhat[..., None, :]
        return 4 * math.pi * g0 * out

    return tensor


def two_d_white_correlation(e0: float, k1: float, k2: float) -> CorrelationTensor:
    """2D turbulence with E(k_perp) = e0 on [k1, k2]: dB perpendicular to B0 = z and to k, a function of x, y.

    With P_ij = delta(k_par) E/(2 pi k_perp) e1_i e1_j, e1 = k^ x z^ (crmix.spectral_tensors), the
    azimuthal integral int dpsi e1 e1 e^{ik.r} = pi [J_0 delta_ab + J_2 (2 r^_a r^_b - delta_ab)]
    gives, for a, b in {x, y} and r the separation perpendicular to z,

        R_ab(r) = (e0 / 2) int_{k1}^{k2} dk [J_0(k r) delta_ab + J_2(k r) (2 r^_a r^_b - delta_ab)].

    The k integral is a Gauss-Legendre sum with (k2 - k1) r_max / 2 + 24 nodes for the largest r
    of the call: the integrand has bandwidth r in k, so that rule is exact to rounding (the tests
    check it against the closed form in Struve functions).
    """

    def tensor(dr: np.ndarray) -> np.ndarray:
        r = np.sqrt(dr[..., 0] ** 2 + dr[..., 1] ** 2)
        n_k = int(math.ceil((k2 - k1) * float(np.max(r, initial=0.0)) / 2.0)) + 24
        x, w = np.polynomial.legendre.leggauss(n_k)
        k = 0.5 * (k2 - k1) * (x + 1.0) + k1
        kr = r[..., None] * k
        j0 = special.j0(kr)
        safe = np.where(kr > 0, kr, 1.0)
        j2 = np.where(kr > 1e-8, 2.0 * special.j1(safe) / safe - j0, kr * kr / 8.0)
        weights = 0.5 * (k2 - k1) * w
        i0, i2 = j0 @ weights, j2 @ weights
        rs = np.where(r > 0, r, 1.0)
        rhat = np.stack([dr[..., 0] / rs, dr[..., 1] / rs], axis=-1)
        out = np.zeros(dr.shape[:-1] + (3, 3))
        eye2 = np.eye(2)
        out[..., :2, :2] = 0.5 * e0 * (i0[..., None, None] * eye2
                                       + i2[..., None, None] * (2 * rhat[..., :, None] * rhat[..., None, :] - eye2))
        return out

    return tensor


def sum_correlation(*terms: tuple[float, CorrelationTensor]) -> CorrelationTensor:
    """sum_i f_i R^(i)(dr): a composite (e.g. slab + 2D with power fractions f_i)."""
    if not terms:
        raise ValueError("sum_correlation needs at least one (fraction, tensor) term")

    def tensor(dr: np.ndarray) -> np.ndarray:
        return sum(f * corr(dr) for f, corr in terms)

    return tensor


@dataclass(frozen=True)
class BruteForceResult:
    """M^(1a) (full (l, l0) matrix: its off-diagonal part must vanish) and M^(1c), l, l0 <= lmax."""

    m1a: np.ndarray
    m1c: np.ndarray


def _legendre_and_derivatives(ell: int, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """P_l, P_l', P_l'' as polynomials (no 1/(1 - x^2) singularity at x = +-1)."""
    c = np.zeros(ell + 1)
    c[ell] = 1.0
    return legendre.legval(x, c), legendre.legval(x, legendre.legder(c, 1)), legendre.legval(x, legendre.legder(c, 2))


def _directions(mu: np.ndarray, phi: np.ndarray) -> np.ndarray:
    st = np.sqrt(np.maximum(1.0 - mu * mu, 0.0))
    return np.stack([st * np.cos(phi), st * np.sin(phi), mu], axis=-1)


def _angular_grid(symmetry: str, n_mu: int, n_phi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes pA, pB (N, 3) and weights (N,) of int dpA dpB with the symmetry applied."""
    mu, wmu = np.polynomial.legendre.leggauss(n_mu)
    if symmetry == "spherical":
        pa = np.broadcast_to(np.array([0.0, 0.0, 1.0]), (n_mu, 3))
        pb = _directions(mu, np.zeros_like(mu))
        return pa, pb, 8 * math.pi**2 * wmu
    phi = 2 * math.pi * np.arange(n_phi) / n_phi
    ma, mb, ph = np.meshgrid(mu, mu, phi, indexing="ij")
    wa, wb, _ = np.meshgrid(wmu, wmu, phi, indexing="ij")
    pa = _directions(ma.ravel(), np.zeros(ma.size))
    pb = _directions(mb.ravel(), ph.ravel())
    return pa, pb, 2 * math.pi * (2 * math.pi / n_phi) * (wa * wb).ravel()


def _operator_kernels(pa: np.ndarray, pb: np.ndarray, lmax: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """P_l(x) (l, N) and the (1a), (1c) operator tensors on P_l0 (l0, N, 3, 3)."""
    x = np.clip(np.sum(pa * pb, axis=-1), -1.0, 1.0)
    cross = np.cross(pa, pb)
    cc = cross[:, :, None] * cross[:, None, :]
    eye = np.eye(3)[None]
    pl, k_aa, k_ab = [], [], []
    for ell in range(lmax + 1):
        p, dp, ddp = _legendre_and_derivatives(ell, x)
        pl.append(p)
        k_aa.append((pb[:, :, None] * pa[:, None, :] - eye * x[:, None, None]) * dp[:, None, None] + cc * ddp[:, None, None])
        k_ab.append((eye * x[:, None, None] - pb[:, :, None] * pa[:, None, :]) * dp[:, None, None] - cc * ddp[:, None, None])
    return np.array(pl), np.array(k_aa), np.array(k_ab)


def brute_force_mixing(correlation: CorrelationTensor, orbit: Orbit, dt: float, lmax: int = LMAX_BRUTE_FORCE, *,
                       symmetry: str = "axial", n_mu: int = 32, n_phi: int = 12, n_t: int = 40,
                       chunk: int = 64) -> BruteForceResult:
    """M^(1a)_{l l0} and M^(1c)_{l l0}, l, l0 <= lmax <= 3, by quadrature of their defining integrals.

    ``symmetry``: "axial" needs statistics and orbits symmetric under rotations about z (slab, helix,
    isotropic); "spherical" needs them invariant under all rotations (isotropic, straight lines).
    ``n_mu``, ``n_phi``, ``n_t``: nodes per direction cosine, azimuth and time.
    """
    if isinstance(lmax, bool) or not isinstance(lmax, (int, np.integer)) or not (0 <= lmax <= LMAX_BRUTE_FORCE):
        raise ValueError(f"lmax must be an integer with 0 <= lmax <= {LMAX_BRUTE_FORCE} for the brute force "
                         f"(its cost grows steeply with l), got {lmax!r}")
    if not (isinstance(dt, (int, float)) and math.isfinite(dt) and dt > 0):
        raise ValueError(f"dt must be a positive, finite number, got {dt!r}")
    if symmetry not in ("axial", "spherical"):
        raise ValueError(f"symmetry must be 'axial' or 'spherical', got {symmetry!r}")
    for name, n in (("n_mu", n_mu), ("n_phi", n_phi), ("n_t", n_t), ("chunk", chunk)):
        if not (isinstance(n, (int, np.integer)) and n >= 1):
            raise ValueError(f"{name} must be an integer >= 1, got {n!r}")

    pa, pb, w_ang = _angular_grid(symmetry, n_mu, n_phi)
    pl, k_aa, k_ab = _operator_kernels(pa, pb, lmax)
    u, wu = np.polynomial.legendre.leggauss(n_t)
    s = 0.5 * dt * (u + 1.0)
    ws = 0.5 * dt * wu

    # (1a): ordered times s2 < s1 (the later insertion, at s2, stands on the left)
    s1 = s[:, None] * np.ones(n_t)[None, :]
    s2 = s[:, None] * 0.5 * (u[None, :] + 1.0)
    w12 = (ws[:, None] * 0.5 * s[:, None] * wu[None, :]).ravel()
    s1, s2 = s1.ravel(), s2.ravel()
    c_ab = np.zeros((pa.shape[0], 3, 3))
    d_ab = np.zeros((pa.shape[0], 3, 3))
    for lo in range(0, pa.shape[0], chunk):
        sl = slice(lo, lo + chunk)
        a = pa[sl, None, :]
        r1, rot1 = orbit(a, s1[None, :])
        r2, rot2 = orbit(a, s2[None, :])
        corr = correlation(r2 - r1)
        c_ab[sl] = np.einsum("xtia,xtij,xtjb,t->xab", rot2, corr, rot1, w12, optimize=True)
        ra, rota = orbit(a, s[None, :])
        rb, rotb = orbit(pb[sl, None, :], s[None, :])
        corr = correlation(ra[:, :, None, :] - rb[:, None, :, :])
        inner = np.einsum("xstij,xtjb,t->xsib", corr, rotb, ws, optimize=True)
        d_ab[sl] = np.einsum("xsia,xsib,s->xab", rota, inner, ws, optimize=True)

    norm = (2 * np.arange(lmax + 1) + 1) / (16 * math.pi**2)
    wa = np.einsum("xab,lxab->lx", c_ab, k_aa)
    wc = np.einsum("xab,lxab->lx", d_ab, k_ab)
    m1a = np.einsum("lx,kx,x->lk", pl, wa, w_ang) * norm[None, :]
    m1c = np.einsum("lx,kx,x->lk", pl, wc, w_ang) * norm[None, :]
    return BruteForceResult(m1a=m1a, m1c=m1c)
