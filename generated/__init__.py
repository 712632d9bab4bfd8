"""crmix.generated: kernels emitted by crmix.codegen (do not edit; run ``crmix codegen``)."""
