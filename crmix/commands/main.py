"""The ``crmix`` command line: the parser, the routing, and the one place that maps errors to exit codes.

Each command is a module of crmix.commands that defines ``add_arguments(parser)`` and
``run(args) -> int``; only the invoked command's module is imported, so ``crmix --help`` is fast
and one layer's import error cannot break another layer's command.  A command turns its options
into a request (crmix.theory.SpectrumRequest, crmix.simulate.config.SimulationConfig,
crmix.fit.request.FitRequest, crmix.observe.request.CompareRequest) whose constructor checks every
value; the ValueError it raises names the option and its range.

The exit codes (crmix.commands.errors): 0 done; 2 the user's input or a file given is at fault
(a ValueError, a path the system cannot take, a file missing or unreadable, a module of an optional
extra that is not installed: crmix.extras names the extra); 1 a failure while
working (a full disk, a lost worker, an internal error); 130 interrupted (SIGINT or SIGTERM:
finished work is kept and a rerun resumes).  The message names the option or the file; no
traceback reaches the user unless ``--debug`` is given.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence

from crmix import __version__
from crmix.commands.errors import exit_code, interruptible
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
    "mixing": ("crmix.commands.mixing", "the mixing matrix M_ll0(dT) of KPM (17) measured by backtracking test particles"),
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
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error (anywhere on the command line)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        if name != selected:
            sub.add_parser(name, help=help_text, add_help=False)
            continue
        mod = importlib.import_module(module)
        p = sub.add_parser(name, help=help_text, description=(mod.__doc__ or help_text).strip(),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        mod.add_arguments(p)
        p.set_defaults(_module=mod, _parser=p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; the exit code of the module docstring (0, 2 bad input, 1 failure while working, 130 interrupted)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    selected = next((a for a in argv if not a.startswith("-")), None)
    command = selected if selected in COMMANDS else None
    try:
        parser = build_parser(command)
    except Exception as exc:  # the command's layer cannot be imported
        code, text = exit_code(exc)
        print(f"crmix {command}: error: {text}", file=sys.stderr)
        if debug:
            traceback.print_exc()
        return code
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # named by the command's parser: "crmix COMMAND: error: ..."
        (args._parser if args.command is not None else parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command is None:
        parser.print_help()
        return 0
    try:
        with interruptible():
            return int(args._module.run(args) or 0)
    except BaseException as exc:
        if isinstance(exc, SystemExit):
            raise
        code, text = exit_code(exc)
        print(f"crmix {args.command}: error: {text}", file=sys.stderr)
        if debug:
            traceback.print_exc()
        return code
