"""Compiled hot loops: many Boris steps per call, on CPU threads (numba) or a GPU (CuPy RawKernel).

Both are line-by-line transcriptions of :func:`crmix.simulate.boris.boris_step` with the field
evaluation of :mod:`crmix.simulate.fields`; the parity tests compare them with that NumPy twin.

CPU: ``numba.njit(parallel=True)``, ``prange`` over blocks of ``BLOCK`` particles, all steps of a
call inside.  A step of one particle is a chain of ~60 dependent operations (drift, table lookup,
rotation), so each thread steps a block of particles in an inner loop: independent particles fill
the pipeline that a single serial chain would leave idle (about 2x faster than one particle at a
time).  The field evaluator is a jitted function passed as an argument, so each field kind gets its
own specialised kernel.

GPU: one thread per particle, all steps of a call inside, state in registers; the field kind is
chosen at compile time by ``FIELD_KIND``.
"""

from __future__ import annotations

import math
from functools import cache
from types import ModuleType
from typing import Any

import numba
import numpy as np

from crmix.simulate.fields import Field, NestedGrids, PlaneWaves, SlabTable

__all__ = ["BLOCK", "advance_cupy", "advance_numba"]

#: particles stepped together by one CPU thread
BLOCK = 16


# ---------------------------------------------------------------------------------------------
# numba field evaluators: the same formulas as SlabTable/NestedGrids/PlaneWaves.evaluate
@numba.njit(inline="always")
def _slab(x: float, y: float, z: float, table: Any, inv_dz: float) -> tuple[float, float, float]:
    n = table.shape[0]
    u = z * inv_dz
    fl = math.floor(u)
    f = u - fl
    i = int(fl) % n
    j = i + 1
    if j == n:
        j = 0
    return (1.0 - f) * table[i, 0] + f * table[j, 0], (1.0 - f) * table[i, 1] + f * table[j, 1], 0.0


@numba.njit(inline="always")
def _grids(x: float, y: float, z: float, grids: Any, inv_spacing: Any) -> tuple[float, float, float]:
    n = grids.shape[1]
    wx = 0.0
    wy = 0.0
    wz = 0.0
    for g in range(grids.shape[0]):
        ux = x * inv_spacing[g]
        uy = y * inv_spacing[g]
        uz = z * inv_spacing[g]
        flx = math.floor(ux)
        fly = math.floor(uy)
        flz = math.floor(uz)
        fx = ux - flx
        fy = uy - fly
        fz = uz - flz
        ix = int(flx) % n
        iy = int(fly) % n
        iz = int(flz) % n
        jx = ix + 1 if ix + 1 < n else 0
        jy = iy + 1 if iy + 1 < n else 0
        jz = iz + 1 if iz + 1 < n else 0
        for cx, weight_x in ((ix, 1.0 - fx), (jx, fx)):
            for cy, weight_y in ((iy, 1.0 - fy), (jy, fy)):
                for cz, weight_z in ((iz, 1.0 - fz), (jz, fz)):
                    w = weight_x * weight_y * weight_z
                    wx += w * grids[g, cx, cy, cz, 0]
                    wy += w * grids[g, cx, cy, cz, 1]
                    wz += w * grids[g, cx, cy, cz, 2]
    return wx, wy, wz


@numba.njit(inline="always")
def _waves(x: float, y: float, z: float, k: Any, amplitude: Any, phase: Any) -> tuple[float, float, float]:
    wx = 0.0
    wy = 0.0
    wz = 0.0
    for m in range(k.shape[0]):
        c = math.cos(k[m, 0] * x + k[m, 1] * y + k[m, 2] * z + phase[m])
        wx += amplitude[m, 0] * c
        wy += amplitude[m, 1] * c
        wz += amplitude[m, 2] * c
    return wx, wy, wz


