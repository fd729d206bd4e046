"""What a reconcile cycle tells the outside world, and how a failing group or a crash shows.

Against the emulator, with the controller's real publisher delivering to a loopback webhook.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import git
import pytest
from prometheus_client import generate_latest

from reconciler.adapters.http.signatures import github_signature
from reconciler.adapters.notifiers.publisher import NotifyingPublisher
from reconciler.adapters.notifiers.webhooks import JsonWebhookSink
from reconciler.adapters.sources.base import SourceRevision
from reconciler.adapters.sources.factory import open_source
from reconciler.core.events import EventKind
from reconciler.engine.reconciling import Reconciler
from reconciler.engine.running import Controller
from reconciler.engine.status import ControllerStatus
from reconciler.retrying import RetryPolicy
from reconciler.settings import ReconcilerSettings
from tests.conftest import AwsTestContext
from tests.integration.notify.fake_webhook import FakeWebhook
from tests.integration.reconcile.conftest import mutating_calls
from tests.integration.reconcile.test_controller_cycles import (
    PROD_ARN,
    _commit,
    _interval,
    _latest,
    fleet_repo,  # noqa: F401  (a fixture)
)

STAGING_ARN = PROD_ARN.replace("Prod", "Staging")
KEY = b"test-hmac-key"


@pytest.fixture
def receiver() -> Iterator[FakeWebhook]:
    with FakeWebhook() as server:
        yield server


@pytest.fixture
def publisher(receiver: FakeWebhook) -> Iterator[NotifyingPublisher]:
    publisher = NotifyingPublisher(
        [JsonWebhookSink(receiver.url("/events"), kinds=frozenset(EventKind), key=KEY)],
        retry=RetryPolicy(max_attempts=2, initial_backoff=0.01, max_backoff=0.05),
    )
    yield publisher
    publisher.close()


def _reconciler(repo: git.Repo, tmp_path: Path, publisher: NotifyingPublisher) -> Reconciler:
    settings = ReconcilerSettings(cache_dir=tmp_path / "cache", lock="none")
    source = open_source(
        repo.working_dir, branch="main", path="deploy-specs", cache_dir=tmp_path / "cache"
    )
    return Reconciler(source=source, settings=settings, status=ControllerStatus(), events=publisher)


def _forget_events(receiver: FakeWebhook, publisher: NotifyingPublisher) -> None:
    assert publisher.flush(10)
    receiver.received.clear()


def _events(receiver: FakeWebhook, publisher: NotifyingPublisher) -> list[dict[str, Any]]:
    assert publisher.flush(10)
    return [json.loads(r.body) for r in receiver.received]


def test_one_unplannable_group_does_not_hold_back_the_others(
    seeded: AwsTestContext,
    fleet_repo: git.Repo,  # noqa: F811
    tmp_path: Path,
    receiver: FakeWebhook,
    publisher: NotifyingPublisher,
) -> None:
    reconciler = _reconciler(fleet_repo, tmp_path, publisher)
    assert reconciler.reconcile("startup", full=True).result == "success"
    before = _latest(seeded)
    _forget_events(receiver, publisher)
    # Prod asks for a version of a public component that exists nowhere: planning prod fails.
    _commit(
        fleet_repo,
        "groups/camera-prod.yaml",
        "    aws.greengrass.DLRImageClassification:\n      configuration:",
        "    aws.greengrass.DLRImageClassification:\n      version: 9.9.9\n      configuration:",
        "prod: a version that does not exist",
    )
    sha = _commit(
        fleet_repo,
        "groups/camera-staging.yaml",
        "InferenceInterval: 15",
        "InferenceInterval: 5",
        "staging: every 5 s",
    )
    seeded.admin.clear_requests()
    outcome = reconciler.reconcile("poll")

    assert outcome.result == "error"
    assert "planning failed for CameraFleetProd" in outcome.message
    assert "9.9.9" in outcome.message
    # Staging's change went out all the same; prod kept its revision.
    assert mutating_calls(seeded) == ["greengrassv2:CreateDeployment"]
    after = _latest(seeded)
    assert _interval(after[STAGING_ARN]) == 5
    assert after[PROD_ARN]["deploymentId"] == before[PROD_ARN]["deploymentId"]
    status = reconciler.status.snapshot()
    assert status["lastError"]["commit"] == sha
    assert status["targets"]["CameraFleetProd"]["sync"] == "Failed"
    assert "9.9.9" in status["targets"]["CameraFleetProd"]["lastError"]
    assert status["targets"]["CameraFleetProd"]["deploymentId"] == before[PROD_ARN]["deploymentId"]
    assert status["targets"]["CameraFleetStaging"]["sync"] == "Synced"

    events = _events(receiver, publisher)
    assert [(e["kind"], e["thingGroup"]) for e in events] == [
        ("applied", "CameraFleetStaging"),
        ("cycleFailed", None),
    ]
    applied, failed = events
    assert applied["commit"] == sha
    assert applied["deploymentId"] == after[STAGING_ARN]["deploymentId"]
    assert failed["details"]["failedGroups"] == ["CameraFleetProd"]
    assert failed["commit"] == sha

    # The same failure on the next cycles is told once; prod was never a prune candidate.
    assert reconciler.reconcile("poll").result == "error"
    assert reconciler.reconcile("resync", full=True).result == "error"
    assert len(_events(receiver, publisher)) == 2
    assert "greengrassv2:CancelDeployment" not in mutating_calls(seeded)


def test_a_crashing_cycle_is_visible(
    seeded: AwsTestContext,
    fleet_repo: git.Repo,  # noqa: F811
    tmp_path: Path,
    receiver: FakeWebhook,
    publisher: NotifyingPublisher,
) -> None:
    reconciler = _reconciler(fleet_repo, tmp_path, publisher)
    assert reconciler.reconcile("startup", full=True).result == "success"
    _forget_events(receiver, publisher)
    real_source = reconciler.source

    class BrokenSource:
        """A source whose library fails in a way no step expects (a bug, not a SourceError)."""

        last_good = real_source.last_good

        def fetch(self) -> SourceRevision:
            raise KeyError("refs/heads/main")

    reconciler.source = BrokenSource()  # type: ignore[assignment]
    outcome = reconciler.reconcile("poll")
    assert outcome.result == "error"
    assert outcome.message == "the cycle crashed: KeyError: 'refs/heads/main'"
    status = reconciler.status.snapshot()
    assert status["lastError"]["message"] == outcome.message
    assert {t["sync"] for t in status["targets"].values()} == {"Unknown"}
    assert status["cycles"] == 2
    [event] = _events(receiver, publisher)
    assert event["kind"] == "cycleFailed"
    assert event["details"]["failedGroups"] == ["CameraFleetProd", "CameraFleetStaging"]

    reconciler.source = real_source
    recovered = reconciler.reconcile("poll")
    assert recovered.result == "success", recovered.message
    assert {t["sync"] for t in reconciler.status.snapshot()["targets"].values()} == {"Synced"}


def test_drift_is_told_once_with_the_field_diff_and_no_secret(
    seeded: AwsTestContext,
    fleet_repo: git.Repo,  # noqa: F811
    tmp_path: Path,
    receiver: FakeWebhook,
    publisher: NotifyingPublisher,
) -> None:
    _commit(fleet_repo, "bases/camera-fleet.yaml", "selfHeal: true", "selfHeal: false", "report")
    reconciler = _reconciler(fleet_repo, tmp_path, publisher)
    assert reconciler.reconcile("startup", full=True).result == "success"
    _forget_events(receiver, publisher)
    live = _latest(seeded)[PROD_ARN]
    components = live["components"]
    classifier = components["aws.greengrass.DLRImageClassification"]["configurationUpdate"]
    merge = json.loads(classifier["merge"])
    merge["InferenceInterval"] = 1
    classifier["merge"] = json.dumps(merge)
    uploader = components["com.acme.ImageUploader"]["configurationUpdate"]
    uploader_merge = json.loads(uploader["merge"])
    uploader_merge["credentials"]["token"] = "stolen-t0ken-value"
    uploader["merge"] = json.dumps(uploader_merge)
    seeded.client("greengrassv2").create_deployment(
        targetArn=PROD_ARN,
        deploymentName=live["deploymentName"],
        components=components,
        deploymentPolicies=live["deploymentPolicies"],
        iotJobConfiguration=live["iotJobConfiguration"],
        tags=live["tags"],
    )
    assert reconciler.reconcile("resync", full=True).result == "success"
    assert reconciler.reconcile("resync", full=True).result == "success"

    [event] = _events(receiver, publisher)
    assert event["kind"] == "driftDetected"
    assert event["thingGroup"] == "CameraFleetProd"
    assert event["deploymentId"] != live["deploymentId"]  # the console's revision
    details = event["details"]
    assert details["selfHeal"] is False
    changes = {
        (c["name"], entry["pointer"]): (entry["live"], entry["desired"])
        for c in details["components"]
        for entry in c["configuration"]
    }
    assert changes[("aws.greengrass.DLRImageClassification", "/InferenceInterval")] == (1, 300)
    assert changes[("com.acme.ImageUploader", "/credentials/token")] == (
        "<redacted>",
        "<redacted>",
    )
    raw = b"".join(r.body for r in receiver.received)
    assert b"stolen-t0ken-value" not in raw and b"prod-demo-token" not in raw


def test_the_controller_notifies_what_its_settings_configure(
    seeded: AwsTestContext,
    fleet_repo: git.Repo,  # noqa: F811
    tmp_path: Path,
    receiver: FakeWebhook,
) -> None:
    key_file = tmp_path / "hmac-key"
    key_file.write_text("from-a-secret-file\n")
    settings = ReconcilerSettings(
        cache_dir=tmp_path / "cache",
        lock="none",
        notify_webhook_url=receiver.url("/events"),
        notify_webhook_secret_file=key_file,
        notify_webhook_events="applied",
    )
    source = open_source(
        fleet_repo.working_dir, branch="main", path="deploy-specs", cache_dir=tmp_path / "cache"
    )
    controller = Controller(settings=settings, source=source, serve_http=False)
    try:
        assert controller.reconciler.reconcile("startup", full=True).result == "success"
        requests = receiver.wait_for(2)
        assert sorted(json.loads(r.body)["thingGroup"] for r in requests) == [
            "CameraFleetProd",
            "CameraFleetStaging",
        ]
        for request in requests:
            assert request.headers["X-Reconciler-Signature-256"] == github_signature(
                b"from-a-secret-file", request.body
            )
        assert controller.notifier is not None and controller.notifier.flush(10)
        metrics = generate_latest(controller.metrics.registry).decode()
        assert (
            'greengrass_reconciler_notifications_total{outcome="delivered",sink="webhook"} 2.0'
            in metrics
        )
    finally:
        controller.stop()


def test_a_cycle_that_cannot_read_aws_leaves_no_group_synced(
    seeded: AwsTestContext,
    fleet_repo: git.Repo,  # noqa: F811
    tmp_path: Path,
    receiver: FakeWebhook,
    publisher: NotifyingPublisher,
) -> None:
    settings = ReconcilerSettings(
        cache_dir=tmp_path / "cache", lock="none", max_attempts=2, initial_backoff=0.01
    )
    source = open_source(
        fleet_repo.working_dir, branch="main", path="deploy-specs", cache_dir=tmp_path / "cache"
    )
    reconciler = Reconciler(
        source=source, settings=settings, status=ControllerStatus(), events=publisher
    )
    assert reconciler.reconcile("startup", full=True).result == "success"
    _forget_events(receiver, publisher)
    seeded.admin.set_faults(error_rate=1.0, operations=["ListDeployments"], seed=1)
    try:
        outcome = reconciler.reconcile("resync", full=True)
    finally:
        seeded.admin.clear_faults()
    assert outcome.result == "error"
    status = reconciler.status.snapshot()
    assert {t["sync"] for t in status["targets"].values()} == {"Unknown"}
    assert status["lastError"]["message"] == outcome.message
    [event] = _events(receiver, publisher)
    assert event["kind"] == "cycleFailed"
    assert event["details"]["failedGroups"] == ["CameraFleetProd", "CameraFleetStaging"]
    assert reconciler.reconcile("resync", full=True).result == "success"
    assert {t["sync"] for t in reconciler.status.snapshot()["targets"].values()} == {"Synced"}
