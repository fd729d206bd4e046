"""Rollout truth, end to end: the controller follows its revisions to the emulator's simulated
devices (boto3 over HTTP, virtual clock) and shows it in /status, /metrics, the events and
`reconciler status`."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import git
import pytest
from click.testing import CliRunner

from reconciler.adapters.http import ControllerHttpServer, Probes
from reconciler.adapters.metrics import ControllerMetrics
from reconciler.cli import main
from reconciler.core.events import EventKind
from reconciler.engine.reconciling import Reconciler
from tests.conftest import AwsTestContext
from tests.integration.reconcile.rollout_kit import (
    ManualClock,
    RecordingPublisher,
    commit,
    fleet_repo,
    reconciler,
    run_until,
    step,
)

PROD, STAGING = "CameraFleetProd", "CameraFleetStaging"
FLEET = """
generate:
  - {group: CameraFleetProd, count: 50, namePrefix: prod-}
  - {group: CameraFleetStaging, count: 4, namePrefix: staging-}
timing: {applySeconds: 2, jitterSeconds: 2}
"""
FAILING = [f"prod-{n:02d}" for n in range(1, 11)]  # 10 of the 50: 20 %
CLASSIFIER = "aws.greengrass.DLRImageClassification"
ABORT_CONFIG = """    abortConfig:
      criteriaList:
        - failureType: FAILED
          action: CANCEL
          thresholdPercentage: 10
          minNumberOfExecutedThings: 20
