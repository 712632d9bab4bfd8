"""The command-line router: every registered subcommand has help a physicist can read."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from crmix.cli import COMMANDS, build_parser, main


def test_top_level_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "angular power spectrum" in out
    for name in COMMANDS:
        assert name in out


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_subcommand_module_contract_and_help(name, capsys):
    module = importlib.import_module(COMMANDS[name][0])
    assert callable(module.add_arguments) and callable(module.run)
    assert module.__doc__ and len(module.__doc__.strip()) > 40, "subcommand needs a readable description"
    with pytest.raises(SystemExit) as exc:
        main([name, "--help"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip()


def test_no_command_prints_help(capsys):
    assert main([]) == 0
    assert "COMMAND" in capsys.readouterr().out


def test_unknown_command_is_an_error():
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["frobnicate"])
    assert exc.value.code == 2


def test_console_script_runs():
    res = subprocess.run([sys.executable, "-m", "crmix.cli", "--version"], capture_output=True, text=True)
    assert res.returncode == 0 and "crmix" in res.stdout


def test_a_broken_layer_does_not_break_other_commands(monkeypatch, capsys):
    monkeypatch.setitem(COMMANDS, "broken", ("crmix.no_such_module", "a layer whose import fails"))
    with pytest.raises(SystemExit) as exc:
        main(["derive", "--help"])
    assert exc.value.code == 0
    assert main(["broken"]) == 1  # a failure of crmix itself, not of the input: exit 1, named, no traceback
    err = capsys.readouterr().err
    assert "crmix broken: error: internal error (ModuleNotFoundError: No module named 'crmix.no_such_module')" in err
    assert "Traceback" not in err


#: what building a parser must not import (crmix --help and every command's --help answer fast)
HEAVY = ("scipy", "sympy", "numba", "healpy", "astropy.table", "matplotlib", "dask", "distributed")


@pytest.mark.parametrize("argv", [["--help"], *([name, "--help"] for name in sorted(COMMANDS))], ids=lambda a: " ".join(a))
def test_help_imports_no_heavy_library(argv):
    code = (f"import sys\nfrom crmix.cli import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().splitlines()[-1] == "[]", res.stdout[-400:]


def test_top_level_help_names_every_registered_geometry(capsys):
    from crmix.geometry import GEOMETRIES

    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert GEOMETRIES and all(name in out for name in GEOMETRIES)


def test_the_model_options_have_one_default_in_every_command():
    """--brms, --lc, --gradient-length, --spectrum, --eta, --rg-over-lambda-min: the same default wherever they appear."""
    defaults: dict[str, set] = {}
    for name in ("spectrum", "simulate", "scan", "compare"):
        parser = build_parser(name)
        sub = next(a for a in parser._actions if a.dest == "command").choices[name]
        for action in sub._actions:
            if action.dest in ("brms", "lc", "gradient_length", "spectrum", "rg_over_lambda_min") or (action.dest == "eta" and name != "compare"):
                defaults.setdefault(action.dest, set()).add(str(action.default))
    assert len(defaults) == 6 and all(len(v) == 1 for v in defaults.values()), defaults
