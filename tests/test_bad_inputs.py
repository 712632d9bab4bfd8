"""Every bad input of the table (tests/bad_inputs_table.py) is a clear error before any work.

Each row runs the command line in a fresh folder holding the files its placeholders stand for:
exit code 2, the option (or the file) named in the message, no traceback, nothing written (the
folder, where the default --out would land, is unchanged).  The whole table runs in this process
(``crmix.cli.main``, as the console script calls it); a sample of it also runs as the console
script in a subprocess (marked slow).  No test here looks at the clock: a regression that started
the computation is caught by what it writes, and a hang by pytest-timeout.  docs/inputs.md lists
the same table.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bad_inputs_table import BAD_INPUTS, PLACEHOLDERS, BadInput, markdown_table

from crmix.cli import main

DOC = Path(__file__).resolve().parents[1] / "docs" / "inputs.md"
COMMANDS = ("simulate", "spectrum", "fit", "compare", "scan", "mixing", "derive", "codegen")
SIMULATION = ["--nside", "2", "--times", "1,2", "--rigidity", "30PV", "--rg-over-lambda-min", "5"]


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


@pytest.fixture(scope="module")
def reduced_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small reduced crmix simulate run (3 realisations), the model of the RUN_* placeholders."""
    out = tmp_path_factory.mktemp("reduced") / "run"
    assert main(["simulate", "--out", str(out), "--no-progress", "--scheduler", "serial", "--realisations", "3", *SIMULATION]) == 0
    return out


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new))


def _make(name: str, folder: Path, run: Path) -> Path:
    """The file or folder a placeholder stands for (PLACEHOLDERS), made in ``folder``."""
    path = folder / name
    if name == "FILE":
        path.write_text("an ordinary file\n")
    elif name == "RUN":
        path.mkdir()
    elif name == "NOPE":
        pass
    elif name == "LONG":
        return folder / ("x" * 300)
    elif name.startswith("RUN_"):
        shutil.copytree(run, path)
        if name == "RUN_NAN":
            table = path / "ensemble_realisations.ecsv"
            lines = table.read_text().splitlines()
            data = next(i for i, line in enumerate(lines) if not line.startswith("#") and line[0].isdigit())
            fields = lines[data].split()
            lines[data] = " ".join([*fields[:-1], "nan"])
            table.write_text("\n".join(lines) + "\n")
        elif name == "RUN_NO_TRANSPORT":
            (path / "ensemble_transport.ecsv").unlink()
        elif name == "RUN_CUT":
            table = path / "ensemble_cl.ecsv"
            table.write_bytes(table.read_bytes()[:400])
        elif name == "RUN_MIXED":
            table = path / "ensemble_transport.ecsv"
            digest = re.search(r"reduction: ([0-9a-f]{16})", table.read_text())
            assert digest is not None
            _edit(table, digest[0], "reduction: 0000000000000000")
        elif name == "RUN_NO_COLUMN":
            _edit(path / "ensemble_realisations.ecsv", " C_sub", " C_other")  # the header line and the datatype entry
        elif name == "RUN_MAPS_CHANGED":
            maps = path / "realisation_00001.fits"
            data = bytearray(maps.read_bytes())
            data[-200] ^= 0x10
            maps.write_bytes(bytes(data))
    elif name.startswith("DATA_"):
        rows = [(ell, 1e-6 / ell**2, 1e-7) for ell in range(1, 21)]
        header, body = "ell,Cl_tilde,err", [f"{ell},{c!r},{e!r}" for ell, c, e in rows]
        if name == "DATA_NAN":
            body[3] = "4,nan,1e-07"
        elif name == "DATA_NO_COLUMN":
            header, body = "ell,err", [f"{ell},{e!r}" for ell, _, e in rows]
        path.write_text("\n".join([header, *body]) + "\n")
    return path


def _argv(row: BadInput, folder: Path, run: Path) -> list[str]:
    made: dict[str, Path] = {}
    argv = []
    for arg in row.args:
        base, _, rest = arg.partition("/")
        if base in PLACEHOLDERS:
            if base not in made:
                made[base] = _make(base, folder, run)
            arg = str(made[base]) + (f"/{rest}" if rest else "")
        argv.append(arg)
    return argv


def _check(row: BadInput, code: object, out: str, err: str) -> None:
    assert code == 2, out + err
    assert "Traceback" not in out + err
    assert row.flag in err and row.excerpt in err, err
    assert f"crmix {row.command}: error:" in err


def test_the_table_covers_every_command_and_many_inputs() -> None:
    commands = [row.command for row in BAD_INPUTS]
    assert set(commands) == set(COMMANDS)
    assert len(BAD_INPUTS) >= 150 and min(commands.count(c) for c in ("simulate", "spectrum", "fit", "compare")) >= 20
    assert len({row.args for row in BAD_INPUTS}) == len(BAD_INPUTS)


@pytest.mark.parametrize("row", BAD_INPUTS, ids=[row.line for row in BAD_INPUTS])
def test_bad_input_is_refused_before_any_work(row: BadInput, tmp_path: Path, reduced_run: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    argv = _argv(row, tmp_path, reduced_run)
    before = _snapshot(tmp_path)
    monkeypatch.chdir(tmp_path)
    try:
        code: object = main(argv)
    except SystemExit as exc:  # argparse's own refusals
        code = exc.code
    captured = capsys.readouterr()
    _check(row, code, captured.out, captured.err)
    assert _snapshot(tmp_path) == before, "something was written"


SAMPLE = [row for row in BAD_INPUTS if row.line in {
    "crmix simulate --rigidity 1000", "crmix spectrum --geometry isotropic --alpha 0.01", "crmix fit RUN_NAN",
    "crmix compare --maps RUN_MAPS_CHANGED --time 2", "crmix scan --eta 0.5 1.0", "crmix derive --only nosuch",
    "crmix codegen --out-dir FILE", f"crmix simulate {' '.join(SIMULATION)} --scheduler tcp://127.0.0.1:9",
    "crmix spectrum --out LONG", "crmix mixing --noise kpm",
}]


@pytest.mark.slow
@pytest.mark.parametrize("row", SAMPLE, ids=[row.line for row in SAMPLE])
def test_the_console_script_refuses_them_too(row: BadInput, tmp_path: Path, reduced_run: Path) -> None:
    argv = _argv(row, tmp_path, reduced_run)
    before = _snapshot(tmp_path)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    res = subprocess.run([sys.executable, "-m", "crmix.cli", *argv], cwd=tmp_path, env=env, capture_output=True, text=True)
    _check(row, res.returncode, res.stdout, res.stderr)
    assert _snapshot(tmp_path) == before, "something was written"


def test_the_sample_covers_every_command() -> None:
    assert {row.command for row in SAMPLE} == set(COMMANDS) and len(SAMPLE) == 10


def test_docs_list_every_row() -> None:
    assert markdown_table() in DOC.read_text()
