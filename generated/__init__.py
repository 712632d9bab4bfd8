"""crmix.generated: kernels emitted by crmix.codegen (do not edit; run ``crmix codegen``)."""

__all__ = ["axisymmetric_weights", "integrands", "mixing_weights", "pusher_cuda", "pusher_numba", "pusher_numpy"]
