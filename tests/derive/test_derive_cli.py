"""The registry and the ``crmix derive`` command: table, --only, --list, exit status."""

from __future__ import annotations

import pytest

from crmix.cli import main
from crmix.derive import registry
from crmix.derive.registry import Verdict, identity, load_all, run_check

#: topics the derivation layer must cover (one representative check each)
REQUIRED = [
    "commutator_hermitian", "commutator_kpm", "convention_map", "hadamard_matrix", "hadamard_differential",
    "hadamard_sandwich", "ladder_products", "ladder_action", "addition_theorem", "unsold", "unsold_first_moment",
    "unsold_second_moment", "plane_wave_expansion", "gaunt_integral", "index_shift_c35", "index_shift_c36",
    "isserlis", "pair_diagrams_second_order", "pair_diagrams_fourth_order", "bourret_geometric_series",
    "fokker_planck_operator", "fokker_planck_sign", "pitch_angle_limit", "m1a_slab_reduction",
    "m1a_isotropic_reduction", "source_term", "unitarity_second_order", "invariant_mixing",
]


def test_registry_covers_every_topic_and_cites_equations():
    checks = load_all()
    assert set(REQUIRED) <= set(checks)
    for c in checks.values():
        assert c.paper and c.equation and c.summary, c.name
        assert "KPM" in c.reference or "MA19" in c.reference


def test_run_check_rejects_unknown_name():
    with pytest.raises(ValueError, match="unknown check 'nope'"):
        run_check("nope")


def test_a_crashing_check_is_a_failure(monkeypatch):
    monkeypatch.setattr(registry, "REGISTRY", dict(registry.REGISTRY))

    @identity("always_raises", "crmix", "(test)")
    def always_raises() -> Verdict:
        """Raises."""
        raise RuntimeError("boom")

    result, _ = run_check("always_raises")
    assert not result.passed and "boom" in result.detail


def test_cli_only_prints_table_and_passes(capsys):
    assert main(["derive", "--only", "isserlis", "--only", "hadamard_matrix"]) == 0
    out = capsys.readouterr().out
    assert "isserlis" in out and "hadamard_matrix" in out and "KPM (42)-(43)" in out
    assert "2/2 checks passed" in out and "seconds" in out


def test_cli_list_names_every_check(capsys):
    assert main(["derive", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in load_all())
    row = next(line for line in out.splitlines() if line.startswith("m1a_slab_reduction "))
    assert "slab_m1a" in row  # the emitted kernel it verifies


def test_cli_unknown_check_is_an_error(capsys):
    assert main(["derive", "--only", "nope"]) == 2
    assert "unknown check" in capsys.readouterr().err


def test_cli_exit_status_one_on_failure(monkeypatch, capsys):
    monkeypatch.setattr(registry, "REGISTRY", dict(registry.REGISTRY))

    @identity("always_fails", "crmix", "(test)")
    def always_fails() -> Verdict:
        """Fails."""
        return Verdict(False, "deliberately false")

    assert main(["derive", "--only", "always_fails"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "deliberately false" in out
