#!/usr/bin/env python3
"""Reconcile at fleet scale against the emulator: calls and wall time, with a naive baseline.

    .venv/bin/python bench/bench_reconcile.py --groups 1000
    .venv/bin/python bench/bench_reconcile.py --groups 100 1000 --json bench/out/reconcile.json

For each N (thing groups x 5 components) it measures, against an emulator in its own process:
  apply-from-empty  plan + create N revisions (fresh process state)
  plan-after-apply  the first reconcile after that apply, in the same long-lived runtime
  noop-warm         the next one: the steady state of a controller (caches warm)
  plan-fresh        a plan as CI runs it (new runtime, cold caches)
  plan-10pct        10% of the groups changed, warm runtime; then apply-10pct
  naive-noop        the hand-written flow from the seed: per group ListDeployments(targetArn) +
                    GetDeployment, then compare
and the physical floor: the emulator's median round trip x the minimum number of calls.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.workload import group_name, write_fleet, write_group  # noqa: E402


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_emulator() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconciler",
            "emulator",
            "--port",
            str(port),
            "--deployment-completion-seconds",
            "0",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    from reconciler.emulator.admin import EmulatorAdmin

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            EmulatorAdmin(endpoint).health()
            return process, endpoint
        except Exception:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the emulator did not start")


def _client(endpoint: str) -> Any:
    import boto3

    return boto3.client("greengrassv2", endpoint_url=endpoint, region_name="us-east-1")


def round_trip_ms(endpoint: str, samples: int = 200) -> float:
    client = _client(endpoint)
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        client.list_deployments(maxResults=1)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def naive_noop(endpoint: str, groups: int) -> tuple[int, float]:
    """The flow a team writes by hand from the seed: for each group, get its latest deployment."""
    client = _client(endpoint)
    calls = 0
    started = time.perf_counter()
    for index in range(groups):
        arn = f"arn:aws:iot:us-east-1:123456789012:thinggroup/{group_name(index)}"
        page = client.list_deployments(targetArn=arn, historyFilter="LATEST_ONLY")
        calls += 1
        for item in page["deployments"]:
            client.get_deployment(deploymentId=item["deploymentId"])
            calls += 1
    return calls, time.perf_counter() - started


def measure(label: str, work: Any, stats: Any) -> dict[str, Any]:
    before = stats.total_calls()
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    return {
        "step": label,
        "seconds": seconds,
        "calls": stats.total_calls() - before,
        "result": result,
    }


def run(groups: int) -> dict[str, Any]:
    from reconciler.adapters.spec_files import load_spec_set
    from reconciler.cli.seeding import seed_account
    from reconciler.core.specs import SpecSet
    from reconciler.engine.applying import ApplyOptions
    from reconciler.engine.runtime import build_runtime
    from reconciler.settings import ReconcilerSettings

    process, endpoint = start_emulator()
    os.environ.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = write_fleet(Path(tmp) / "specs", groups)
            load_started = time.perf_counter()
            spec_set: SpecSet = load_spec_set(root)
            load_seconds = time.perf_counter() - load_started
            seed_account(endpoint, spec_set)
            settings = ReconcilerSettings(rate_limit=1000.0, rate_burst=1000, concurrency=16)

            def runtime() -> Any:
                return build_runtime(settings, region="us-east-1", account="123456789012")

            steps: list[dict[str, Any]] = []
            long_lived = runtime()
            options = ApplyOptions(
                instance="greengrass-reconciler", specs_root=root, concurrency=16
            )

            def apply_all() -> int:
                plan = long_lived.plan(spec_set, commit="bench", specs_path=None)
                report = long_lived.applier().apply(plan, options)
                assert not report.failed, report
                return len(plan.changed_targets)

            steps.append(measure("apply-from-empty", apply_all, long_lived.stats))

            def plan_changes(rt: Any, specs: Any) -> int:
                return len(rt.plan(specs, commit="bench", specs_path=None).changed_targets)

            # The first plan after an apply reads nothing new (the gateway remembers what it
            # created) but plans the new revisions once; the next is the steady state.
            steps.append(
                measure(
                    "plan-after-apply", lambda: plan_changes(long_lived, spec_set), long_lived.stats
                )
            )
            steps.append(
                measure("noop-warm", lambda: plan_changes(long_lived, spec_set), long_lived.stats)
            )
            fresh = runtime()
            steps.append(measure("plan-fresh", lambda: plan_changes(fresh, spec_set), fresh.stats))
            for index in range(0, groups, 10):
                write_group(root, index, interval=45)
            changed = load_spec_set(root)
            steps.append(
                measure("plan-10pct", lambda: plan_changes(long_lived, changed), long_lived.stats)
            )

            def apply_changed() -> int:
                plan = long_lived.plan(changed, commit="bench2", specs_path=None)
                report = long_lived.applier().apply(plan, options)
                assert not report.failed, report
                return len(plan.changed_targets)

            steps.append(measure("apply-10pct", apply_changed, long_lived.stats))
            naive_calls, naive_seconds = naive_noop(endpoint, groups)
            rtt = round_trip_ms(endpoint)
            pages = max(1, -(-groups // 100))
            floors = {
                "noop-warm": pages,
                "plan-after-apply": pages,
                "plan-fresh": pages + groups,
                "apply-from-empty": pages + 2 * groups,
                "plan-10pct": pages + groups // 10,
                "apply-10pct": pages + 2 * (groups // 10),
            }
            for step in steps:
                floor_calls = floors[step["step"]]
                step["floor_seconds"] = floor_calls * rtt / 1000
            return {
                "groups": groups,
                "components_per_group": 5,
                "spec_load_seconds": load_seconds,
                "round_trip_ms": rtt,
                "steps": steps,
                "naive_noop": {"calls": naive_calls, "seconds": naive_seconds},
                "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
    finally:
        process.terminate()
        process.wait(timeout=10)


def print_report(report: dict[str, Any]) -> None:
    n = report["groups"]
    print(
        f"\n== {n} thing groups x 5 components (round trip {report['round_trip_ms']:.2f} ms,"
        f" specs loaded in {report['spec_load_seconds']:.2f} s,"
        f" max RSS {report['max_rss_mb']:.0f} MB)"
    )
    print(f"{'step':18} {'calls':>7} {'seconds':>9} {'x floor':>8}")
    for step in report["steps"]:
        ratio = step["seconds"] / step["floor_seconds"] if step["floor_seconds"] else float("nan")
        print(f"{step['step']:18} {step['calls']:>7} {step['seconds']:>9.3f} {ratio:>8.1f}")
    naive = report["naive_noop"]
    warm = next(s for s in report["steps"] if s["step"] == "noop-warm")
    print(
        f"{'naive-noop':18} {naive['calls']:>7} {naive['seconds']:>9.3f}"
        f"   (ours/naive: calls {warm['calls'] / naive['calls']:.3f},"
        f" time {warm['seconds'] / naive['seconds']:.3f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--groups", type=int, nargs="+", default=[1000])
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args()
    reports = []
    for groups in args.groups:
        report = run(groups)
        print_report(report)
        reports.append(report)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(reports, indent=2, default=str))


if __name__ == "__main__":
    main()
