"""mkdocs hooks of crmix's documentation site (mkdocs.yml): the README as front page, the API reference, the notebooks.

* ``index.md`` is the repository's README.md;
* ``build/docs-src/crmix``: the package as it is installed (crmix/ with derive/, solver/, ... inside),
  made of symbolic links, for mkdocstrings to read the sources from (the checkout's layout maps the
  layers' folders into one namespace, which it cannot follow);
* ``api/<package>.md``: one page per package of pyproject.toml (``[tool.setuptools] packages``) with
  a mkdocstrings block (``::: crmix.solver.spectrum``) for each of its modules, so that a module added
  or moved is documented without editing a list; the emitted kernels (crmix.generated) are left out;
* ``notebooks/<name>.py``: the jupytext notebooks of notebooks/, rendered by mkdocs-jupyter without
  being executed (tests/test_notebooks.py runs them).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[1]
#: packages without an API page: emitted code, templates and data
UNDOCUMENTED = ("crmix.generated", "crmix.observe.data")


def _package_dirs() -> dict[str, Path]:
    """Package -> its source folder, from pyproject.toml (packages and package-dir)."""
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapping = tool.get("package-dir", {})
    found = {}
    for package in tool["packages"]:
        if package.startswith(UNDOCUMENTED):
            continue
        parts = package.split(".")
        base = max((p for p in mapping if parts[: len(p.split("."))] == p.split(".")), key=len)
        folder = ROOT / mapping[base] / Path(*parts[len(base.split(".")):])
        if any(folder.glob("*.py")):
            found[package] = folder
    return found


def _installed_layout() -> None:
    """build/docs-src/crmix: crmix/'s modules, and each layer's under its package name, as links to the sources.

    Folders are real and files are links: mkdocstrings (griffe) does not descend into linked folders.
    """
    mapping = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    target = ROOT / "build" / "docs-src"
    for package, folder in mapping.items():
        for source in (ROOT / folder).rglob("*.py"):
            relative = source.relative_to(ROOT / folder)
            link = target.joinpath(*package.split("."), relative)
            if link.is_symlink() and link.resolve() == source.resolve():
                continue
            link.parent.mkdir(parents=True, exist_ok=True)
            link.unlink(missing_ok=True)
            link.symlink_to(source)


def _api_page(package: str, folder: Path) -> str:
    modules = sorted(p.stem for p in folder.glob("*.py") if p.stem != "__init__")
    blocks = [f"::: {package}\n    options:\n      members: false\n      show_root_heading: false\n"]
    blocks += [f"::: {package}.{name}\n" for name in modules]
    return f"# `{package}`\n\n" + "\n".join(blocks)


def _notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("*.py"))


@event_priority(100)  # before mkdocstrings' on_config, which keeps only the search paths that exist then
def on_config(config: Any) -> Any:
    _installed_layout()
    api = [{package: f"api/{package}.md"} for package in _package_dirs()]
    notebooks = [{path.stem.replace("_", " "): f"notebooks/{path.name}"} for path in _notebooks()]
    config["nav"] = [*config["nav"], {"API reference": api}, {"Notebooks": notebooks}]
    return config


@event_priority(50)  # before mkdocs-jupyter's on_files, which turns the notebooks it finds into pages
def on_files(files: Files, config: Any) -> Files:
    files.append(File.generated(config, "index.md", content=(ROOT / "README.md").read_text()))
    for package, folder in _package_dirs().items():
        files.append(File.generated(config, f"api/{package}.md", content=_api_page(package, folder)))
    for path in _notebooks():
        files.append(File(f"notebooks/{path.name}", str(ROOT), config["site_dir"], config["use_directory_urls"]))
    return files
