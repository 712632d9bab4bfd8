"""Resources before work: estimates, the memory refusal naming the options, --yes beyond the hours threshold."""

from __future__ import annotations

import pytest

from crmix.resources import ResourceEstimate, available_memory, format_bytes, format_seconds, require


def test_require_refuses_what_does_not_fit_and_asks_for_yes() -> None:
    small = ResourceEstimate(memory={"table": 1e6}, seconds=10.0)
    require(small, size_options="--nside", yes=False, memory=1e9)
    big = ResourceEstimate(memory={"table": 2e9, "particles": 1e8}, seconds=10.0)
    with pytest.raises(ValueError, match=r"reduce --nside") as err:
        require(big, size_options="--nside", yes=True, memory=1e9)
    assert "table 1.86 GiB" in str(err.value)
    slow = ResourceEstimate(memory={"table": 1e6}, seconds=3 * 3600.0)
    with pytest.raises(ValueError, match="pass --yes"):
        require(slow, size_options="--times", yes=False, memory=1e9)
    require(slow, size_options="--times", yes=True, memory=1e9)


def test_formats_and_the_machine() -> None:
    assert format_bytes(3 * 2**30) == "3 GiB" and format_bytes(512) == "512 B"
    assert format_seconds(7200) == "2 h" and format_seconds(90) == "1.5 min"
    assert 1e8 < available_memory() < 1e13
