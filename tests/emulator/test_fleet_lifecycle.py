"""Deployments reach simulated devices: continuous group deployments, thing deployments,
superseded revisions, group unions, conflicts, late joiners and subdeployments (boto3 only)."""

from __future__ import annotations

from typing import Any

from tests.conftest import AwsTestContext
from tests.emulator.fleetkit import (
    MODEL_STORE,
    counts,
    deploy,
    group,
    status,
    thing_arn,
    virtual_fleet,
)

FLEET = """
devices:
  - {name: lab-1, groups: [Staging, Canary]}
generate:
  - {group: Prod, count: 4, namePrefix: prod-, alsoIn: {Canary: 1}}
"""
V9 = {MODEL_STORE: {"componentVersion": "2.1.9"}}
V8 = {MODEL_STORE: {"componentVersion": "2.1.8"}}


def installed(aws: AwsTestContext, device: str) -> dict[str, str]:
    components = aws.client("greengrassv2").list_installed_components(
        coreDeviceThingName=device, topologyFilter="ALL"
    )["installedComponents"]
    return {c["componentName"]: c["componentVersion"] for c in components}


def effective(aws: AwsTestContext, device: str) -> list[dict[str, Any]]:
    gg = aws.client("greengrassv2")
    return list(gg.list_effective_deployments(coreDeviceThingName=device)["effectiveDeployments"])


def test_a_group_deployment_stays_active_an_hour_after_every_device_succeeded(
    aws: AwsTestContext,
) -> None:
    virtual_fleet(aws, FLEET)
    created = deploy(aws, group("Prod", aws), V9)
    iot = aws.client("iot")
    aws.admin.advance_clock(5)
    assert counts(aws, created["iotJobId"]) == {"Succeeded": 4}
    aws.admin.advance_clock(3600)
    assert status(aws, created["deploymentId"]) == "ACTIVE"
    job = iot.describe_job(jobId=created["iotJobId"])["job"]
    assert (job["status"], job["targetSelection"]) == ("IN_PROGRESS", "CONTINUOUS")
    assert job["jobArn"] == created["iotJobArn"]
    assert job["targets"] == [group("Prod", aws)]
    executions = iot.list_job_executions_for_job(jobId=created["iotJobId"])["executionSummaries"]
    assert sorted(e["thingArn"] for e in executions) == [
        thing_arn(f"prod-{i}", aws) for i in range(1, 5)
    ]
    assert {e["jobExecutionSummary"]["status"] for e in executions} == {"SUCCEEDED"}
    assert installed(aws, "prod-2")[MODEL_STORE] == "2.1.9"
    assert effective(aws, "prod-2")[0]["coreDeviceExecutionStatus"] == "SUCCEEDED"
    assert effective(aws, "prod-2")[0]["reason"] == "SUCCESSFUL"


def test_a_superseded_revision_is_canceled_with_its_job(aws: AwsTestContext) -> None:
    virtual_fleet(aws, FLEET)
    first = deploy(aws, group("Prod", aws), V8)
    aws.admin.advance_clock(5)
    second = deploy(aws, group("Prod", aws), V9)
    assert status(aws, first["deploymentId"]) == "CANCELED"
    job = aws.client("iot").describe_job(jobId=first["iotJobId"])["job"]
    assert job["status"] == "CANCELED"
    aws.admin.advance_clock(5)
    assert status(aws, second["deploymentId"]) == "ACTIVE"
    assert all(installed(aws, f"prod-{i}")[MODEL_STORE] == "2.1.9" for i in range(1, 5))


def test_queued_executions_of_a_superseded_revision_are_canceled(aws: AwsTestContext) -> None:
    virtual_fleet(aws, FLEET)
    rollout = {"jobExecutionsRolloutConfig": {"maximumPerMinute": 1}}
    first = deploy(aws, group("Prod", aws), V8, iotJobConfiguration=rollout)
    aws.admin.advance_clock(5)  # one device notified, three not yet
    deploy(aws, group("Prod", aws), V9)
    aws.admin.advance_clock(120)
    assert counts(aws, first["iotJobId"]) == {"Succeeded": 1}
    job = aws.client("iot").describe_job(jobId=first["iotJobId"])["job"]
    assert job["status"] == "CANCELED"


def test_a_thing_deployment_completes_from_its_device(aws: AwsTestContext) -> None:
    virtual_fleet(aws, FLEET)
    created = deploy(aws, thing_arn("lab-1", aws), V9)
    assert status(aws, created["deploymentId"]) == "ACTIVE"
    aws.admin.advance_clock(5)
    assert status(aws, created["deploymentId"]) == "COMPLETED"
    job = aws.client("iot").describe_job(jobId=created["iotJobId"])["job"]
    assert (job["status"], job["targetSelection"]) == ("COMPLETED", "SNAPSHOT")


