"""Prune that does what users expect (issue 14 item 6), end to end against the emulator's fleet
through boto3 over HTTP: `prune: uninstall` removes the group's components from its devices,
`prune: cancel` leaves them running."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import git
import pytest

from reconciler.adapters.spec_files import load_spec_set
from reconciler.core.rendering.changes import prune_note
from reconciler.engine.reconciling import Reconciler
from reconciler.engine.runtime import build_runtime
from reconciler.settings import ReconcilerSettings
from tests.conftest import AwsTestContext
from tests.integration.reconcile.conftest import mutating_calls
from tests.integration.reconcile.rollout_kit import (
    ManualClock,
    commit,
    fleet_repo,
    reconciler,
    run_until,
    step,
)

STAGING = "CameraFleetStaging"
STAGING_ARN = f"arn:aws:iot:us-east-1:123456789012:thinggroup/{STAGING}"
DEVICES = ("staging-1", "staging-2", "staging-3")
STAGING_FLEET = """
generate:
  - {group: CameraFleetStaging, count: 3, namePrefix: staging-}
timing: {applySeconds: 2, jitterSeconds: 2}
"""
CLASSIFIER = "aws.greengrass.DLRImageClassification"


def _repo(tmp_path: Path, specs: Path, prune: str) -> git.Repo:
    fleet = fleet_repo(tmp_path / "fleet", specs)
    commit(
        fleet,
        "reconciler.yaml",
        "syncPolicy: {prune: false",
        f"syncPolicy: {{prune: {prune}",
        f"prune: {prune}",
    )
    return fleet


def _remove_staging(repo: git.Repo) -> None:
    repo.index.remove(["deploy-specs/groups/camera-staging.yaml"], working_tree=True)
    repo.index.commit("retire the staging group")


def _latest(aws: AwsTestContext) -> dict[str, Any]:
    gg = aws.client("greengrassv2")
    latest = gg.list_deployments(targetArn=STAGING_ARN, historyFilter="LATEST_ONLY")
    return dict(gg.get_deployment(deploymentId=latest["deployments"][0]["deploymentId"]))


def _installed(aws: AwsTestContext, device: str) -> set[str]:
    return set(aws.admin.device(device)["installedComponents"])


def _deployed_staging(aws: AwsTestContext, tmp_path: Path, specs: Path, prune: str) -> Any:
    aws.admin.set_clock("virtual")
    aws.admin.load_fleet(STAGING_FLEET)
    clock = ManualClock(float(aws.admin.clock()["now"]))
    repo = _repo(tmp_path, specs, prune)
    rec = reconciler(repo, tmp_path / "cache", clock)
    assert rec.reconcile("startup", full=True).result == "success"
    run_until(aws, clock, rec, STAGING, "Succeeded")
    for device in DEVICES:
        assert CLASSIFIER in _installed(aws, device)
    return repo, rec, clock


def _sync(rec: Reconciler) -> str:
    return str(rec.status.snapshot()["targets"][STAGING]["sync"])


def test_prune_uninstall_removes_the_groups_components_from_its_devices(
    seeded: AwsTestContext, tmp_path: Path, specs: Path
) -> None:
    repo, rec, clock = _deployed_staging(seeded, tmp_path, specs, "uninstall")
    live = _latest(seeded)
    assert live["components"], "the staging group deploys components"
    _remove_staging(repo)

    seeded.admin.clear_requests()
    assert rec.reconcile("poll").result == "success"
    assert mutating_calls(seeded) == ["greengrassv2:CreateDeployment"]
    empty = _latest(seeded)
    assert empty["components"] == {}
    assert empty["tags"]["greengrass-reconciler/prune-step"] == "uninstall"
    assert empty["deploymentStatus"] == "ACTIVE"
    assert _sync(rec) == "Pruning"

    # Until the empty revision rolled out the group is pending: neither re-created nor
    # cancelled, also by a controller that just started.
    seeded.admin.clear_requests()
    restarted = reconciler(repo, tmp_path / "cache", clock)
    assert restarted.reconcile("startup", full=True).result == "success"
    assert mutating_calls(seeded) == []
    assert _sync(restarted) == "Pruning"

    waited = 0.0
    while _sync(restarted) != "Pruned":
        assert waited < 600, restarted.status.snapshot()["targets"][STAGING]
        step(seeded, clock, restarted.rollouts, 15)
        waited += 15
        assert restarted.reconcile("resync", full=True).result == "success"
    assert _latest(seeded)["deploymentId"] == empty["deploymentId"]
    assert _latest(seeded)["deploymentStatus"] == "CANCELED"
    for device in DEVICES:
        assert CLASSIFIER not in _installed(seeded, device)
        assert _installed(seeded, device) <= {"aws.greengrass.Nucleus"}

    # Done: later cycles change nothing.
    seeded.admin.clear_requests()
    assert restarted.reconcile("resync", full=True).result == "success"
    assert mutating_calls(seeded) == []


def test_prune_cancel_leaves_the_groups_components_on_its_devices(
    seeded: AwsTestContext, tmp_path: Path, specs: Path
) -> None:
    repo, rec, clock = _deployed_staging(seeded, tmp_path, specs, "cancel")
    deployed = _latest(seeded)["deploymentId"]
    _remove_staging(repo)

    seeded.admin.clear_requests()
    assert rec.reconcile("poll").result == "success"
    assert mutating_calls(seeded) == ["greengrassv2:CancelDeployment"]
    assert _sync(rec) == "Pruned"
    step(seeded, clock, rec.rollouts, 300)
    latest = _latest(seeded)
    assert (latest["deploymentId"], latest["deploymentStatus"]) == (deployed, "CANCELED")
    for device in DEVICES:
        assert CLASSIFIER in _installed(seeded, device)


@pytest.mark.parametrize("prune", ["uninstall", "cancel", "true"])
def test_the_plan_says_what_prune_does_and_to_how_many_devices(
    seeded: AwsTestContext, tmp_path: Path, specs: Path, prune: str
) -> None:
    repo, _rec, _clock = _deployed_staging(seeded, tmp_path, specs, prune)
    _remove_staging(repo)
    settings = ReconcilerSettings(cache_dir=tmp_path / "plan-cache", lock="none")
    runtime = build_runtime(settings, region="us-east-1", account="123456789012")
    seeded.admin.clear_requests()
    plan = runtime.plan(
        load_spec_set(Path(repo.working_dir) / "deploy-specs"), commit=None, specs_path=None
    )
    assert mutating_calls(seeded) == []
    (candidate,) = [t for t in plan.targets if t.thing_group == STAGING]
    assert candidate.devices == len(DEVICES)
    expected = {
        "uninstall": "uninstall: deploy an empty revision, then cancel (3 devices)",
        "cancel": "cancel: devices keep running its components (3 devices)",
        "true": "cancel: devices keep running its components (3 devices)",
    }[prune]
    assert prune_note(candidate) == expected
