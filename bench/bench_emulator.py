#!/usr/bin/env python3
"""Benchmark the local AWS emulator: Greengrass v2 reads and writes per second.

    .venv/bin/python bench/bench_emulator.py                  # start an emulator subprocess
    .venv/bin/python bench/bench_emulator.py --threads 8 --seconds 10
    .venv/bin/python bench/bench_emulator.py --client raw     # light clients: the emulator's rate
    .venv/bin/python bench/bench_emulator.py --endpoint http://127.0.0.1:4566   # use a running one

Reads are ListDeployments of one thing group (LATEST_ONLY, as the reconciler reads live state;
50 groups hold a deployment each), writes are CreateDeployment (each thread revising its own
thing group). Clients are spread over `--processes` client processes, `--threads` each:
boto3 clients (`--client boto3`, what users run; boto3 is CPU-bound Python, so on a small
machine the clients' own CPU caps the rate) or raw keep-alive HTTP clients sending the same
signed request (`--client raw`, see bench/load_clients.py). The emulator runs in its own
process, as a user would run it, and reports its own processing time per request through the
request log (`duration_ms`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import cpu_seconds, load_average, start_emulator, stop  # noqa: E402
from bench.load_clients import (  # noqa: E402
    CLIENT_KINDS,
    COMPONENTS,
    LoadResult,
    group_arn,
    load,
)

GROUPS = 50
PHASES = (
    ("reads", "read", "ListDeployments"),
    ("writes", "write", "CreateDeployment"),
)


def _server_median_ms(endpoint: str, operation: str, since: int) -> tuple[float, int]:
    from reconciler.emulator.admin import EmulatorAdmin

    records = [r for r in EmulatorAdmin(endpoint).requests(since=since) if r.operation == operation]
    if not records:
        return float("nan"), 0
    return statistics.median(r.duration_ms for r in records), len(records)


def _cleared_seq(endpoint: str) -> int:
    from reconciler.emulator.admin import EmulatorAdmin

    admin = EmulatorAdmin(endpoint)
    admin.clear_requests()
    return max((r.seq for r in admin.requests()), default=0)


def _seed(endpoint: str) -> None:
    from bench.harness import greengrass_client
    from reconciler.emulator.admin import EmulatorAdmin

    admin = EmulatorAdmin(endpoint)
    admin.reset()
    admin.create_thing_groups([f"bench-{i}" for i in range(GROUPS)])
    seeding = greengrass_client(endpoint)
    for index in range(GROUPS):
        seeding.create_deployment(targetArn=group_arn(index), components=COMPONENTS)


def _phase(
    label: str, result: LoadResult, seconds: float, server: tuple[float, int], cpu: float | None
) -> dict[str, Any]:
    latencies = sorted(result.latencies_ms)
    figures: dict[str, Any] = {
        "phase": label,
        "requests_per_second": result.calls / seconds,
        "calls": result.calls,
        "errors": result.errors,
        "client_median_ms": statistics.median(latencies) if latencies else float("nan"),
        "client_p95_ms": latencies[int(len(latencies) * 0.95)] if latencies else float("nan"),
        "emulator_median_ms": server[0],
        "emulator_cpu_ms_per_request": None,
    }
    if cpu is not None and result.calls:
        figures["emulator_cpu_ms_per_request"] = cpu / result.calls * 1000.0
    return figures


def run(
    *,
    client: str = "boto3",
    processes: int = 2,
    threads: int = 4,
    seconds: float = 5.0,
    state: str | None = None,
    endpoint: str | None = None,
) -> dict[str, Any]:
    """Measure reads, then writes; start (and stop) an emulator unless `endpoint` is given."""
    emulator = None if endpoint else start_emulator(state=Path(state) if state else None)
    target = endpoint or (emulator.endpoint if emulator else "")
    load_before = load_average()
    phases = []
    try:
        _seed(target)
        for label, kind, operation in PHASES:
            since = _cleared_seq(target)
            cpu_before = cpu_seconds(emulator.pid) if emulator else None
            result = load(
                target,
                kind=kind,
                client=client,
                processes=processes,
                threads=threads,
                seconds=seconds,
                groups=GROUPS,
            )
            cpu_after = cpu_seconds(emulator.pid) if emulator else None
            cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
            server = _server_median_ms(target, operation, since)
            phases.append(_phase(label, result, seconds, server, cpu))
    finally:
        if emulator is not None:
            stop(emulator.process)
    return {
        "client": client,
        "processes": processes,
        "threads": threads,
        "seconds": seconds,
        "state_file": bool(state),
        "phases": phases,
        "load_before": load_before,
        "load_after": load_average(),
    }


def print_report(report: dict[str, Any]) -> None:
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; {report['processes']} {report['client']} client "
        f"process(es) x {report['threads']} thread(s), {report['seconds']:g} s per phase, "
        + ("state file" if report["state_file"] else "no state file")
        + f"; load average {report['load_before'][0]:.1f} → {report['load_after'][0]:.1f}"
    )
    for phase in report["phases"]:
        print(
            f"{phase['phase']:<7} {phase['requests_per_second']:6.0f} req/s | client round-trip "
            f"median {phase['client_median_ms']:5.2f} ms, p95 {phase['client_p95_ms']:6.2f} ms"
            f" | emulator median {phase['emulator_median_ms']:4.2f} ms in-app"
            f" | errors {phase['errors']}"
        )
        per_request = phase["emulator_cpu_ms_per_request"]
        if per_request:
            print(
                f"{'':<7} emulator process CPU {per_request:.2f} ms/request (HTTP server "
                f"included) -> at most {1000 / per_request:,.0f} req/s on one free core"
            )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--endpoint", help="Use a running emulator instead of starting one.")
    parser.add_argument("--client", choices=CLIENT_KINDS, default="boto3")
    parser.add_argument("--threads", type=int, default=4, help="Client threads per process.")
    parser.add_argument("--processes", type=int, default=2, help="Client processes.")
    parser.add_argument("--seconds", type=float, default=5.0, help="Duration of each phase.")
    parser.add_argument(
        "--state", help="Start the emulator with this state file (fsync per write)."
    )
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args()
    report = run(
        client=args.client,
        processes=args.processes,
        threads=args.threads,
        seconds=args.seconds,
        state=args.state,
        endpoint=args.endpoint,
    )
    print_report(report)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
