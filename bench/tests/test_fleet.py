"""The generated fleet is a valid, realistic deploy-specs tree, and the Git fleet commits what the
latency and memory benchmarks rely on."""

from __future__ import annotations

import subprocess
from pathlib import Path

from bench.gitfleet import FleetRepo, GitDaemon
from bench.workload import group_name, write_fleet
from reconciler.adapters.spec_files import load_spec_set

DLR = "aws.greengrass.DLRImageClassification"


def test_generated_fleet_loads_with_five_components_and_realistic_configuration(
    tmp_path: Path,
) -> None:
    spec_set = load_spec_set(write_fleet(tmp_path / "specs", 12))

    deployments = {d.thing_group: d for d in spec_set.deployments}
    assert sorted(deployments) == [group_name(i) for i in range(12)]
    for index, name in enumerate(sorted(deployments)):
        deployment = deployments[name]
        assert len(deployment.components) == 5
        configuration = deployment.components[DLR].configuration
        # Inherited from the base (nested object), overridden per group, lists, a policy.
        assert configuration["ModelResourceKey"] == {
            "x86_64": "DLR-resnet50-x86_64-cpu-ImageClassification"
        }
        assert configuration["Cameras"] == [f"cam-{index}-a", f"cam-{index}-b"]
        access = configuration["accessControl"]
        assert isinstance(access, dict)
        policies = access["aws.greengrass.ipc.mqttproxy"]
        assert isinstance(policies, dict) and len(policies) == 1
    assert deployments[group_name(3)].tags == {"site": "3"}


def test_fleet_repo_commits_a_group_change_and_a_comment_that_changes_no_desired_state(
    tmp_path: Path,
) -> None:
    repo = FleetRepo.create(tmp_path / "fleet", 3)
    first = repo.head()
    before = [d.fingerprint for d in load_spec_set(repo.specs_root).deployments]

    change = repo.change_group(1, interval=77)
    assert change.sha == repo.head() != first
    changed = {d.thing_group: d for d in load_spec_set(repo.specs_root).deployments}
    assert changed[group_name(1)].components[DLR].configuration["InferenceInterval"] == 77
    assert changed[group_name(0)].components[DLR].configuration["InferenceInterval"] == 30

    fingerprints = [d.fingerprint for d in load_spec_set(repo.specs_root).deployments]
    comment = repo.touch_without_change("nothing to see")
    assert comment.sha == repo.head() != change.sha
    assert [d.fingerprint for d in load_spec_set(repo.specs_root).deployments] == fingerprints
    assert fingerprints != before


def test_git_daemon_serves_the_fleet_for_a_shallow_fetch(tmp_path: Path) -> None:
    repo = FleetRepo.create(tmp_path / "fleet", 2)
    daemon = GitDaemon(tmp_path)
    try:
        clone = tmp_path / "clone"
        subprocess.run(
            ["git", "clone", "--quiet", "--depth=1", daemon.url("fleet"), str(clone)],
            check=True,
            capture_output=True,
        )
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=clone, check=True, capture_output=True, text=True
        ).stdout.strip()
    finally:
        daemon.close()
    assert head == repo.head()
    assert daemon.process.poll() is not None  # closed
