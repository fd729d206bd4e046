"""The reconciler against answers of the service that the emulator now gives as AWS does:
an unreadable artifact refuses CreateComponentVersion at once, and GetDeployment leaves out
what the request left out (no name, no policies)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import main
from tests.conftest import AwsTestContext
from tests.integration.reconcile.conftest import mutating_calls

MODEL_STORE = "variant.DLR.ImageClassification.ModelStore"
WINDOWS_MODEL = "models/DLR-resnet18-win-cpu-ImageClassification.tar.gz"
BUCKET = "acme-greengrass-artifacts"


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def _private_versions(aws: AwsTestContext, name: str) -> list[str]:
    arn = f"arn:aws:greengrass:{aws.region}:{aws.account_id}:components:{name}"
    components = aws.client("greengrassv2").list_components()["components"]
    if arn not in {c["arn"] for c in components}:
        return []
    listed = aws.client("greengrassv2").list_component_versions(arn=arn)
    return [v["componentVersion"] for v in listed["componentVersions"]]


def test_a_missing_pipeline_model_fails_apply_clearly_and_creates_nothing_of_it(
    seeded: AwsTestContext, specs: Path
) -> None:
    s3 = seeded.client("s3")
    s3.delete_object(Bucket=BUCKET, Key=WINDOWS_MODEL)  # the ML pipeline has not published it
    seeded.admin.clear_requests()

    code, output = _run("apply", "--specs", str(specs), "--auto-approve", "--commit", "c1")
    assert code != 0, output
    uri = f"s3://{BUCKET}/{WINDOWS_MODEL}"
    assert f"FAILED component {MODEL_STORE} 2.1.10" in output
    assert f"{uri} = Specified artifact resource cannot be accessed" in output
    assert f"the object must exist, in a bucket of {seeded.region}" in output
    assert _private_versions(seeded, MODEL_STORE) == []  # nothing half-made
    assert _private_versions(seeded, "com.acme.ImageUploader") == ["1.0.0"]
    # Production, which needs that version, is not deployed; staging (public 2.1.9) is.
    greengrass = seeded.client("greengrassv2")
    deployed = {
        d["targetArn"].rsplit("/", 1)[1] for d in greengrass.list_deployments()["deployments"]
    }
    assert deployed == {"CameraFleetStaging"}
    assert mutating_calls(seeded).count("greengrassv2:CreateDeployment") == 1

    # Once the model is published, the same name and version are free: the next apply succeeds.
    s3.put_object(Bucket=BUCKET, Key=WINDOWS_MODEL, Body=b"model archive\n")
    code, output = _run("apply", "--specs", str(specs), "--auto-approve", "--commit", "c1")
    assert code == 0, output
    assert _private_versions(seeded, MODEL_STORE) == ["2.1.10"]


def test_a_deployment_without_name_and_policies_drifts_by_its_name_only(
    seeded: AwsTestContext, specs: Path
) -> None:
    code, output = _run("apply", "--specs", str(specs), "--auto-approve", "--commit", "c1")
    assert code == 0, output
    greengrass = seeded.client("greengrassv2")
    target = f"arn:aws:iot:{seeded.region}:{seeded.account_id}:thinggroup/CameraFleetStaging"
    ours = greengrass.list_deployments(targetArn=target)["deployments"][0]
    applied = greengrass.get_deployment(deploymentId=ours["deploymentId"])
    # Someone deploys the same components and job configuration by hand, naming nothing and
    # leaving the policies to the service, as `aws greengrassv2 create-deployment` lets them.
    by_hand = greengrass.create_deployment(
        targetArn=target,
        components=applied["components"],
        iotJobConfiguration=applied["iotJobConfiguration"],
        tags=applied["tags"],
    )
    assert "deploymentPolicies" not in greengrass.get_deployment(
        deploymentId=by_hand["deploymentId"]
    )

    code, output = _run("plan", "--specs", str(specs), "--format", "json", "--commit", "c1")
    assert code == 2, output
    plan = json.loads(output[output.index("{") :])
    staging = next(t for t in plan["targets"] if t["thingGroup"] == "CameraFleetStaging")
    assert staging["action"] == "update"
    changed = {change["field"] for change in staging["fieldChanges"]}
    assert changed == {"deploymentName"}  # absent policies are the service's defaults: no drift


def test_the_sample_replaces_the_public_ipc_policy_instead_of_adding_one(
    seeded: AwsTestContext, specs: Path
) -> None:
    """The public recipe's policy id is the documented one, which the sample base overrides:
    devices get one publish policy (the team's topic), not the default's next to it."""
    code, output = _run("plan", "--specs", str(specs), "--format", "json", "--commit", "c1")
    assert code == 2, output
    plan = json.loads(output[output.index("{") :])
    policy = "aws.greengrass.DLRImageClassification:mqttproxy:1"
    for target in plan["targets"]:
        component = next(
            c for c in target["components"] if c["name"] == "aws.greengrass.DLRImageClassification"
        )
        effective = component["effectiveConfiguration"]["accessControl"]
        assert list(effective["aws.greengrass.ipc.mqttproxy"]) == [policy]
        assert effective["aws.greengrass.ipc.mqttproxy"][policy]["resources"] == [
            "acme/vision/classification"
        ]
        change = component["configurationChange"]
        assert (
            f"/accessControl/aws.greengrass.ipc.mqttproxy/{policy}/resources" in change["changed"]
        )
        assert not any(path.startswith("/accessControl") for path in change["added"])
