"""Config of the array kernels backend."""

from __future__ import annotations

__all__ = ["MODULE_TEMPLATE"]

#: The template every generated module of array kernels is rendered from (``templates/``).
MODULE_TEMPLATE = "module.py.jinja"
