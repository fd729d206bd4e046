"""Simulated devices: configuration applied like the nucleus, failure handling, offline
windows, and the core-device APIs (ListCoreDevices, GetCoreDevice, ListInstalledComponents)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import AwsTestContext
from tests.emulator.fleetkit import (
    MODEL_STORE,
    configured_component,
    counts,
    deploy,
    group,
    merge,
    virtual_fleet,
)

CONF = "com.example.Conf"
ONE_DEVICE = """
devices:
  - {name: edge-1, groups: [G], platform: {os: linux, architecture: aarch64}}
"""


def configuration(aws: AwsTestContext, device: str = "edge-1") -> dict[str, Any]:
    return dict(aws.admin.device(device)["configuration"][CONF])


def roll(
    aws: AwsTestContext, version: str, update: dict[str, Any] | None = None, **extra: Any
) -> str:
    spec: dict[str, Any] = {"componentVersion": version}
    if update is not None:
        spec["configurationUpdate"] = update
    created = deploy(aws, group("G", aws), {CONF: spec}, **extra)
    aws.admin.advance_clock(5)
    return str(created["deploymentId"])


@pytest.fixture
def conf(aws: AwsTestContext) -> AwsTestContext:
    configured_component(
        aws,
        CONF,
        "1.0.0",
        {
            "Message": "hello",
            "portMap": {"8443": "https", "80": "http"},
            "Nested": {"List": [1, 2], "Keep": True},
        },
    )
    configured_component(
        aws, CONF, "2.0.0", {"Message": "hi", "Added": "new", "Nested": {"List": [9]}}
    )
    virtual_fleet(aws, ONE_DEVICE)
    return aws


def test_configuration_is_applied_like_the_nucleus(conf: AwsTestContext) -> None:
    aws = conf
    # Keys are case-insensitive (the existing spelling stays), lists are replaced, and keys
    # starting with "_" are not kept.
    roll(aws, "1.0.0", merge({"message": "merged", "_secret": 1, "Nested": {"List": [3]}}))
    assert configuration(aws) == {
        "Message": "merged",
        "Nested": {"Keep": True, "List": [3]},
        "portMap": {"80": "http", "8443": "https"},
    }
    # Resets come before the defaults: /Nested/List gets its default back; /portMap/8443 reads
    # as an array index to the nucleus and is skipped; the running "Message" stays.
    roll(aws, "1.0.0", {"reset": ["/portMap/8443", "/Nested/List"]})
    assert configuration(aws) == {
        "Message": "merged",
        "Nested": {"Keep": True, "List": [1, 2]},
        "portMap": {"80": "http", "8443": "https"},
    }
    # A new version's defaults fill what is missing and overwrite nothing.
    roll(aws, "2.0.0")
    assert configuration(aws) == {
        "Added": "new",
        "Message": "merged",
        "Nested": {"Keep": True, "List": [1, 2]},
        "portMap": {"80": "http", "8443": "https"},
    }
    # "" resets everything: only the deployed version's defaults and the merge remain.
    roll(aws, "2.0.0", merge({"Extra": {"a": 1}}, reset=[""]))
    assert configuration(aws) == {
        "Added": "new",
        "Extra": {"a": 1},
        "Message": "hi",
        "Nested": {"List": [9]},
    }


def test_rollback_restores_the_previous_components_and_configuration(
    conf: AwsTestContext,
) -> None:
    aws = conf
    roll(aws, "1.0.0", merge({"Message": "stable"}))
    before = aws.admin.device("edge-1")
    aws.admin.set_failures(
        [{"component": CONF, "version": "^2.0.0", "devices": "100%", "phase": "install"}]
    )
    failed = roll(aws, "2.0.0", merge({"Message": "broken"}))
    after = aws.admin.device("edge-1")
    assert after["configuration"] == before["configuration"]
    assert after["installedComponents"] == before["installedComponents"]
    assert after["status"] == "HEALTHY"
    report = next(r for r in after["effectiveDeployments"] if r["deploymentId"] == failed)
    assert report["reason"] == "FAILED_ROLLBACK_COMPLETE"
    assert report["errorTypes"] == ["USER_COMPONENT_ERROR"]  # a private component


def test_do_nothing_leaves_the_component_broken_and_the_device_unhealthy(
    conf: AwsTestContext,
) -> None:
    aws = conf
    gg = aws.client("greengrassv2")
    roll(aws, "1.0.0")
    aws.admin.set_failures(
        [{"component": CONF, "version": "2.0.0", "devices": ["edge-1"], "phase": "run"}]
    )
    roll(aws, "2.0.0", deploymentPolicies={"failureHandlingPolicy": "DO_NOTHING"})
    components = gg.list_installed_components(coreDeviceThingName="edge-1")["installedComponents"]
    assert [(c["componentVersion"], c["lifecycleState"]) for c in components] == [
        ("2.0.0", "BROKEN")
    ]
    assert gg.get_core_device(coreDeviceThingName="edge-1")["status"] == "UNHEALTHY"
    unhealthy = gg.list_core_devices(status="UNHEALTHY")["coreDevices"]
    assert [d["coreDeviceThingName"] for d in unhealthy] == ["edge-1"]
    reports = gg.list_effective_deployments(coreDeviceThingName="edge-1")["effectiveDeployments"]
    assert reports[0]["reason"] == "FAILED_ROLLBACK_NOT_REQUESTED"
    # Cleared failures do not repair a broken component; the next deployment does.
    aws.admin.clear_failures()
    assert aws.admin.failures() == []
    roll(aws, "1.0.0")
    assert gg.get_core_device(coreDeviceThingName="edge-1")["status"] == "HEALTHY"


def test_a_configuration_failure_changes_nothing(conf: AwsTestContext) -> None:
    aws = conf
    roll(aws, "1.0.0", merge({"Message": "kept"}))
    aws.admin.set_failures(
        [{"component": CONF, "version": "1.0.0", "devices": 1, "phase": "configuration"}]
    )
    failed = roll(aws, "1.0.0", merge({"Message": "rejected"}))
    assert configuration(aws)["Message"] == "kept"
    report = next(
        r for r in aws.admin.device("edge-1")["effectiveDeployments"] if r["deploymentId"] == failed
    )
    assert (report["reason"], report["errorStack"]) == (
        "FAILED_NO_STATE_CHANGE",
        ["DEPLOYMENT_FAILURE", "COMPONENT_CONFIGURATION_NOT_VALID"],
    )


def test_an_offline_device_takes_the_revision_when_it_comes_back(aws: AwsTestContext) -> None:
    virtual_fleet(
        aws,
        """
