"""The rollout follower's events, delivered: a revision followed on the emulator's fleet shows on
a (fake) GitHub and reaches a signed webhook, through the controller's publisher."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import git
import pytest

from reconciler.adapters.github import GitHubClient, RepoRef, RetryPolicy, publish_sticky_comment
from reconciler.adapters.notifiers.github_feedback import GitHubFeedbackSink
from reconciler.adapters.notifiers.publisher import NotifyingPublisher
from reconciler.adapters.notifiers.webhooks import JsonWebhookSink
from reconciler.core.events import EventKind
from tests.conftest import AwsTestContext
from tests.integration.github.conftest import PR, REPO, TOKEN
from tests.integration.github.fake_github import FakeGitHub
from tests.integration.notify.fake_webhook import FakeWebhook
from tests.integration.reconcile.rollout_kit import (
    ManualClock,
    fleet_repo,
    reconciler,
    run_until,
)

PROD = "CameraFleetProd"
FLEET = """
generate:
  - {group: CameraFleetProd, count: 12, namePrefix: prod-}
  - {group: CameraFleetStaging, count: 3, namePrefix: staging-}
timing: {applySeconds: 2, jitterSeconds: 2}
"""


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.add_token(TOKEN)
        server.add_pull_request(REPO, PR)
        yield server


def test_a_followed_rollout_shows_on_github_and_reaches_the_webhook(
    seeded: AwsTestContext, specs: Path, tmp_path: Path, github: FakeGitHub
) -> None:
    seeded.admin.set_clock("virtual")
    seeded.admin.load_fleet(FLEET)
    clock = ManualClock(float(seeded.admin.clock()["now"]))
    repo: git.Repo = fleet_repo(tmp_path / "fleet", specs)
    sha = repo.head.commit.hexsha
    client = GitHubClient(
        TOKEN,
        api_url=github.url,
        retry=RetryPolicy(max_attempts=2, initial_backoff=0.01, max_backoff=0.05),
    )
    publish_sticky_comment(client, RepoRef.parse(REPO), PR, "## Plan\n\n2 groups change\n")
    github.merge_pull_request(REPO, PR, sha)
    with FakeWebhook() as receiver:
        publisher = NotifyingPublisher(
            [
                GitHubFeedbackSink(client, RepoRef.parse(REPO), progress_interval=0),
                JsonWebhookSink(
                    receiver.url(),
                    kinds=frozenset({EventKind.APPLIED, EventKind.ROLLOUT_SUCCEEDED}),
                    key=b"k",
                ),
            ],
            retry=RetryPolicy(max_attempts=2, initial_backoff=0.01, max_backoff=0.05),
        )
        try:
            rec = reconciler(repo, tmp_path / "cache", clock, publisher)
            assert rec.reconcile("startup", full=True).result == "success"
            done = run_until(seeded, clock, rec, PROD, "Succeeded")
            assert publisher.flush(30)
        finally:
            publisher.close()
        documents = [json.loads(r.body) for r in receiver.received]

    assert done["devices"]["succeeded"] == done["devices"]["total"] == 12
    prod = [d for d in documents if d["thingGroup"] == PROD]
    assert [d["kind"] for d in prod] == ["applied", "rolloutSucceeded"]
    assert prod[1]["commit"] == sha and prod[1]["details"]["devices"]["succeeded"] == 12
    assert prod[1]["revisionId"] == done["revisionId"]

    statuses = [
        (s["state"], s["description"])
        for s in github.statuses
        if s["context"] == f"greengrass-reconciler/rollout/{PROD}"
    ]
    assert statuses[0] == ("pending", f"{PROD}: applied the revision; rolling out")
    assert statuses[-1] == ("success", f"{PROD}: rolled out: 12/12 devices")
    assert all(s["sha"] == sha for s in github.statuses)
    deployment = next(d for d in github.deployments if d["environment"] == PROD)
    states = [
        s["state"] for s in github.deployment_statuses if s["deployment_id"] == deployment["id"]
    ]
    assert states[0] == "in_progress" and states[-1] == "success"
    [body] = github.comment_bodies(REPO, PR)
    assert f"| {PROD} | :white_check_mark: Succeeded | {done['revisionId']} | 12/12 |" in body
