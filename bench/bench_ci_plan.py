#!/usr/bin/env python3
"""The fresh CI plan as a user runs it: `reconciler plan` in a new process, default rate.

    .venv/bin/python bench/bench_ci_plan.py --groups 1000 --runs 5

The fleet of `bench/workload.py` is applied into an emulator (at a raised rate: setting up is
not what is measured), then planned once with an empty cache directory, as the nightly plan
fills the cache that CI runs restore (also at a raised rate: 10,000 GetDeployment calls at 20/s
would take 8 minutes). Then each run is a new `reconciler plan --format markdown` process with
that cache directory kept, at the default client rate (20 calls/s, burst 40), as a pull
request's job runs it: interpreter start, imports, spec load, reads, plan and rendering, all
counted. Wall time, the process's CPU time (user + system) and the calls the emulator served
are recorded per run, and every run's output is compared with a plan that used no cache.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import load_average, running_emulator, seed_fleet  # noqa: E402
from bench.workload import write_fleet  # noqa: E402

FAST = {"RECONCILER_RATE_LIMIT": "1000", "RECONCILER_RATE_BURST": "1000"}
"""The setup's rate: the emulator takes it; a real account would not."""


def _environment(endpoint_environment: dict[str, str], fast: bool) -> dict[str, str]:
    """This process's environment aimed at the emulator, with no reconciler setting but the
    setup's rate: the measured runs use every default, as a user's CI job does."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("RECONCILER_")}
    for name in ("GITHUB_SHA", "CI_COMMIT_SHA"):
        base.pop(name, None)
    return {**base, **endpoint_environment, **(FAST if fast else {})}


def _reconciler(args: list[str], environment: dict[str, str]) -> tuple[float, float, str, int]:
    """Run `reconciler ARGS` in a new process: (wall s, CPU s, stdout, exit code)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode not in (0, 2):
        raise RuntimeError(f"reconciler {' '.join(args)} failed:\n{done.stderr}")
    return wall, cpu, done.stdout, done.returncode


def run(groups: int, *, runs: int = 5) -> dict[str, Any]:
    from reconciler.emulator.admin import EmulatorAdmin

    with tempfile.TemporaryDirectory() as scratch, running_emulator() as emulator:
        specs = write_fleet(Path(scratch) / "specs", groups)
        cache = Path(scratch) / "cache"
        seed_fleet(emulator.endpoint, groups)
        admin = EmulatorAdmin(emulator.endpoint, timeout=300.0)
        fast = _environment(emulator.environment(), fast=True)
        default = _environment(emulator.environment(), fast=False)
        common = ["--specs", str(specs), "--commit", "bench"]
        _reconciler(["apply", *common, "--auto-approve", "--no-cache"], fast)
        plan = ["plan", *common, "--format", "markdown"]
        _, _, truth, _ = _reconciler([*plan, "--no-cache"], fast)
        admin.clear_requests()
        fill_wall, fill_cpu, filled, _ = _reconciler([*plan, "--cache-dir", str(cache)], fast)
        fill = {"wall_s": fill_wall, "cpu_s": fill_cpu, "calls": len(admin.requests())}
        measured = []
        for _ in range(runs):
            admin.clear_requests()
            load = load_average()[0]
            wall, cpu, output, _ = _reconciler([*plan, "--cache-dir", str(cache)], default)
            measured.append(
                {
                    "wall_s": wall,
                    "cpu_s": cpu,
                    "calls": len(admin.requests()),
                    "load": load,
                    "same_plan": output == truth,
                }
            )
        return {
            "groups": groups,
            "format": "markdown",
            "fill": fill,
            "fill_same_plan": filled == truth,
            "runs": measured,
        }


def print_report(report: dict[str, Any]) -> None:
    print(f"\nfresh CI plan, new process, cache kept, {report['groups']:,} groups, default rate")
    fill = report["fill"]
    print(f"  filling plan (raised rate): {fill['calls']} calls, {fill['wall_s']:.2f} s")
    for item in report["runs"]:
        print(
            f"  {item['calls']:>4} calls  {item['wall_s']:6.2f} s wall  {item['cpu_s']:6.2f} s CPU"
            f"  load {item['load']:.2f}  {'same plan' if item['same_plan'] else 'PLAN DIFFERS'}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print_report(run(args.groups, runs=args.runs))


if __name__ == "__main__":
    main()
