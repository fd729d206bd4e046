"""Sync windows (issue 14 item 4), end to end against the emulator through boto3 over HTTP:
a deny window defers an apply until it closes; the real Reconciler cycle, time moved by `now`."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import git
import pytest
from click.testing import CliRunner

from reconciler.adapters.http.probes import Probes
from reconciler.adapters.http.server import ControllerHttpServer
from reconciler.adapters.metrics import ControllerMetrics
from reconciler.adapters.sources.factory import open_source
from reconciler.cli import main
from reconciler.engine.reconciling import Reconciler
from reconciler.engine.runtime import build_runtime
from reconciler.engine.status import ControllerStatus
from reconciler.settings import ReconcilerSettings
from tests.conftest import AwsTestContext
from tests.integration.reconcile.conftest import mutating_calls
from tests.integration.reconcile.rollout_kit import commit, fleet_repo

STAGING = "CameraFleetStaging"
STAGING_ARN = f"arn:aws:iot:us-east-1:123456789012:thinggroup/{STAGING}"
# Friday 22:00 Paris (21:00 UTC in winter) for 8 hours, for the camera groups.
DENY_FRIDAY_NIGHTS = """  syncWindows:
    - kind: deny
      schedule: "0 22 * * fri"
      duration: 8h
      timeZone: Europe/Paris
      groups: [CameraFleet*]
"""


class Now:
    """The controller's wall clock, moved by the test."""

    def __init__(self) -> None:
        self.value = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)  # a Friday, before the window

    def __call__(self) -> datetime:
        return self.value


@pytest.fixture
def repo(tmp_path: Path, specs: Path) -> git.Repo:
    return fleet_repo(tmp_path / "fleet", specs)


def _controller(repo: git.Repo, cache: Path, now: Now) -> Reconciler:
    return Reconciler(
        source=open_source(repo.working_dir, branch="main", path="deploy-specs", cache_dir=cache),
        settings=ReconcilerSettings(cache_dir=cache, lock="none"),
        status=ControllerStatus(),
        runtime_factory=lambda s, region, account: build_runtime(s, region=region, account=account),
        now=now,
    )


def _latest_id(aws: AwsTestContext) -> str:
    deployments = aws.client("greengrassv2").list_deployments(historyFilter="LATEST_ONLY")
    return next(
        str(d["deploymentId"]) for d in deployments["deployments"] if d["targetArn"] == STAGING_ARN
    )


def _status_over_http(rec: Reconciler) -> dict[str, Any]:
    server = ControllerHttpServer(
        host="127.0.0.1",
        port=0,
        probes=Probes(healthy=lambda: True, ready=lambda: True, status=rec.status.snapshot),
        webhook=None,
        metrics=ControllerMetrics(rollout_max_groups=10),
    )
    server.start()
    try:
        with urllib.request.urlopen(server.url + "/status", timeout=10) as answer:
            return dict(json.loads(answer.read()))
    finally:
        server.stop()


def test_a_deny_window_defers_an_apply_until_it_closes(
    seeded: AwsTestContext, repo: git.Repo, tmp_path: Path
) -> None:
    now = Now()
    rec = _controller(repo, tmp_path / "cache", now)
    commit(repo, "reconciler.yaml", "  defaults:\n", DENY_FRIDAY_NIGHTS + "  defaults:\n", "deny")
    assert rec.reconcile("startup", full=True).result == "success"
    before = _latest_id(seeded)

    now.value = datetime(2026, 12, 4, 23, 30, tzinfo=UTC)  # inside: 00:30 Saturday in Paris
    commit(
        repo, "groups/camera-staging.yaml", "InferenceInterval: 15", "InferenceInterval: 20", "s"
    )
    seeded.admin.clear_requests()
    outcome = rec.reconcile("poll")
    assert outcome.result == "success", outcome.message
    assert outcome.plan is not None  # planned ...
    planned = next(t for t in outcome.plan.targets if t.thing_group == STAGING)
    assert planned.action.value == "update"
    assert mutating_calls(seeded) == []  # ... not applied
    assert _latest_id(seeded) == before
    staging = _status_over_http(rec)["targets"][STAGING]
    assert staging["sync"] == "Waiting"
    assert staging["reason"] == (
        "waiting for sync window: deny '0 22 * * fri' Europe/Paris for 8h until 2026-12-05T05:00Z"
    )

    outcome = rec.reconcile("resync", full=True)  # still inside: still nothing
    assert outcome.result == "success", outcome.message
    assert mutating_calls(seeded) == []

    now.value = datetime(2026, 12, 5, 5, 0, tzinfo=UTC)  # the window closed
    outcome = rec.reconcile("resync", full=True)
    assert outcome.result == "success", outcome.message
    assert mutating_calls(seeded) == ["greengrassv2:CreateDeployment"]
    assert _latest_id(seeded) != before
    assert _status_over_http(rec)["targets"][STAGING]["sync"] == "Synced"


def test_the_cli_apply_is_a_manual_sync_and_ignores_windows(
    seeded: AwsTestContext, specs: Path
) -> None:
    settings = specs / "reconciler.yaml"
    always_denied = (
        '  syncWindows:\n    - {kind: deny, schedule: "* * * * *", duration: 7d}\n  defaults:\n'
    )
    settings.write_text(settings.read_text().replace("  defaults:\n", always_denied, 1))
    seeded.admin.clear_requests()
    result = CliRunner().invoke(
        main, ["apply", "--specs", str(specs), "--auto-approve", "--no-cache"]
    )
    assert result.exit_code == 0, result.output
    assert "greengrassv2:CreateDeployment" in mutating_calls(seeded)
    assert _latest_id(seeded)  # the staging group got its deployment, window or not
