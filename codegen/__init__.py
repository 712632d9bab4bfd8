"""crmix.codegen: jinja2 templates turning derive's expressions into NumPy/CuPy kernels (``crmix codegen``)."""

from __future__ import annotations

from crmix.lazy import lazy_exports

__all__ = ["TARGETS", "Target", "generate", "generated_dir"]

__getattr__ = lazy_exports(__name__, {
    "TARGETS": "crmix.codegen.config",
    "Target": "crmix.codegen.config",
    "generate": "crmix.codegen.generate",
    "generated_dir": "crmix.codegen.generate",
})
