#!/usr/bin/env python3
"""What following rollouts costs: follow-up calls per minute at 1,000 groups, 100 in flight.

    .venv/bin/python bench/bench_rollouts.py                  # 1,000 groups, 100 in flight
    .venv/bin/python bench/bench_rollouts.py --offline-minutes 10

Starts `reconciler emulator` in its own process, creates 1,000 thing groups with an ACTIVE
deployment each (the first 100 with two simulated devices, one offline for an hour), then runs
the controller's rollout follower (bench/rollout_budget.py) at the default client rate (20
calls/s) and share (25 %) on a simulated clock in step with the emulator's virtual one. The
emulator's request log counts the follow-up calls of every simulated minute, through the
rollouts' life: young (polled every 15 s, held back by the share), older (30 s, then 60 s),
ended (no call).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import load_average, start_emulator, stop  # noqa: E402
from bench.rollout_budget import active_deployments, follow, prepare  # noqa: E402


def run(groups: int = 1000, in_flight: int = 100, offline_minutes: int = 60) -> dict[str, Any]:
    load_before = load_average()
    emulator = start_emulator()
    try:
        rollouts = prepare(
            emulator.endpoint,
            groups=groups,
            in_flight=in_flight,
            offline_seconds=offline_minutes * 60.0,
        )
        result = follow(
            emulator.endpoint, rollouts, rate=20.0, share=0.25, max_minutes=offline_minutes + 10
        )
        active = active_deployments(emulator.endpoint)
    finally:
        stop(emulator.process)
    per_minute = result.per_minute
    ended = result.ended_minute if result.ended_minute is not None else len(per_minute) - 1

    def mean(first: int, last: int) -> float:
        window = per_minute[first : min(last, ended + 1)]
        return sum(window) / len(window) if window else 0.0

    return {
        "groups": groups,
        "in_flight": in_flight,
        "offline_minutes": offline_minutes,
        "rate": result.rate,
        "share": result.share,
        "ceiling_per_minute": result.ceiling_per_minute,
        "per_minute": per_minute,
        "peak_per_minute": max(per_minute[: ended + 1]),
        "mean_0_5": mean(0, 5),
        "mean_5_30": mean(5, 30),
        "mean_30_end": mean(30, ended),
        "ended_minute": result.ended_minute,
        "after_end": per_minute[ended + 1 :],
        "operations": dict(result.operations),
        "states": dict(result.states),
        "active_deployments": active,
        "wall_s": result.wall_seconds,
        "load_before": load_before,
        "load_after": load_average(),
    }


def print_report(report: dict[str, Any]) -> None:
    print(
        f"rollout follow-ups: {report['groups']:,} groups, {report['in_flight']} in flight, "
        f"{report['rate']:.0f} calls/s x {report['share']:.0%}: peak "
        f"{report['peak_per_minute']}/min (ceiling {report['ceiling_per_minute']:.0f}); mean "
        f"{report['mean_0_5']:.0f}/min (0-5 min), {report['mean_5_30']:.0f}/min (5-30), "
        f"{report['mean_30_end']:.0f}/min (30-end); ended in minute {report['ended_minute']}, "
        f"then {report['after_end']}; {report['active_deployments']} ACTIVE; "
        f"{report['wall_s']:.0f} s wall"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--in-flight", type=int, default=100)
    parser.add_argument("--offline-minutes", type=int, default=60)
    args = parser.parse_args()
    print_report(run(args.groups, args.in_flight, args.offline_minutes))


if __name__ == "__main__":
    main()