"""


@pytest.fixture
def repo(tmp_path: Path, specs: Path) -> git.Repo:
    return fleet_repo(tmp_path / "fleet", specs)


@pytest.fixture
def fleet(seeded: AwsTestContext) -> AwsTestContext:
    seeded.admin.set_clock("virtual")
    seeded.admin.load_fleet(FLEET)
    return seeded


@pytest.fixture
def clock(fleet: AwsTestContext) -> ManualClock:
    """The controller's clock, in step with the emulator's virtual one."""
    return ManualClock(float(fleet.admin.clock()["now"]))


class Endpoints:
    """The controller's real HTTP server, serving this reconciler's status and metrics."""

    def __init__(self, rec: Reconciler) -> None:
        self.metrics = ControllerMetrics(rollout_max_groups=10)
        self.metrics.bind_rollouts(rec.status.rollouts)
        self.server = ControllerHttpServer(
            host="127.0.0.1",
            port=0,
            probes=Probes(healthy=lambda: True, ready=lambda: True, status=rec.status.snapshot),
            webhook=None,
            metrics=self.metrics,
        )

    def get(self, path: str) -> str:
        with urllib.request.urlopen(self.server.url + path, timeout=10) as answer:
            return str(answer.read().decode("utf-8"))

    def rollout(self, group: str) -> dict[str, Any]:
        return dict(json.loads(self.get("/status"))["targets"][group]["rollout"])

    def metric(self, name: str, **labels: str) -> float:
        wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        prefix = f"greengrass_reconciler_{name}{{{wanted}}} "
        for line in self.get("/metrics").splitlines():
            if line.startswith(prefix):
                return float(line[len(prefix) :])
        raise AssertionError(f"no series {prefix!r}")


@pytest.fixture
def endpoints_for() -> Iterator[Any]:
    started: list[Endpoints] = []

    def start(rec: Reconciler) -> Endpoints:
        endpoints = Endpoints(rec)
        endpoints.server.start()
        started.append(endpoints)
        return endpoints

    yield start
    for endpoints in started:
        endpoints.server.stop()


def _status_cli(specs: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(
        main, ["status", "--specs", str(specs), "--format", "json", *args], catch_exceptions=False
    )
    return result.exit_code, json.loads(result.stdout)


def _deployment_status(aws: AwsTestContext, deployment_id: str) -> str:
    gg = aws.client("greengrassv2")
    return str(gg.get_deployment(deploymentId=deployment_id)["deploymentStatus"])


def test_a_good_revision_succeeds_on_all_50_devices_while_the_deployment_stays_active(
    fleet: AwsTestContext, repo: git.Repo, tmp_path: Path, clock: ManualClock, endpoints_for: Any
) -> None:
    events = RecordingPublisher()
    rec = reconciler(repo, tmp_path / "cache", clock, events)
    endpoints = endpoints_for(rec)
    assert rec.reconcile("startup", full=True).result == "success"
    first = rec.status.snapshot()["targets"][PROD]["rollout"]
    assert first["state"] == "Progressing"

    # The prod group's job notifies 5 devices in its first minute (exponentialRate): while it
    # does, the counts are not the whole fleet and the rollout stays Progressing.
    step(fleet, clock, rec.rollouts, 30)
    early = endpoints.rollout(PROD)
    assert early["state"] == "Progressing"
    assert 0 < early["devices"]["total"] < 50

    done = run_until(fleet, clock, rec, PROD, "Succeeded")
    assert done["devices"] == {
        "queued": 0,
        "inProgress": 0,
        "succeeded": 50,
        "failed": 0,
        "timedOut": 0,
        "rejected": 0,
        "canceled": 0,
        "removed": 0,
        "total": 50,
    }
    assert (done["failing"], done["unhealthy"], done["following"]) == ([], 0, False)
    assert _deployment_status(fleet, done["deploymentId"]) == "ACTIVE"
    assert endpoints.rollout(PROD) == done
    assert run_until(fleet, clock, rec, STAGING, "Succeeded")["devices"]["succeeded"] == 4

    assert endpoints.metric("rollout_devices", thing_group=PROD, status="succeeded") == 50
    assert endpoints.metric("rollout_state", thing_group=PROD, state="Succeeded") == 1
    assert endpoints.metric("rollout_groups", state="Succeeded") == 2

    ended = [e for e in events.events if e.kind is EventKind.ROLLOUT_SUCCEEDED]
    assert sorted(e.thing_group or "" for e in ended) == [PROD, STAGING]
    prod_end = next(e for e in ended if e.thing_group == PROD)
    assert prod_end.details == done
    assert prod_end.commit == repo.head.commit.hexsha
    assert (prod_end.deployment_id, prod_end.revision_id) == (
        done["deploymentId"],
        done["revisionId"],
    )
    progressed = [e for e in events.events if e.kind is EventKind.ROLLOUT_PROGRESSED]
    counts = [e.details["devices"]["succeeded"] for e in progressed if e.thing_group == PROD]  # type: ignore[index,call-overload]
    assert counts == sorted(counts) and len(counts) >= 2  # published as the counts moved

    code, document = _status_cli(repo_specs(repo), "--group", PROD)
    assert code == 0
    assert document["targets"][PROD]["rollout"]["devices"] == done["devices"]
    assert document["targets"][PROD]["rollout"]["state"] == "Succeeded"

    # Terminal: no more follow-up calls, while the deployments stay ACTIVE.
    fleet.admin.clear_requests()
    for _ in range(8):
        step(fleet, clock, rec.rollouts, 60)
    assert fleet.admin.requests() == []
    assert rec.rollouts.following == 0


def repo_specs(repo: git.Repo) -> Path:
    return Path(repo.working_dir) / "deploy-specs"


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("", "Failed"),  # default threshold 10 % (and the group's abortConfig cancels the job)
        ("rolloutPolicy: {failureThresholdPercentage: 25}", "Degraded"),
    ],
)
def test_a_revision_failing_on_20_percent_of_devices_shows_them_and_their_errors(
    fleet: AwsTestContext,
    repo: git.Repo,
    tmp_path: Path,
    clock: ManualClock,
    endpoints_for: Any,
    policy: str,
    expected: str,
) -> None:
    events = RecordingPublisher()
    rec = reconciler(repo, tmp_path / "cache", clock, events)
    endpoints = endpoints_for(rec)
    assert rec.reconcile("startup", full=True).result == "success"
    run_until(fleet, clock, rec, PROD, "Succeeded")

    fleet.admin.set_failures(
        [{"component": CLASSIFIER, "version": "*", "devices": FAILING, "phase": "configuration"}]
    )
    if policy:
        commit(repo, "groups/camera-prod.yaml", ABORT_CONFIG, "", "no abort")
        commit(
            repo,
            "groups/camera-prod.yaml",
            "  tags:\n    env: prod",
            f"  {policy}\n  tags:\n    env: prod",
            "threshold",
        )
    sha = commit(
        repo,
        "groups/camera-prod.yaml",
        "InferenceInterval: 300",
        "InferenceInterval: 120",
        "prod: classify every 2 minutes",
    )
    assert rec.reconcile("poll").result == "success"
    rollout = run_until(fleet, clock, rec, PROD, expected)

    devices = rollout["devices"]
    assert devices["failed"] == 10
    assert devices["total"] - devices["removed"] == (
        50 if expected == "Degraded" else devices["total"]
    )
    failing = rollout["failing"]
    assert sorted(f["device"] for f in failing) == FAILING
    for device in failing:
        assert device["status"] == "FAILED"
        assert device["reason"] == "FAILED_NO_STATE_CHANGE"
        assert device["errorStack"] == ["DEPLOYMENT_FAILURE", "COMPONENT_CONFIGURATION_NOT_VALID"]
    assert rollout["topError"] == "COMPONENT_CONFIGURATION_NOT_VALID"
    assert endpoints.rollout(PROD) == rollout

    code, document = _status_cli(repo_specs(repo), "--group", PROD)
    assert code == 3
    from_cli = document["targets"][PROD]["rollout"]
    for key in ("state", "devices", "failing", "deploymentId", "revisionId", "unhealthy"):
        assert from_cli[key] == rollout[key], key

    table = CliRunner().invoke(main, ["status", "--specs", str(repo_specs(repo))])
    assert table.exit_code == 3
    row = next(line.split() for line in table.stdout.splitlines() if line.startswith(PROD))
    assert row[2] == expected and row[4] == "10" and row[-1] == "COMPONENT_CONFIGURATION_NOT_VALID"

    assert endpoints.metric("rollout_devices", thing_group=PROD, status="failed") == 10
    assert endpoints.metric("rollout_state", thing_group=PROD, state=expected) == 1

    kind = EventKind.ROLLOUT_FAILED if expected == "Failed" else EventKind.ROLLOUT_SUCCEEDED
    ended = [e for e in events.events if e.kind is kind and e.commit == sha]
    assert [e.thing_group for e in ended] == [PROD]
    assert ended[0].details["state"] == expected
    assert "10 failed (COMPONENT_CONFIGURATION_NOT_VALID)" in ended[0].summary


def test_offline_devices_keep_a_rollout_progressing_until_they_are_back(
    fleet: AwsTestContext, repo: git.Repo, tmp_path: Path, clock: ManualClock
) -> None:
    rec = reconciler(repo, tmp_path / "cache", clock)
    assert rec.reconcile("startup", full=True).result == "success"
    run_until(fleet, clock, rec, STAGING, "Succeeded")
    for name in ("staging-1", "staging-2"):
        fleet.admin.update_device(name, offline=True)
    commit(
        repo, "groups/camera-staging.yaml", "InferenceInterval: 15", "InferenceInterval: 5", "5 s"
    )
    assert rec.reconcile("poll").result == "success"

    for _ in range(20):  # 10 minutes: the two offline devices are pending, not failures
        step(fleet, clock, rec.rollouts, 30)
    waiting = rec.status.snapshot()["targets"][STAGING]["rollout"]
    assert waiting["state"] == "Progressing"
    assert (waiting["devices"]["succeeded"], waiting["devices"]["queued"]) == (2, 2)
    assert waiting["devices"]["failed"] == 0
    code, document = _status_cli(repo_specs(repo), "--group", STAGING, "--watch", "--timeout", "0")
    assert code == 2  # still progressing when --timeout passed
    assert document["targets"][STAGING]["rollout"]["devices"] == waiting["devices"]
    unknown = CliRunner().invoke(
        main, ["status", "--specs", str(repo_specs(repo)), "--group", "Nope"]
    )
    assert unknown.exit_code == 1 and "no Deployment in the specs targets Nope" in unknown.stderr

    # A controller restarted now reads the same rollout back (ListDeployments, tags, DescribeJob).
    restarted = reconciler(repo, tmp_path / "cache2", clock)
    assert restarted.reconcile("startup", full=True).result == "success"
    restarted.rollouts.poll()
    again = restarted.status.snapshot()["targets"][STAGING]["rollout"]
    assert again == waiting

    for name in ("staging-1", "staging-2"):
        fleet.admin.update_device(name, offline=False)
    done = run_until(fleet, clock, restarted, STAGING, "Succeeded")
    assert (done["devices"]["succeeded"], done["devices"]["total"]) == (4, 4)
    assert done["deploymentId"] == waiting["deploymentId"]
