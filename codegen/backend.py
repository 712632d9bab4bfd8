"""The renderer of a generated module is an object: a :class:`Backend` with its printer, its config and its templates.

``crmix codegen`` asks each target's backend for the text of its module (``backend.render(target)``).
The backends (crmix.codegen.backends) are laid out as SymForce lays out its own:
``backends/<name>/{printer, config, templates}``; every template is rendered by the one jinja2
environment of :func:`environment` (StrictUndefined, trim_blocks, lstrip_blocks), and every module is
stamped with the one digest of its inputs (crmix.codegen.digest).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

if TYPE_CHECKING:
    from crmix.codegen.config import Target

__all__ = ["Backend", "environment"]


def environment(template_dir: Path) -> jinja2.Environment:
    """The jinja2 environment of every generated module, templates from ``template_dir``."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


class Backend(ABC):
    """What renders a generated module: a name, the folder of its templates, and :meth:`render`."""

    name: str
    template_dir: Path

    @abstractmethod
    def render(self, target: Target) -> str:
        """The text of ``generated/<target.output>``."""

    def environment(self) -> jinja2.Environment:
        return environment(self.template_dir)
