"""``crmix codegen``: every target rendered by its backend, written to generated/ or compared with it.

One pipeline: a :class:`~crmix.codegen.config.Target` names its backend object
(crmix.codegen.backends: the array kernels, the NumPy, numba and CUDA pushers), whose ``render``
gives the module's text; the text is deterministic and stamped with the digest of its inputs
(crmix.codegen.digest), so the same inputs always give the same bytes.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from crmix.codegen.config import TARGETS, Target

__all__ = ["Outcome", "generate", "generated_dir"]


def generated_dir() -> Path:
    """The folder of the ``crmix.generated`` package."""
    return Path(importlib.import_module("crmix.generated").__file__ or "").parent


@dataclass(frozen=True)
class Outcome:
    """Result of generating one target: its path, whether it changed, and the diff."""

    target: Target
    path: Path
    status: str  # "unchanged", "written", "stale", "skipped"
    diff: str = ""


def generate(targets: Sequence[Target] = TARGETS, *, out_dir: Path | None = None, check: bool = False) -> list[Outcome]:
    """Render every target; write it (or, with ``check``, only compare and report the diff)."""
    out_dir = generated_dir() if out_dir is None else Path(out_dir)
    outcomes = []
    for target in targets:
        path = out_dir / target.output
        try:
            text = target.backend.render(target)
        except ModuleNotFoundError as exc:
            if exc.name != target.source:
                raise
            outcomes.append(Outcome(target, path, "skipped"))  # a source that does not exist yet
            continue
        current = path.read_text() if path.exists() else ""
        if current == text:
            outcomes.append(Outcome(target, path, "unchanged"))
            continue
        diff = "".join(
            difflib.unified_diff(
                current.splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"{path} (committed)",
                tofile=f"{path} (crmix codegen)",
            )
        )
        if check:
            outcomes.append(Outcome(target, path, "stale", diff))
        else:
            path.write_text(text)
            outcomes.append(Outcome(target, path, "written", diff))
    return outcomes
