"""The registry of named identity checks.

Every identity that crmix relies on is a function decorated with :func:`identity`.  The function
takes the *claimed* form (a sign, a coefficient, a time domain, ...) as keyword parameters whose
defaults are the proved forms, and returns a :class:`Verdict`.  Calling it with the defaults
proves the identity; calling it with a seed's printed form shows whether that form holds.  The
command ``crmix derive --check`` runs every registered check with its defaults.

A check that verifies expressions ``crmix codegen`` emits declares them in ``covers`` (kernel names
of the derive modules' ``KERNELS``) and reads them when it runs (``crmix.derive.expressions.emitted``),
so that changing an emitted expression makes the check fail.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["REGISTRY", "Check", "Verdict", "covering_checks", "identity", "load_all", "run_check", "verdict"]

#: The topic modules whose checks make up the registry, in the order they are listed.
TOPIC_MODULES = (
    "crmix.derive.operators",
    "crmix.derive.harmonics",
    "crmix.derive.diagrams",
    "crmix.derive.bourret",
    "crmix.derive.reductions_m1a",
    "crmix.derive.reductions_m1c",
    "crmix.derive.threej",
    "crmix.derive.invariant",
    "crmix.derive.kernels",
    "crmix.derive.boris",
    "crmix.derive.lookups",
    "crmix.derive.closure",
    "crmix.derive.axisymmetric",
    "crmix.derive.qlt_continuum",
    "crmix.derive.pair_age",
    "crmix.derive.axisymmetric_realspace",
)


@dataclass(frozen=True)
class Verdict:
    """Outcome of one check: did the identity hold, and what was compared."""

    passed: bool
    detail: str


def verdict(passed: bool, detail: str) -> Verdict:
    """Shorthand for :class:`Verdict` (``passed`` is coerced to a Python bool)."""
    return Verdict(bool(passed), detail)


@dataclass(frozen=True)
class Check:
    """A registered identity: its name, the seed equation it covers, and the function proving it."""

    name: str
    paper: str
    equation: str
    func: Callable[..., Verdict]
    covers: tuple[str, ...] = ()

    @property
    def reference(self) -> str:
        """The seed equation(s) covered, prefixed by the paper unless the equation names it."""
        named = any(tag in self.equation for tag in ("KPM", "MA19"))
        return self.equation if named else f"{self.paper} {self.equation}"

    @property
    def summary(self) -> str:
        """First line of the check function's docstring."""
        return (self.func.__doc__ or "").strip().splitlines()[0]


REGISTRY: dict[str, Check] = {}


def identity(name: str, paper: str, equation: str, covers: tuple[str, ...] = ()) -> Callable[[Callable[..., Verdict]], Callable[..., Verdict]]:
    """Register ``func`` as the check ``name`` covering ``paper`` ``equation`` (e.g. "KPM", "(42)-(43)")
    and verifying the emitted kernels ``covers``."""

    def register(func: Callable[..., Verdict]) -> Callable[..., Verdict]:
        if name in REGISTRY and REGISTRY[name].func.__qualname__ != func.__qualname__:
            raise ValueError(f"check name {name!r} is registered twice")
        REGISTRY[name] = Check(name=name, paper=paper, equation=equation, func=func, covers=tuple(covers))
        return func

    return register


def load_all() -> dict[str, Check]:
    """Import every topic module (which registers its checks) and return the registry."""
    for module in TOPIC_MODULES:
        importlib.import_module(module)
    return REGISTRY


def run_check(name: str) -> tuple[Verdict, float]:
    """Run one registered check with its proved defaults; an exception counts as a failure."""
    checks = load_all()
    if name not in checks:
        raise ValueError(f"unknown check {name!r}; allowed: {', '.join(sorted(checks))}")
    start = time.perf_counter()
    try:
        result = checks[name].func()
    except Exception as exc:  # a crashing check is reported as a failure, never hidden
        result = Verdict(False, f"raised {type(exc).__name__}: {exc}")
    return result, time.perf_counter() - start


def covering_checks() -> dict[str, list[str]]:
    """Emitted kernel name -> the checks that declare they verify it (``covers``), in registry order."""
    out: dict[str, list[str]] = {}
    for check in load_all().values():
        for kernel in check.covers:
            out.setdefault(kernel, []).append(check.name)
    return out
