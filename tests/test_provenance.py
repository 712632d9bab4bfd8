"""The provenance record every result carries (crmix.provenance): versions, commit, date, command line, backend, precision."""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy
import pytest

import crmix
from crmix import __version__
from crmix.provenance import LIBRARIES, PER_INVOCATION, git_commit, provenance, reproducible

ROOT = Path(__file__).resolve().parents[1]


def test_provenance_names_the_versions_backend_and_precision() -> None:
    record = provenance("numba", "float32")
    assert record["crmix"] == record["versions"]["crmix"] == __version__
    assert (record["backend"], record["precision"]) == ("numba", "float32")
    assert set(record["versions"]) == {"crmix", "python", *LIBRARIES}
    assert record["versions"]["numpy"] == numpy.__version__ and record["versions"]["python"] == platform.python_version()


def test_provenance_names_the_date_in_utc_and_the_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["/somewhere/bin/crmix", "spectrum", "--rigidity", "10TV", "1PV", "--out", "my runs"])
    record = provenance("numpy", "float64")
    assert record["command_line"] == "crmix spectrum --rigidity 10TV 1PV --out 'my runs'"
    made = datetime.fromisoformat(record["date"])
    assert made.utcoffset() == timedelta(0) and abs(datetime.now(UTC) - made) < timedelta(minutes=5)
    assert set(reproducible(record)) == set(record) - set(PER_INVOCATION) and "commit" in reproducible(record)


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs a git checkout of crmix")
def test_commit_is_the_checkouts_head_and_dirty_says_whether_tracked_files_differ() -> None:
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    changed = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                             capture_output=True, text=True, check=True).stdout.strip()
    commit, dirty = git_commit()
    assert dirty is bool(changed)
    assert commit == head + ("+dirty" if changed else "")
    assert provenance("numpy", "float64")["commit"] == commit


def test_an_installed_copy_outside_a_checkout_records_an_unknown_commit(tmp_path: Path) -> None:
    """crmix copied out of its checkout (as a wheel installs it) says "unknown" and does not fail, even inside another repository."""
    if shutil.which("git") is not None:
        subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    shutil.copytree(Path(crmix.__file__).parent, tmp_path / "crmix", ignore=shutil.ignore_patterns("__pycache__"))
    code = "from crmix.provenance import provenance; r = provenance('numpy', 'float64'); print(r['commit'], r['dirty'])"
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["unknown", "None"]
