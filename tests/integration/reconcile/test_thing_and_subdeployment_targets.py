"""Issue 14 item 5 end to end, through boto3 over HTTP against the emulator's fleet: a Deployment
that targets one core device (`thing`) reaches that device only; one with `parentThingGroup` is
a subdeployment that only the child group's devices take, until the parent's next revision
reaches every device of the parent."""

from __future__ import annotations

from pathlib import Path

import git
from click.testing import CliRunner

from reconciler.cli import main
from tests.conftest import AwsTestContext
from tests.integration.reconcile.conftest import mutating_calls
from tests.integration.reconcile.rollout_kit import (
    ManualClock,
    fleet_repo,
    reconciler,
    run_until,
    step,
)

STORE = "variant.DLR.ImageClassification.ModelStore"
TFLITE_STORE = "variant.TensorFlowLite.ImageClassification.ModelStore"
PROD_DEVICES = ("prod-1", "prod-2", "prod-3", "prod-4")
FLEET = """
generate:
  - {group: Prod, count: 4, namePrefix: prod-, alsoIn: {Canary: 1}}
timing: {applySeconds: 2, jitterSeconds: 2}
"""
SETTINGS = """\
apiVersion: greengrass-reconciler/v1
kind: Settings
metadata: {name: targets}
spec:
  region: us-east-1
  accountId: "123456789012"
  artifacts: {bucket: targets-artifacts}
"""


def _deployment(name: str, target: str, components: str) -> str:
    return (
        "apiVersion: greengrass-reconciler/v1\nkind: Deployment\n"
        f"metadata: {{name: {name}}}\nspec:\n  {target}\n  components: {components}\n"
    )


def _write(repo: git.Repo, name: str, text: str, message: str) -> None:
    path = Path(repo.working_dir) / "deploy-specs" / "groups" / f"{name}.yaml"
    path.write_text(text)
    repo.index.add([str(path)])
    repo.index.commit(message)


def _installed(aws: AwsTestContext, device: str) -> dict[str, str]:
    components = aws.client("greengrassv2").list_installed_components(
        coreDeviceThingName=device, topologyFilter="ALL"
    )["installedComponents"]
    return {c["componentName"]: c["componentVersion"] for c in components}


def _created(aws: AwsTestContext) -> list[str | None]:
    """The targets of the CreateDeployment requests the emulator received."""
    return [
        r.resource
        for r in aws.admin.requests()
        if (r.service, r.operation) == ("greengrassv2", "CreateDeployment")
    ]


