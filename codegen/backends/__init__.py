"""Per-backend code generation of the Boris pusher and the field lookups (NumPy/CuPy, numba, CUDA).

Laid out as SymForce lays out its backends: each backend module holds its printer (SymPy to source
text), its config (the few knobs of the emitted code) and its ``render(target)``; the templates are
``templates/pusher_<backend>.*.jinja``; :mod:`crmix.codegen.backends.common` builds the one
backend-neutral description of the step and the lookups (from ``crmix.derive.boris`` and
``crmix.derive.lookups``) that every template renders.
"""
