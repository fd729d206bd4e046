"""Every benchmark runs end to end on a tiny fleet and measures what it says it measures.

Slow (emulator and controller subprocesses, ~40 s in all): run with
`.venv/bin/pytest bench/tests -q -p no:cacheprovider`.
"""

from __future__ import annotations

import pytest

from bench import (
    bench_ci_plan,
    bench_emulator,
    bench_fleet,
    bench_latency,
    bench_memory,
    bench_reconcile,
)

pytestmark = pytest.mark.slow


def test_reconcile_steps_count_what_the_reconciler_and_the_baseline_call() -> None:
    report = bench_reconcile.run(20)

    steps = {s["step"]: s for s in report["steps"]}
    naive = {s["step"]: s for s in report["naive"]}
    # One ListDeployments page sees all 20 groups; warm steps need nothing else.
    assert steps["noop-warm"]["calls"] == 1
    assert steps["noop-warm"]["changed_groups"] == 0
    assert steps["apply-from-empty"]["changed_groups"] == 20
    assert steps["apply-10pct"]["changed_groups"] == 2
    # Whatever we call, the emulator served (plus nothing of ours went elsewhere).
    assert all(s["emulator_requests"] == s["calls"] for s in report["steps"])
    assert naive["naive-noop"]["calls"] == 40
    assert naive["naive-10pct"]["calls"] == 42
    assert report["round_trip_ms"] > 0
    assert all(s["floor_seconds"] > 0 for s in report["steps"])
    # With the fact cache kept, a new process reads no deployment document again: one page,
    # the private component names, and the versions of the two dependencies the fleet leaves
    # unpinned (the nucleus, TensorFlowLite's model store); a one-group pull request lists
    # that group alone instead of the page.
    assert steps["plan-fresh"]["calls"] == 20 + 4 + 5  # + a document per group, 5 recipes
    assert steps["plan-cached"]["calls"] == steps["restart-noop"]["calls"] == 4
    assert steps["plan-one-changed"]["calls"] == 4
    assert steps["plan-one-changed"]["changed_groups"] == 1
    # Up to 1,000 groups the steps are measured again at the default client rate.
    slow = {s["step"]: s for s in report["default_rate"]["steps"]}
    assert report["default_rate"]["rate_limit"] == 20.0
    assert set(slow) == set(steps)
    assert slow["plan-cached"]["calls"] == 4


def test_the_ci_plan_process_plans_as_without_a_cache_and_reads_less() -> None:
    report = bench_ci_plan.run(20, runs=2)
    assert report["fill_same_plan"]
    # The filling plan reads every document (20) and the recipes; a kept cache reads neither:
    # the account check, one page, the private component names, two version listings.
    assert report["fill"]["calls"] > 20
    assert [run["calls"] for run in report["runs"]] == [5, 5]
    assert all(run["same_plan"] for run in report["runs"])
    assert all(run["cpu_s"] > 0 and run["wall_s"] > 0 for run in report["runs"])


def test_latency_of_each_mode_is_measured_on_the_revision_it_caused() -> None:
    report = bench_latency.run(10, samples=1)

    assert [m["mode"] for m in report["modes"]] == ["watch", "webhook", "poll"]
    for mode in report["modes"]:
        assert 0 < mode["min_s"] <= mode["median_s"] <= mode["max_s"] < 60
        assert mode["first_commit_s"] > 0
        # The controller logged the cycle that applied each commit.
        assert 0 < mode["cycle_median_s"] < 60
        assert mode["controller_errors"] == []
        assert len({s["group"] for s in mode["samples"]}) == 1


def test_controller_memory_is_read_after_each_phase() -> None:
    report = bench_memory.run(10)

    phases = [p["phase"] for p in report["phases"]]
    assert phases == [
        "started",
        "first full sync",
        "rollouts polled",
        "re-plan",
        "warm no-op, base",
        "warm no-op, 1 file",
    ]
    for phase in report["phases"]:
        assert 0 < phase["controller_mb"]["VmRSS"] <= phase["controller_mb"]["VmHWM"]
    # Four cycles succeeded: the first sync and the three comment-only commits.
    assert report["cycles"]["success"] >= 4
    assert report["cycles"]["error"] == 0


def test_emulator_throughput_with_raw_clients() -> None:
    report = bench_emulator.run(client="raw", processes=1, threads=2, seconds=0.5)

    reads, writes = report["phases"]
    assert reads["requests_per_second"] > 0 and writes["requests_per_second"] > 0
    assert reads["errors"] == 0 and writes["errors"] == 0
    assert reads["emulator_cpu_ms_per_request"] > 0


def test_a_fleet_rollout_reaches_every_device() -> None:
    report = bench_fleet.run(devices=200, groups=4)

    assert report["succeeded"] == 200
    assert report["sample_configuration_ok"] is True
    assert 0 < report["advance_s"] <= report["rollout_s"]
    assert report["events"] >= 200
    assert 0 < report["emulator_mb"]["VmRSS"] <= report["emulator_mb"]["VmHWM"]
