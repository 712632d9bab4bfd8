"""The README's Python API block runs as it stands and does what its comments say."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_readme_python_api_block_runs(tmp_path: Path) -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Python API.*?```python\n(.*?)```", text, re.S)
    assert block, "README has no Python API block"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    result = subprocess.run([sys.executable, "-c", block.group(1)], cwd=tmp_path, capture_output=True, text=True,
                            env=env, timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    fitted = re.search(r"fitted Omega dT = ([\d.]+) \[([\d.]+), ([\d.]+)\]", result.stdout)
    assert fitted and float(fitted.group(2)) < float(fitted.group(1)) < float(fitted.group(3)), result.stdout
    assert re.search(r"K_zz = [\d.e+]+ cm2 / s ; tau_s = [\d.e+]+ yr", result.stdout), result.stdout  # the table's units
    assert (tmp_path / "runs" / "small" / "ensemble_cl.ecsv").is_file()  # the run lands in the caller's folder
