"""crmix.commands: the command layer for the theory -- options, validation, and the files it writes.

The layers below compute and return objects; a command turns options into them and writes the
tables (ECSV) and pictures (PNG).  ``crmix spectrum`` lives here (crmix.commands.spectrum), so
that crmix.solver writes no files and draws nothing (an import-linter contract).
"""
