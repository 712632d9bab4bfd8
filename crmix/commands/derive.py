"""Check every identity of the two seed papers (MA19: Mertsch & Ahlers 2019; KPM: Kuhlen, Phan &
Mertsch) symbolically: angular-momentum algebra and the Hadamard lemma, spherical-harmonic
identities, the Wick expansion into diagrams, the Bourret resummation, the reduction of the
diagrams to mixing-matrix elements, and the exact invariant sum_l (2l+1) C_l.

Each check proves the identity in the form crmix uses and prints one row: name, seed equation,
result, seconds.  The checks that verify what ``crmix codegen`` emits read it when they run, so a
changed kernel fails them (``--list`` names the kernels each check verifies).  The exit status is 1 when any check fails.  Where a seed prints a different
form, docs/errata.md names the check that settles it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``crmix derive``."""
    parser.add_argument("--check", action="store_true", help="run every check (the default action)")
    parser.add_argument("--only", metavar="NAME", action="append", default=None, help="run only this check (repeatable)")
    parser.add_argument("--list", action="store_true",
                        help="list the checks with the seed equations they cover and the emitted kernels they verify")


def _table(rows: Sequence[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(r: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()

    return "\n".join([line(header), line(tuple("-" * w for w in widths)), *map(line, rows)])


def run(args: argparse.Namespace) -> int:
    """List or run the checks; 0 when all requested checks pass, 1 otherwise."""
    from tqdm import tqdm

    from crmix.derive.registry import load_all, run_check

    checks = load_all()
    if args.list:
        rows = [(c.name, c.reference, ", ".join(c.covers) or "-", c.summary) for c in checks.values()]
        print(_table(rows, ("check", "equation", "verifies (crmix codegen)", "identity")))
        return 0
    names = args.only or list(checks)
    unknown = [n for n in names if n not in checks]
    if unknown:
        raise ValueError(f"--only: unknown check(s) {unknown}; allowed: {', '.join(checks)}")
    rows, failed, total = [], [], 0.0
    progress = tqdm(names, desc="crmix derive", unit="check", file=sys.stderr, disable=None)
    for name in progress:
        progress.set_postfix_str(name)
        result, seconds = run_check(name)
        total += seconds
        c = checks[name]
        rows.append((name, c.reference, "pass" if result.passed else "FAIL", f"{seconds:.2f}"))
        if not result.passed:
            failed.append((name, result.detail))
    print(_table(rows, ("check", "equation", "result", "seconds")))
    print(f"\n{len(names) - len(failed)}/{len(names)} checks passed in {total:.1f} s")
    for name, detail in failed:
        print(f"FAIL {name}: {detail}")
    return 1 if failed else 0
