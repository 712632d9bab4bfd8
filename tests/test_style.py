"""Style, layering and types, enforced with the tests: ruff, import-linter's contracts and mypy (pyproject.toml)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def test_ruff_finds_nothing() -> None:
    result = subprocess.run([_tool("ruff"), "check", "--no-cache", str(REPO)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def _importable_tree(dest: Path) -> Path:
    """The ``crmix`` namespace laid out as one folder tree, from pyproject's package-dir map.

    The editable install maps crmix.solver -> solver/ etc. through an import hook that the import
    graph builder does not see; a copy of the sources in the installed layout is what it reads.
    """
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    package_dir = config["tool"]["setuptools"]["package-dir"]
    for package, folder in sorted(package_dir.items()):
        target = dest.joinpath(*package.split("."))
        shutil.copytree(REPO / folder, target, ignore=shutil.ignore_patterns("__pycache__", "templates"), dirs_exist_ok=True)
    return dest


def test_import_contracts_hold(tmp_path: Path) -> None:
    tree = _importable_tree(tmp_path / "src")
    env = dict(os.environ, PYTHONPATH=str(tree))
    result = subprocess.run([_tool("lint-imports"), "--no-cache", str(REPO / "pyproject.toml")],
                            capture_output=True, text=True, check=False, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " 0 broken" in result.stdout, result.stdout[-2000:]


def test_types_check(tmp_path: Path) -> None:
    """mypy, strict on crmix's core, its requests and the command layer ([tool.mypy] in pyproject.toml)."""
    tree = _importable_tree(tmp_path / "src")
    result = subprocess.run([_tool("mypy"), "--config-file", str(REPO / "pyproject.toml"), "--cache-dir", str(tmp_path / "cache")],
                            capture_output=True, text=True, check=False, cwd=tree)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Success: no issues found" in result.stdout


def test_the_project_cites_only_its_own_files() -> None:
    """docs/ is the project's map: no file of the project cites a design document that is not in it."""
    skip = {".git", ".venv", "crmix.egg-info", "crmix-out", "__pycache__", ".pytest_cache", ".ruff_cache"}
    files = [p for p in REPO.rglob("*") if p.is_file() and not skip & set(p.relative_to(REPO).parts)
             and p.suffix in (".py", ".md", ".toml", ".jinja", ".txt", ".cfg")]
    citing = [str(p.relative_to(REPO)) for p in files if "DESIGN" + ".md" in p.read_text(encoding="utf-8", errors="replace")]
    assert files and not citing, f"these files cite a document outside the repository: {citing}"
