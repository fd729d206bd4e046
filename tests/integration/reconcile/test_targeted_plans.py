"""`reconciler plan --target` and `--changed-since` against the emulator over HTTP: only the
selected groups are planned and read (ListDeployments scoped with targetArn)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import git
from click.testing import CliRunner

from reconciler.cli import main
from tests.conftest import AwsTestContext

STAGING_ARN = "arn:aws:iot:us-east-1:123456789012:thinggroup/CameraFleetStaging"


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def _plan(specs: Path, *options: str) -> tuple[int, dict[str, Any]]:
    code, output = _run("plan", "--specs", str(specs), "--format", "json", *options)
    assert code in (0, 2), output
    plan: dict[str, Any] = json.loads(output[output.index("{") :])
    return code, plan


def _actions(plan: dict[str, Any]) -> dict[str, str]:
    return {t["thingGroup"]: t["action"] for t in plan["targets"]}


def _commit_all(repo: git.Repo, message: str) -> str:
    repo.git.add(A=True)
    repo.index.commit(message)
    return repo.head.commit.hexsha


def _repository(specs: Path) -> git.Repo:
    repo = git.Repo.init(specs.parent)
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test")
        config.set_value("user", "email", "test@example.com")
    _commit_all(repo, "specs")
    return repo


def test_a_targeted_plan_reads_and_plans_only_its_groups(
    seeded: AwsTestContext, specs: Path
) -> None:
    code, plan = _plan(specs, "--target", "CameraFleetStaging")
    assert code == 2
    assert _actions(plan) == {"CameraFleetStaging": "create"}
    assert any("targeted plan: 1 of 2" in w for w in plan["warnings"])
    listings = [r for r in seeded.admin.requests() if r.operation == "ListDeployments"]
    assert [r.resource for r in listings] == [STAGING_ARN]


def test_an_unknown_target_is_refused(seeded: AwsTestContext, specs: Path) -> None:
    code, output = _run("plan", "--specs", str(specs), "--target", "NoSuchGroup")
    assert code == 2 and "no spec targets NoSuchGroup" in output
    assert seeded.admin.requests() == []


def test_changed_since_plans_the_groups_a_commit_reaches(
    seeded: AwsTestContext, specs: Path
) -> None:
    code, output = _run("apply", "--specs", str(specs), "--auto-approve", "--no-cache")
    assert code == 0, output
    repo = _repository(specs)
    base = repo.head.commit.hexsha
    code, plan = _plan(specs, "--changed-since", base)
    assert (code, _actions(plan)) == (0, {})

    staging = specs / "groups" / "camera-staging.yaml"
    staging.write_text(staging.read_text().replace("InferenceInterval: 15", "InferenceInterval: 5"))
    _commit_all(repo, "staging every 5 s")
    seeded.admin.clear_requests()
    code, plan = _plan(specs, "--changed-since", base)
    assert (code, _actions(plan)) == (2, {"CameraFleetStaging": "update"})
    listings = [r for r in seeded.admin.requests() if r.operation == "ListDeployments"]
    assert [r.resource for r in listings] == [STAGING_ARN]

    # A removed group's reconciler-made deployment is a prune candidate of the targeted plan.
    (specs / "groups" / "camera-prod.yaml").unlink()
    _commit_all(repo, "prod is retired")
    code, plan = _plan(specs, "--changed-since", base)
    assert _actions(plan) == {"CameraFleetStaging": "update", "CameraFleetProd": "prune"}


def test_changed_since_a_commit_without_specs_plans_every_group(
    seeded: AwsTestContext, specs: Path
) -> None:
    repo = git.Repo.init(specs.parent)
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test")
        config.set_value("user", "email", "test@example.com")
    (specs.parent / "README.md").write_text("fleet\n")
    repo.index.add(["README.md"])
    first = repo.index.commit("empty").hexsha
    _commit_all(repo, "specs")
    code, plan = _plan(specs, "--changed-since", first)
    assert code == 2
    assert set(_actions(plan)) == {"CameraFleetProd", "CameraFleetStaging"}


def test_changed_since_an_unknown_commit_fails_clearly(seeded: AwsTestContext, specs: Path) -> None:
    _repository(specs)
    code, output = _run("plan", "--specs", str(specs), "--changed-since", "no-such-ref")
    assert code == 1
    assert "--changed-since no-such-ref: no such commit" in output
    assert "Traceback" not in output


def test_a_target_list_longer_than_the_sweep_sweeps_once(
    seeded: AwsTestContext, specs: Path
) -> None:
    # Two groups, one page: one sweep is cheaper than a scoped listing per group.
    code, plan = _plan(specs, "--target", "CameraFleetStaging", "--target", "CameraFleetProd")
    assert code == 2
    assert set(_actions(plan)) == {"CameraFleetStaging", "CameraFleetProd"}
    listings = [r for r in seeded.admin.requests() if r.operation == "ListDeployments"]
    assert [r.resource for r in listings] == [None]
