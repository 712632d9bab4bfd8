"""Every bad input of the table (tests/bad_inputs_table.py) is a clear error before any work.

Each row runs the real command line in a fresh folder: exit code 2, the option named in the message,
no traceback, nothing written (the folder, where the default --out would land, is unchanged), and
an answer within ANSWER_SECONDS -- a regression that started the computation would take far longer.
docs/inputs.md lists the same table.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bad_inputs_table import BAD_INPUTS, BadInput, markdown_table

#: an answer includes the interpreter's start and crmix's imports (a few seconds on a busy 2-core machine)
ANSWER_SECONDS = 20.0
DOC = Path(__file__).resolve().parents[1] / "docs" / "inputs.md"


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


def test_the_table_covers_both_commands_and_many_inputs() -> None:
    commands = [row.command for row in BAD_INPUTS]
    assert len(BAD_INPUTS) >= 30 and commands.count("simulate") >= 12 and commands.count("spectrum") >= 12
    assert len({row.args for row in BAD_INPUTS}) == len(BAD_INPUTS)


@pytest.mark.parametrize("row", BAD_INPUTS, ids=[row.line for row in BAD_INPUTS])
def test_bad_input_is_refused_before_any_work(row: BadInput, tmp_path: Path) -> None:
    (tmp_path / "FILE").write_text("an ordinary file\n")
    (tmp_path / "RUN").mkdir()
    before = _snapshot(tmp_path)
    argv = [str(tmp_path / a) if a in ("FILE", "RUN") else a for a in row.args]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    start = time.monotonic()
    res = subprocess.run([sys.executable, "-m", "crmix.cli", *argv], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=10 * ANSWER_SECONDS)
    seconds = time.monotonic() - start
    output = res.stdout + res.stderr
    assert res.returncode == 2, output
    assert "Traceback" not in output
    assert row.flag in res.stderr and row.excerpt in res.stderr, res.stderr
    assert f"crmix {row.command}: error:" in res.stderr
    assert _snapshot(tmp_path) == before, "something was written"
    assert seconds < ANSWER_SECONDS


def test_docs_list_every_row() -> None:
    assert markdown_table() in DOC.read_text()
