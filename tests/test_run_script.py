"""./run: a command runs in the caller's folder (a relative --out lands there), pytest in the repository.

The script runs in a copy of the repository's top level whose virtual environment is a stub with an
up-to-date install stamp, so nothing is installed.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _sandbox(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / ".venv" / "bin").mkdir(parents=True)
    shutil.copy2(REPO / "run", repo / "run")
    shutil.copy2(REPO / "pyproject.toml", repo / "pyproject.toml")
    stub = repo / ".venv" / "bin" / "python"
    stub.write_text("#!/bin/sh\nexit 0\n")
    stub.chmod(0o755)
    pytest_stub = repo / ".venv" / "bin" / "pytest"
    pytest_stub.write_text("#!/bin/sh\npwd\n")
    pytest_stub.chmod(0o755)
    (repo / ".venv" / ".crmix-install-stamp").write_text(hashlib.sha256((repo / "pyproject.toml").read_bytes()).hexdigest() + "\n")
    return repo


def test_commands_run_in_the_callers_folder_and_pytest_in_the_repository(tmp_path: Path) -> None:
    repo = _sandbox(tmp_path)
    caller = tmp_path / "caller"
    caller.mkdir()
    here = subprocess.run([str(repo / "run"), "pwd"], cwd=caller, capture_output=True, text=True, check=True)
    assert Path(here.stdout.strip()).resolve() == caller.resolve()
    assert "installing" not in here.stderr  # the stamp was current
    tests = subprocess.run([str(repo / "run"), "pytest"], cwd=caller, capture_output=True, text=True, check=True)
    assert Path(tests.stdout.strip()).resolve() == repo.resolve()
