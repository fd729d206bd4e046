"""The gate state of Rollouts kept in the cache dir (reconciler/adapters/rollout_waves.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.adapters.rollout_waves import RolloutWaveStore, RolloutWaveStoreError
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
