"""The demo's simulated core devices: a few per sample thing group, and a failure to try.

The devices take every revision the controller creates (watch them with the emulator's
`/_emulator/fleet` or `aws greengrassv2 list-effective-deployments`); the failure rule is not
loaded at start: `failure_hint` prints the admin call that switches it on for one device.
"""

from __future__ import annotations

import json
import time

from reconciler.core.specs import SpecSet
from reconciler.emulator.fleet.fleet_file import FleetDocument, load_fleet_file

DEVICES_PER_GROUP = 3
TIMING = "timing: {applySeconds: 2, jitterSeconds: 3}"  # slow enough to watch


def device_prefix(group: str) -> str:
    return f"{group.lower()}-"


def demo_fleet(spec_set: SpecSet) -> FleetDocument:
    groups = sorted({d.thing_group for d in spec_set.deployments if d.thing is None})
    lines = ["generate:"]
    lines += [
        f"  - {{group: {g}, count: {DEVICES_PER_GROUP}, namePrefix: {device_prefix(g)}}}"
        for g in groups
    ]
    lines.append(TIMING)
    return load_fleet_file("demo fleet", "\n".join(lines).encode("utf-8"))


def failure_hint(endpoint: str, spec_set: SpecSet) -> str:
    """A ready-to-paste command that breaks one component on one device of the first group."""
    groups = [d for d in spec_set.deployments if d.thing is None] or list(spec_set.deployments)
    deployment = sorted(groups, key=lambda d: d.thing_group)[0]
    component = sorted(deployment.components)[0]
    device = f"{device_prefix(deployment.thing_group)}1"
    rule = {"component": component, "version": "*", "devices": [device], "phase": "install"}
    body = json.dumps({"failures": [rule]})
    return f"curl -X PUT {endpoint}/_emulator/failures -d '{body}'"


def devices_on_latest(endpoint: str, timeout: float = 30.0) -> tuple[int, int]:
    """(devices whose execution of their group's latest revision SUCCEEDED, devices targeted),
    read like a user would: ListDeployments, then each revision's IoT job (DescribeJob)."""
    import boto3

    greengrass = boto3.client("greengrassv2", endpoint_url=endpoint)
    iot = boto3.client("iot", endpoint_url=endpoint)
    deadline = time.monotonic() + timeout
    while True:
        succeeded = targeted = 0
        for deployment in greengrass.list_deployments()["deployments"]:
            job_id = greengrass.get_deployment(deploymentId=deployment["deploymentId"])["iotJobId"]
            details: dict[str, int] = dict(
                iot.describe_job(jobId=job_id)["job"]["jobProcessDetails"]  # type: ignore[arg-type]
            )
            succeeded += details.get("numberOfSucceededThings", 0)
            targeted += sum(v for k, v in details.items() if k.startswith("numberOf"))
        if (targeted and succeeded == targeted) or time.monotonic() > deadline:
            return succeeded, targeted
        time.sleep(0.5)
