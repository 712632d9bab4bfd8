"""What ``crmix derive --check`` verifies is exactly what ``crmix codegen`` emits.

For every expression of every kernel and recurrence in every codegen target, the expression is
replaced by 2x itself and by its negative in the derive module's ``KERNELS`` (where both codegen and
the checks read it), and the checks that declare they cover that kernel must then fail.  Every
emitted kernel is covered by at least one check.
"""

from __future__ import annotations

import importlib

import pytest
import sympy as sp

from crmix.codegen.config import TARGETS
from crmix.codegen.generate import load_kernels, render_module
from crmix.derive.expressions import emitted
from crmix.derive.registry import covering_checks, load_all, run_check

CHECKS = load_all()
COVERS = covering_checks()
ENTRIES = {target.source: load_kernels(target) for target in TARGETS}
MUTATIONS = [
    (source, entry.name, key, factor)
    for source, entries in ENTRIES.items()
    for entry in entries
    for key in entry.expressions()
    for factor in (2, -1)
]


def test_every_emitted_kernel_is_covered_by_a_check():
    names = [entry.name for entries in ENTRIES.values() for entry in entries]
    assert len(set(names)) == len(names), "kernel names must be unique across the codegen targets"
    assert set(names) <= set(COVERS), f"emitted but verified by no check: {sorted(set(names) - set(COVERS))}"
    assert set(COVERS) <= set(names), f"checks cover kernels that are not emitted: {sorted(set(COVERS) - set(names))}"


def test_checks_read_the_objects_codegen_renders():
    for source, entries in ENTRIES.items():
        for entry in entries:
            assert emitted(source, entry.name) is entry


@pytest.mark.parametrize("source, name, key, factor", MUTATIONS, ids=[f"{n}:{k}*{f}" for _, n, k, f in MUTATIONS])
def test_a_mutated_expression_fails_its_checks(source, name, key, factor, monkeypatch):
    module = importlib.import_module(source)
    entries = list(module.KERNELS)
    entry = next(e for e in entries if e.name == name)
    original = sp.sympify(entry.expressions()[key])
    if original == 0:
        pytest.skip(f"{name}.{key} is 0 (T_(-1), multiplied by l = 0): x2 and -1 leave it unchanged")
    mutated = entry.with_expression(key, factor * original)
    monkeypatch.setattr(module, "KERNELS", [mutated if e is entry else e for e in entries])
    target = next(t for t in TARGETS if t.source == source)
    assert render_module(target, [mutated]) != render_module(target, [entry]), "the mutation must change generated/"
    results = {check: run_check(check)[0] for check in COVERS[name]}
    assert not all(r.passed for r in results.values()), f"{name}.{key} x {factor} passed {sorted(results)}"
