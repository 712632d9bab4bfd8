"""The install a user can plan: crmix spectrum on the numerical core alone, and a clear exit where an extra is missing."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from crmix.extras import EXTRA_OF_MODULE

ROOT = Path(__file__).resolve().parents[1]
#: the modules the numerical core must do without
EXTRA_MODULES = tuple(EXTRA_OF_MODULE)

BLOCKER = """
import sys
for name in {blocked!r}:
    sys.modules[name] = None  # import fails with ModuleNotFoundError, importlib.util.find_spec says "not installed"
from crmix.cli import main
sys.exit(main({argv!r}))
"""


def _crmix_without(blocked: tuple[str, ...], argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    code = BLOCKER.format(blocked=set(blocked), argv=argv)
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=600)


def test_crmix_spectrum_runs_on_the_numerical_core_alone(tmp_path: Path) -> None:
    """No SymPy, jinja2, numba, healpy, Dask, NaMaster, CuPy or mkdocs: crmix spectrum still writes its table and picture."""
    done = _crmix_without(EXTRA_MODULES, ["spectrum", "--lmax", "8", "--out", "out", "--no-progress"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "spectrum.ecsv").is_file() and (tmp_path / "out" / "spectrum.png").is_file()


@pytest.mark.parametrize(("blocked", "argv", "extra"), [
    (("numba",), ["simulate", "--nside", "2", "--times", "1", "--realisations", "1", "--out", "sim"], "simulate"),
    (("sympy",), ["derive", "--check"], "derive"),
    (("pymaster",), ["compare", "--tiers", "4", "--coverage", "../mask.fits", "--out", "cmp"], "observe"),
])
def test_a_command_without_its_extra_exits_2_naming_the_extra(blocked: tuple[str, ...], argv: list[str], extra: str,
                                                               tmp_path: Path) -> None:
    import healpy as hp

    from crmix.observe.sky import band_weights

    hp.write_map(str(tmp_path / "mask.fits"), band_weights(16, -90.0, -35.0))
    (tmp_path / "run").mkdir()
    done = _crmix_without(blocked, argv, tmp_path / "run")
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"pip install 'crmix[{extra}]'" in done.stderr and "Traceback" not in done.stderr
    assert not any((tmp_path / "run").iterdir())  # nothing written


def test_every_module_of_the_extras_table_is_installed_by_that_extra() -> None:
    """crmix.extras names, for each module, an extra of pyproject.toml that lists the distribution providing it."""
    from importlib import metadata

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    provided = metadata.packages_distributions()
    for module, extra in EXTRA_OF_MODULE.items():
        names = {re.split(r"[<>=\[ ;]", req, maxsplit=1)[0].lower() for req in extras[extra]}
        if module == "distributed":  # dask[distributed]
            assert "dask" in names
            continue
        distributions = {d.lower() for d in provided.get(module, [])} or {module.replace("_", "-")}
        assert distributions & names or (module == "cupy" and "cupy-cuda12x" in names), (module, extra, names)
    test = " ".join(extras["test"])
    assert all(name in test for name in ("derive", "simulate", "cluster", "observe", "docs"))
