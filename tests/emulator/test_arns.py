"""The emulator reads ARNs whole, as AWS validates them against botocore's patterns."""

from __future__ import annotations

import pytest

from reconciler.emulator.greengrass.arns import (
    ComponentArn,
    IotTarget,
    parse_component_arn,
    parse_deployment_arn,
    parse_iot_target,
)

COMPONENT = "arn:aws:greengrass:us-east-1:123456789012:components:com.acme.Camera"
DEPLOYMENT = "arn:aws:greengrass:us-east-1:123456789012:deployments:4f2a"
GROUP = "arn:aws:iot:us-east-1:123456789012:thinggroup/CameraFleetProd"


def test_well_formed_arns_are_read() -> None:
    assert parse_component_arn(f"{COMPONENT}:versions:1.0.0") == ComponentArn(
        "us-east-1", "123456789012", "com.acme.Camera", "1.0.0"
    )
    assert parse_deployment_arn(DEPLOYMENT) == "4f2a"
    assert parse_iot_target(GROUP) == IotTarget(
        "us-east-1", "123456789012", "thinggroup", "CameraFleetProd"
    )


@pytest.mark.parametrize("tail", ["\n", " "])
def test_nothing_after_an_arn_is_dropped(tail: str) -> None:
    # botocore's patterns allow any character but ":" in a name or id, so what follows stays
    # part of it (and names nothing that exists); a `$` anchor would have dropped a newline.
    component = parse_component_arn(COMPONENT + tail)
    assert component is not None and component.name == "com.acme.Camera" + tail
    assert parse_deployment_arn(DEPLOYMENT + tail) == "4f2a" + tail
    target = parse_iot_target(GROUP + tail)
    assert target is None or target.name == "CameraFleetProd" + tail
    assert parse_iot_target(GROUP + "\n") is None  # a thing name is one line
