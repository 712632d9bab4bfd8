"""The ``crmix`` command line: the parser, the routing, and the one place that maps errors to exit codes.

Each command is a module of crmix.commands that defines ``add_arguments(parser)`` and
``run(args) -> int``; only the invoked command's module is imported, so ``crmix --help`` is fast
and one layer's import error cannot break another layer's command.  A command turns its options
into a request (crmix.theory.SpectrumRequest, crmix.simulate.config.SimulationConfig,
crmix.fit.request.FitRequest, crmix.observe.request.CompareRequest) whose constructor checks every
value; the ValueError it raises names the option and its range and becomes exit code 2 here, as
does a module of an optional extra that is not installed (crmix.extras names the extra).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from crmix import __version__
from crmix.geometry import GEOMETRIES

__all__ = ["COMMANDS", "build_parser", "main"]

#: command -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "derive": ("crmix.commands.derive", "check every identity of the seed papers symbolically"),
    "codegen": ("crmix.commands.codegen", "regenerate the kernels in generated/ from derive (--check: fail when stale)"),
    "spectrum": ("crmix.commands.spectrum", "steady-state angular power spectrum C_l of the CR arrival directions"),
    "simulate": ("crmix.commands.simulate", "backtrack test particles through synthetic turbulence to sky maps and C_l"),
    "fit": ("crmix.commands.fit", "fit the mixing time of the theory to a simulated ensemble's C_l/C_1"),
    "compare": ("crmix.commands.compare", "fit the prediction, through a detector's coverage, filter and noise, to measured pseudo-C_l"),
    "scan": ("crmix.commands.scan", "ensembles over rigidities x eta as one Dask task graph, with a summary table"),
}


def description() -> str:
    """The top-level help: what crmix does, with every registered geometry."""
    return (
        "crmix predicts the angular power spectrum C_l of TeV-PeV cosmic-ray arrival directions for a model\n"
        f"of magnetic turbulence (geometries: {', '.join(GEOMETRIES)}), by the mixing-matrix method of Mertsch &\n"
        "Ahlers (2019) and Kuhlen, Phan & Mertsch (2022), checks the theory symbolically, and tests it against\n"
        "test-particle simulations.  Run 'crmix COMMAND --help' for the options of each command.\n"
    )


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The parser; only the ``selected`` command's module is imported (others show their help line)."""
    parser = argparse.ArgumentParser(prog="crmix", description=description(), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"crmix {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        if name != selected:
            sub.add_parser(name, help=help_text, add_help=False)
            continue
        mod = importlib.import_module(module)
        p = sub.add_parser(name, help=help_text, description=(mod.__doc__ or help_text).strip(),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        mod.add_arguments(p)
        p.set_defaults(_module=mod)
    return parser


def _missing(command: str | None, exc: ModuleNotFoundError) -> int:
    """Exit code 2 with the extra to install, when a module of an extra is missing (crmix.extras)."""
    from crmix.extras import missing_extra

    message = missing_extra(exc)
    if message is None:
        raise exc
    print(f"crmix {command}: error: {message}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; exit code 0 when done, 2 for bad input (before any work) or a missing extra, 1 for an I/O failure while working."""
    argv = list(sys.argv[1:] if argv is None else argv)
    selected = next((a for a in argv if not a.startswith("-")), None)
    try:
        parser = build_parser(selected if selected in COMMANDS else None)
    except ModuleNotFoundError as exc:  # the command's module needs an extra that is not installed
        return _missing(selected, exc)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args._module.run(args) or 0)
    except ModuleNotFoundError as exc:
        return _missing(args.command, exc)
    except (ValueError, FileExistsError, PermissionError) as exc:
        print(f"crmix {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a failure while working, e.g. a full disk: what was finished is kept
        print(f"crmix {args.command}: error: {exc}", file=sys.stderr)
        return 1
