"""The core-device operations, answered from the fleet's simulated devices (fleet/).

Shapes follow botocore's greengrassv2 model: CoreDevice, EffectiveDeployment (with
`statusDetails.errorStack`/`errorTypes` from the nucleus's DeploymentErrorCode), and
InstalledComponent (`lifecycleState`, `isRoot`, `lastInstallationSource`). `ListCoreDevices`
with `thingGroupArn` lists, as documented, the core devices that have successfully deployed a
deployment targeting that group (they stay listed after leaving it). A device with a BROKEN or
ERRORED component is UNHEALTHY.
"""

from __future__ import annotations

from typing import Any

from reconciler.emulator.fleet.devices import Device
from reconciler.emulator.fleet.jobs import SUCCEEDED
from reconciler.emulator.fleet.simulation import Fleet
from reconciler.emulator.greengrass.exceptions import ResourceNotFoundError
from reconciler.emulator.greengrass.pagination import paginate
from reconciler.emulator.greengrass.responses import HANDLERS, Call, Outcome, handles

NUCLEUS = "aws.greengrass.Nucleus"
DEFAULT_NUCLEUS_VERSION = "2.12.1"  # the newest nucleus of the public catalog
RUNTIME = "aws_nucleus_classic"


@handles("ListCoreDevices")
def list_core_devices(call: Call, params: dict[str, Any]) -> Outcome:
    devices = _devices(call)
    group_arn = params.get("thingGroupArn")
    wanted_status = params.get("status")
    runtime = params.get("runtime")

    def matching() -> Any:
        for device in devices:
            if group_arn and not _deployed_from(device, group_arn):
                continue
            if wanted_status and _status(device) != wanted_status:
                continue
            if runtime and runtime != RUNTIME:
                continue
            yield device

    page, token = paginate(
        matching(), lambda d: d.name, params.get("maxResults"), params.get("nextToken")
    )
    items = [
        {
            "coreDeviceThingName": d.name,
            "status": _status(d),
            "lastStatusUpdateTimestamp": d.status_updated,
            "platform": d.os,
            "architecture": d.architecture,
            "runtime": RUNTIME,
        }
        for d in page
    ]
    return Outcome(_without_none({"coreDevices": items, "nextToken": token}))


@handles("GetCoreDevice")
def get_core_device(call: Call, params: dict[str, Any]) -> Outcome:
    device = _device(call, params["coreDeviceThingName"])
    nucleus = device.installed.get(NUCLEUS)
    output = {
        "coreDeviceThingName": device.name,
        "coreVersion": nucleus.version if nucleus else DEFAULT_NUCLEUS_VERSION,
        "platform": device.os,
        "architecture": device.architecture,
        "runtime": RUNTIME,
        "status": _status(device),
        "lastStatusUpdateTimestamp": device.status_updated,
        "tags": {},
    }
    return Outcome(output, _thing_arn(call, device.name))


@handles("DeleteCoreDevice")
def delete_core_device(call: Call, params: dict[str, Any]) -> Outcome:
    device = _device(call, params["coreDeviceThingName"])
    fleet = _fleet(call)
    assert fleet is not None  # _device found the device in it
    fleet.remove_device(device.name)
    return Outcome({}, _thing_arn(call, device.name))


@handles("ListEffectiveDeployments")
def list_effective_deployments(call: Call, params: dict[str, Any]) -> Outcome:
    device = _device(call, params["coreDeviceThingName"])
    records = sorted(device.effective.values(), key=lambda r: (-r.created, r.document.job_id))
    page, token = paginate(
        records,
        lambda r: (-r.created, r.document.job_id),
        params.get("maxResults"),
        params.get("nextToken"),
    )
    items = []
    for record in page:
        document = record.document
        details = (
            {"errorStack": list(record.error_stack), "errorTypes": list(record.error_types)}
            if record.error_stack
            else None
        )
        items.append(
            _without_none(
                {
                    "deploymentId": document.deployment_id,
                    "deploymentName": document.deployment_name,
                    "iotJobId": document.job_id,
                    "iotJobArn": document.job_arn,
                    "targetArn": document.target_arn,
                    "coreDeviceExecutionStatus": record.status,
                    "reason": record.reason,
                    "creationTimestamp": record.created,
                    "modifiedTimestamp": record.modified,
                    "statusDetails": details,
                }
            )
        )
    return Outcome(_without_none({"effectiveDeployments": items, "nextToken": token}))


@handles("ListInstalledComponents")
def list_installed_components(call: Call, params: dict[str, Any]) -> Outcome:
    device = _device(call, params["coreDeviceThingName"])
    roots_only = (params.get("topologyFilter") or "ROOT") == "ROOT"
    components = [
        (name, c) for name, c in sorted(device.installed.items()) if c.is_root or not roots_only
    ]
    page, token = paginate(
        components, lambda item: item[0], params.get("maxResults"), params.get("nextToken")
    )
    items = [
        {
            "componentName": name,
            "componentVersion": c.version,
            "lifecycleState": c.lifecycle,
            "isRoot": c.is_root,
            "lastStatusChangeTimestamp": c.changed_at,
            "lastReportedTimestamp": device.status_updated,
            "lastInstallationSource": c.source,
        }
        for name, c in page
    ]
    return Outcome(_without_none({"installedComponents": items, "nextToken": token}))


def _no_client_devices(call: Call, params: dict[str, Any]) -> Outcome:
    name = params["coreDeviceThingName"]
    raise ResourceNotFoundError(
        f"Core device {name}: client devices are not emulated",
        resource_id=name,
        resource_type="coreDevice",
    )


for _operation in (
    "BatchAssociateClientDeviceWithCoreDevice",
    "BatchDisassociateClientDeviceFromCoreDevice",
    "ListClientDevicesAssociatedWithCoreDevice",
):
    HANDLERS[_operation] = _no_client_devices


def _fleet(call: Call) -> Fleet | None:
    fleet = call.backend.context.fleet
    return fleet if fleet is not None and fleet.region == call.backend.context.region else None


def _devices(call: Call) -> list[Device]:
    fleet = _fleet(call)
    return [] if fleet is None else [fleet.devices[name] for name in sorted(fleet.devices)]


def _device(call: Call, name: str) -> Device:
    fleet = _fleet(call)
    device = fleet.devices.get(name) if fleet is not None else None
    if device is None:
        raise ResourceNotFoundError(
            f"Core device {name} was not found (no simulated device of the emulator's fleet "
            "has this name)",
            resource_id=name,
            resource_type="coreDevice",
        )
    return device


def _status(device: Device) -> str:
    return "HEALTHY" if device.healthy else "UNHEALTHY"


def _deployed_from(device: Device, group_arn: str) -> bool:
    return any(
        r.status == SUCCEEDED and r.document.target_arn == group_arn
        for r in device.effective.values()
    )


def _thing_arn(call: Call, name: str) -> str:
    context = call.backend.context
    return f"arn:aws:iot:{context.region}:{context.account}:thing/{name}"


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
