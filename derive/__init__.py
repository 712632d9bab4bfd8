"""crmix.derive: the mathematics of both seed papers in SymPy, as named checks (``crmix derive``)."""

from __future__ import annotations

from crmix.lazy import lazy_exports

__all__ = ["Check", "Verdict", "load_all", "run_check"]

__getattr__ = lazy_exports(__name__, {
    "Check": "crmix.derive.registry",
    "Verdict": "crmix.derive.registry",
    "load_all": "crmix.derive.registry",
    "run_check": "crmix.derive.registry",
})
