"""The ``crmix`` entry point (``python -m crmix.cli``); the command line itself is crmix.commands."""

from __future__ import annotations

import sys

from crmix.commands.main import COMMANDS, build_parser, main

__all__ = ["COMMANDS", "build_parser", "main"]

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
