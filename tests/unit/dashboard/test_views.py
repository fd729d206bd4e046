"""The dashboard's pure views: rows from /status documents (today's and older shapes),
filtering, sorting and paging at 10,000 groups, device bars, the rollout plot, commit links."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.adapters.http.dashboard.views import (
    FleetQuery,
    commit_links,
    device_segments,
    fleet_rows,
    repository_web_url,
    rollout_of,
    rollout_plot,
    select,
)
from reconciler.core.rollouts import DeviceCounts, FailingDevice, RolloutState, RolloutView

DEVICE_KEYS = ("queued", "inProgress", "succeeded", "failed", "timedOut", "rejected")


def _target(sync: str = "Synced", rollout: Any = None, **more: Any) -> dict[str, Any]:
    return {
        "sync": sync,
        "specFile": more.pop("specFile", "groups/g.yaml"),
        "deploymentId": "d-1",
        "revisionId": more.pop("revisionId", "1"),
        "rollout": rollout,
        "lastError": None,
        "updatedAt": 1.0,
        "lastChange": more.pop("lastChange", None),
    }


def test_the_documented_rollout_object_is_read_as_the_follower_writes_it() -> None:
    view = RolloutView(
        state=RolloutState.DEGRADED,
        revision_id="4",
        deployment_id="dep-4",
        devices=DeviceCounts(succeeded=45, failed=5, removed=2),
        failing=(FailingDevice("prod-01", "FAILED", ("COMPONENT_ERROR",), ("X", "Y"), "why"),),
        unhealthy=3,
        since=5.0,
    )
    rollout = rollout_of(view.to_json())
    assert rollout["state"] == "Degraded"
    assert rollout["devices"]["total"] == 52
    assert rollout["failing"][0]["device"] == "prod-01"
    assert (rollout["unhealthy"], rollout["topError"]) == (3, "Y")
    row = fleet_rows({"targets": {"G": _target(rollout=view.to_json())}})[0]
    assert (row.targeted, row.failures, row.progress) == (50, 5, 0.9)


@pytest.mark.parametrize("old", ["InProgress", "Completed", None, 7])
def test_an_older_controller_s_plain_rollout_string_or_null_still_renders(old: Any) -> None:
    rollout = rollout_of(old)
    assert rollout["state"] == (old if isinstance(old, str) else "")
    assert (rollout["devices"], rollout["failing"], rollout["unhealthy"]) == ({}, [], 0)
    row = fleet_rows({"targets": {"G": _target(rollout=old)}})[0]
    assert (row.targeted, row.failures, row.progress, row.segments) == (0, 0, 0.0, [])


@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=6, max_size=6))
def test_the_device_bar_covers_exactly_the_drawn_devices(counts: list[int]) -> None:
    segments = device_segments(dict(zip(DEVICE_KEYS, counts, strict=True)))
    assert [s.count for s in segments] == [c for c in (counts[2], counts[1], counts[0],
                                                       *counts[3:]) if c]  # fmt: skip
    if segments:
        assert segments[0].x == 0
        end = segments[-1].x + segments[-1].width
        assert end == pytest.approx(100, abs=0.01)
        for left, right in itertools.pairwise(segments):
            assert right.x == pytest.approx(left.x + left.width, abs=0.01)


def _fleet(n: int) -> dict[str, Any]:
    targets = {}
    for i in range(n):
        state = ("Succeeded", "Progressing", "Failed")[i % 3]
        devices = {"succeeded": i % 50, "failed": i % 7, "total": 50}
        targets[f"Group-{i:05d}"] = _target(
            sync=("Synced", "OutOfSync")[i % 2],
            rollout={"state": state, "devices": devices, "unhealthy": i % 5},
            lastChange={"commit": "c", "at": float(i)},
        )
    return {"targets": targets}


def test_ten_thousand_groups_are_filtered_sorted_and_cut_into_pages() -> None:
    rows = fleet_rows(_fleet(10_000))
    page = select(rows, FleetQuery.from_args({"sync": "OutOfSync", "rollout": "Failed"}))
    # Odd numbers that are 2 mod 3: i = 5 mod 6.
    assert page.matched == len([i for i in range(10_000) if i % 6 == 5])
    assert len(page.rows) == 50
    assert all(r.sync == "OutOfSync" and r.rollout["state"] == "Failed" for r in page.rows)
    assert page.by_sync == {"Synced": 5000, "OutOfSync": 5000}

    last = select(rows, FleetQuery.from_args({"page": "200", "size": "50"}))
    assert (last.page, last.pages, last.rows[-1].name) == (200, 200, "Group-09999")
    beyond = select(rows, FleetQuery.from_args({"page": "999999"}))
    assert beyond.page == 200  # clamped to the last page

    worst = select(rows, FleetQuery.from_args({"sort": "failed", "dir": "desc", "size": "25"}))
    assert [r.failures for r in worst.rows] == [6] * 25
    newest = select(rows, FleetQuery.from_args({"sort": "changed", "dir": "desc"}))
    assert newest.rows[0].name == "Group-09999"

    found = select(rows, FleetQuery.from_args({"q": "group-0042"}))
    assert [r.name for r in found.rows] == [f"Group-0042{d}" for d in range(10)]


def test_unknown_query_values_fall_back_to_the_defaults() -> None:
    query = FleetQuery.from_args(
        {"sort": "__class__", "sync": "<x>", "rollout": "Nope", "size": "7", "page": "-3"}
    )
    assert query == FleetQuery()
    assert FleetQuery.from_args({"page": "9" * 40}).page == 1
    assert FleetQuery(sort="failed", page=3).args(page=4) == {"sort": "failed", "page": "4"}


def test_the_rollout_plot_steps_from_sample_to_sample() -> None:
    plot = rollout_plot([[100.0, 0, 0, 10], [130.0, 4, 1, 5], [160.0, 8, 2, 0]], width=60,
                        height=10)  # fmt: skip
    assert plot is not None
    assert plot.top == 8 and plot.seconds == 60
    assert plot.succeeded == "0.0,10.0 30.0,10.0 30.0,5.0 60.0,5.0 60.0,0.0"
    assert plot.failed == "0.0,10.0 30.0,10.0 30.0,8.8 60.0,8.8 60.0,7.5"
    assert rollout_plot([]) is None
    single = rollout_plot([[5.0, 2, 0, 1]], width=10, height=10)
    assert single is not None and single.succeeded == "0.0,0.0 10,0.0"


@pytest.mark.parametrize(
    ("source", "web"),
    [
        ("https://github.com/acme/fleet.git", "https://github.com/acme/fleet"),
        ("https://x-access-token:abc@github.com/acme/fleet", "https://github.com/acme/fleet"),
        ("git@github.com:acme/fleet.git", "https://github.com/acme/fleet"),
        (
            "ssh://git@gitlab.example:2222/team/sub/fleet.git",
            "https://gitlab.example/team/sub/fleet",
        ),
        ("deploy-specs", None),
        ("file:///srv/fleet.git", None),
        ("https://example.com/", None),
    ],
)
def test_the_repository_web_page_never_carries_credentials(source: str, web: str | None) -> None:
    assert repository_web_url(source) == web


def test_commit_and_pull_request_links_only_when_known() -> None:
    base = "https://github.com/acme/fleet"
    merge = {"commit": "0123abcd", "subject": "Merge pull request #42 from acme/interval"}
    assert commit_links(base, merge) == {
        "commit": f"{base}/commit/0123abcd",
        "pull": f"{base}/pull/42",
    }
    assert commit_links(base, {"commit": "0123abcd", "subject": "Faster (#7)"})["pull"] == (
        f"{base}/pull/7"
    )
    assert commit_links(base, {"commit": "local-digest", "subject": "x"}) == {}
    assert commit_links(None, merge) == {}


def test_rows_follow_changed_groups_and_reuse_the_others() -> None:
    from reconciler.engine.status import ControllerStatus, SyncState, TargetStatus

    status = ControllerStatus()
    status.replace_targets(
        [TargetStatus("A", SyncState.SYNCED), TargetStatus("B", SyncState.SYNCED)]
    )
    known: dict[str, Any] = {}
    first = {row.name: row for row in fleet_rows(status.snapshot(), known)}
    view = RolloutView(RolloutState.PROGRESSING, "2", "dep-2", DeviceCounts(succeeded=3, queued=1))
    status.set_rollout("A", view)
    second = {row.name: row for row in fleet_rows(status.snapshot(), known)}
    assert second["B"] is first["B"]  # unchanged: the same document, the same row
    assert second["A"] is not first["A"]
    assert (second["A"].rollout["state"], second["A"].targeted) == ("Progressing", 4)
    status.replace_targets([TargetStatus("A", SyncState.DRIFTED)])
    third = fleet_rows(status.snapshot(), known)
    assert [(r.name, r.sync) for r in third] == [("A", "Drifted")]
    assert set(known) == {"A"}
