#!/usr/bin/env python3
"""Commit → CreateDeployment latency of the controller, for each way it learns of a commit.

    .venv/bin/python bench/bench_latency.py --groups 1000 --samples 5

One emulator and one Git repository of N thing groups (bench/workload.py) serve three controllers
(`reconciler run` subprocesses), one after the other:
  watch    the controller follows the local repository and watches its branch ref (inotify);
           polling is off (1 h)
  webhook  the controller follows the repository through `git daemon` (a remote: not watched),
           polls every hour, and gets a signed POST /webhook right after each commit
  poll     the same remote, polled every second
Each sample commits a new InferenceInterval for one group and measures from the moment
`git commit` returned to the arrival of that group's CreateDeployment at the emulator (its
request log records arrival times); the new revision is then checked to hold the committed
value. The first commit after a controller's first sync is reported apart (see measure_mode).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.controller_process import ControllerOptions, ControllerProcess  # noqa: E402
from bench.gitfleet import Commit, FleetRepo, GitDaemon  # noqa: E402
from bench.harness import (  # noqa: E402
    Emulator,
    greengrass_client,
    group_arn,
    load_average,
    running_emulator,
    seed_fleet,
)
from bench.workload import group_name  # noqa: E402

MODES = ("watch", "webhook", "poll")
WEBHOOK_SECRET = b"bench-webhook-secret"


@dataclass(frozen=True)
class Sample:
    group: str
    commit: str
    latency_s: float  # commit done → CreateDeployment arrived at the emulator
    cycle_s: float | None  # the controller's cycle that applied it (fetch, load, plan, apply)


def _latest_seq(emulator: Emulator) -> int:
    from reconciler.emulator.admin import EmulatorAdmin

    records = EmulatorAdmin(emulator.endpoint).requests()
    return records[-1].seq if records else 0


def _wait_create(emulator: Emulator, group: str, since: int, timeout: float) -> float:
    """Arrival time (epoch) of the first CreateDeployment for `group` after sequence `since`
    (the request log names the target of each CreateDeployment)."""
    from reconciler.emulator.admin import EmulatorAdmin

    admin = EmulatorAdmin(emulator.endpoint)
    target = group_arn(group)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for record in admin.requests(since=since):
            if (
                record.operation == "CreateDeployment"
                and record.resource == target
                and record.status < 300
            ):
                return record.time
        time.sleep(0.05)
    raise RuntimeError(f"no CreateDeployment for {group} within {timeout:.0f} s")


def _check_revision(emulator: Emulator, index: int, interval: int) -> None:
    """The group's latest revision holds the committed value (the request was for it)."""
    client = greengrass_client(emulator.endpoint)
    listed = client.list_deployments(
        targetArn=group_arn(group_name(index)), historyFilter="LATEST_ONLY"
    )["deployments"]
    deployment = client.get_deployment(deploymentId=listed[0]["deploymentId"])
    component = deployment["components"]["aws.greengrass.DLRImageClassification"]
    merge = json.loads(component["configurationUpdate"]["merge"])
    if merge.get("InferenceInterval") != interval:
        raise RuntimeError(
            f"{group_name(index)}: the latest revision holds {merge.get('InferenceInterval')},"
            f" not the committed {interval}"
        )


def _options(mode: str, repo: FleetRepo, daemon: GitDaemon) -> ControllerOptions:
    remote = daemon.url(repo.path.name)
    if mode == "watch":
        return ControllerOptions(source=str(repo.path))
    if mode == "webhook":
        return ControllerOptions(source=remote, webhook_secret=WEBHOOK_SECRET)
    return ControllerOptions(source=remote, poll_interval=1.0)


def _sample(
    controller: ControllerProcess, mode: str, emulator: Emulator, repo: FleetRepo, index: int
) -> Sample:
    """Commit a change of one group; time it until its CreateDeployment reaches the emulator."""
    interval = 1000 + index
    time.sleep(1.0)  # let the previous cycle's debounce and polls settle
    since = _latest_seq(emulator)
    commit: Commit = repo.change_group(index, interval=interval)
    if mode == "webhook":
        status = controller.post_push(after=commit.sha)
        if status != 202:
            raise RuntimeError(f"the webhook answered {status}, not 202")
    arrived = _wait_create(emulator, group_name(index), since, timeout=120)
    _check_revision(emulator, index, interval)
    controller.wait_synced(commit.sha, timeout=120)
    return Sample(
        group_name(index),
        commit.sha,
        arrived - commit.done_at,
        controller.cycle_seconds(commit.sha),
    )


def measure_mode(
    mode: str,
    emulator: Emulator,
    repo: FleetRepo,
    daemon: GitDaemon,
    workdir: Path,
    *,
    samples: int,
    first_index: int,
) -> dict[str, Any]:
    """One controller; a first commit (reported apart), then `samples` commits.

    The first commit after the first sync costs more: every revision's status or revision id
    moved since the controller last planned (its apply, or its start), so no target plan is
    reused from the planner's memo and every group is planned again.
    """
    controller = ControllerProcess(emulator, _options(mode, repo, daemon), workdir / mode)
    try:
        first_sync = controller.wait_synced(repo.head(), timeout=900)
        first = _sample(controller, mode, emulator, repo, first_index)
        results = [
            _sample(controller, mode, emulator, repo, first_index + 1 + number)
            for number in range(samples)
        ]
        errors = controller.errors()
    finally:
        controller.close()
    latencies = [s.latency_s for s in results]
    cycles = [s.cycle_s for s in results if s.cycle_s is not None]
    return {
        "mode": mode,
        "first_sync_seconds": first_sync,
        "first_commit_s": first.latency_s,
        "samples": [asdict(s) for s in results],
        "median_s": statistics.median(latencies),
        "max_s": max(latencies),
        "min_s": min(latencies),
        "cycle_median_s": statistics.median(cycles) if cycles else None,
        "controller_errors": errors,
    }


def run(groups: int, samples: int, modes: tuple[str, ...] = MODES) -> dict[str, Any]:
    load_before = load_average()
    with running_emulator() as emulator, tempfile.TemporaryDirectory() as tmp:
        repo = FleetRepo.create(Path(tmp) / "fleet", groups)
        seed_fleet(emulator.endpoint, groups)
        daemon = GitDaemon(Path(tmp))
        try:
            results = [
                measure_mode(
                    mode,
                    emulator,
                    repo,
                    daemon,
                    Path(tmp) / "work",
                    samples=samples,
                    first_index=position * (samples + 1),
                )
                for position, mode in enumerate(modes)
            ]
        finally:
            daemon.close()
    return {
        "groups": groups,
        "samples_per_mode": samples,
        "modes": results,
        "load_before": load_before,
        "load_after": load_average(),
    }


def print_report(report: dict[str, Any]) -> None:
    print(f"\n== commit → CreateDeployment, {report['groups']} thing groups")
    print(
        f"{'mode':8} {'median s':>9} {'min s':>7} {'max s':>7} {'cycle s':>8}"
        f" {'1st commit s':>12}   first sync"
    )
    for mode in report["modes"]:
        cycle = mode["cycle_median_s"]
        print(
            f"{mode['mode']:8} {mode['median_s']:9.3f} {mode['min_s']:7.3f} {mode['max_s']:7.3f}"
            f" {cycle if cycle is not None else float('nan'):8.3f}"
            f" {mode['first_commit_s']:12.3f}   {mode['first_sync_seconds']:.1f} s"
        )
        for line in mode["controller_errors"]:
            print(f"   controller error: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=5, help="Commits per mode.")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args()
    report = run(args.groups, args.samples, tuple(args.modes))
    print_report(report)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
