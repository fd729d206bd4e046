"""`reconciler plan` and `reconciler apply` on the sample, against the emulator over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import main
from tests.conftest import AwsTestContext
from tests.integration.reconcile.conftest import mutating_calls

GROUPS = {"CameraFleetProd", "CameraFleetStaging"}


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_plan_from_an_empty_account_shows_everything_and_changes_nothing(
    seeded: AwsTestContext, specs: Path
) -> None:
    code, output = _run("plan", "--specs", str(specs), "--format", "json", "--commit", "c1")
    assert code == 2, output
    plan = json.loads(output[output.index("{") :])
    assert {t["thingGroup"]: t["action"] for t in plan["targets"]} == dict.fromkeys(
        GROUPS, "create"
    )
    created = {(v["name"], v["version"], v["action"]) for v in plan["componentVersions"]}
    assert created == {
        ("com.acme.ImageUploader", "1.0.0", "create"),
        ("variant.DLR.ImageClassification.ModelStore", "2.1.10", "create"),
    }
    assert mutating_calls(seeded) == []


def test_apply_creates_everything_and_a_second_apply_writes_nothing(
    seeded: AwsTestContext, specs: Path
) -> None:
    code, output = _run("apply", "--specs", str(specs), "--auto-approve", "--commit", "c1")
    assert code == 0, output
    writes = mutating_calls(seeded)
    assert writes.count("greengrassv2:CreateDeployment") == 2
    assert writes.count("greengrassv2:CreateComponentVersion") == 2

    greengrass = seeded.client("greengrassv2")
    latest = greengrass.list_deployments(historyFilter="LATEST_ONLY")["deployments"]
    assert {d["targetArn"].rsplit("/", 1)[1] for d in latest} == GROUPS
    for summary in latest:
        tags = greengrass.get_deployment(deploymentId=summary["deploymentId"])["tags"]
        assert tags["greengrass-reconciler/commit"] == "c1"
        assert tags["greengrass-reconciler/managed-by"] == "greengrass-reconciler"

    seeded.admin.clear_requests()
    code, output = _run("plan", "--specs", str(specs), "--commit", "c1")
    assert code == 0, output
    assert "No changes" in output
    code, output = _run("apply", "--specs", str(specs), "--auto-approve", "--commit", "c1")
    assert code == 0, output
    assert mutating_calls(seeded) == []


def test_apply_refuses_to_wait_for_confirmation_without_a_terminal(
    seeded: AwsTestContext, specs: Path
) -> None:
    code, output = _run("apply", "--specs", str(specs))
    assert code == 1
    assert "--auto-approve" in output
    assert mutating_calls(seeded) == []


def test_a_secret_never_reaches_any_plan_format(seeded: AwsTestContext, specs: Path) -> None:
    secret = "prod-demo-token"
    assert secret in (specs / "groups" / "camera-prod.yaml").read_text()
    for output_format in ("text", "json", "markdown"):
        code, output = _run("plan", "--specs", str(specs), "--format", output_format)
        assert code == 2
        assert secret not in output
        assert "<redacted>" in output


def test_plan_against_the_wrong_account_is_refused(seeded: AwsTestContext, specs: Path) -> None:
    settings = specs / "reconciler.yaml"
    settings.write_text(settings.read_text().replace("123456789012", "210987654321"))
    code, output = _run("plan", "--specs", str(specs))
    assert code == 1
    assert "belong to account 123456789012" in output
    assert mutating_calls(seeded) == []


def test_a_broken_spec_fails_plan_with_file_and_line(seeded: AwsTestContext, specs: Path) -> None:
    prod = specs / "groups" / "camera-prod.yaml"
    prod.write_text(prod.read_text().replace("thingGroup:", "thingGrup:"))
    code, output = _run("plan", "--specs", str(specs))
    assert code == 1
    assert "groups/camera-prod.yaml:" in output
    assert "thingGrup" in output
    assert mutating_calls(seeded) == []
