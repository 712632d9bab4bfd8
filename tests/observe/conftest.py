"""A tiny real ``crmix simulate`` run shared by the tests that read simulated sky maps."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmix.cli import main


@pytest.fixture(scope="session")
def simulate_run(tmp_path_factory) -> Path:
    """Nside 4, T = 5 and 10 (1/Omega), two realisations at 1 PV (a few seconds)."""
    out = tmp_path_factory.mktemp("sim") / "run"
    code = main(["simulate", "--nside", "4", "--times", "5,10", "--realisations", "2", "--rigidity", "1PV",
                 "--out", str(out), "--no-progress"])
    assert code == 0
    return out
