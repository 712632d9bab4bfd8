"""The layers install as one namespace, from a wheel (``pip install .``) and editable alike."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LAYERS = {"derive": "derive", "codegen": "codegen", "generated": "generated", "solver": "solver", "simulate": "simulate",
          "observe": "observe"}


def test_editable_install_maps_every_layer():
    import importlib

    for package, folder in LAYERS.items():
        mod = importlib.import_module(f"crmix.{package}")
        assert Path(mod.__file__).resolve().parent == REPO / folder


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src")
    shutil.copytree(
        REPO,
        src / "crmix-src",
        ignore=shutil.ignore_patterns(".venv", ".git", "crmix-out", "__pycache__", "build", "*.egg-info", ".pytest_cache"),
    )
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), str(src / "crmix-src")],
        check=True,
        capture_output=True,
    )
    (whl,) = out.glob("crmix-*.whl")
    return whl


def test_wheel_contains_every_module_and_template(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for package, folder in LAYERS.items():
        for py in (REPO / folder).glob("*.py"):
            assert f"crmix/{package}/{py.name}" in names, py
    templates = sorted((REPO / "codegen").rglob("*.jinja"))
    assert len(templates) >= 6  # the kernels backend's three, one per pusher backend
    for template in templates:
        assert f"crmix/codegen/{template.relative_to(REPO / 'codegen').as_posix()}" in names, template
    for py in (REPO / "codegen" / "backends").rglob("*.py"):
        assert f"crmix/codegen/{py.relative_to(REPO / 'codegen').as_posix()}" in names, py
    assert "crmix/py.typed" in names
    for data in ("icetop11_pseudo_cl.csv", "README.md"):
        assert f"crmix/observe/data/icetop11/{data}" in names, data
    assert not any(n.startswith(("derive/", "solver/", "simulate/", "observe/")) for n in names), "layer leaked to top level"


def test_wheel_imports_every_layer(wheel, tmp_path):
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    code = (
        "import importlib, pathlib, sys\n"
        f"for p in {sorted(LAYERS)!r}:\n"
        "    m = importlib.import_module('crmix.' + p)\n"
        f"    assert pathlib.Path(m.__file__).resolve().is_relative_to({str(target.resolve())!r}), m.__file__\n"
        "import crmix.cli\n"
        "from crmix.observe.data import icetop11\n"
        "assert len(icetop11()) == 4\n"
        "print('ok')\n"
    )
    env = dict(os.environ, PYTHONPATH=str(target), PYTHONNOUSERSITE="1")
    # run outside the repository so that the editable finder is the only other route, and must lose
    res = subprocess.run([sys.executable, "-I", "-c", code.replace("import importlib", f"import sys; sys.path.insert(0, {str(target)!r}); import importlib")],
                         env=env, cwd=tmp_path, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"