devices:
  - {name: away, groups: [G], offline: [{from: 0s, to: 2m}]}
  - {name: here, groups: [G]}
""",
    )
    created = deploy(aws, group("G", aws), {MODEL_STORE: {"componentVersion": "2.1.9"}})
    aws.admin.advance_clock(60)
    assert counts(aws, created["iotJobId"]) == {"Succeeded": 1, "Queued": 1}
    assert aws.admin.device("away")["online"] is False
    aws.admin.advance_clock(62)
    assert counts(aws, created["iotJobId"]) == {"Succeeded": 2}
    aws.admin.update_device("here", offline=True)
    aws.admin.add_devices([{"name": "late", "groups": ["G"]}])
    aws.admin.update_device("here", groups=["G", "Other"])
    aws.admin.advance_clock(10)
    assert counts(aws, created["iotJobId"]) == {"Succeeded": 3}


def test_core_device_apis(aws: AwsTestContext) -> None:
    virtual_fleet(
        aws,
        """
devices:
  - {name: edge-1, groups: [G], platform: {os: linux, architecture: aarch64}}
  - {name: edge-2, groups: [G]}
  - {name: edge-3, groups: [Other]}
""",
    )
    gg = aws.client("greengrassv2")
    deploy(aws, group("G", aws), {MODEL_STORE: {"componentVersion": "2.1.9"}})
    aws.admin.advance_clock(5)
    device = gg.get_core_device(coreDeviceThingName="edge-1")
    assert (device["platform"], device["architecture"], device["status"]) == (
        "linux",
        "aarch64",
        "HEALTHY",
    )
    assert device["coreVersion"] == "2.12.1"  # the nucleus resolved as a dependency
    everyone = gg.list_core_devices()["coreDevices"]
    assert [d["coreDeviceThingName"] for d in everyone] == ["edge-1", "edge-2", "edge-3"]
    # thingGroupArn lists the devices that successfully deployed a deployment of the group,
    # and keeps listing them after they leave it.
    aws.admin.update_device("edge-2", groups=["Other"])
    in_g = gg.list_core_devices(thingGroupArn=group("G", aws))["coreDevices"]
    assert [d["coreDeviceThingName"] for d in in_g] == ["edge-1", "edge-2"]
    page = gg.list_core_devices(maxResults=2)
    assert len(page["coreDevices"]) == 2 and page["nextToken"]
    roots = gg.list_installed_components(coreDeviceThingName="edge-1")["installedComponents"]
    everything = gg.list_installed_components(coreDeviceThingName="edge-1", topologyFilter="ALL")[
        "installedComponents"
    ]
    assert [c["componentName"] for c in roots] == [MODEL_STORE]
    assert len(everything) > len(roots)
    assert {c["lifecycleState"] for c in everything} == {"RUNNING"}
    with pytest.raises(ClientError) as raised:
        gg.get_core_device(coreDeviceThingName="nobody")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    aws.admin.update_device("edge-3", offline=True)
    pending = deploy(aws, group("Other", aws), {MODEL_STORE: {"componentVersion": "2.1.9"}})
    aws.admin.advance_clock(5)
    assert counts(aws, pending["iotJobId"]) == {"Succeeded": 1, "Queued": 1}  # edge-2, edge-3
    gg.delete_core_device(coreDeviceThingName="edge-3")
    assert counts(aws, pending["iotJobId"]) == {"Succeeded": 1, "Removed": 1}
    assert [d["coreDeviceThingName"] for d in gg.list_core_devices()["coreDevices"]] == [
        "edge-1",
        "edge-2",
    ]
