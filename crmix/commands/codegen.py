"""Regenerate the kernels in crmix.generated from derive's expressions (``--check``: only compare).

``crmix codegen`` renders every module listed in ``crmix.codegen.config.TARGETS`` and writes it to
generated/.  ``crmix codegen --check`` writes nothing; it prints a unified diff and exits with 1 when
a generated module differs from what codegen would write now (CI runs it).  Without --out-dir it
writes only into a source checkout (generated/ beside derive/ and pyproject.toml): a crmix installed
from a wheel is refused (its generated/ is part of an installed package; give --out-dir instead).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["add_arguments", "run", "source_checkout"]


def source_checkout(generated: Path) -> bool:
    """Whether ``generated`` is the generated/ folder of a source checkout of crmix (not an installed package)."""
    root = generated.resolve().parent
    return (root / "pyproject.toml").is_file() and (root / "derive").is_dir() and (root / "codegen").is_dir()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 with a diff when generated/ is stale")
    parser.add_argument("--out-dir", type=Path, default=None, help="write into this folder instead of generated/")


def run(args: argparse.Namespace) -> int:
    from crmix.codegen.generate import generate, generated_dir

    if args.out_dir is not None and not args.out_dir.is_dir():
        raise ValueError(f"--out-dir must be an existing folder, got {args.out_dir}")
    if args.out_dir is None and not args.check and not source_checkout(generated_dir()):
        raise ValueError(f"crmix codegen writes generated/ of a source checkout, and this crmix is an installed package "
                         f"({generated_dir()}): run it in a checkout, or give --out-dir")
    outcomes = generate(out_dir=args.out_dir, check=args.check)
    stale = False
    for o in outcomes:
        if o.status == "skipped":
            print(f"skipped   {o.target.output}: {o.target.source} does not exist yet")
        elif o.status == "stale":
            stale = True
            print(f"stale     {o.path}")
            sys.stdout.write(o.diff)
        else:
            print(f"{o.status:9} {o.path}")
    if stale:
        print("generated/ is stale: run 'crmix codegen'", file=sys.stderr)
        return 1
    return 0
