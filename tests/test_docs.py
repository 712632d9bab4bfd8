"""The documentation: the site builds with warnings as errors, and every file and test that docs/ and the README cite exists."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: a repository path with a known top folder, optionally ::test_name (a pytest node)
CITATION = re.compile(r"(?<![\w/.-])((?:tests|docs|notebooks|benchmarks|examples|tools|crmix|derive|codegen|generated|solver|"
                      r"simulate|fit|observe)/(?:[\w./*-]*[\w*-]/?)?)(?:::(\w+))?")


def citations(text: str) -> list[tuple[str, str | None]]:
    """(path, test or None) of every repository path cited in ``text``."""
    return [(m.group(1), m.group(2)) for m in CITATION.finditer(text)]


def _defined_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_citations_are_found_in_text() -> None:
    """The pattern finds paths and pytest nodes, and not output folders or module names."""
    text = ("see `docs/errata.md` and tests/simulate/test_backtrack.py::test_energy, "
            "`crmix-out/spectrum.png`, crmix.solver.spectrum, OUT/predictions/, the folder `notebooks/`, `generated/pusher_*.py`")
    assert citations(text) == [("docs/errata.md", None), ("tests/simulate/test_backtrack.py", "test_energy"), ("notebooks/", None),
                               ("generated/pusher_*.py", None)]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_cited_file_and_test_exists(page: Path) -> None:
    missing = []
    for path, test in citations(page.read_text()):
        target = ROOT / path
        if "*" in path:
            if not any(ROOT.glob(path)):
                missing.append(path)
        elif not target.exists():
            missing.append(path)
        elif test is not None and test not in _defined_tests(target):
            missing.append(f"{path}::{test}")
    assert not missing, f"{page.name} cites what does not exist: {missing}"


def test_the_documentation_site_builds_with_warnings_as_errors(tmp_path: Path) -> None:
    """mkdocs build --strict: the pages, the API reference from the docstrings, the notebooks (rendered, not run)."""
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, timeout=900, env={**_env(), "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    site = tmp_path / "site"
    assert "Mixing-matrix" in (site / "index.html").read_text() or "crmix predicts" in (site / "index.html").read_text()
    assert "angular_power_spectrum" in (site / "api" / "crmix.solver" / "index.html").read_text()
    for notebook in (ROOT / "notebooks").glob("*.py"):
        assert (site / "notebooks" / notebook.stem / "index.html").is_file(), notebook.name


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)
