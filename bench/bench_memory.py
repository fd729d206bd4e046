#!/usr/bin/env python3
"""Resident memory of the controller (`reconciler run`) at fleet scale.

    .venv/bin/python bench/bench_memory.py --groups 10000

Starts an empty emulator seeded with N thing groups, a local Git repository of the generated
specs (bench/workload.py), and `reconciler run` following it, then reads the controller's
/proc/<pid>/status:
  after the first full sync      (it created N revisions: apply from empty)
  after the rollouts were polled (it polled each revision it created: thing-group deployments
                                  are continuous, so they stay ACTIVE and keep being followed)
  after a re-plan                (a comment in the base: every file loaded again, every group
                                  planned, nothing to do; the apply gave every group a new
                                  deployment, so no target plan is reused from the memo)
  after a warm no-op, base       (another comment in the base: every file loaded again, every
                                  group's plan from the memo)
  after each warm no-op, 1 file  (a comment in one group's file, --noops times: the controller
                                  parses that file only; the steady state of a typical commit,
                                  and whether it holds from one cycle to the next)
VmRSS is the resident set at that moment, VmHWM the peak so far. The emulator's own memory and
the durations of each phase are reported as well.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.controller_process import ControllerOptions, ControllerProcess  # noqa: E402
from bench.gitfleet import FleetRepo  # noqa: E402
from bench.harness import (  # noqa: E402
    cpu_seconds,
    load_average,
    memory_mb,
    running_emulator,
    seed_fleet,
)
from reconciler.engine.running import ROLLOUT_POLL_SECONDS  # noqa: E402


def _rollout_poll() -> float:
    """Let the controller poll the status of the revisions it created once (a poll interval)."""
    started = time.monotonic()
    time.sleep(ROLLOUT_POLL_SECONDS + 1.0)
    return time.monotonic() - started


def run(groups: int, *, noops: int = 1, timeout: float = 1200.0) -> dict[str, Any]:
    load_before = load_average()
    phases: list[dict[str, Any]] = []
    with running_emulator() as emulator, tempfile.TemporaryDirectory() as tmp:
        repo = FleetRepo.create(Path(tmp) / "fleet", groups)
        seed_fleet(emulator.endpoint, groups)
        started = time.monotonic()
        controller = ControllerProcess(
            emulator, ControllerOptions(source=str(repo.path)), Path(tmp) / "work"
        )
        try:

            def record(phase: str, seconds: float) -> None:
                phases.append(
                    {
                        "phase": phase,
                        "seconds": seconds,
                        "controller_mb": controller.memory(),
                        "controller_cpu_s": cpu_seconds(controller.pid),
                        "emulator_mb": memory_mb(emulator.pid),
                    }
                )

            record("started", time.monotonic() - started)
            record("first full sync", controller.wait_synced(repo.head(), timeout=timeout))
            record("rollouts polled", _rollout_poll())
            replan = repo.touch_without_change("bench: re-plan after the rollouts")
            record("re-plan", controller.wait_synced(replan.sha, timeout=timeout))
            noop = repo.touch_without_change("bench: warm no-op, base")
            record("warm no-op, base", controller.wait_synced(noop.sha, timeout=timeout))
            for cycle in range(1, noops + 1):
                noop = repo.touch_without_change(f"bench: warm no-op {cycle}", group=cycle)
                label = "warm no-op, 1 file" if noops == 1 else f"warm no-op {cycle}, 1 file"
                record(label, controller.wait_synced(noop.sha, timeout=timeout))
            counts = controller.counts()
            errors = controller.errors()
        finally:
            controller.close()
    return {
        "groups": groups,
        "phases": phases,
        "cycles": {"success": counts.success, "error": counts.error, "skipped": counts.skipped},
        "controller_errors": errors,
        "load_before": load_before,
        "load_after": load_average(),
    }


def print_report(report: dict[str, Any]) -> None:
    print(f"\n== controller memory, {report['groups']} thing groups")
    print(
        f"{'phase':18} {'took s':>7} {'VmRSS MB':>9} {'VmHWM MB':>9} {'CPU s':>6} {'emulator':>9}"
    )
    for phase in report["phases"]:
        mb = phase["controller_mb"]
        print(
            f"{phase['phase']:18} {phase['seconds']:7.1f} {mb['VmRSS']:9.0f} {mb['VmHWM']:9.0f}"
            f" {phase['controller_cpu_s']:6.1f} {phase['emulator_mb']['VmRSS']:9.0f}"
        )
    for line in report["controller_errors"]:
        print(f"   controller error: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--groups", type=int, default=10000)
    parser.add_argument(
        "--noops", type=int, default=3, help="Warm no-op cycles at the end (the steady state)."
    )
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args()
    report = run(args.groups, noops=args.noops)
    print_report(report)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
