"""Which optional part of crmix (a pip extra) brings which module, for the message when one is missing.

``crmix spectrum`` and crmix.solver need only the numerical core (pyproject.toml's dependencies);
the other commands need an extra: ``pip install 'crmix[derive]'`` and so on (README, "Install").
"""

from __future__ import annotations

__all__ = ["EXTRA_OF_MODULE", "missing_extra"]

#: top-level module -> the extra of pyproject.toml that installs it
EXTRA_OF_MODULE = {
    "sympy": "derive", "jinja2": "derive",
    "numba": "simulate", "healpy": "simulate",
    "dask": "cluster", "distributed": "cluster", "dask_jobqueue": "cluster",
    "pymaster": "observe",
    "cupy": "gpu",
    "mkdocs": "docs",
}
_HOW = {"observe": " (NaMaster builds from source: tools/install-namaster in a checkout does it, README 'Install')"}


def missing_extra(error: ModuleNotFoundError) -> str | None:
    """The message for a module that an extra would have installed, or None for any other missing module."""
    top = (error.name or "").split(".")[0]
    extra = EXTRA_OF_MODULE.get(top)
    if extra is None:
        return None
    return f"needs {top}, part of the [{extra}] extra: pip install 'crmix[{extra}]'{_HOW.get(extra, '')}"
