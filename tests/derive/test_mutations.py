"""What ``crmix derive --check`` verifies is exactly what ``crmix codegen`` emits.

For every expression of every kernel and recurrence in every codegen target, the expression is
replaced by 2x itself and by its negative in the derive module's ``KERNELS`` (where both codegen and
the checks read it), and the checks that declare they cover that kernel must then fail.  Every
emitted kernel is covered by at least one check.  The only expressions not mutated are those equal
to 0 (x2 and x(-1) leave them unchanged): the values T_(-1) of recurrences whose step multiplies
T_(l-1) by l.  The particle pusher's targets (rendered by a backend of codegen/backends/, from the
step and lookups of derive/boris.py and derive/lookups.py) have their own mutation test in
tests/simulate/test_kernels_generated.py.
"""

from __future__ import annotations

import importlib

import pytest
import sympy as sp

from crmix.codegen.backends.kernels import KERNELS, load_kernels, render_module
from crmix.codegen.config import TARGETS
from crmix.derive.expressions import emitted
from crmix.derive.registry import covering_checks, load_all, run_check

CHECKS = load_all()
COVERS = covering_checks()
ENTRIES = {target.source: load_kernels(target) for target in TARGETS if target.backend is KERNELS}
EXPRESSIONS = [(source, entry, key, sp.sympify(expr)) for source, entries in ENTRIES.items() for entry in entries for key, expr in entry.expressions().items()]
MUTATIONS = [(source, entry.name, key, factor) for source, entry, key, expr in EXPRESSIONS if expr != 0 for factor in (2, -1)]


def test_only_vanishing_starts_are_left_unmutated():
    """The zero expressions are T_(-1) of recurrence terms whose step has T_(l-1) only as l T_(l-1)."""
    for _, entry, key, expr in EXPRESSIONS:
        if expr == 0:
            term = entry.term(key.split(".")[0])
            assert key.endswith(".before"), key
            assert sp.expand(term.step.subs(entry.index, 0)).has(term.previous) is False, key


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
    mutated = entry.with_expression(key, factor * original)
    monkeypatch.setattr(module, "KERNELS", [mutated if e is entry else e for e in entries])
    target = next(t for t in TARGETS if t.source == source)
    assert render_module(target, [mutated]) != render_module(target, [entry]), "the mutation must change generated/"
    results = {check: run_check(check)[0] for check in COVERS[name]}
    assert not all(r.passed for r in results.values()), f"{name}.{key} x {factor} passed {sorted(results)}"


def test_crmix_derive_fails_on_kpm_40s_prefactor(monkeypatch, capsys):
    """KPM (40)'s printed 8 pi (twice the slab M^(1a)) typed into the emitted weight: ``crmix derive``
    exits 1 on the checks that verify it, and names them."""
    from crmix.cli import main

    module = importlib.import_module("crmix.derive.mixing_weights")
    entries = list(module.KERNELS)
    doubled = [e.with_expression("expr", 2 * e.expr) if e.name == "slab_m1a" else e for e in entries]
    monkeypatch.setattr(module, "KERNELS", doubled)
    argv = ["derive"] + [arg for check in COVERS["slab_m1a"] for arg in ("--only", check)]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert all(f"FAIL {check}" in out for check in ("m1a_slab_reduction", "invariant_mixing", "invariant_numeric"))
