#!/usr/bin/env python3
"""Run every benchmark; write bench/results.md, bench/scaling.png and bench/results.json.

    .venv/bin/python bench/run_all.py            # 100, 1,000, 10,000 groups (~15 min)
    .venv/bin/python bench/run_all.py --quick    # 100 and 1,000 groups (~3 min)
    .venv/bin/python bench/run_all.py --only emulator   # re-measure one section, keep the rest

In order: reconcile steps and the naive baseline at each size (bench_reconcile.py), the fresh
CI plan as a whole `reconciler plan` process at 1,000 and 10,000 groups (bench_ci_plan.py), commit →
CreateDeployment latency for watch, webhook and polling at 1,000 groups (bench_latency.py),
controller memory at the largest size (bench_memory.py), emulator throughput with boto3 and
with raw clients (bench_emulator.py), a rollout to 10,000 simulated devices on the virtual clock
(bench_fleet.py). Before each benchmark it waits (up to --settle seconds)
for the load average to fall to the number of cores, since other jobs share the machine; the
load before and after each one is recorded next to its figures.

bench/analysis.md (written by hand: where the time goes, from profiles) is appended to
results.md as it is.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import (  # noqa: E402
    bench_ci_plan,
    bench_emulator,
    bench_fleet,
    bench_latency,
    bench_memory,
    bench_reconcile,
    bench_rollouts,
)
from bench.harness import load_average, machine, wait_for_quiet  # noqa: E402
from bench.plot import draw_scaling  # noqa: E402
from bench.report import render_results  # noqa: E402

BENCH = ROOT / "bench"
T = TypeVar("T")


def _settled(settle: float, label: str, work: Callable[[], T]) -> T:
    cores = float(os.cpu_count() or 1)
    first, last = wait_for_quiet(cores, settle)
    print(f"-- {label} (load {first:.2f} → {last:.2f} after waiting for ≤ {cores:g})", flush=True)
    started = time.monotonic()
    result = work()
    print(f"   done in {time.monotonic() - started:.0f} s", flush=True)
    return result


SECTIONS = ("reconcile", "ci-plan", "latency", "memory", "emulator", "fleet", "rollouts")


def _measure_section(section: str, *, quick: bool, settle: float) -> Any:
    """Measure one section of results.json (and print it as it comes)."""
    sizes = [100, 1000] if quick else [100, 1000, 10000]
    if section == "reconcile":
        reports = [
            _settled(settle, f"reconcile at {n:,} groups", partial(bench_reconcile.run, n))
            for n in sizes
        ]
        for report in reports:
            bench_reconcile.print_report(report)
        return reports
    if section == "ci-plan":
        ci_plans = [
            _settled(
                settle,
                f"the fresh CI plan process at {n:,} groups",
                partial(bench_ci_plan.run, n, runs=5),
            )
            for n in sizes
            if n >= 1000
        ]
        for report in ci_plans:
            bench_ci_plan.print_report(report)
        return ci_plans
    if section == "latency":
        latency = _settled(
            settle,
            "commit → CreateDeployment latency at 1,000 groups",
            lambda: bench_latency.run(1000, samples=3 if quick else 5),
        )
        bench_latency.print_report(latency)
        return latency
    if section == "memory":
        memory = _settled(
            settle,
            f"controller memory at {sizes[-1]:,} groups",
            lambda: bench_memory.run(sizes[-1], noops=3),
        )
        bench_memory.print_report(memory)
        return memory
    if section == "fleet":
        devices, groups = (1000, 10) if quick else (10_000, 100)
        fleet = _settled(
            settle,
            f"rollout to {devices:,} simulated devices",
            partial(bench_fleet.run, devices, groups),
        )
        bench_fleet.print_report(fleet)
        return fleet
    if section == "rollouts":
        rollouts = _settled(
            settle,
            "rollout follow-ups at 1,000 groups, 100 in flight",
            partial(bench_rollouts.run, 1000, 100, 10 if quick else 60),
        )
        bench_rollouts.print_report(rollouts)
        return rollouts
    emulator = [
        _settled(
            settle,
            f"emulator throughput, {client} clients",
            partial(bench_emulator.run, client=client, seconds=2.0 if quick else 5.0),
        )
        for client in ("boto3", "raw")
    ]
    for report in emulator:
        bench_emulator.print_report(report)
    return emulator


def run_all(*, quick: bool, settle: float) -> dict[str, Any]:
    started = time.monotonic()
    data: dict[str, Any] = {"quick": quick, "machine": machine(), "load_start": load_average()}
    for section in SECTIONS:
        data[section] = _measure_section(section, quick=quick, settle=settle)
    data["load_end"] = load_average()
    data["duration_s"] = time.monotonic() - started
    return data


def remeasure(data: dict[str, Any], sections: list[str], *, settle: float) -> dict[str, Any]:
    """Measure `sections` again (noisy figures, when the machine is quieter) and keep the rest
    of an earlier run; results.md says which sections were measured when."""
    for section in sections:
        now = machine()
        data[section] = _measure_section(section, quick=data["quick"], settle=settle)
        entry = {"section": section, "date": now["date"], "commit": now.get("commit", "unknown")}
        data.setdefault("remeasured", []).append(entry)
    return data


def write_outputs(data: dict[str, Any], results: Path) -> None:
    (BENCH / "results.json").write_text(json.dumps(data, indent=2))
    analysis_file = BENCH / "analysis.md"
    analysis = analysis_file.read_text() if analysis_file.exists() else ""
    results.write_text(render_results(data, analysis))
    subtitle = f"{data['machine']['cores']} cores, {data['machine']['date'][:10]}"
    draw_scaling(data["reconcile"], results.parent / "scaling.png", subtitle=subtitle)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="100 and 1,000 groups only.")
    parser.add_argument(
        "--settle",
        type=float,
        default=30.0,
        help="Seconds to wait, at most, before each benchmark for the load to fall [30].",
    )
    parser.add_argument(
        "--rerender",
        action="store_true",
        help="Measure nothing: render results.md and scaling.png from bench/results.json.",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=SECTIONS,
        help="Measure only these sections again and keep the others from bench/results.json "
        "(to re-run noisy figures when the machine is quieter).",
    )
    parser.add_argument("--out", type=Path, default=BENCH / "results.md")
    args = parser.parse_args()
    if args.rerender or args.only:
        data = json.loads((BENCH / "results.json").read_text())
        if args.only:
            data = remeasure(data, args.only, settle=args.settle)
    else:
        data = run_all(quick=args.quick, settle=args.settle)
    write_outputs(data, args.out)
    print(f"\nwrote {args.out}, {args.out.parent / 'scaling.png'} and bench/results.json")


if __name__ == "__main__":
    main()