def test_a_thing_target_and_a_subdeployment_reach_exactly_their_devices(
    aws: AwsTestContext, tmp_path: Path
) -> None:
    aws.admin.set_clock("virtual")
    aws.admin.load_fleet(FLEET)
    specs = tmp_path / "specs"
    (specs / "groups").mkdir(parents=True)
    (specs / "reconciler.yaml").write_text(SETTINGS)
    (specs / "groups" / "prod.yaml").write_text(
        _deployment("prod", "thingGroup: Prod", f"{{{STORE}: {{version: 2.1.8}}}}")
    )
    (specs / "groups" / "bench.yaml").write_text(
        _deployment("bench", "thing: prod-2", f"{{{TFLITE_STORE}: {{version: 2.1.8}}}}")
    )
    repo = fleet_repo(tmp_path / "fleet", specs)
    clock = ManualClock(float(aws.admin.clock()["now"]))
    rec = reconciler(repo, tmp_path / "cache", clock)

    # The core device's own deployment: one device, its thing's ARN, and a job for it alone.
    aws.admin.clear_requests()
    assert rec.reconcile("startup", full=True).result == "success"
    assert set(_created(aws)) == {
        "arn:aws:iot:us-east-1:123456789012:thinggroup/Prod",
        "arn:aws:iot:us-east-1:123456789012:thing/prod-2",
    }
    rollout = run_until(aws, clock, rec, "thing/prod-2", "Succeeded")
    assert (rollout["devices"]["total"], rollout["devices"]["succeeded"]) == (1, 1)
    run_until(aws, clock, rec, "Prod", "Succeeded")
    assert _installed(aws, "prod-2")[TFLITE_STORE] == "2.1.8"
    assert _installed(aws, "prod-2")[STORE] == "2.1.8"  # the group's and its own, merged
    for device in ("prod-1", "prod-3", "prod-4"):
        assert TFLITE_STORE not in _installed(aws, device)
        assert _installed(aws, device)[STORE] == "2.1.8"
    snapshot = rec.status.snapshot()["targets"]
    assert snapshot["thing/prod-2"]["sync"] == snapshot["Prod"]["sync"] == "Synced"

    # Applying twice changes nothing (the thing target is read back as its own latest).
    aws.admin.clear_requests()
    assert rec.reconcile("resync", full=True).result == "success"
    assert mutating_calls(aws) == []

    # A subdeployment: the canary group's device takes 2.1.9 in Prod's place, no other does.
    _write(
        repo,
        "canary",
        _deployment(
            "canary",
            "thingGroup: Canary\n  parentThingGroup: Prod",
            f"{{{STORE}: {{version: 2.1.9}}}}",
        ),
        "canary subdeployment",
    )
    aws.admin.clear_requests()
    assert rec.reconcile("poll").result == "success"
    assert mutating_calls(aws) == ["greengrassv2:CreateDeployment"]
    assert _created(aws) == ["arn:aws:iot:us-east-1:123456789012:thinggroup/Canary"]
    [sub] = aws.client("greengrassv2").list_deployments(
        parentTargetArn="arn:aws:iot:us-east-1:123456789012:thinggroup/Prod"
    )["deployments"]
    assert sub["targetArn"] == "arn:aws:iot:us-east-1:123456789012:thinggroup/Canary"
    run_until(aws, clock, rec, "Canary", "Succeeded")
    assert _installed(aws, "prod-1")[STORE] == "2.1.9"
    for device in ("prod-2", "prod-3", "prod-4"):
        assert _installed(aws, device)[STORE] == "2.1.8"
    aws.admin.clear_requests()
    assert rec.reconcile("resync", full=True).result == "success"
    assert mutating_calls(aws) == []

    # The parent's next revision replaces the subdeployment: it reaches all four devices.
    _write(
        repo,
        "prod",
        _deployment("prod", "thingGroup: Prod", f"{{{STORE}: {{version: 2.1.9}}}}"),
        "prod takes the canary's version",
    )
    aws.admin.clear_requests()
    assert rec.reconcile("poll").result == "success"
    assert _created(aws) == ["arn:aws:iot:us-east-1:123456789012:thinggroup/Prod"]
    step(aws, clock, rec.rollouts, 0)
    run_until(aws, clock, rec, "Prod", "Succeeded")
    latest = aws.client("greengrassv2").list_deployments(
        targetArn="arn:aws:iot:us-east-1:123456789012:thinggroup/Prod"
    )["deployments"][0]["deploymentId"]
    for device in PROD_DEVICES:
        assert _installed(aws, device)[STORE] == "2.1.9"
        assert aws.admin.device(device)["targets"]["thinggroup/Prod"] == latest
    aws.admin.clear_requests()
    assert rec.reconcile("resync", full=True).result == "success"
    assert mutating_calls(aws) == []


def test_a_subdeployment_waits_when_its_parents_new_revision_fails(
    aws: AwsTestContext, tmp_path: Path
) -> None:
    aws.admin.load_fleet(FLEET)
    specs = tmp_path / "specs"
    (specs / "groups").mkdir(parents=True)
    (specs / "reconciler.yaml").write_text(SETTINGS)
    prod_spec = specs / "groups" / "prod.yaml"
    prod_spec.write_text(
        _deployment("prod", "thingGroup: Prod", f"{{{STORE}: {{version: 2.1.8}}}}")
    )

    def apply() -> tuple[int, str]:
        result = CliRunner().invoke(
            main, ["apply", "--specs", str(specs), "--auto-approve", "--no-cache"]
        )
        return result.exit_code, result.output

    assert apply()[0] == 0
    prod = "arn:aws:iot:us-east-1:123456789012:thinggroup/Prod"
    canary = "arn:aws:iot:us-east-1:123456789012:thinggroup/Canary"

    # One change of the parent and its new subdeployment; the parent's revision fails.
    prod_spec.write_text(
        _deployment("prod", "thingGroup: Prod", f"{{{STORE}: {{version: 2.1.9}}}}")
    )
    (specs / "groups" / "canary.yaml").write_text(
        _deployment(
            "canary",
            "thingGroup: Canary\n  parentThingGroup: Prod",
            f"{{{STORE}: {{version: 2.1.8}}}}",
        )
    )
    aws.admin.set_faults(error_rate=1.0, operations=["CreateDeployment"])
    code, output = apply()
    assert code == 1, output
    # The subdeployment is not sent without its parent's new revision.
    assert "Canary" in output and "its parent group Prod was not deployed" in output

    # Once the parent can be deployed, it goes first, then its subdeployment.
    aws.admin.set_faults(error_rate=0.0)
    aws.admin.clear_requests()
    assert apply()[0] == 0
    assert _created(aws) == [prod, canary]
