"""The gateway's deployment cache keeps one object per distinct component and policy document."""

from __future__ import annotations

import json

from reconciler.engine.runtime import build_runtime
from reconciler.settings import ReconcilerSettings
from tests.conftest import AwsTestContext

POLICIES = {"failureHandlingPolicy": "DO_NOTHING"}


def _components(interval: int) -> dict[str, object]:
    return {
        "variant.DLR": {
            "componentVersion": "1.6.12",
            "configurationUpdate": {"merge": json.dumps({"MLRootPath": "/ml/dlr"})},
        },
        "aws.greengrass.DLRImageClassification": {
            "componentVersion": "2.1.10",
            "configurationUpdate": {"merge": json.dumps({"InferenceInterval": interval})},
            "runWith": {"systemResourceLimits": {"memory": 102400, "cpus": 0.5}},
        },
    }


def test_equal_parts_of_deployments_are_one_object(seeded: AwsTestContext) -> None:
    greengrass = seeded.client("greengrassv2")
    arn = f"arn:aws:iot:{seeded.region}:{seeded.account_id}:thinggroup/"
    ids = [
        greengrass.create_deployment(
            targetArn=arn + group,
            deploymentName=group,
            components=_components(interval),
            deploymentPolicies=POLICIES,
        )["deploymentId"]
        for group, interval in (("CameraFleetProd", 60), ("CameraFleetStaging", 30))
    ]

    gateway = build_runtime(
        ReconcilerSettings(), region=seeded.region, account=seeded.account_id
    ).gateway
    deployments = gateway.deployments(ids)
    prod, staging = (deployments[i] for i in ids)
    for live in (prod, staging):
        raw = greengrass.get_deployment(deploymentId=live.deployment_id)
        for name, component in live.components.items():
            entry = raw["components"][name]
            assert component.version == entry["componentVersion"]
            assert component.configuration_update == entry.get("configurationUpdate")
            assert component.run_with == entry.get("runWith")
        assert live.deployment_policies == raw["deploymentPolicies"]

    assert prod.components["variant.DLR"] is staging.components["variant.DLR"]
    classification = "aws.greengrass.DLRImageClassification"
    assert prod.components[classification] != staging.components[classification]
    assert prod.deployment_policies is staging.deployment_policies
