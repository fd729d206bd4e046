#!/usr/bin/env python3
"""Benchmark the local AWS emulator: Greengrass v2 reads and writes per second through boto3.

    .venv/bin/python bench/bench_emulator.py                  # start an emulator subprocess
    .venv/bin/python bench/bench_emulator.py --threads 8 --seconds 10
    .venv/bin/python bench/bench_emulator.py --endpoint http://127.0.0.1:4566   # use a running one

Reads are ListDeployments of one thing group (LATEST_ONLY, as the reconciler reads live state;
50 groups hold a deployment each), writes are CreateDeployment (each thread revising its own
thing group). Clients are boto3 clients, one per thread, spread over
`--processes` client processes (boto3 is CPU-bound Python: one process cannot saturate even a
local server). The emulator runs in its own process, as a user would run it, and reports its
own processing time per request through the request log (`duration_ms`).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GROUPS = 50
COMPONENTS = {"aws.greengrass.DLRImageClassification": {"componentVersion": "2.1.10"}}


@dataclass
class Result:
    calls: int
    errors: int
    latencies_ms: list[float]


def client(endpoint: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "greengrassv2",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(retries={"total_max_attempts": 1}, max_pool_connections=64),
    )


def group_arn(index: int) -> str:
    return f"arn:aws:iot:us-east-1:123456789012:thinggroup/bench-{index}"


def run_threads(endpoint: str, kind: str, threads: int, seconds: float, offset: int) -> Result:
    """Call one operation from `threads` threads for `seconds`; collect round-trip times."""
    results: list[Result] = []
    lock = threading.Lock()
    start_barrier = threading.Barrier(threads)

    def worker(number: int) -> None:
        gg = client(endpoint)
        latencies: list[float] = []
        calls = errors = 0
        target = group_arn((offset + number) % GROUPS)
        start_barrier.wait()
        deadline = time.perf_counter() + seconds
        while (now := time.perf_counter()) < deadline:
            try:
                if kind == "read":
                    gg.list_deployments(targetArn=target)
                else:
                    gg.create_deployment(targetArn=target, components=COMPONENTS)
            except Exception:
                errors += 1
            latencies.append((time.perf_counter() - now) * 1000.0)
            calls += 1
        with lock:
            results.append(Result(calls, errors, latencies))

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return Result(
        sum(r.calls for r in results),
        sum(r.errors for r in results),
        [x for r in results for x in r.latencies_ms],
    )


def _process_entry(args: tuple[str, str, int, float, int]) -> Result:
    return run_threads(*args)


def measure(endpoint: str, kind: str, processes: int, threads: int, seconds: float) -> Result:
    jobs = [(endpoint, kind, threads, seconds, p * threads) for p in range(processes)]
    if processes == 1:
        parts = [_process_entry(jobs[0])]
    else:
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            parts = pool.map(_process_entry, jobs)
    return Result(
        sum(p.calls for p in parts),
        sum(p.errors for p in parts),
        [x for p in parts for x in p.latencies_ms],
    )


def start_emulator(state: str | None) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "reconciler", "emulator", "--port", "0"]
    command += ["--deployment-completion-seconds", "0"]
    if state:
        command += ["--state", state]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("Emulator ready at "):
            return process, line.split(" at ", 1)[1].strip()
    raise SystemExit(f"the emulator did not start (exit code {process.wait()})")


def server_median_ms(endpoint: str, operation: str, since: int) -> tuple[float, int]:
    from reconciler.emulator.admin import EmulatorAdmin

    records = [r for r in EmulatorAdmin(endpoint).requests(since=since) if r.operation == operation]
    return statistics.median(r.duration_ms for r in records), len(records)


def last_seq(endpoint: str) -> int:
    from reconciler.emulator.admin import EmulatorAdmin

    admin = EmulatorAdmin(endpoint)
    admin.clear_requests()
    return max((r.seq for r in admin.requests()), default=0)


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a process (Linux /proc), or None where unavailable."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def report(
    label: str, result: Result, seconds: float, server: tuple[float, int], cpu: float | None
) -> None:
    rate = result.calls / seconds
    latencies = sorted(result.latencies_ms)
    p95 = latencies[int(len(latencies) * 0.95)] if latencies else float("nan")
    print(
        f"{label:<26} {rate:6.0f} req/s | client round-trip median "
        f"{statistics.median(latencies):5.2f} ms, p95 {p95:6.2f} ms | emulator median "
        f"{server[0]:4.2f} ms in-app | errors {result.errors}"
    )
    if cpu is not None and result.calls:
        per_request = cpu / result.calls
        print(
            f"{'':<26} emulator process CPU {per_request * 1000:.2f} ms/request "
            f"(HTTP server included) -> at most {1 / per_request:,.0f} req/s on one free core"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", help="Use a running emulator instead of starting one.")
    parser.add_argument("--threads", type=int, default=4, help="Client threads per process.")
    parser.add_argument("--processes", type=int, default=2, help="Client processes.")
    parser.add_argument("--seconds", type=float, default=5.0, help="Duration of each phase.")
    parser.add_argument(
        "--state", help="Start the emulator with this state file (fsync per write)."
    )
    args = parser.parse_args()

    from reconciler.emulator.admin import EmulatorAdmin

    process, endpoint = (None, args.endpoint) if args.endpoint else start_emulator(args.state)
    try:
        admin = EmulatorAdmin(endpoint)
        admin.reset()
        admin.set_settings(deployment_completion_seconds=0)
        admin.create_thing_groups([f"bench-{i}" for i in range(GROUPS)])
        seeding = client(endpoint)
        for index in range(GROUPS):
            seeding.create_deployment(targetArn=group_arn(index), components=COMPONENTS)

        print(
            f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}; {args.processes} client process(es) x "
            f"{args.threads} thread(s), {args.seconds:g} s per phase, "
            + (f"state file {args.state}" if args.state else "no state file")
            + f"; load average {os.getloadavg()[0]:.1f}"
        )
        pid = process.pid if process is not None else None
        for label, kind, operation in (
            ("ListDeployments (reads)", "read", "ListDeployments"),
            ("CreateDeployment (writes)", "write", "CreateDeployment"),
        ):
            since = last_seq(endpoint)
            cpu_before = cpu_seconds(pid)
            result = measure(endpoint, kind, args.processes, args.threads, args.seconds)
            cpu_after = cpu_seconds(pid)
            cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
            report(label, result, args.seconds, server_median_ms(endpoint, operation, since), cpu)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
