"""Fixtures of the pusher tests: the generated CUDA source compiled for the host, and CuPy (GPU only)."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from collections.abc import Callable

import numpy as np
import pytest

from crmix.generated import pusher_cuda
from crmix.simulate.kernels import cuda_arguments


@pytest.fixture(scope="session")
def host_cuda(tmp_path_factory) -> Callable[..., None]:
    """``advance(field, omega0, x, v, charge_sign, dt, n_steps)`` running the CUDA source compiled as C++.

    ``-DCRMIX_HOST`` makes the generated source host C++ with one emulated thread per particle
    (double precision); float64 C-contiguous (3, N) NumPy arrays x, v are stepped in place.
    """
    compiler = shutil.which("g++") or shutil.which("clang++")
    if compiler is None:
        pytest.skip("no C++ compiler to emulate the CUDA kernels on the host")
    build = tmp_path_factory.mktemp("cuda_host")
    src, lib = build / "pusher.cpp", build / "pusher.so"
    src.write_text(pusher_cuda.SOURCE)
    subprocess.run([compiler, "-O2", "-ffp-contract=off", "-shared", "-fPIC", "-DCRMIX_HOST", "-DREAL=double", "-o", str(lib), str(src)],
                   check=True)
    library = ctypes.CDLL(str(lib))

    def c_value(a):
        if isinstance(a, np.ndarray):
            return a.ctypes.data_as(ctypes.c_void_p)
        return ctypes.c_longlong(int(a)) if isinstance(a, np.integer) else ctypes.c_double(float(a))

    def advance(field, omega0, x, v, charge_sign, dt, n_steps) -> None:
        if x.dtype != np.float64 or v.dtype != np.float64 or not (x.flags.c_contiguous and v.flags.c_contiguous):
            raise ValueError("x and v must be C-contiguous float64 arrays")
        name, args = cuda_arguments(field, np, np.float64)
        scalars = (float(omega0), 0.5 * charge_sign * dt, 0.5 * dt)
        getattr(library, "host_" + name)(*(c_value(a) for a in (*args, *scalars, x, v, np.int64(n_steps), np.int64(x.shape[1]))))

    return advance


