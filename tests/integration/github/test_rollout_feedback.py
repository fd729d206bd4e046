"""Git feedback: commit statuses, deployments and the plan comment's follow-up on a fake GitHub."""

from __future__ import annotations

import pytest

from reconciler.adapters.aws.ratelimit import TokenBucket
from reconciler.adapters.github import (
    GitHubClient,
    RepoRef,
    RetryPolicy,
    publish_sticky_comment,
)
from reconciler.adapters.notifiers.github_feedback import GitHubFeedbackSink
from reconciler.adapters.notifiers.publisher import NotifyingPublisher
from reconciler.adapters.notifiers.sinks import DeliveryError
from reconciler.core.events import EventKind
from reconciler.core.markers import marker_line
from tests.integration.github.conftest import PR, REPO, TOKEN
from tests.integration.github.fake_github import FakeGitHub, secondary_rate_limit
from tests.integration.notify.events import COMMIT, applied, rollout

PLAN = "## Plan: 2 thing groups change\n\nCameraFleetProd: update\n"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _client(server: FakeGitHub) -> GitHubClient:
    return GitHubClient(
        TOKEN,
        api_url=server.url,
        retry=RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.05),
        secondary_limit_delay=0.01,
        sleep=lambda _s: None,
    )


def _sink(server: FakeGitHub, clock: Clock | None = None) -> GitHubFeedbackSink:
    return GitHubFeedbackSink(
        _client(server), RepoRef.parse(REPO), progress_interval=30.0, clock=clock or Clock()
    )


def _statuses(server: FakeGitHub, group: str) -> list[tuple[str, str]]:
    context = f"greengrass-reconciler/rollout/{group}"
    return [
        (s["state"], s["description"])
        for s in server.statuses
        if s["context"] == context and s["sha"] == COMMIT
    ]


def test_a_rollout_is_shown_on_the_commit_as_it_moves(fake_github: FakeGitHub) -> None:
    clock = Clock()
    sink = _sink(fake_github, clock)
    sink.deliver(applied(), "1")
    sink.deliver(rollout(EventKind.ROLLOUT_PROGRESSED, 37, 0, 120), "2")
    clock.now += 10
    sink.deliver(rollout(EventKind.ROLLOUT_PROGRESSED, 50, 0, 120), "3")  # too soon: held back
    clock.now += 30
    sink.deliver(rollout(EventKind.ROLLOUT_PROGRESSED, 90, 3, 120), "4")
    sink.deliver(rollout(EventKind.ROLLOUT_FAILED, 100, 20, 120, state="Failed"), "5")
    assert _statuses(fake_github, "CameraFleetProd") == [
        ("pending", "CameraFleetProd: applied the revision; rolling out"),
        ("pending", "CameraFleetProd: rolling out: 37/120 devices"),
        ("pending", "CameraFleetProd: rolling out: 90/120 devices, 3 failed"),
        (
            "failure",
            "CameraFleetProd: rollout failed: 20/120 devices failed "
            "(COMPONENT_BROKEN, DEPLOYMENT_FAILURE, NETWORK)",
        ),
    ]
    [deployment] = fake_github.deployments
    assert deployment["sha"] == COMMIT and deployment["environment"] == "CameraFleetProd"
    assert deployment["payload"] == {"thingGroup": "CameraFleetProd", "deploymentId": "d-1"}
    assert deployment["auto_merge"] is False
    assert [s["state"] for s in fake_github.deployment_statuses] == [
        "in_progress",
        "in_progress",
        "in_progress",
        "failure",
    ]


def test_success_and_one_deployment_per_group(fake_github: FakeGitHub) -> None:
    sink = _sink(fake_github)
    for group in ("CameraFleetProd", "CameraFleetStaging"):
        sink.deliver(applied(group, deployment=f"d-{group}"), "a")
    sink.deliver(
        rollout(
            EventKind.ROLLOUT_SUCCEEDED, 3, 0, 3, group="CameraFleetStaging", state="Succeeded"
        ),
        "b",
    )
    assert sorted(d["environment"] for d in fake_github.deployments) == [
        "CameraFleetProd",
        "CameraFleetStaging",
    ]
    assert _statuses(fake_github, "CameraFleetStaging")[-1] == (
        "success",
        "CameraFleetStaging: rolled out: 3/3 devices",
    )


def test_rollout_events_without_a_commit_follow_the_applied_one(fake_github: FakeGitHub) -> None:
    sink = _sink(fake_github)
    sink.deliver(applied(), "1")
    sink.deliver(rollout(EventKind.ROLLOUT_SUCCEEDED, 5, 0, 5, state="Succeeded", commit=None), "2")
    assert _statuses(fake_github, "CameraFleetProd")[-1][0] == "success"
    other = _sink(fake_github)  # knows no commit for it: nothing to say on GitHub
    before = len(fake_github.requests)
    other.deliver(rollout(EventKind.ROLLOUT_FAILED, 0, 5, 5, commit=None), "3")
    assert len(fake_github.requests) == before


def test_a_restarted_controller_reuses_the_deployment(fake_github: FakeGitHub) -> None:
    _sink(fake_github).deliver(applied(), "1")
    restarted = _sink(fake_github)
    restarted.deliver(rollout(EventKind.ROLLOUT_SUCCEEDED, 5, 0, 5, state="Succeeded"), "2")
    assert len(fake_github.deployments) == 1
    assert [s["state"] for s in fake_github.deployment_statuses] == ["in_progress", "success"]