def test_a_thing_deployment_fails_when_its_device_fails(aws: AwsTestContext) -> None:
    virtual_fleet(aws, FLEET)
    aws.admin.set_failures(
        [{"component": MODEL_STORE, "version": "2.1.9", "devices": ["lab-1"], "phase": "install"}]
    )
    created = deploy(aws, thing_arn("lab-1", aws), V9)
    aws.admin.advance_clock(5)
    assert status(aws, created["deploymentId"]) == "FAILED"
    report = effective(aws, "lab-1")[0]
    assert report["coreDeviceExecutionStatus"] == "FAILED"
    assert report["reason"] == "FAILED_ROLLBACK_COMPLETE"
    assert report["statusDetails"] == {
        "errorStack": ["DEPLOYMENT_FAILURE", "COMPONENT_UPDATE_ERROR", "COMPONENT_BROKEN"],
        "errorTypes": ["AWS_COMPONENT_ERROR"],
    }


def test_a_device_runs_the_union_of_its_groups_and_its_thing_deployment(
    aws: AwsTestContext,
) -> None:
    virtual_fleet(aws, FLEET)
    deploy(aws, group("Staging", aws), V9)
    deploy(aws, group("Canary", aws), {"variant.DLR": {"componentVersion": "1.6.12"}})
    deploy(aws, thing_arn("lab-1", aws), {"variant.TensorFlowLite": {"componentVersion": "2.5.11"}})
    aws.admin.advance_clock(10)
    roots = aws.client("greengrassv2").list_installed_components(coreDeviceThingName="lab-1")
    assert {c["componentName"]: c["componentVersion"] for c in roots["installedComponents"]} == {
        MODEL_STORE: "2.1.9",
        "variant.DLR": "1.6.12",
        "variant.TensorFlowLite": "2.5.11",
    }
    assert {c["isRoot"] for c in roots["installedComponents"]} == {True}
    assert "aws.greengrass.Nucleus" in installed(aws, "lab-1")  # a dependency, not a root


def test_two_groups_asking_for_different_versions_fail_the_device(aws: AwsTestContext) -> None:
    virtual_fleet(aws, FLEET)
    deploy(aws, group("Staging", aws), V9)
    aws.admin.advance_clock(5)
    conflicting = deploy(aws, group("Canary", aws), V8)
    aws.admin.advance_clock(5)
    reports = {r["deploymentId"]: r for r in effective(aws, "lab-1")}
    failed = reports[conflicting["deploymentId"]]
    assert failed["coreDeviceExecutionStatus"] == "FAILED"
    assert failed["reason"] == "FAILED_NO_STATE_CHANGE"
    assert failed["statusDetails"] == {
        "errorStack": [
            "DEPLOYMENT_FAILURE",
            "NO_AVAILABLE_COMPONENT_VERSION",
            "COMPONENT_VERSION_REQUIREMENTS_NOT_MET",
        ],
        "errorTypes": ["REQUEST_ERROR"],
    }
    assert installed(aws, "lab-1")[MODEL_STORE] == "2.1.9"  # nothing changed
    # prod-1 is in Canary only (and Prod, which deploys nothing): it takes 2.1.8.
    assert installed(aws, "prod-1")[MODEL_STORE] == "2.1.8"
    assert counts(aws, conflicting["iotJobId"]) == {"Succeeded": 1, "Failed": 1}
    assert status(aws, conflicting["deploymentId"]) == "ACTIVE"


def test_a_late_joiner_receives_the_current_revision(aws: AwsTestContext) -> None:
    virtual_fleet(aws, FLEET)
    created = deploy(aws, group("Prod", aws), V9)
    aws.admin.advance_clock(5)
    aws.admin.add_devices([{"name": "prod-new", "groups": ["Prod"]}])
    aws.admin.advance_clock(5)
    assert installed(aws, "prod-new")[MODEL_STORE] == "2.1.9"
    assert counts(aws, created["iotJobId"]) == {"Succeeded": 5}


def test_joining_a_group_through_iot_delivers_its_revision(aws: AwsTestContext) -> None:
    virtual_fleet(aws, FLEET)
    deploy(aws, group("Staging", aws), V9)
    aws.admin.advance_clock(5)
    aws.client("iot").add_thing_to_thing_group(thingGroupName="Staging", thingName="prod-3")
    aws.admin.advance_clock(5)
    assert installed(aws, "prod-3")[MODEL_STORE] == "2.1.9"
    assert aws.admin.device("prod-3")["groups"] == ["Prod", "Staging"]


def test_fleet_devices_are_iot_things_in_their_groups(aws: AwsTestContext) -> None:
    virtual_fleet(aws, FLEET)
    iot = aws.client("iot")
    things = iot.list_things_in_thing_group(thingGroupName="Canary")["things"]
    assert sorted(things) == ["lab-1", "prod-1"]
    assert iot.describe_thing(thingName="prod-4")["thingName"] == "prod-4"


def test_a_subdeployment_replaces_the_parents_revision_on_its_devices_only(
    aws: AwsTestContext,
) -> None:
    virtual_fleet(aws, FLEET)
    deploy(aws, group("Prod", aws), V8)
    aws.admin.advance_clock(5)
    sub = deploy(aws, group("Canary", aws), V9, parentTargetArn=group("Prod", aws))
    aws.admin.advance_clock(5)
    assert installed(aws, "prod-1")[MODEL_STORE] == "2.1.9"  # prod-1 is the canary
    assert installed(aws, "prod-2")[MODEL_STORE] == "2.1.8"
    assert aws.admin.device("prod-1")["targets"] == {"thinggroup/Prod": sub["deploymentId"]}
