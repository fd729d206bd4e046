#!/usr/bin/env python3
"""The dashboard's fleet table at scale: server-side render time and page weight.

    .venv/bin/python bench/bench_dashboard.py                 # 1,000 and 10,000 groups
    .venv/bin/python bench/bench_dashboard.py --groups 1000 --repeats 50

Fills a real ControllerStatus with `groups` thing groups as the controller writes them (sync
states, live revisions, last changes, a rollout per group with its device counts, failing
devices for one group in ten), serves it with the controller's HTTP server and its dashboard,
and asks for the fleet table over HTTP on loopback: the default page (50 rows), the largest
(200 rows), a filtered and sorted page and a group page. Reports the median and the 95th
percentile of the wall time of each request (server-side render plus loopback), and the bytes
of HTML plus the two static files a first visit loads.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import load_average  # noqa: E402
from reconciler.adapters.http import ControllerHttpServer, Probes  # noqa: E402
from reconciler.adapters.http.dashboard import Dashboard, DashboardSource  # noqa: E402
from reconciler.adapters.metrics import ControllerMetrics  # noqa: E402
from reconciler.core.rollouts import (  # noqa: E402
    DeviceCounts,
    FailingDevice,
    RolloutState,
    RolloutView,
)
from reconciler.engine.status import (  # noqa: E402
    ChangeRecord,
    ControllerStatus,
    SyncState,
    TargetStatus,
)

PAGES = {
    "fleet, default page (50 rows)": "/",
    "fleet, 200 rows": "/?size=200",
    "fleet, filtered + sorted": "/?rollout=Degraded&sort=failed&dir=desc&q=group-0",
    "group page": "/ui/groups/Group-00007",
    "live refresh (partial)": "/?partial=1",
}
STATIC = ("/ui/static/dashboard.css", "/ui/static/dashboard.js")
STATES = list(RolloutState)


def fleet_status(groups: int) -> ControllerStatus:
    """A status as the controller writes it for `groups` thing groups."""
    status = ControllerStatus()
    now = time.time()
    targets = []
    for i in range(groups):
        change = ChangeRecord(
            commit=f"{i:040x}",
            author="Ann Example",
            subject="Faster inference (#12)",
            at=now - i,
            plan_text="! com.acme.Classifier 1.0.1\n+   /InferenceInterval: 5\n",
            applied=True,
        )
        targets.append(
            TargetStatus(
                f"Group-{i:05d}",
                (SyncState.SYNCED, SyncState.OUT_OF_SYNC, SyncState.DRIFTED)[i % 3],
                spec_file=f"groups/site-{i:05d}/group.yaml",
                deployment_id=f"{i:08x}-0000-4000-8000-000000000000",
                revision_id=str(1 + i % 9),
                last_change=change,
            )
        )
    status.replace_targets(targets)
    for i in range(groups):
        failing = tuple(
            FailingDevice(f"device-{i}-{n}", "FAILED", ("COMPONENT_ERROR",), ("E1", "E2"), "why")
            for n in range(5 if i % 10 == 7 else 0)
        )
        for step in range(10):
            status.set_rollout(
                f"Group-{i:05d}",
                RolloutView(
                    state=STATES[i % len(STATES)],
                    revision_id=str(2 + i % 9),
                    deployment_id=f"{i:08x}-0000-4000-8000-000000000001",
                    devices=DeviceCounts(
                        queued=10 - step, in_progress=2, succeeded=step * 4, failed=len(failing)
                    ),
                    failing=failing,
                    unhealthy=i % 4,
                    since=now - 600,
                ),
                at=now - 600 + step * 30,
            )
    return status


def _get(url: str) -> tuple[float, int]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as answer:
        body = answer.read()
    return time.perf_counter() - started, len(body)


def run(groups: int, repeats: int = 20) -> dict[str, Any]:
    status = fleet_status(groups)
    server = ControllerHttpServer(
        host="127.0.0.1",
        port=0,
        probes=Probes(healthy=lambda: True, ready=lambda: True, status=status.snapshot),
        webhook=None,
        metrics=ControllerMetrics(),
        dashboard=Dashboard(DashboardSource(fleet=status.snapshot, group=status.group_detail)),
    )
    server.start()
    try:
        static_bytes = sum(_get(server.url + path)[1] for path in STATIC)
        pages = []
        for name, path in PAGES.items():
            _get(server.url + path)  # templates compiled, caches warm
            times, size = [], 0
            for _ in range(repeats):
                seconds, size = _get(server.url + path)
                times.append(seconds)
            times.sort()
            pages.append(
                {
                    "page": name,
                    "path": path,
                    "median_ms": round(statistics.median(times) * 1000, 1),
                    "p95_ms": round(times[int(0.95 * (len(times) - 1))] * 1000, 1),
                    "html_bytes": size,
                    "with_static_bytes": size + static_bytes,
                }
            )
    finally:
        server.stop()
    return {"groups": groups, "repeats": repeats, "pages": pages, "static_bytes": static_bytes}


def table(report: dict[str, Any]) -> str:
    lines = [
        f"#### {report['groups']:,} thing groups",
        "",
        "| page | median ms | p95 ms | HTML KB | with CSS + JS KB |",
        "|---|---:|---:|---:|---:|",
    ]
    for page in report["pages"]:
        lines.append(
            f"| {page['page']} | {page['median_ms']} | {page['p95_ms']} | "
            f"{page['html_bytes'] / 1024:.1f} | {page['with_static_bytes'] / 1024:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, action="append")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    print(f"load average before: {load_average()}")
    for groups in args.groups or [1000, 10_000]:
        print(table(run(groups, args.repeats)))
    print(f"load average after: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