def test_the_merged_pull_requests_plan_comment_gets_a_follow_up(fake_github: FakeGitHub) -> None:
    with _client(fake_github) as client:
        publish_sticky_comment(client, RepoRef.parse(REPO), PR, PLAN)
    fake_github.merge_pull_request(REPO, PR, COMMIT)
    sink = _sink(fake_github)
    sink.deliver(applied("CameraFleetStaging", "d-s"), "1")
    sink.deliver(applied("CameraFleetProd", "d-p"), "2")
    sink.deliver(rollout(EventKind.ROLLOUT_FAILED, 100, 20, 120, state="Failed"), "3")
    assert fake_github.comment_bodies(REPO, PR) == [marker_line() + "\n" + PLAN]  # batched
    sink.idle()
    [body] = fake_github.comment_bodies(REPO, PR)
    assert body.startswith(marker_line()) and PLAN.strip() in body  # the plan is kept
    assert "### Rollout of `0123456789ab`" in body
    assert "| CameraFleetProd | :x: Failed | 4 | 100/120, 20 failed |" in body
    assert "| CameraFleetStaging | :hourglass_flowing_sand: Applied |" in body
    # Failures first; a restarted controller extends the same table.
    assert body.index("CameraFleetProd |") < body.index("CameraFleetStaging |")
    restarted = _sink(fake_github)
    restarted.deliver(
        rollout(
            EventKind.ROLLOUT_SUCCEEDED, 3, 0, 3, group="CameraFleetStaging", state="Succeeded"
        ),
        "4",
    )
    restarted.close()  # writes what it batched
    [body] = fake_github.comment_bodies(REPO, PR)
    assert body.count("### Rollout of") == 1
    assert "| CameraFleetStaging | :white_check_mark: Succeeded | 4 | 3/3 |" in body
    assert "| CameraFleetProd | :x: Failed |" in body


def test_no_plan_comment_means_no_follow_up(fake_github: FakeGitHub) -> None:
    fake_github.merge_pull_request(REPO, PR, COMMIT)
    sink = _sink(fake_github)
    sink.deliver(applied(), "1")
    sink.idle()
    assert fake_github.comment_bodies(REPO, PR) == []


def test_rate_limits_are_waited_out_by_the_client(fake_github: FakeGitHub) -> None:
    fake_github.fail_next(secondary_rate_limit(retry_after=0), times=2)
    _sink(fake_github).deliver(applied(), "1")
    assert _statuses(fake_github, "CameraFleetProd") == [
        ("pending", "CameraFleetProd: applied the revision; rolling out")
    ]


def test_a_refused_token_is_a_permanent_delivery_failure(fake_github: FakeGitHub) -> None:
    sink = GitHubFeedbackSink(
        GitHubClient("ghs_unknown", api_url=fake_github.url), RepoRef.parse(REPO)
    )
    with pytest.raises(DeliveryError) as raised:
        sink.deliver(applied(), "1")
    assert not raised.value.temporary
    assert "CameraFleetProd" in str(raised.value) and "ghs_unknown" not in str(raised.value)


def test_the_client_paces_its_requests(fake_github: FakeGitHub) -> None:
    clock = Clock()
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.now += seconds

    bucket = TokenBucket(2.0, 1, clock=clock, sleep=sleep)
    client = GitHubClient(TOKEN, api_url=fake_github.url, rate_limit=bucket)
    GitHubFeedbackSink(client, RepoRef.parse(REPO)).deliver(applied(), "1")
    # status, find deployment, create it, its status: 4 requests at 2/s with a burst of 1
    # wait 3 times 0.5 s.
    assert len(fake_github.requests) == 4
    assert waits == pytest.approx([0.5] * 3)


def test_through_the_publisher(fake_github: FakeGitHub) -> None:
    publisher = NotifyingPublisher(
        [_sink(fake_github)],
        retry=RetryPolicy(max_attempts=2, initial_backoff=0.01, max_backoff=0.05),
    )
    publisher.publish(applied())
    publisher.publish(rollout(EventKind.DRIFT_DETECTED, 0, 0, 0))  # not a feedback kind
    assert publisher.flush(10)
    publisher.close()
    assert len(_statuses(fake_github, "CameraFleetProd")) == 1


def test_a_burst_of_groups_is_one_comment_edit(fake_github: FakeGitHub) -> None:
    with _client(fake_github) as client:
        publish_sticky_comment(client, RepoRef.parse(REPO), PR, PLAN)
    fake_github.merge_pull_request(REPO, PR, COMMIT)
    publisher = NotifyingPublisher([_sink(fake_github)])
    groups = [f"Group{n:02}" for n in range(20)]
    for group in groups:
        publisher.publish(applied(group, deployment=f"d-{group}"))
    assert publisher.flush(30)
    publisher.close()
    edits = [r for r in fake_github.requests if r.method == "PATCH"]
    assert 1 <= len(edits) <= 3  # the worker may run dry between events once or twice
    [body] = fake_github.comment_bodies(REPO, PR)
    assert all(f"| {group} | :hourglass_flowing_sand: Applied |" in body for group in groups)


def test_a_waiting_follow_up_is_written_after_the_interval(fake_github: FakeGitHub) -> None:
    with _client(fake_github) as client:
        publish_sticky_comment(client, RepoRef.parse(REPO), PR, PLAN)
    fake_github.merge_pull_request(REPO, PR, COMMIT)
    clock = Clock()
    sink = _sink(fake_github, clock)
    sink.deliver(applied("A", "d-a"), "1")
    clock.now += 31
    sink.deliver(applied("B", "d-b"), "2")  # the rows waited long enough: both written
    [body] = fake_github.comment_bodies(REPO, PR)
    assert "| A |" in body and "| B |" in body
