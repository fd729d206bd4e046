"""The controller on a real Git remote (`file://`) when the remote misbehaves or the specs do:
an unreachable remote, rewritten history, a commit with invalid specs, an empty spec set.

In each case the fleet is either moved to exactly what the newest valid commit says, or left
as it was; the request log shows that nothing else was written.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import AwsTestContext
from tests.reliability.figures import Figures
from tests.reliability.fleet import last_seq, mutating, snapshot
from tests.reliability.gitrepo import FleetRepo, follow

PROD = "groups/camera-prod.yaml"
STAGING = "groups/camera-staging.yaml"
SETTINGS = "reconciler.yaml"


def _commit_tag(aws: AwsTestContext, group: str) -> str:
    return str(snapshot(aws).latest[group]["tags"]["greengrass-reconciler/commit"])


def test_an_unreachable_remote_is_a_temporary_error_and_the_last_good_commit_stays(
    seeded: AwsTestContext, specs: Path, tmp_path: Path, figures: Figures
) -> None:
    repo = FleetRepo.create(tmp_path / "fleet", specs)
    reconciler = follow(repo, tmp_path / "cache")
    assert reconciler.reconcile("startup", full=True).result == "success"
    good = repo.head()
    before = snapshot(seeded)
    newer = repo.edit(PROD, "InferenceInterval: 300", "InferenceInterval: 120")

    since = last_seq(seeded)
    with repo.unreachable():
        polled = reconciler.reconcile("poll")
        resynced = reconciler.reconcile("resync", full=True)
        status = reconciler.status.snapshot()
    assert polled.result == "error"
    assert "fetching the source failed" in polled.message
    assert f"keeping commit {good[:12]}" in polled.message
    # A full resync without the remote re-checks the fleet against the last good commit.
    assert resynced.result == "success", resynced.message
    assert resynced.commit == good
    assert status["lastAppliedCommit"] == good
    assert "fetching the source failed" in status["lastError"]["message"]
    assert mutating(seeded, since) == []
    assert snapshot(seeded).content() == before.content()

    # Temporary: the next poll after the remote is back applies the commit it could not fetch.
    recovered = reconciler.reconcile("poll")
    assert recovered.result == "success", recovered.message
    assert recovered.commit == newer
    assert mutating(seeded, since) == ["greengrassv2:CreateDeployment"]
    assert _commit_tag(seeded, "CameraFleetProd") == newer
    assert reconciler.status.snapshot()["lastError"] is None
    figures.add("git_scenarios", 1)


def test_force_pushed_history_is_followed(
    seeded: AwsTestContext, specs: Path, tmp_path: Path, figures: Figures
) -> None:
    repo = FleetRepo.create(tmp_path / "fleet", specs)
    reconciler = follow(repo, tmp_path / "cache")
    assert reconciler.reconcile("startup", full=True).result == "success"
    repo.edit(PROD, "InferenceInterval: 300", "InferenceInterval: 120", "Every 2 minutes")
    assert reconciler.reconcile("poll").result == "success"

    rewritten = repo.rewrite_last(
        PROD, "InferenceInterval: 300", "InferenceInterval: 90", "Every 90 s, actually"
    )
    since = last_seq(seeded)
    outcome = reconciler.reconcile("poll")
    assert outcome.result == "success", outcome.message
    assert outcome.commit == rewritten
    assert mutating(seeded, since) == ["greengrassv2:CreateDeployment"]
    after = snapshot(seeded)
    prod = after.latest["CameraFleetProd"]
    assert prod["tags"]["greengrass-reconciler/commit"] == rewritten
    merge = prod["components"]["aws.greengrass.DLRImageClassification"]["configurationUpdate"]
    assert '"InferenceInterval":90' in merge["merge"].replace(" ", "")
    assert after.revisions == {"CameraFleetProd": 3, "CameraFleetStaging": 1}
    assert reconciler.status.snapshot()["lastAppliedCommit"] == rewritten
    figures.add("git_scenarios", 1)


def test_a_commit_with_invalid_specs_is_named_and_the_fleet_is_unchanged(
    seeded: AwsTestContext, specs: Path, tmp_path: Path, figures: Figures
) -> None:
    repo = FleetRepo.create(tmp_path / "fleet", specs)
    reconciler = follow(repo, tmp_path / "cache")
    assert reconciler.reconcile("startup", full=True).result == "success"
    good = repo.head()
    before = snapshot(seeded)
    # Two mistakes in one commit: a valid change next to an invalid one applies neither.
    repo.edit(STAGING, "InferenceInterval: 15", "InferenceInterval: 5", "Staging every 5 s")
    bad = repo.edit(PROD, "maximumPerMinute: 50", "maximumPerMinute: fifty", "Typo")

    since = last_seq(seeded)
    outcome = reconciler.reconcile("poll")
    assert outcome.result == "error"
    assert outcome.message.startswith(f"commit {bad[:12]}: specs are invalid, nothing applied")
    assert "groups/camera-prod.yaml" in outcome.message
    assert "maximumPerMinute" in outcome.message
    assert mutating(seeded, since) == []
    assert snapshot(seeded).content() == before.content()
    status = reconciler.status.snapshot()
    assert status["lastAppliedCommit"] == good
    assert status["lastError"]["commit"] == bad
    # Still invalid on the next poll and resync: reported again, still nothing written.
    assert reconciler.reconcile("resync", full=True).result == "error"
    assert mutating(seeded, since) == []
    figures.add("git_scenarios", 1)


def _without_deployments(repo: FleetRepo, settings_edit: tuple[str, str] | None) -> str:
    files: dict[str, str | None] = {PROD: None, STAGING: None}
    if settings_edit is not None:
        text = repo.spec_path(SETTINGS).read_text(encoding="utf-8")
        for old in settings_edit[0].split("|"):
            assert old in text
        for old, new in zip(settings_edit[0].split("|"), settings_edit[1].split("|"), strict=True):
            text = text.replace(old, new)
        files[SETTINGS] = text
    return repo.write(files, "Remove every Deployment")


def test_an_empty_spec_set_without_allow_empty_is_refused_and_nothing_is_pruned(
    seeded: AwsTestContext, specs: Path, tmp_path: Path, figures: Figures
) -> None:
    # Prune is on: this is the case where a mistake would cancel every deployment.
    settings = specs / SETTINGS
    settings.write_text(settings.read_text().replace("prune: false", "prune: true"))
    repo = FleetRepo.create(tmp_path / "fleet", specs)
    reconciler = follow(repo, tmp_path / "cache")
    assert reconciler.reconcile("startup", full=True).result == "success"
    before = snapshot(seeded)
    empty = _without_deployments(repo, None)

    since = last_seq(seeded)
    outcome = reconciler.reconcile("poll")
    assert outcome.result == "error"
    assert outcome.message.startswith(f"commit {empty[:12]}: specs are invalid")
    assert "reconciler.yaml" in outcome.message
    assert "allowEmpty" in outcome.message
    assert mutating(seeded, since) == []
    assert snapshot(seeded).content() == before.content()
    figures.add("git_scenarios", 1)


def test_an_empty_spec_set_with_allow_empty_cancels_only_our_deployments_when_prune_is_on(
    seeded: AwsTestContext, specs: Path, tmp_path: Path, figures: Figures
) -> None:
    """What docs/spec-format.md promises: `allowEmpty: true` makes zero Deployments valid, and
    `prune` cancels the deployment of every group whose Deployment is gone and that this
    reconciler made. Deployments made by others, component versions and artifacts stay."""
    repo = FleetRepo.create(tmp_path / "fleet", specs)
    reconciler = follow(repo, tmp_path / "cache")
    assert reconciler.reconcile("startup", full=True).result == "success"
    seeded.admin.create_thing_groups(["LabBench"])
    greengrass = seeded.client("greengrassv2")
    lab = greengrass.create_deployment(
        targetArn="arn:aws:iot:us-east-1:123456789012:thinggroup/LabBench",
        deploymentName="made by hand",
        components={"aws.greengrass.DLRImageClassification": {"componentVersion": "2.1.10"}},
    )["deploymentId"]
    before = snapshot(seeded)

    # allowEmpty alone: valid, the groups become prune candidates, nothing is cancelled.
    _without_deployments(repo, ("allowEmpty: false", "allowEmpty: true"))
    since = last_seq(seeded)
    reported = reconciler.reconcile("poll")
    assert reported.result == "success", reported.message
    assert reported.plan is not None
    assert sorted(t.thing_group for t in reported.plan.targets) == [
        "CameraFleetProd",
        "CameraFleetStaging",
    ]
    assert mutating(seeded, since) == []

    # ... and with prune on, exactly our two deployments are cancelled, once.
    repo.write(
        {
            SETTINGS: repo.spec_path(SETTINGS)
            .read_text(encoding="utf-8")
            .replace("prune: false", "prune: true")
        },
        "Prune",
    )
    pruned = reconciler.reconcile("poll")
    assert pruned.result == "success", pruned.message
    assert mutating(seeded, since) == ["greengrassv2:CancelDeployment"] * 2
    statuses = {
        d["targetArn"].rsplit("/", 1)[1]: d["deploymentStatus"]
        for d in greengrass.list_deployments(historyFilter="LATEST_ONLY")["deployments"]
    }
    assert statuses == {
        "CameraFleetProd": "CANCELED",
        "CameraFleetStaging": "CANCELED",
        "LabBench": statuses["LabBench"],
    }
    assert statuses["LabBench"] != "CANCELED"
    assert greengrass.get_deployment(deploymentId=lab)["isLatestForTarget"] is True
    targets = reconciler.status.snapshot()["targets"]
    assert {g: t["sync"] for g, t in targets.items()} == {
        "CameraFleetProd": "Pruned",
        "CameraFleetStaging": "Pruned",
    }
    after = snapshot(seeded)
    assert after.versions == before.versions
    assert after.artifacts == before.artifacts
    # Pruned is a resting state: the next resync writes nothing.
    since = last_seq(seeded)
    assert reconciler.reconcile("resync", full=True).result == "success"
    assert mutating(seeded, since) == []
    figures.add("git_scenarios", 2)
