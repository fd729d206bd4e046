#!/usr/bin/env python3
"""Reconcile at fleet scale against the emulator: calls and wall time, with a naive baseline.

    .venv/bin/python bench/bench_reconcile.py --groups 1000
    .venv/bin/python bench/bench_reconcile.py --groups 100 1000 --json bench/out/reconcile.json

For each N (thing groups x 5 components, bench/workload.py) it measures, in this process, against
an emulator in its own process:
  apply-from-empty  plan + create N revisions (fresh runtime, empty account)
  plan-after-apply  the first reconcile after that apply, in the same long-lived runtime
  noop-warm         the next one: the steady state of a controller (caches warm)
  plan-fresh        a plan as CI runs it on a pull request (new runtime, cold caches)
  plan-cached       a plan in a new process whose fact cache a fresh plan filled (CI with the
                    cache kept between runs)
  restart-noop      a restarted controller's first cycle, its cache volume kept (new runtime,
                    the fact cache its apply wrote)
  plan-one-changed  a pull request changing one group: the groups `--changed-since` selects,
                    planned in a new process with the CI cache
  plan-10pct        10% of the groups changed, warm runtime; then
  apply-10pct       plan + create those 10% revisions
then, on a second, empty emulator, the naive baseline (bench/naive.py) doing the same jobs:
  naive-apply       from empty: per group ListDeployments + CreateDeployment
  naive-noop        nothing changed: per group ListDeployments + GetDeployment
  naive-10pct       10% changed: the same, plus CreateDeployment for each changed group
and the physical floor of each step: the emulator's median round trip (harness.round_trip_ms)
x the minimum number of calls the step needs (see `floor_calls`), made one after the other.

The steps run with the client rate limit raised to 1,000 calls/s (what the reconciler and the
emulator can do), and, up to `--default-rate-max` groups, once more on a new emulator at the
default client rate (20 calls/s, burst 40: what a real account tolerates), without the naive
baseline. Larger sizes get a projection from their calls instead (see `default_rate_projection`).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    ACCOUNT,
    REGION,
    load_average,
    round_trip_ms,
    running_emulator,
    seed_fleet,
)
from bench.naive import naive_reconcile  # noqa: E402
from bench.workload import group_name, write_fleet, write_group  # noqa: E402

PAGE_SIZE = 100  # ListDeployments returns at most 100 items per page
CONCURRENCY = 16
RATE_LIMIT = 1000.0  # the emulator never throttles: see controller_process.BENCH_RATE_LIMIT
DEFAULT_RATE_MAX_GROUPS = 1000  # above this, default-rate times are projected from calls

# Which naive job each of our steps is compared with.
NAIVE_COUNTERPART = {
    "apply-from-empty": "naive-apply",
    "plan-after-apply": "naive-noop",
    "noop-warm": "naive-noop",
    "plan-fresh": "naive-noop",
    "plan-cached": "naive-noop",
    "restart-noop": "naive-noop",
    "plan-one-changed": "naive-noop",
    "plan-10pct": "naive-noop",
    "apply-10pct": "naive-10pct",
}


def floor_calls(step: str, groups: int) -> int:
    """The fewest calls that can do a step: one LATEST_ONLY ListDeployments sweep (100 per page)
    to see every group's latest revision, a GetDeployment per revision never seen before, a
    CreateDeployment per revision to create. Warm steps have seen every revision already; an
    empty account lists nothing, in one page."""
    pages = max(1, -(-groups // PAGE_SIZE))
    changed = groups // 10
    return {
        "apply-from-empty": 1 + groups,
        "plan-after-apply": pages,
        "noop-warm": pages,
        "plan-fresh": pages + groups,
        "plan-cached": pages,
        "restart-noop": pages,
        "plan-one-changed": 1,  # ListDeployments scoped to the group; its document is cached
        "plan-10pct": pages,
        "apply-10pct": pages + changed,
    }[step]


class ServedLog:
    """What the emulator served since the last look, from its request log: how many requests,
    and how long it spent on them (its own processing time, summed)."""

    def __init__(self, endpoint: str) -> None:
        from reconciler.emulator.admin import EmulatorAdmin

        self._admin = EmulatorAdmin(endpoint, timeout=300.0)  # 10,000s of records, busy machine
        self._seq = max((r.seq for r in self._admin.requests()), default=0)

    def since_last_look(self) -> tuple[int, float]:
        records = self._admin.requests(since=self._seq)
        if records:
            self._seq = records[-1].seq
        return len(records), sum(r.duration_ms for r in records) / 1000.0


def default_rate() -> tuple[float, int]:
    """The client rate limit and burst a user runs with (ReconcilerSettings' defaults)."""
    from reconciler.settings import ReconcilerSettings

    fields = ReconcilerSettings.model_fields
    return float(fields["rate_limit"].default), int(fields["rate_burst"].default)


def default_rate_projection(seconds: float, calls: int) -> float:
    """A step's wall time at the default rate, from its unthrottled time and its calls: the
    token bucket lets the first `burst` calls through at once and then one per 1/rate s, and
    the step's own work (planning, the emulator's answers) is added on top, as if none of it
    overlapped with the wait. The 100- and 1,000-group rows measure what this projects."""
    rate, burst = default_rate()
    return seconds + max(0, calls - burst) / rate


def _measure(label: str, work: Callable[[], int], stats: Any, served: ServedLog) -> dict[str, Any]:
    before = stats.total_calls()
    served.since_last_look()
    started = time.perf_counter()
    changed = work()
    seconds = time.perf_counter() - started
    requests, emulator_seconds = served.since_last_look()
    return {
        "step": label,
        "seconds": seconds,
        "calls": stats.total_calls() - before,
        "changed_groups": changed,
        "emulator_requests": requests,
        "emulator_seconds": emulator_seconds,
    }


def _requests(plan: Any) -> dict[str, dict[str, Any]]:
    return {t.thing_group: dict(t.request) for t in plan.changed_targets if t.request is not None}


def our_steps(
    endpoint: str, root: Path, groups: int, *, rate_limit: float = RATE_LIMIT, burst: int = 0
) -> dict[str, Any]:
    """Every step of ours, in order; also the desired requests the naive baseline replays."""
    from reconciler.adapters.spec_files import SpecDirectoryLoader, load_spec_set
    from reconciler.core.planning.selection import changed_thing_groups
    from reconciler.engine.applying import ApplyOptions
    from reconciler.engine.runtime import Runtime, build_runtime
    from reconciler.engine.targeting import TargetSelection
    from reconciler.settings import ReconcilerSettings

    write_fleet(root, groups)
    loader = SpecDirectoryLoader()  # the controller's: parses only what changed
    load_started = time.perf_counter()
    spec_set = loader.load(root)
    load_seconds = time.perf_counter() - load_started
    write_group(root, 1, interval=31)
    reload_started = time.perf_counter()
    loader.load(root)
    reload_seconds = time.perf_counter() - reload_started
    write_group(root, 1)
    seed_fleet(endpoint, groups)
    settings = ReconcilerSettings(
        rate_limit=rate_limit, rate_burst=burst or int(rate_limit), concurrency=CONCURRENCY
    )
    # Each kind of process has its own persistent fact cache, as it would have on its own
    # machine: the controller's volume (filled by its applies) and a CI runner's cache (filled
    # by the first fresh plan). "Fresh" below means a new runtime with an empty one.
    caches = root.parent / "caches"

    def runtime(cache: str) -> Runtime:
        return build_runtime(
            settings.model_copy(update={"cache_dir": caches / cache}),
            region=REGION,
            account=ACCOUNT,
        )

    options = ApplyOptions(instance=settings.instance, specs_root=root, concurrency=CONCURRENCY)
    desired: dict[str, dict[str, Any]] = {}
    changed_desired: dict[str, dict[str, Any]] = {}
    created_ids: list[str] = []

    # `reconciler apply` and `plan` print their plans (full plans); the controller plans compact
    # (no configuration documents): the long-lived runtime's steps after the first apply are the
    # controller's, the first apply and the fresh plan are the CLI's.
    def apply_with(
        rt: Runtime, specs: Any, commit: str, into: dict[str, Any], *, compact: bool
    ) -> int:
        plan = rt.plan(specs, commit=commit, specs_path=None, compact=compact)
        report = rt.applier().apply(plan, options)
        if report.failed:
            raise RuntimeError(f"the apply failed: {report}")
        into.update(_requests(plan))
        created_ids.extend(r.deployment_id for r in report.targets if r.deployment_id)
        return len(plan.changed_targets)

    def plan_changes(rt: Runtime, specs: Any, *, compact: bool) -> int:
        plan = rt.plan(specs, commit="bench", specs_path=None, compact=compact)
        return len(plan.changed_targets)

    served = ServedLog(endpoint)
    long_lived = runtime("controller")
    warm = long_lived.stats
    steps = [
        _measure(
            "apply-from-empty",
            lambda: apply_with(long_lived, spec_set, "bench-1", desired, compact=False),
            warm,
            served,
        ),
        # The first plan after an apply reads nothing new (the gateway remembers what it created)
        # but the revisions' status and revision id moved, so every target is planned again;
        # the next plan is the steady state.
        _measure(
            "plan-after-apply",
            lambda: plan_changes(long_lived, spec_set, compact=True),
            warm,
            served,
        ),
        _measure(
            "noop-warm", lambda: plan_changes(long_lived, spec_set, compact=True), warm, served
        ),
    ]
    fresh = runtime("ci")
    steps.append(
        _measure(
            "plan-fresh", lambda: plan_changes(fresh, spec_set, compact=False), fresh.stats, served
        )
    )
    cached = runtime("ci")
    steps.append(
        _measure(
            "plan-cached",
            lambda: plan_changes(cached, spec_set, compact=False),
            cached.stats,
            served,
        )
    )
    restarted = runtime("controller")
    steps.append(
        _measure(
            "restart-noop",
            lambda: plan_changes(restarted, spec_set, compact=True),
            restarted.stats,
            served,
        )
    )
    write_group(root, 1, interval=31)
    one_changed = load_spec_set(root)
    write_group(root, 1)
    pull_request = runtime("ci")

    def plan_pull_request() -> int:
        # What `plan --changed-since BASE` does once it has both spec sets (loading the specs
        # at BASE is a second spec load, reported above, not part of this step).
        changes = changed_thing_groups(spec_set, one_changed)
        selection = TargetSelection(changes.groups, changes.removed, changes.reason, groups)
        plan = pull_request.plan(
            selection.spec_set(one_changed),
            commit="bench",
            specs_path=None,
            scope=selection.scope(one_changed),
        )
        if [t.thing_group for t in plan.changed_targets] != [group_name(1)]:
            raise RuntimeError(f"the pull-request plan changed {plan.changed_targets}")
        return len(plan.changed_targets)

    steps.append(_measure("plan-one-changed", plan_pull_request, pull_request.stats, served))
    for index in range(0, groups, 10):
        write_group(root, index, interval=45)
    changed = load_spec_set(root)
    steps.append(
        _measure(
            "plan-10pct", lambda: plan_changes(long_lived, changed, compact=True), warm, served
        )
    )
    steps.append(
        _measure(
            "apply-10pct",
            lambda: apply_with(long_lived, changed, "bench-2", changed_desired, compact=True),
            warm,
            served,
        )
    )
    return {
        "steps": steps,
        "a_deployment_id": created_ids[0],
        "spec_load_seconds": load_seconds,
        "spec_reload_seconds": reload_seconds,
        "desired": desired,
        "changed_desired": changed_desired,
    }


def naive_steps(
    endpoint: str, desired: dict[str, dict[str, Any]], changed: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The baseline's three jobs on an emulator holding the thing groups and nothing else."""
    served = ServedLog(endpoint)
    results = []
    for label, wanted, expected in (
        ("naive-apply", desired, len(desired)),
        ("naive-noop", desired, 0),
        ("naive-10pct", {**desired, **changed}, len(changed)),
    ):
        result = naive_reconcile(endpoint, wanted)
        if result.created != expected:
            raise RuntimeError(f"{label} created {result.created} revisions, not {expected}")
        requests, emulator_seconds = served.since_last_look()
        results.append(
            {
                "step": label,
                "calls": result.calls,
                "seconds": result.seconds,
                "changed_groups": result.created,
                "emulator_requests": requests,
                "emulator_seconds": emulator_seconds,
            }
        )
    return results


def at_default_rate(groups: int) -> dict[str, Any]:
    """Our steps again on a new emulator, at the client rate a user runs with."""
    rate, burst = default_rate()
    load_before = load_average()
    with running_emulator() as emulator, tempfile.TemporaryDirectory() as tmp:
        ours = our_steps(
            emulator.endpoint, Path(tmp) / "specs", groups, rate_limit=rate, burst=burst
        )
    return {
        "rate_limit": rate,
        "burst": burst,
        "steps": ours["steps"],
        "load_before": load_before,
        "load_after": load_average(),
    }


def run(groups: int, *, default_rate_max: int = DEFAULT_RATE_MAX_GROUPS) -> dict[str, Any]:
    from reconciler.emulator.admin import EmulatorAdmin

    load_before = load_average()
    with running_emulator() as emulator, tempfile.TemporaryDirectory() as tmp:
        ours = our_steps(emulator.endpoint, Path(tmp) / "specs", groups)
        rtt = round_trip_ms(emulator.endpoint, ours["a_deployment_id"])
    # The baseline gets an emulator of its own, empty like the one our apply started from.
    with running_emulator() as emulator:
        EmulatorAdmin(emulator.endpoint, timeout=300.0).create_thing_groups(sorted(ours["desired"]))
        naive = naive_steps(emulator.endpoint, ours["desired"], ours["changed_desired"])
    for step in ours["steps"]:
        step["floor_calls"] = floor_calls(step["step"], groups)
        step["floor_seconds"] = step["floor_calls"] * rtt / 1000.0
        step["projected_default_rate_seconds"] = default_rate_projection(
            step["seconds"], step["calls"]
        )
    load_after = load_average()
    slow = at_default_rate(groups) if groups <= default_rate_max else None
    return {
        "groups": groups,
        "components_per_group": 5,
        "spec_load_seconds": ours["spec_load_seconds"],
        "spec_reload_seconds": ours["spec_reload_seconds"],
        "round_trip_ms": rtt,
        "steps": ours["steps"],
        "naive": naive,
        "load_before": load_before,
        "load_after": load_after,
        "default_rate": slow,
    }


def print_report(report: dict[str, Any]) -> None:
    n = report["groups"]
    print(
        f"\n== {n} thing groups x 5 components (round trip {report['round_trip_ms']:.2f} ms,"
        f" specs loaded in {report['spec_load_seconds']:.2f} s,"
        f" again after one file changed in {report['spec_reload_seconds']:.2f} s)"
    )
    naive = {step["step"]: step for step in report["naive"]}
    print(
        f"{'step':18} {'calls':>7} {'seconds':>9} {'emulator s':>10} {'x floor':>8}"
        f" {'calls/naive':>12} {'time/naive':>11}"
    )
    for step in report["steps"]:
        counterpart = naive[NAIVE_COUNTERPART[step["step"]]]
        print(
            f"{step['step']:18} {step['calls']:>7} {step['seconds']:>9.3f}"
            f" {step['emulator_seconds']:>10.3f}"
            f" {step['seconds'] / step['floor_seconds']:>8.2f}"
            f" {step['calls'] / counterpart['calls']:>12.4f}"
            f" {step['seconds'] / counterpart['seconds']:>11.4f}"
        )
    for step in report["naive"]:
        print(
            f"{step['step']:18} {step['calls']:>7} {step['seconds']:>9.3f}"
            f" {step['emulator_seconds']:>10.3f}"
        )
    slow = report.get("default_rate")
    print(f"-- at the default rate ({'measured' if slow else 'projected from calls'})")
    measured = {s["step"]: s for s in slow["steps"]} if slow else {}
    for step in report["steps"]:
        again = measured.get(step["step"])
        print(
            f"{step['step']:18} projected {step['projected_default_rate_seconds']:>8.2f} s"
            + (f"  measured {again['seconds']:>8.2f} s, {again['calls']} calls" if again else "")
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--groups", type=int, nargs="+", default=[1000])
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    parser.add_argument(
        "--default-rate-max",
        type=int,
        default=DEFAULT_RATE_MAX_GROUPS,
        help="Measure at the default client rate up to this many groups [1000] (slow: about "
        "50 s per 1,000 calls); larger sizes are projected from their calls.",
    )
    args = parser.parse_args()
    reports = []
    for groups in args.groups:
        report = run(groups, default_rate_max=args.default_rate_max)
        print_report(report)
        reports.append(report)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(reports, indent=2))


if __name__ == "__main__":
    main()
