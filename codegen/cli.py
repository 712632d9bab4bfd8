"""Regenerate the kernels in crmix.generated from derive's expressions (``--check``: only compare).

``crmix codegen`` renders every module listed in ``crmix.codegen.config.TARGETS`` and writes it to
generated/.  ``crmix codegen --check`` writes nothing; it prints a unified diff and exits with 1 when
a generated module differs from what codegen would write now (CI runs it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crmix.codegen.generate import generate


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 with a diff when generated/ is stale")
    parser.add_argument("--out-dir", type=Path, default=None, help="write into this folder instead of generated/")


def run(args: argparse.Namespace) -> int:
    if args.out_dir is not None and not args.out_dir.is_dir():
        raise ValueError(f"--out-dir must be an existing folder, got {args.out_dir}")
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
