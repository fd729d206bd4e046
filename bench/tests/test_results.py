"""results.md says met / not met from the figures, with the ratios computed from them, and the
plot is drawn from the same figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.bench_reconcile import default_rate_projection
from bench.plot import draw_scaling
from bench.report import render_results
from bench.targets import (
    MET,
    NOT_MEASURED,
    judge_ci_plan,
    judge_fleet,
    judge_latency,
    judge_memory,
    judge_reconcile,
)

STEPS = [
    "apply-from-empty",
    "plan-after-apply",
    "noop-warm",
    "plan-fresh",
    "plan-cached",
    "restart-noop",
    "plan-one-changed",
    "plan-10pct",
    "apply-10pct",
]


def _at_default_rate(seconds: dict[str, float], calls: dict[str, int]) -> dict[str, Any]:
    return {
        "rate_limit": 20.0,
        "burst": 40,
        "steps": [
            {"step": step, "seconds": seconds.get(step, 1.0), "calls": calls.get(step, 10)}
            for step in STEPS
        ],
        "load_before": [1.0, 1.0, 1.0],
        "load_after": [1.0, 1.0, 1.0],
    }


def _reconcile(
    groups: int,
    seconds: dict[str, float],
    calls: dict[str, int],
    slow: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "groups": groups,
        "round_trip_ms": 2.0,
        "spec_load_seconds": 0.5,
        "steps": [
            {
                "step": step,
                "seconds": seconds.get(step, 1.0),
                "calls": calls.get(step, 10),
                "floor_calls": 10,
                "floor_seconds": 0.02,
                "changed_groups": 0,
                "emulator_seconds": 0.01,
                "projected_default_rate_seconds": default_rate_projection(
                    seconds.get(step, 1.0), calls.get(step, 10)
                ),
            }
            for step in STEPS
        ],
        "default_rate": slow,
        "naive": [
            {
                "step": "naive-apply",
                "calls": 2 * groups,
                "seconds": 8.0,
                "changed_groups": groups,
                "emulator_seconds": 1.0,
            },
            {
                "step": "naive-noop",
                "calls": 2 * groups,
                "seconds": 4.0,
                "changed_groups": 0,
                "emulator_seconds": 1.0,
            },
            {
                "step": "naive-10pct",
                "calls": 2 * groups + groups // 10,
                "seconds": 5.0,
                "changed_groups": groups // 10,
                "emulator_seconds": 1.0,
            },
        ],
        "load_before": [1.0, 1.0, 1.0],
        "load_after": [1.5, 1.0, 1.0],
    }


def _latency(medians: dict[str, tuple[float, float]]) -> dict[str, Any]:
    return {
        "groups": 1000,
        "samples_per_mode": 3,
        "modes": [
            {
                "mode": mode,
                "median_s": median,
                "max_s": high,
                "min_s": median / 2,
                "first_sync_seconds": 9.0,
                "first_commit_s": 2.5,
                "cycle_median_s": median / 2,
                "controller_errors": [],
                "samples": [],
            }
            for mode, (median, high) in medians.items()
        ],
        "load_before": [1.0, 1.0, 1.0],
        "load_after": [1.0, 1.0, 1.0],
    }


def _memory(groups: int, peak: float) -> dict[str, Any]:
    phase = {
        "phase": "warm no-op",
        "seconds": 3.0,
        "controller_mb": {"VmRSS": peak - 10, "VmHWM": peak},
        "controller_cpu_s": 12.0,
        "emulator_mb": {"VmRSS": 300.0, "VmHWM": 310.0},
    }
    return {"groups": groups, "phases": [phase], "controller_errors": [],
            "load_before": [1, 1, 1], "load_after": [1, 1, 1]}  # fmt: skip


def test_reconcile_targets_are_judged_at_the_default_rate() -> None:
    slow = _at_default_rate(
        {"noop-warm": 0.3, "plan-fresh": 52.0, "apply-from-empty": 51.0, "plan-cached": 2.5},
        {"noop-warm": 10, "plan-fresh": 1013, "apply-from-empty": 1013, "plan-cached": 14},
    )
    fast = _reconcile(1000, {"noop-warm": 0.2, "plan-fresh": 3.0}, {}, slow)
    verdicts = {j.target: j for j in judge_reconcile([fast])}
    assert verdicts["no-op (warm) at 1,000 groups ≤ 11 calls, ≤ 1 s"].verdict == MET
    fresh = verdicts["fresh plan, empty fact cache, at 1,000 groups ≤ 5 s"]
    # Unthrottled it took 3 s; at 20 calls/s it cannot: the verdict follows the default rate.
    assert "not met" in fresh.verdict
    assert "52.00 s at 20/s (measured); 3.00 s unthrottled" in fresh.measured
    chatty = _reconcile(1000, {}, {}, _at_default_rate({"noop-warm": 0.2}, {"noop-warm": 12}))
    assert "not met" in judge_reconcile([chatty])[0].verdict
    # 10,000 groups are projected from calls: 4 s + (101 - 40) / 20 = 7.05 s.
    large = _reconcile(10000, {"restart-noop": 4.0}, {"restart-noop": 101})
    judged = {j.target: j for j in judge_reconcile([fast, large])}
    restart = judged["controller restart at 10,000 groups: first no-op cycle ≤ 110 calls"]
    assert restart.verdict == MET
    assert restart.measured.startswith("102 calls, 7.05 s at 20/s (projected)")
    # Only 100 groups measured: nothing at 1,000 or 10,000 can be claimed.
    assert {j.verdict for j in judge_reconcile([_reconcile(100, {}, {})])} == {NOT_MEASURED}


def _ci_plan(groups: int, runs: list[tuple[int, float, bool]]) -> dict[str, Any]:
    return {
        "groups": groups,
        "fill": {"calls": groups + 19, "wall_s": 2.0, "cpu_s": 2.0},
        "runs": [
            {"calls": calls, "wall_s": wall, "cpu_s": wall * 0.8, "load": 0.5, "same_plan": same}
            for calls, wall, same in runs
        ],
    }


def test_the_ci_plan_targets_need_every_run_within_and_the_same_plan() -> None:
    judged = judge_ci_plan(
        [_ci_plan(1000, [(14, 0.9, True), (14, 1.1, True)]), _ci_plan(10000, [(104, 7.5, True)])]
    )
    assert [j.verdict for j in judged] == [MET, MET]
    assert judged[0].measured.startswith("14 calls; the whole process at 20/s: 0.90-1.10 s")
    some = judge_ci_plan([_ci_plan(10000, [(104, 7.5, True), (104, 8.4, True)])])[1]
    assert some.verdict == "**not met reliably** (1 of 2 runs within)"
    chatty = judge_ci_plan([_ci_plan(1000, [(16, 0.9, True)])])[0]
    assert "not met" in chatty.verdict
    wrong = judge_ci_plan([_ci_plan(1000, [(14, 0.9, False)])])[0]
    assert "not met" in wrong.verdict
    assert "planned differently" in wrong.measured
    assert [j.verdict for j in judge_ci_plan(None)] == [NOT_MEASURED] * 2


def test_latency_is_met_only_when_every_sample_is_within_two_seconds() -> None:
    judged = judge_latency(_latency({"watch": (0.6, 0.9), "poll": (1.2, 2.4), "webhook": (2.5, 3)}))
    verdicts = [j.verdict for j in judged]
    assert verdicts[0] == f"{MET} (every sample)"
    assert "not** by the slowest" in verdicts[1]
    assert "not met" in verdicts[2]
    assert judge_latency(None)[0].verdict == NOT_MEASURED


def test_memory_target_needs_the_ten_thousand_group_run_and_judges_the_peak() -> None:
    assert judge_memory(_memory(10000, 180.0)).verdict == MET
    assert "not met" in judge_memory(_memory(10000, 240.0)).verdict
    assert judge_memory(_memory(1000, 120.0)).verdict == NOT_MEASURED


def _fleet(devices: int, seconds: float, peak: float) -> dict[str, Any]:
    return {
        "devices": devices,
        "succeeded": devices,
        "rollout_s": seconds,
        "emulator_mb": {"VmRSS": peak, "VmHWM": peak},
    }


def test_fleet_targets_need_ten_thousand_devices_and_judge_time_and_peak() -> None:
    assert [j.verdict for j in judge_fleet(_fleet(10_000, 8.0, 150.0))] == [MET, MET]
    verdicts = [j.verdict for j in judge_fleet(_fleet(10_000, 31.0, 600.0))]
    assert all("not met" in v for v in verdicts)
    assert [j.verdict for j in judge_fleet(_fleet(1_000, 1.0, 90.0))] == [NOT_MEASURED] * 2
    assert [j.verdict for j in judge_fleet(None)] == [NOT_MEASURED] * 2


def test_results_show_ratios_to_the_floor_and_to_the_naive_baseline() -> None:
    data = {
        "quick": True,
        "machine": {
            "date": "2026-01-01T00:00:00+00:00",
            "cores": 2,
            "cpu_model": "Test CPU",
            "memory_gb": 4.0,
            "platform": "Linux",
            "python": "3.11.9",
        },
        "load_start": [0.5, 0.5, 0.5],
        "load_end": [0.7, 0.6, 0.5],
        "duration_s": 120.0,
        "reconcile": [
            _reconcile(
                1000,
                {"noop-warm": 0.2},
                {"noop-warm": 10},
                _at_default_rate({"plan-fresh": 51.5}, {"plan-fresh": 1013}),
            )
        ],
        "latency": _latency({"watch": (0.5, 0.7)}),
        "memory": _memory(1000, 150.0),
        "emulator": [],
    }
    text = render_results(data, "## Where the time goes\n\nProfiles.")
    watch = next(line for line in text.splitlines() if line.startswith("| watch |"))
    assert "| 0.500 | 0.250 | 0.700 | 0.250 | 2.500 | 9.0 |" in watch

    assert "2 cores, Test CPU" in text
    assert "- Code: commit `unknown`\n" in text
    assert "0.50/0.50/0.50 at the start, 0.70/0.60/0.50 at the end" in text
    # noop-warm: 0.2 s against a floor of 0.02 s; 10 calls against the naive 2,000 and 4 s.
    assert "| noop-warm |" in text
    row = next(line for line in text.splitlines() if line.startswith("| noop-warm |"))
    assert "| 10.00 |" in row and "0.0050 (naive-noop)" in row and "| 0.050 |" in row
    # At 20 calls/s: measured, its calls where they differ, the projection in brackets.
    assert "| 1.00 (0.20) |" in row
    fresh = next(line for line in text.splitlines() if line.startswith("| plan-fresh |"))
    assert "| 51.50, 1,013 calls (1.00) |" in fresh
    assert "controller RSS at 10,000 groups ≤ 200 MB | — | not measured" in text
    assert text.rstrip().endswith("Profiles.")
    assert "measured again later" not in text

    data["remeasured"] = [{"section": "emulator", "date": "2026-01-01T01:00:00+00:00"}]
    again = render_results(data, "")
    assert "(each gives its own load): emulator on 2026-01-01T01:00:00+00:00." in again


def test_scaling_plot_is_a_png(tmp_path: Path) -> None:
    path = tmp_path / "scaling.png"
    reports = [_reconcile(n, {}, {"noop-warm": n // 100}) for n in (100, 1000)]
    draw_scaling(reports, path, subtitle="test")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000


def _rollouts(peak: int, after: list[int]) -> dict[str, Any]:
    return {
        "peak_per_minute": peak,
        "ceiling_per_minute": 310.0,
        "after_end": after,
        "ended_minute": 61,
        "active_deployments": 1000,
    }


def test_rollout_targets_judge_the_share_and_the_silence_after_the_end() -> None:
    from bench.targets import judge_rollouts

    assert [j.verdict for j in judge_rollouts(_rollouts(306, [0, 0, 0]))] == [MET, MET]
    verdicts = [j.verdict for j in judge_rollouts(_rollouts(400, [0, 3, 0]))]
    assert MET not in verdicts
    assert [j.verdict for j in judge_rollouts(None)] == [NOT_MEASURED] * 2
