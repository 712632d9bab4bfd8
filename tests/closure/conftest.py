"""The closure tests' session fixtures (defined in closure_models)."""

from closure_models import isotropic_parts, parts

__all__ = ["isotropic_parts", "parts"]