@numba.njit(parallel=True)
def _advance(field_fn: Any, field_data: Any, omega0: float, x: Any, v: Any, half_kick: float, dt: float, n_steps: int) -> None:
    """n_steps drift-kick-drift Boris steps in place for x, v of shape (3, N) (boris.boris_step)."""
    n = x.shape[1]
    half = 0.5 * dt
    for block in numba.prange((n + BLOCK - 1) // BLOCK):
        i0 = block * BLOCK
        i1 = min(n, i0 + BLOCK)
        for _ in range(n_steps):
            for i in range(i0, i1):
                px = x[0, i] + half * v[0, i]
                py = x[1, i] + half * v[1, i]
                pz = x[2, i] + half * v[2, i]
                wx, wy, wz = field_fn(px, py, pz, *field_data)
                tx = half_kick * wx
                ty = half_kick * wy
                tz = half_kick * (wz + omega0)
                vx = v[0, i]
                vy = v[1, i]
                vz = v[2, i]
                qx = vx + (vy * tz - vz * ty)
                qy = vy + (vz * tx - vx * tz)
                qz = vz + (vx * ty - vy * tx)
                f = 2.0 / (1.0 + (tx * tx + ty * ty + tz * tz))
                vx = vx + f * (qy * tz - qz * ty)
                vy = vy + f * (qz * tx - qx * tz)
                vz = vz + f * (qx * ty - qy * tx)
                v[0, i] = vx
                v[1, i] = vy
                v[2, i] = vz
                x[0, i] = px + half * vx
                x[1, i] = py + half * vy
                x[2, i] = pz + half * vz


_NUMBA_EVALUATORS = {SlabTable: _slab, NestedGrids: _grids, PlaneWaves: _waves}


def advance_numba(field: Field, omega0: float, x: np.ndarray, v: np.ndarray, charge_sign: int, dt: float, n_steps: int) -> None:
    """``n_steps`` Boris steps in place on CPU threads (numba); x, v: C-contiguous (3, N) arrays."""
    if not (x.flags.c_contiguous and v.flags.c_contiguous):
        raise ValueError("x and v must be C-contiguous (3, N) arrays")
    _advance(_NUMBA_EVALUATORS[type(field)], field.kernel_data(), float(omega0), x, v, 0.5 * charge_sign * dt, float(dt), int(n_steps))


# ---------------------------------------------------------------------------------------------
# CUDA: the same step, one thread per particle
_CUDA_SOURCE = r"""
typedef REAL real;

__device__ __forceinline__ void field_slab(real x, real y, real z, const real* table, const real* inv_dz,
                                           const long long* n, real* w) {
    real u = z * inv_dz[0];
    real fl = floor(u);
    real f = u - fl;
    long long i = ((long long)fl) % n[0];
    if (i < 0) i += n[0];
    long long j = (i + 1 == n[0]) ? 0 : i + 1;
    w[0] = (1 - f) * table[2 * i] + f * table[2 * j];
    w[1] = (1 - f) * table[2 * i + 1] + f * table[2 * j + 1];
    w[2] = 0;
}

__device__ __forceinline__ void field_grids(real x, real y, real z, const real* grids, const real* inv_spacing,
                                            const long long* dims, real* w) {
    /* dims = {number of grids G, nodes per side n}; grids[g][ix][iy][iz][c], C order */
    long long G = dims[0], n = dims[1];
    w[0] = 0; w[1] = 0; w[2] = 0;
    for (long long g = 0; g < G; ++g) {
        real ux = x * inv_spacing[g], uy = y * inv_spacing[g], uz = z * inv_spacing[g];
        real flx = floor(ux), fly = floor(uy), flz = floor(uz);
        real fx = ux - flx, fy = uy - fly, fz = uz - flz;
        long long ix = ((long long)flx) % n; if (ix < 0) ix += n;
        long long iy = ((long long)fly) % n; if (iy < 0) iy += n;
        long long iz = ((long long)flz) % n; if (iz < 0) iz += n;
        long long cxs[2] = {ix, ix + 1 < n ? ix + 1 : 0};
        long long cys[2] = {iy, iy + 1 < n ? iy + 1 : 0};
        long long czs[2] = {iz, iz + 1 < n ? iz + 1 : 0};
        real wxs[2] = {1 - fx, fx}, wys[2] = {1 - fy, fy}, wzs[2] = {1 - fz, fz};
        const real* grid = grids + g * n * n * n * 3;
        for (int a = 0; a < 2; ++a) {
            for (int b = 0; b < 2; ++b) {
                for (int c = 0; c < 2; ++c) {
                    real wgt = wxs[a] * wys[b] * wzs[c];
                    const real* node = grid + ((cxs[a] * n + cys[b]) * n + czs[c]) * 3;
                    w[0] += wgt * node[0]; w[1] += wgt * node[1]; w[2] += wgt * node[2];
                }
            }
        }
    }
}

__device__ __forceinline__ void field_waves(real x, real y, real z, const real* k, const real* amplitude,
                                            const real* phase, const long long* n_modes, real* w) {
    w[0] = 0; w[1] = 0; w[2] = 0;
    for (long long m = 0; m < n_modes[0]; ++m) {
        real c = cos(k[3 * m] * x + k[3 * m + 1] * y + k[3 * m + 2] * z + phase[m]);
        w[0] += amplitude[3 * m] * c; w[1] += amplitude[3 * m + 1] * c; w[2] += amplitude[3 * m + 2] * c;
    }
}

extern "C" __global__ void advance(const real* a0, const real* a1, const real* a2, const long long* sizes,
                                   real omega0, real* x, real* v, real half_kick, real dt,
                                   long long n_steps, long long n) {
    long long i = (long long)blockDim.x * blockIdx.x + threadIdx.x;
    if (i >= n) return;
    real half = dt / 2;
    real rx = x[i], ry = x[n + i], rz = x[2 * n + i];
    real vx = v[i], vy = v[n + i], vz = v[2 * n + i];
    real w[3];
    for (long long s = 0; s < n_steps; ++s) {
        real px = rx + half * vx, py = ry + half * vy, pz = rz + half * vz;
#if FIELD_KIND == 0
        field_slab(px, py, pz, a0, a1, sizes, w);
#elif FIELD_KIND == 1
        field_grids(px, py, pz, a0, a1, sizes, w);
#else
        field_waves(px, py, pz, a0, a1, a2, sizes, w);
#endif
        real tx = half_kick * w[0], ty = half_kick * w[1], tz = half_kick * (w[2] + omega0);
        real qx = vx + (vy * tz - vz * ty);
        real qy = vy + (vz * tx - vx * tz);
        real qz = vz + (vx * ty - vy * tx);
        real f = 2 / (1 + (tx * tx + ty * ty + tz * tz));
        vx = vx + f * (qy * tz - qz * ty);
        vy = vy + f * (qz * tx - qx * tz);
        vz = vz + f * (qx * ty - qy * tx);
        rx = px + half * vx; ry = py + half * vy; rz = pz + half * vz;
    }
    x[i] = rx; x[n + i] = ry; x[2 * n + i] = rz;
    v[i] = vx; v[n + i] = vy; v[2 * n + i] = vz;
}
"""

_FIELD_KIND = {SlabTable: 0, NestedGrids: 1, PlaneWaves: 2}


@cache
def _cuda_kernel(kind: int, real: str) -> Any:
    import cupy  # type: ignore[import-not-found]

    options = (f"-DREAL={real}", f"-DFIELD_KIND={kind}")
    return cupy.RawKernel(_CUDA_SOURCE, "advance", options=options)


def _cuda_arrays(field: Field, cp: ModuleType, dtype: Any) -> tuple[Any, Any, Any, Any]:
    """(a0, a1, a2, sizes) of the kernel signature for each field kind, on the device."""
    if isinstance(field, SlabTable):
        return (cp.asarray(field.table, dtype=dtype), cp.asarray([1.0 / field.dz], dtype=dtype),
                cp.zeros(1, dtype=dtype), cp.asarray([field.n], dtype=cp.int64))
    if isinstance(field, NestedGrids):
        return (cp.asarray(field.grids, dtype=dtype), cp.asarray(1.0 / cp.asarray(field.spacing), dtype=dtype),
                cp.zeros(1, dtype=dtype), cp.asarray(field.grids.shape[:2], dtype=cp.int64))
    return (cp.asarray(field.k, dtype=dtype), cp.asarray(field.amplitude, dtype=dtype),
            cp.asarray(field.phase, dtype=dtype), cp.asarray([field.k.shape[0]], dtype=cp.int64))


def advance_cupy(field: Field, omega0: float, x: Any, v: Any, charge_sign: int, dt: float, n_steps: int) -> None:
    """``n_steps`` Boris steps in place on the GPU; x, v: C-contiguous (3, N) CuPy arrays of float32/64."""
    import cupy as cp  # type: ignore[import-not-found]

    dtype = x.dtype
    real = {np.dtype(np.float32): "float", np.dtype(np.float64): "double"}[np.dtype(dtype)]
    kernel = _cuda_kernel(_FIELD_KIND[type(field)], real)
    a0, a1, a2, sizes = _cuda_arrays(field, cp, dtype)
    n = x.shape[1]
    threads = 128
    scalar = np.dtype(dtype).type
    kernel(((n + threads - 1) // threads,), (threads,),
           (a0, a1, a2, sizes, scalar(omega0), x, v, scalar(0.5 * charge_sign * dt), scalar(dt), np.int64(n_steps), np.int64(n)))
