"""The stop button (issue 14 item 4), end to end against the emulator through boto3 over HTTP:
an operator's cancel outside Git is honoured, suspensions, sync windows and rollbacks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import git
import pytest

from reconciler.core.events import EventKind
from tests.conftest import AwsTestContext
from tests.integration.reconcile.conftest import mutating_calls
from tests.integration.reconcile.rollout_kit import (
    ManualClock,
    RecordingPublisher,
    commit,
    fleet_repo,
    reconciler,
)

STAGING = "CameraFleetStaging"
PROD = "CameraFleetProd"
STAGING_ARN = f"arn:aws:iot:us-east-1:123456789012:thinggroup/{STAGING}"


@pytest.fixture
def repo(tmp_path: Path, specs: Path) -> git.Repo:
    """The sample specs with `selfHeal` off for the camera groups (the sample's base turns it
    on): the controller must not revert what an operator did outside Git."""
    fleet = fleet_repo(tmp_path / "fleet", specs)
    commit(fleet, "bases/camera-fleet.yaml", "selfHeal: true", "selfHeal: false", "no heal")
    return fleet


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_000_000.0)


def _latest(aws: AwsTestContext) -> dict[str, dict[str, Any]]:
    gg = aws.client("greengrassv2")
    return {
        d["targetArn"]: d for d in gg.list_deployments(historyFilter="LATEST_ONLY")["deployments"]
    }


def _cancel_staging(aws: AwsTestContext) -> str:
    deployment_id = str(_latest(aws)[STAGING_ARN]["deploymentId"])
    aws.client("greengrassv2").cancel_deployment(deploymentId=deployment_id)
    return deployment_id


def _target(rec: Any, group: str) -> dict[str, Any]:
    return dict(rec.status.snapshot()["targets"][group])


def test_an_operators_cancel_is_not_undone_without_self_heal(
    seeded: AwsTestContext, repo: git.Repo, tmp_path: Path, clock: ManualClock
) -> None:
    events = RecordingPublisher()
    rec = reconciler(repo, tmp_path / "cache", clock, events)
    assert rec.reconcile("startup", full=True).result == "success"
    canceled = _cancel_staging(seeded)
    seeded.admin.clear_requests()

    for _ in range(2):  # the resync after the cancel, and the one after that
        outcome = rec.reconcile("resync", full=True)
        assert outcome.result == "success", outcome.message
    assert mutating_calls(seeded) == []
    assert _latest(seeded)[STAGING_ARN]["deploymentStatus"] == "CANCELED"
    staging = _target(rec, STAGING)
    assert (staging["sync"], staging["reason"]) == ("Halted", "canceled outside Git")
    assert staging["deploymentId"] == canceled
    assert _target(rec, PROD)["sync"] == "Synced"
    halted = [e for e in events.events if e.kind is EventKind.HALTED]
    assert [(e.thing_group, e.details["reason"]) for e in halted] == [
        (STAGING, "canceled outside Git")
    ]  # published once, when the group was halted, not every cycle

    # A restarted controller (no memory of earlier cycles) honours it too: the revision it
    # made carries the content hash of what the specs still ask.
    restarted = reconciler(repo, tmp_path / "cache", clock)
    assert restarted.reconcile("startup", full=True).result == "success"
    assert mutating_calls(seeded) == []
    assert _target(restarted, STAGING)["sync"] == "Halted"


def test_a_commit_that_changes_the_canceled_group_deploys_it_again(
    seeded: AwsTestContext, repo: git.Repo, tmp_path: Path, clock: ManualClock
) -> None:
    rec = reconciler(repo, tmp_path / "cache", clock)
    assert rec.reconcile("startup", full=True).result == "success"
    _cancel_staging(seeded)
    assert rec.reconcile("resync", full=True).result == "success"
    # A commit that changes only the other group leaves the canceled one alone...
    commit(repo, "groups/camera-prod.yaml", "InferenceInterval: 300", "InferenceInterval: 120", "p")
    seeded.admin.clear_requests()
    assert rec.reconcile("poll").result == "success"
    assert mutating_calls(seeded) == ["greengrassv2:CreateDeployment"]
    assert _latest(seeded)[STAGING_ARN]["deploymentStatus"] == "CANCELED"
    # ...one that changes it deploys it again, also for a controller that just started.
    commit(
        repo, "groups/camera-staging.yaml", "InferenceInterval: 15", "InferenceInterval: 20", "s"
    )
    restarted = reconciler(repo, tmp_path / "cache", clock)
    seeded.admin.clear_requests()
    assert restarted.reconcile("startup", full=True).result == "success"
    assert mutating_calls(seeded) == ["greengrassv2:CreateDeployment"]
    assert _latest(seeded)[STAGING_ARN]["deploymentStatus"] == "ACTIVE"
    assert _target(restarted, STAGING)["sync"] == "Synced"


def test_self_heal_deploys_a_canceled_group_again(
    seeded: AwsTestContext, repo: git.Repo, tmp_path: Path, clock: ManualClock
) -> None:
    commit(repo, "bases/camera-fleet.yaml", "selfHeal: false", "selfHeal: true", "heal")
    rec = reconciler(repo, tmp_path / "cache", clock)
    assert rec.reconcile("startup", full=True).result == "success"
    _cancel_staging(seeded)
    seeded.admin.clear_requests()
    assert rec.reconcile("resync", full=True).result == "success"
    assert mutating_calls(seeded) == ["greengrassv2:CreateDeployment"]
    assert _latest(seeded)[STAGING_ARN]["deploymentStatus"] == "ACTIVE"
    assert _target(rec, STAGING)["sync"] == "Synced"
