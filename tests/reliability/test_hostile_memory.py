"""Spec trees of at most 1 MiB that try to expand without bound (hostile_memory.py): validate,
plan and the controller's load of one cycle each answer within 300 MB of peak memory, and
refuse every tree that goes over a bound with a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import AwsTestContext
from tests.reliability.conftest import READ_AHEAD
from tests.reliability.figures import Figures
from tests.reliability.hostile_memory import MIB, TREES, commands, peak_rss_mb, write_tree

LIMIT_MB = 300


@pytest.mark.timeout(600)  # a few thousand files loaded by three processes on a shared CPU
@pytest.mark.parametrize("name", sorted(TREES))
def test_hostile_trees_stay_under_300_mb(
    name: str, seeded: AwsTestContext, tmp_path: Path, figures: Figures
) -> None:
    root = tmp_path / name
    assert write_tree(TREES[name], root) <= MIB
    valid = name.endswith("-valid")
    for what, command in commands(root).items():
        if what == "plan" and name != "string-bomb":
            continue  # plan loads as validate does (measured); once is enough for the CPU
        peak, code, output = peak_rss_mb(command)
        figures.add("hostile_peak_mb", round(peak))
        assert peak < LIMIT_MB, f"{what}: {peak:.0f} MB"
        assert "Traceback" not in output
        if what == "controller load":
            assert output.startswith("loaded" if valid else "refused"), output
        else:
            assert code == (0 if valid else 1), output
    if not valid:
        # Refused before any write, and before any read but those of a full plan that go
        # ahead while the specs load.
        requests = seeded.admin.requests()
        assert [r for r in requests if r.mutating] == []
        assert {r.operation for r in requests} <= READ_AHEAD
