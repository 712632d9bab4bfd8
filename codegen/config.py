"""What ``crmix codegen`` generates: each source in derive, the module it becomes, and the backend that renders it.

The array kernels backend renders a source's ``KERNELS``; the pusher backends render the Boris step
and the lookups of crmix.derive.boris and crmix.derive.lookups (crmix.codegen.backends).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crmix.codegen.backend import Backend
from crmix.codegen.backends import cuda, numba, numpy
from crmix.codegen.backends.kernels import KERNELS

__all__ = ["TARGETS", "Target"]


@dataclass(frozen=True)
class Target:
    """One generated module: ``source`` (a derive module) -> ``generated/<output>``, rendered by ``backend``."""

    source: str
    output: str
    title: str
    backend: Backend = field(default=KERNELS, compare=False)


#: Sorted by output file name; a source that does not exist yet is skipped with a note.
TARGETS: tuple[Target, ...] = (
    Target(
        source="crmix.derive.axisymmetric_realspace",
        output="axisymmetric_realspace.py",
        title="Real-space weights of the generic (1a) density and the uniform-field parts of M (docs/physics.md).",
    ),
    Target(
        source="crmix.derive.axisymmetric_weights",
        output="axisymmetric_weights.py",
        title="Coupling weights of the generic mixing matrix for axisymmetric turbulence (docs/physics.md; Edmonds Table 5).",
    ),
    Target(
        source="crmix.derive.kernels",
        output="integrands.py",
        title="Time kernels of the Lambda_l and kappa_{lA lB} integrals (KPM (39), (48); MA19 (3.14), (3.22)).",
    ),
    Target(
        source="crmix.derive.mixing_weights",
        output="mixing_weights.py",
        title="Weights of the mixing-matrix assembly M = 1 + 2 M^(1a) + M^(1c) (KPM (17), (40), (47); MA19 (3.15), (3.21)).",
    ),
    Target(
        source="crmix.derive.pair_age",
        output="pair_age.py",
        title="Weights of the sky's C_l as the age integral of the pair propagator's dipole column (docs/physics.md).",
    ),
    Target(
        source="crmix.derive.boris",
        output="pusher_cuda.py",
        title="The Boris pusher and the field lookups as CUDA source (one thread per particle), with a host emulation.",
        backend=cuda.BACKEND,
    ),
    Target(
        source="crmix.derive.boris",
        output="pusher_numba.py",
        title="The Boris pusher and the field lookups for CPU threads (numba), one kernel per field kind.",
        backend=numba.BACKEND,
    ),
    Target(
        source="crmix.derive.boris",
        output="pusher_numpy.py",
        title="The Boris pusher and the field lookups for NumPy/CuPy arrays (the reference of the compiled backends).",
        backend=numpy.BACKEND,
    ),
)
