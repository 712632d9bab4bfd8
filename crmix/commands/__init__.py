"""crmix.commands: the command layer for the theory -- options, validation, and the files it writes.

Every command is a module here (derive, codegen, spectrum, simulate, scan, fit, compare) with
``add_arguments(parser)`` and ``run(args) -> int``; crmix.commands.main routes to them and maps a
ValueError (bad input, raised by a request's constructor) to exit code 2; crmix.commands.options
defines the options several commands share.  The layers below compute and return objects; a
command turns options into a request, runs it and writes the tables (ECSV) and pictures (PNG), so
that crmix.solver writes no files and draws nothing.  Nothing outside this package imports argparse
(an import-linter contract).
"""

from __future__ import annotations

#: the modules of the command layer (crmix.commands.main routes to the commands)
__all__ = ["codegen", "compare", "derive", "fit", "main", "options", "scan", "simulate", "spectrum"]
