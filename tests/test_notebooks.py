"""Every notebook in notebooks/ (jupytext percent format) executes top to bottom in a kernel and writes its figures.

The figure notebooks run at their "ci" preset (CRMIX_NOTEBOOK_PRESET; each has one parameter cell
whose presets switch to the papers' settings); their simulations go into the test's temporary folder.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.py"))

#: The figures each notebook must write (a new notebook is registered here).
FIGURES = {
    "angular_spectra.py": {"kpm_fig5_theory.png", "ma19_fig2_theory.png"},
    "kpm_backtracking.py": {"kpm_fig1.png", "kpm_fig2.png", "kpm_fig3.png", "kpm_fig4.png", "kpm_running_diffusion.png"},
    "kpm_theory_vs_simulation.py": {"kpm_fig5.png", "kpm_fig6.png", "kpm_fig7.png", "kpm_running_diffusion_runs.png"},
    "ma19_validation.py": {"ma19_fig1.png"},
    "icetop.py": {"icetop_kernel.png", "icetop_fit.png", "icetop_profiles.png"},
    "new_geometry.py": {"new_geometry_theory_vs_simulation.png"},
}
#: Notebooks without simulations (no presets): their one knob is CRMIX_NOTEBOOK_LMAX.
THEORY_ONLY = {"angular_spectra.py", "icetop.py"}


def test_every_notebook_is_registered():
    assert {p.name for p in NOTEBOOKS} == set(FIGURES)


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.name not in THEORY_ONLY], ids=lambda p: p.name)
def test_one_parameter_cell_whose_presets_change_numbers_only(path, monkeypatch):
    """The "ci" preset the tests run takes the same code path as "cpu" and "paper": the same keys, other values."""
    monkeypatch.delenv("CRMIX_NOTEBOOK_PRESET", raising=False)
    cells = [c for c in jupytext.read(path).cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, "one parameter cell"
    namespace: dict = {}
    exec("import os\nfrom pathlib import Path\n" + cells[0].source, namespace)
    presets = namespace["PRESETS"]
    assert namespace["PRESET"] == "ci" and set(presets) == {"ci", "cpu", "paper"}
    assert all(set(p) == set(presets["ci"]) for p in presets.values())
    assert presets["paper"]["nside"] == 256 and presets["paper"]["backend"] == "cupy"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes(path, tmp_path, monkeypatch):
    monkeypatch.setenv("CRMIX_NOTEBOOK_LMAX", "40")  # small truncation: the notebook's own asserts still bite
    monkeypatch.setenv("CRMIX_NOTEBOOK_PRESET", "ci")
    monkeypatch.setenv("CRMIX_NOTEBOOK_OUT", str(tmp_path))
    nb = jupytext.read(path)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    written = {p.name for p in tmp_path.glob("*.png") if p.stat().st_size > 0}
    assert written == FIGURES[path.name], f"figures written: {sorted(written)}"
