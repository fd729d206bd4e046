"""The controller's reconcile cycle on a real Git repository, against the emulator."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import git
import pytest

from reconciler.adapters.sources.factory import open_source
from reconciler.engine.reconciling import Reconciler
from reconciler.engine.status import ControllerStatus
from reconciler.settings import ReconcilerSettings
from tests.conftest import AwsTestContext
from tests.integration.reconcile.conftest import mutating_calls

PROD_ARN = "arn:aws:iot:us-east-1:123456789012:thinggroup/CameraFleetProd"


@pytest.fixture
def fleet_repo(tmp_path: Path, specs: Path) -> git.Repo:
    repo = git.Repo.init(tmp_path / "fleet", initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "test")
        config.set_value("user", "email", "test@example.invalid")
    shutil.copytree(specs, Path(repo.working_dir) / "deploy-specs")
    repo.index.add(["deploy-specs"])
    repo.index.commit("sample")
    return repo


def _commit(repo: git.Repo, relative: str, old: str, new: str, message: str) -> str:
    path = Path(repo.working_dir) / "deploy-specs" / relative
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    repo.index.add([str(path)])
    return repo.index.commit(message).hexsha


def _reconciler(repo: git.Repo, tmp_path: Path) -> Reconciler:
    settings = ReconcilerSettings(cache_dir=tmp_path / "cache", lock="none")
    source = open_source(
        repo.working_dir, branch="main", path="deploy-specs", cache_dir=tmp_path / "cache"
    )
    return Reconciler(source=source, settings=settings, status=ControllerStatus())


def _latest(aws: AwsTestContext) -> dict[str, dict[str, Any]]:
    greengrass = aws.client("greengrassv2")
    return {
        d["targetArn"]: greengrass.get_deployment(deploymentId=d["deploymentId"])
        for d in greengrass.list_deployments(historyFilter="LATEST_ONLY")["deployments"]
    }


def _interval(deployment: dict[str, Any]) -> Any:
    update = deployment["components"]["aws.greengrass.DLRImageClassification"]
    return json.loads(update["configurationUpdate"]["merge"])["InferenceInterval"]


def test_a_new_commit_creates_a_revision_for_the_changed_group_only(
    seeded: AwsTestContext, fleet_repo: git.Repo, tmp_path: Path
) -> None:
    reconciler = _reconciler(fleet_repo, tmp_path)
    first = reconciler.reconcile("startup", full=True)
    assert first.result == "success", first.message
    assert reconciler.status.snapshot()["ready"] is True
    before = _latest(seeded)

    sha = _commit(
        fleet_repo,
        "groups/camera-prod.yaml",
        "InferenceInterval: 300",
        "InferenceInterval: 120",
        "prod: classify every 2 minutes",
    )
    seeded.admin.clear_requests()
    outcome = reconciler.reconcile("poll")
    assert outcome.result == "success", outcome.message
    assert outcome.commit == sha
    assert mutating_calls(seeded) == ["greengrassv2:CreateDeployment"]
    after = _latest(seeded)
    assert _interval(after[PROD_ARN]) == 120
    assert after[PROD_ARN]["tags"]["greengrass-reconciler/commit"] == sha
    staging = PROD_ARN.replace("Prod", "Staging")
    assert after[staging]["deploymentId"] == before[staging]["deploymentId"]

    seeded.admin.clear_requests()
    assert reconciler.reconcile("poll").result == "skipped"  # nothing moved
    assert reconciler.reconcile("resync", full=True).result == "success"
    assert mutating_calls(seeded) == []


def test_a_commit_with_invalid_specs_leaves_the_fleet_as_it_was(
    seeded: AwsTestContext, fleet_repo: git.Repo, tmp_path: Path
) -> None:
    reconciler = _reconciler(fleet_repo, tmp_path)
    assert reconciler.reconcile("startup", full=True).result == "success"
    good = reconciler.status.snapshot()["lastAppliedCommit"]
    bad = _commit(fleet_repo, "groups/camera-prod.yaml", "thingGroup:", "thingGrup:", "typo")
    seeded.admin.clear_requests()
    outcome = reconciler.reconcile("poll")
    assert outcome.result == "error"
    assert bad[:12] in outcome.message
    assert mutating_calls(seeded) == []
    status = reconciler.status.snapshot()
    assert status["lastAppliedCommit"] == good
    assert status["lastError"]["commit"] == bad

    fixed = _commit(fleet_repo, "groups/camera-prod.yaml", "thingGrup:", "thingGroup:", "fix")
    outcome = reconciler.reconcile("poll")
    assert outcome.result == "success", outcome.message
    assert reconciler.status.snapshot()["lastAppliedCommit"] == fixed


def test_drift_made_in_the_console_is_detected_and_healed_with_self_heal(
    seeded: AwsTestContext, fleet_repo: git.Repo, tmp_path: Path
) -> None:
    reconciler = _reconciler(fleet_repo, tmp_path)
    assert reconciler.reconcile("startup", full=True).result == "success"
    greengrass = seeded.client("greengrassv2")
    live = _latest(seeded)[PROD_ARN]
    # What the console's "Revise" does: same name, same tags, one value changed.
    components = live["components"]
    merge = json.loads(
        components["aws.greengrass.DLRImageClassification"]["configurationUpdate"]["merge"]
    )
    merge["InferenceInterval"] = 1
    components["aws.greengrass.DLRImageClassification"]["configurationUpdate"]["merge"] = (
        json.dumps(merge)
    )
    greengrass.create_deployment(
        targetArn=PROD_ARN,
        deploymentName=live["deploymentName"],
        components=components,
        deploymentPolicies=live["deploymentPolicies"],
        iotJobConfiguration=live["iotJobConfiguration"],
        tags=live["tags"],
    )
    assert _interval(_latest(seeded)[PROD_ARN]) == 1

    outcome = reconciler.reconcile("resync", full=True)
    assert outcome.result == "success", outcome.message
    assert outcome.plan is not None
    drifted = [t.thing_group for t in outcome.plan.targets if t.drift]
    assert drifted == ["CameraFleetProd"]
    # The sample's base sets selfHeal: true, so the console edit is reverted.
    assert _interval(_latest(seeded)[PROD_ARN]) == 300
    assert reconciler.status.snapshot()["targets"]["CameraFleetProd"]["sync"] == "Synced"


def test_drift_without_self_heal_is_reported_not_reverted(
    seeded: AwsTestContext, fleet_repo: git.Repo, tmp_path: Path
) -> None:
    _commit(
        fleet_repo,
        "bases/camera-fleet.yaml",
        "selfHeal: true",
        "selfHeal: false",
        "report drift only",
    )
    reconciler = _reconciler(fleet_repo, tmp_path)
    assert reconciler.reconcile("startup", full=True).result == "success"
    live = _latest(seeded)[PROD_ARN]
    seeded.client("greengrassv2").create_deployment(
        targetArn=PROD_ARN,
        deploymentName=live["deploymentName"],
        components={"aws.greengrass.DLRImageClassification": {"componentVersion": "2.1.10"}},
    )
    seeded.admin.clear_requests()
    outcome = reconciler.reconcile("resync", full=True)
    assert outcome.result == "success", outcome.message
    assert mutating_calls(seeded) == []
    assert reconciler.status.snapshot()["targets"]["CameraFleetProd"]["sync"] == "Drifted"


def _edit_in_console(aws: AwsTestContext) -> str:
    """A revision of the prod group made outside Git; its deployment id."""
    live = _latest(aws)[PROD_ARN]
    made = aws.client("greengrassv2").create_deployment(
        targetArn=PROD_ARN,
        deploymentName=live["deploymentName"],
        components={"aws.greengrass.DLRImageClassification": {"componentVersion": "2.1.10"}},
    )
    return str(made["deploymentId"])


def test_a_commit_that_changes_a_drifted_group_applies_it_without_self_heal(
    seeded: AwsTestContext, fleet_repo: git.Repo, tmp_path: Path
) -> None:
    _commit(fleet_repo, "bases/camera-fleet.yaml", "selfHeal: true", "selfHeal: false", "no heal")
    reconciler = _reconciler(fleet_repo, tmp_path)
    assert reconciler.reconcile("startup", full=True).result == "success"
    _edit_in_console(seeded)
    assert reconciler.reconcile("resync", full=True).result == "success"
    assert reconciler.status.snapshot()["targets"]["CameraFleetProd"]["sync"] == "Drifted"

    # A commit that changes the drifted group: Git wins, the drift is overwritten.
    sha = _commit(
        fleet_repo,
        "groups/camera-prod.yaml",
        "InferenceInterval: 300",
        "InferenceInterval: 120",
        "prod: classify every 2 minutes",
    )
    seeded.admin.clear_requests()
    outcome = reconciler.reconcile("poll")
    assert outcome.result == "success", outcome.message
    assert mutating_calls(seeded) == ["greengrassv2:CreateDeployment"]
    prod = _latest(seeded)[PROD_ARN]
    assert _interval(prod) == 120
    assert prod["tags"]["greengrass-reconciler/commit"] == sha
    snapshot = reconciler.status.snapshot()
    assert snapshot["targets"]["CameraFleetProd"]["sync"] == "Synced"
    assert snapshot["lastAppliedCommit"] == sha

    # Drift again, then a commit that changes only the other group: the drift stays.
    console = _edit_in_console(seeded)
    _commit(
        fleet_repo,
        "groups/camera-staging.yaml",
        "InferenceInterval: 15 ",
        "InferenceInterval: 5 ",
        "staging: every 5 s",
    )
    seeded.admin.clear_requests()
    outcome = reconciler.reconcile("poll")
    assert outcome.result == "success", outcome.message
    assert mutating_calls(seeded) == ["greengrassv2:CreateDeployment"]
    latest = _latest(seeded)
    assert latest[PROD_ARN]["deploymentId"] == console
    assert _interval(latest[PROD_ARN.replace("Prod", "Staging")]) == 5
    assert reconciler.status.snapshot()["targets"]["CameraFleetProd"]["sync"] == "Drifted"


def test_a_controller_that_just_started_leaves_a_drifted_group_alone(
    seeded: AwsTestContext, fleet_repo: git.Repo, tmp_path: Path
) -> None:
    _commit(fleet_repo, "bases/camera-fleet.yaml", "selfHeal: true", "selfHeal: false", "no heal")
    assert _reconciler(fleet_repo, tmp_path / "first").reconcile("startup", full=True).result == (
        "success"
    )
    console = _edit_in_console(seeded)
    # A new process knows no earlier desired state: it cannot tell a change in Git from none.
    restarted = _reconciler(fleet_repo, tmp_path / "second")
    seeded.admin.clear_requests()
    assert restarted.reconcile("startup", full=True).result == "success"
    assert mutating_calls(seeded) == []
    assert _latest(seeded)[PROD_ARN]["deploymentId"] == console


def _remove_staging(repo: git.Repo) -> None:
    path = Path(repo.working_dir) / "deploy-specs" / "groups" / "camera-staging.yaml"
    repo.index.remove([str(path)], working_tree=True)
    repo.index.commit("retire the staging fleet")


@pytest.mark.parametrize("prune", [False, True])
def test_a_removed_spec_is_pruned_only_when_prune_is_on(
    seeded: AwsTestContext, fleet_repo: git.Repo, tmp_path: Path, prune: bool
) -> None:
    if prune:
        _commit(
            fleet_repo,
            "reconciler.yaml",
            "syncPolicy: {prune: false,",
            "syncPolicy: {prune: true,",
            "prune removed groups",
        )
    reconciler = _reconciler(fleet_repo, tmp_path)
    assert reconciler.reconcile("startup", full=True).result == "success"
    staging = PROD_ARN.replace("Prod", "Staging")
    before = _latest(seeded)[staging]["deploymentId"]
    _remove_staging(fleet_repo)
    seeded.admin.clear_requests()
    outcome = reconciler.reconcile("poll")
    assert outcome.result == "success", outcome.message
    status = seeded.client("greengrassv2").get_deployment(deploymentId=before)["deploymentStatus"]
    if prune:
        assert mutating_calls(seeded) == ["greengrassv2:CancelDeployment"]
        assert status == "CANCELED"
    else:
        assert mutating_calls(seeded) == []
        assert status != "CANCELED"


def test_rollouts_are_followed_to_an_end_on_the_devices(
    seeded: AwsTestContext, fleet_repo: git.Repo, tmp_path: Path
) -> None:
    reconciler = _reconciler(fleet_repo, tmp_path)
    assert reconciler.reconcile("startup", full=True).result == "success"
    targets = reconciler.status.snapshot()["targets"]
    assert {t["rollout"]["state"] for t in targets.values()} == {"Progressing"}
    assert reconciler.rollouts.following == 2

    # A revision canceled outside the controller ends Canceled. The other group has no
    # devices (no fleet is loaded): nothing to wait for, it ends Succeeded with 0 of 0, while
    # its deployment stays ACTIVE (continuous, as on AWS).
    gg = seeded.client("greengrassv2")
    latest = _latest(seeded)
    gg.cancel_deployment(deploymentId=latest[PROD_ARN.replace("Prod", "Staging")]["deploymentId"])
    reconciler.rollouts.poll()
    rollouts = {g: t["rollout"] for g, t in reconciler.status.snapshot()["targets"].items()}
    assert {g: r["state"] for g, r in rollouts.items()} == {
        "CameraFleetProd": "Succeeded",
        "CameraFleetStaging": "Canceled",
    }
    assert rollouts["CameraFleetProd"]["devices"]["total"] == 0
    assert latest[PROD_ARN]["deploymentStatus"] == "ACTIVE"
    assert reconciler.rollouts.following == 0
