"""The stop button (issue 14 item 4), end to end against the emulator through boto3 over HTTP:
an operator's cancel outside Git is honoured, suspensions, sync windows and rollbacks."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import git
import pytest
from click.testing import CliRunner

from reconciler.adapters.http.probes import Probes
from reconciler.adapters.http.server import ControllerHttpServer
from reconciler.adapters.http.stops import StopHandler
from reconciler.adapters.metrics import ControllerMetrics
from reconciler.adapters.sources.factory import open_source
from reconciler.adapters.suspensions import SuspensionStore
from reconciler.cli import main
from reconciler.core.events import EventKind
from reconciler.engine.reconciling import Reconciler
from reconciler.engine.runtime import Runtime, build_runtime
from reconciler.engine.status import ControllerStatus
from reconciler.settings import ReconcilerSettings
from tests.conftest import AwsTestContext
from tests.integration.reconcile.conftest import mutating_calls
from tests.integration.reconcile.rollout_kit import (
    ManualClock,
    RecordingPublisher,
    commit,
    fleet_repo,
    reconciler,
    run_until,
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


# ---------------------------------------------------------------------------- suspend


class Now:
    """The controller's wall clock, moved by the test."""

    def __init__(self) -> None:
        self.value = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.value


def _controller(repo: git.Repo, cache: Path, now: Now, events: Any = None) -> Reconciler:
    settings = ReconcilerSettings(cache_dir=cache, lock="none")
    source = open_source(repo.working_dir, branch="main", path="deploy-specs", cache_dir=cache)

    def runtime(s: ReconcilerSettings, region: str, account: str) -> Runtime:
        built = build_runtime(s, region=region, account=account)
        if events is not None:
            built.events = events
        return built

    return Reconciler(
        source=source,
        settings=settings,
        status=ControllerStatus(),
        runtime_factory=runtime,
        now=now,
    )


def _serve(rec: Reconciler, token: bytes) -> ControllerHttpServer:
    server = ControllerHttpServer(
        host="127.0.0.1",
        port=0,
        probes=Probes(healthy=lambda: True, ready=lambda: True, status=rec.status.snapshot),
        webhook=None,
        metrics=ControllerMetrics(rollout_max_groups=10),
        stops=StopHandler(token=token, store=rec.suspensions),
    )
    server.start()
    return server


