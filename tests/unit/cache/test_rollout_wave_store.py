"""The gate state of Rollouts kept in the cache dir (reconciler/adapters/rollout_waves.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.adapters.rollout_waves import (
    ApprovalError,
    ApprovalStore,
    RolloutWaveStore,
    RolloutWaveStoreError,
    approve_wave,
)
from reconciler.core.waves import RolloutRecord, WaveRecord


def test_records_survive_a_new_store_on_the_same_directory(tmp_path: Path) -> None:
    records = {
        "camera-models": RolloutRecord(
            change="abc",
            waves={"canary": WaveRecord(bake_started_at=100.0, passed=True)},
        ),
        "doors": RolloutRecord(
            change="def", halted_reason="wave a failed its gate: 3 devices", failed_wave="a"
        ),
    }
    assert RolloutWaveStore(tmp_path).load() == {}
    RolloutWaveStore(tmp_path / "cache").save(records)
    assert RolloutWaveStore(tmp_path / "cache").load() == records
    RolloutWaveStore(tmp_path / "cache").save({})
    assert RolloutWaveStore(tmp_path / "cache").load() == {}
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["rollout-waves.json"]


def test_a_broken_file_is_an_error_not_a_fresh_start(tmp_path: Path) -> None:
    (tmp_path / "rollout-waves.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(RolloutWaveStoreError, match="not a rollout gate state file"):
        RolloutWaveStore(tmp_path).load()


def test_an_approval_is_for_the_change_being_rolled_out(tmp_path: Path) -> None:
    waves, approvals = RolloutWaveStore(tmp_path), ApprovalStore(tmp_path)
    at = datetime(2026, 12, 6, tzinfo=UTC)
    with pytest.raises(ApprovalError, match="no change of rollout 'camera-models' is recorded"):
        approve_wave(waves, approvals, "camera-models", "canary", at=at)
    waves.save(
        {
            "camera-models": RolloutRecord(
                change="c1", waves={"canary": WaveRecord(), "prod": WaveRecord()}
            ),
            "doors": RolloutRecord(
                change="d1",
                waves={"a": WaveRecord()},
                halted_reason="wave a failed",
                failed_wave="a",
            ),
        }
    )
    with pytest.raises(ApprovalError, match="has no wave 'canry' \\(waves: canary, prod\\)"):
        approve_wave(waves, approvals, "camera-models", "canry", at=at)
    with pytest.raises(ApprovalError, match="is halted"):
        approve_wave(waves, approvals, "doors", "a", at=at)
    assert approvals.load() == {}
    assert approve_wave(waves, approvals, "camera-models", "canary", at=at).change == "c1"
    assert ApprovalStore(tmp_path).load() == {"camera-models": {"canary": "c1"}}
    # A newer change: approving again records it for that change, the wave's old one replaced.
    waves.save({"camera-models": RolloutRecord(change="c2", waves={"canary": WaveRecord()})})
    approve_wave(waves, approvals, "camera-models", "canary", at=at)
    assert ApprovalStore(tmp_path).load() == {"camera-models": {"canary": "c2"}}
    # The controller's writes of the gate state never touch the approvals.
    waves.save({})
    assert ApprovalStore(tmp_path).load() == {"camera-models": {"canary": "c2"}}


def test_a_broken_approvals_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "rollout-approvals.json").write_text('{"approvals": {"r": 1}}', encoding="utf-8")
    with pytest.raises(RolloutWaveStoreError, match="not a rollout approvals file"):
        ApprovalStore(tmp_path).load()
