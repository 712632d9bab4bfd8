"""What ``crmix codegen`` generates: each derive module with ``KERNELS`` and the module it becomes.

A target with a ``renderer`` (a module with ``render(target) -> str``, e.g. a backend of
``crmix.codegen.backends``) is rendered by it instead of from ``KERNELS``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """One generated module: ``source`` (a module defining ``KERNELS``) -> ``generated/<output>``."""

    source: str
    output: str
    title: str
    renderer: str | None = None


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
        source="crmix.derive.boris",
        output="pusher_cuda.py",
        title="The Boris pusher and the field lookups as CUDA source (one thread per particle), with a host emulation.",
        renderer="crmix.codegen.backends.cuda",
    ),
    Target(
        source="crmix.derive.boris",
        output="pusher_numba.py",
        title="The Boris pusher and the field lookups for CPU threads (numba), one kernel per field kind.",
        renderer="crmix.codegen.backends.numba",
    ),
    Target(
        source="crmix.derive.boris",
        output="pusher_numpy.py",
        title="The Boris pusher and the field lookups for NumPy/CuPy arrays (the reference of the compiled backends).",
        renderer="crmix.codegen.backends.numpy",
    ),
)

#: The template every generated module is rendered from (in codegen/templates/).
MODULE_TEMPLATE = "module.py.jinja"
