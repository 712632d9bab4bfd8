"""Every notebook in notebooks/ (jupytext percent format) executes top to bottom in a kernel."""

from __future__ import annotations

from pathlib import Path

import jupytext
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.py"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes(path, tmp_path, monkeypatch):
    monkeypatch.setenv("CRMIX_NOTEBOOK_LMAX", "40")  # small truncation: the notebook's own asserts still bite
    monkeypatch.setenv("CRMIX_NOTEBOOK_OUT", str(tmp_path))
    nb = jupytext.read(path)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert list(tmp_path.glob("*.png")), "the notebook should save its figures"