def _post(server: ControllerHttpServer, path: str, body: Any, token: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        server.url + path, data=json.dumps(body).encode(), method="POST", headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _status(server: ControllerHttpServer) -> dict[str, Any]:
    with urllib.request.urlopen(server.url + "/status", timeout=10) as answer:
        return dict(json.loads(answer.read()))


def test_suspend_in_the_specs_plans_but_does_not_apply_until_it_expires(
    seeded: AwsTestContext, repo: git.Repo, tmp_path: Path
) -> None:
    now = Now()
    rec = _controller(repo, tmp_path / "cache", now)
    assert rec.reconcile("startup", full=True).result == "success"
    before = _latest(seeded)[STAGING_ARN]["deploymentId"]
    commit(
        repo,
        "groups/camera-staging.yaml",
        "  thingGroup: CameraFleetStaging\n",
        "  thingGroup: CameraFleetStaging\n"
        "  suspend: {reason: camera firmware recall, until: '2026-12-05T14:00:00Z'}\n",
        "suspend staging",
    )
    sha = commit(
        repo, "groups/camera-staging.yaml", "InferenceInterval: 15", "InferenceInterval: 20", "s"
    )
    seeded.admin.clear_requests()
    outcome = rec.reconcile("poll")
    assert outcome.result == "success", outcome.message
    assert mutating_calls(seeded) == []
    assert _latest(seeded)[STAGING_ARN]["deploymentId"] == before
    staging = _target(rec, STAGING)
    assert staging["sync"] == "Suspended"
    assert staging["reason"] == (
        "suspended by groups/camera-staging.yaml:11 until 2026-12-05T14:00:00Z: "
        "camera firmware recall"
    )
    assert outcome.plan is not None  # the plan says so
    planned = next(t for t in outcome.plan.targets if t.thing_group == STAGING)
    assert planned.action.value == "update"
    assert any("does not apply it while suspended" in w for w in planned.warnings)
    assert rec.status.snapshot()["lastAppliedCommit"] == sha

    now.value = datetime(2026, 12, 5, 14, 0, 1, tzinfo=UTC)  # the suspension expired
    outcome = rec.reconcile("resync", full=True)
    assert outcome.result == "success", outcome.message
    assert mutating_calls(seeded) == ["greengrassv2:CreateDeployment"]
    assert _target(rec, STAGING)["sync"] == "Synced"


def test_an_operators_suspend_blocks_applies_and_resume_releases_them(
    seeded: AwsTestContext, repo: git.Repo, tmp_path: Path
) -> None:
    now = Now()
    cache = tmp_path / "cache"
    events = RecordingPublisher()
    rec = _controller(repo, cache, now, events)
    assert rec.reconcile("startup", full=True).result == "success"
    suspended = CliRunner().invoke(
        main,
        ["suspend", "--all", "--reason", "incident 42", "--cache-dir", str(cache)],
        catch_exceptions=False,
    )
    assert suspended.exit_code == 0, suspended.output
    assert "suspended every group until resumed: incident 42" in suspended.output
    commit(repo, "groups/camera-prod.yaml", "InferenceInterval: 300", "InferenceInterval: 120", "p")
    commit(
        repo, "groups/camera-staging.yaml", "InferenceInterval: 15", "InferenceInterval: 20", "s"
    )
    seeded.admin.clear_requests()
    assert rec.reconcile("poll").result == "success"
    assert mutating_calls(seeded) == []

    # Recorded outside the process: a restarted controller honours it, and /status shows it.
    rec = _controller(repo, cache, now, events)
    token = "s3cret-token-for-tests"
    server = _serve(rec, token.encode())
    try:
        assert rec.reconcile("startup", full=True).result == "success"
        assert mutating_calls(seeded) == []
        targets = _status(server)["targets"]
        assert {g: (t["sync"], t["reason"]) for g, t in targets.items()} == {
            PROD: ("Suspended", "suspended by operator: incident 42"),
            STAGING: ("Suspended", "suspended by operator: incident 42"),
        }
        held = [e for e in events.events if e.kind is EventKind.HALTED]
        assert {e.thing_group for e in held} == {PROD, STAGING}
        assert {e.details["state"] for e in held} == {"Suspended"}

        # Over HTTP, only with the token.
        assert _post(server, "/resume", {"all": True}, None)[0] == 401
        assert _post(server, "/resume", {"all": True}, "wrong")[0] == 401
        assert _post(server, "/resume", {"group": 7}, token)[0] == 400
        assert mutating_calls(seeded) == []
        assert _post(server, "/resume", {"all": True}, token) == (
            200,
            {"group": "*", "resumed": True},
        )
        # One group again, for an hour.
        code, answer = _post(server, "/suspend", {"group": PROD, "reason": "r", "for": "1h"}, token)
        assert code == 200 and answer["suspension"]["reason"] == "r"
        assert rec.reconcile("poll", full=True).result == "success"
        assert mutating_calls(seeded) == ["greengrassv2:CreateDeployment"]  # staging only
        assert _target(rec, STAGING)["sync"] == "Synced"
        assert _target(rec, PROD)["sync"] == "Suspended"
        resumed = CliRunner().invoke(
            main,
            ["resume", PROD, "--controller", server.url, "--token-file", str(_token(tmp_path))],
            catch_exceptions=False,
        )
        assert resumed.exit_code == 0, resumed.output
        again = CliRunner().invoke(main, ["resume", PROD, "--cache-dir", str(cache)])
        assert again.exit_code == 3  # nothing left to resume
        assert rec.reconcile("poll", full=True).result == "success"
        assert mutating_calls(seeded) == ["greengrassv2:CreateDeployment"] * 2
        assert _target(rec, PROD)["sync"] == "Synced"
    finally:
        server.stop()


def _token(tmp_path: Path) -> Path:
    path = tmp_path / "stop-token"
    path.write_text("s3cret-token-for-tests\n")
    return path


# ---------------------------------------------------------------------------- rollback

STAGING_FLEET = """
generate:
  - {group: CameraFleetStaging, count: 4, namePrefix: staging-}
timing: {applySeconds: 2, jitterSeconds: 2}
"""
CLASSIFIER = "aws.greengrass.DLRImageClassification"


def _interval(aws: AwsTestContext, deployment_id: str) -> Any:
    gg = aws.client("greengrassv2")
    update = gg.get_deployment(deploymentId=deployment_id)["components"][CLASSIFIER]
    return json.loads(update["configurationUpdate"]["merge"])["InferenceInterval"]


def _rollback(repo: git.Repo, cache: Path, *args: str) -> Any:
    return CliRunner().invoke(
        main,
        [
            "rollback",
            STAGING,
            *args,
            "--specs",
            str(Path(repo.working_dir) / "deploy-specs"),
            "--cache-dir",
            str(cache),
        ],
        catch_exceptions=False,
    )


def test_rollback_to_the_last_good_revision_is_left_alone_until_git_changes_the_group(
    seeded: AwsTestContext, repo: git.Repo, tmp_path: Path
) -> None:
    seeded.admin.set_clock("virtual")
    seeded.admin.load_fleet(STAGING_FLEET)
    clock = ManualClock(float(seeded.admin.clock()["now"]))
    cache = tmp_path / "cache"
    rec = reconciler(repo, cache, clock)
    assert rec.reconcile("startup", full=True).result == "success"
    good = run_until(seeded, clock, rec, STAGING, "Succeeded")
    assert good["devices"]["succeeded"] == 4

    # Revision 2 fails on half the devices.
    seeded.admin.set_failures(
        [
            {
                "component": CLASSIFIER,
                "version": "*",
                "devices": ["staging-1", "staging-2"],
                "phase": "configuration",
            }
        ]
    )
    commit(
        repo, "groups/camera-staging.yaml", "InferenceInterval: 15", "InferenceInterval: 20", "s"
    )
    assert rec.reconcile("poll").result == "success"
    bad = run_until(seeded, clock, rec, STAGING, "Failed")
    assert _interval(seeded, bad["deploymentId"]) == 20
    seeded.admin.set_failures([])

    seeded.admin.clear_requests()
    result = _rollback(repo, cache, "--last-good")
    assert result.exit_code == 0, result.output
    assert "rolled back CameraFleetStaging: revision 2 -> the content of revision 1" in (
        result.output
    )
    assert mutating_calls(seeded) == ["greengrassv2:CreateDeployment"]
    restored = _latest(seeded)[STAGING_ARN]
    assert restored["revisionId"] == "3"
    assert _interval(seeded, restored["deploymentId"]) == 15

    # The controller, and a restarted one, leave it alone while Git asks what it replaced,
    # and follow its rollout.
    seeded.admin.clear_requests()
    assert rec.reconcile("resync", full=True).result == "success"
    followed = run_until(seeded, clock, rec, STAGING, "Succeeded")
    assert followed["deploymentId"] == restored["deploymentId"]
    restarted = reconciler(repo, cache, clock)
    assert restarted.reconcile("startup", full=True).result == "success"
    assert mutating_calls(seeded) == []
    for controller in (rec, restarted):
        staging = _target(controller, STAGING)
        assert staging["sync"] == "RolledBack"
        assert staging["reason"].startswith(
            "rolled back by operator from revision 2 to the content of revision 1 at "
        )
    # Nothing to roll back to by name: the latest, or a revision that does not exist.
    assert _rollback(repo, cache, "--to", "3").exit_code == 1
    assert _rollback(repo, cache, "--to", "9").exit_code == 1
    assert mutating_calls(seeded) == []

    # A commit that changes the group ends the rollback.
    commit(
        repo, "groups/camera-staging.yaml", "InferenceInterval: 20", "InferenceInterval: 30", "s"
    )
    assert restarted.reconcile("poll").result == "success"
    assert mutating_calls(seeded) == ["greengrassv2:CreateDeployment"]
    assert _interval(seeded, _latest(seeded)[STAGING_ARN]["deploymentId"]) == 30
    assert _target(restarted, STAGING)["sync"] == "Synced"
    assert SuspensionStore(cache).rollbacks() == {}
