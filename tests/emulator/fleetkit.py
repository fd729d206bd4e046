"""Helpers for the fleet tests: load a fleet, deploy, read jobs and devices through boto3."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import AwsTestContext
from tests.emulator.helpers import recipe, thing_group_arn

MODEL_STORE = "variant.DLR.ImageClassification.ModelStore"


def thing_arn(name: str, aws: AwsTestContext) -> str:
    return f"arn:aws:iot:{aws.region}:{aws.account_id}:thing/{name}"


def group(name: str, aws: AwsTestContext) -> str:
    return thing_group_arn(name, aws.region, aws.account_id)


def virtual_fleet(aws: AwsTestContext, fleet_yaml: str) -> None:
    """Load a fleet and switch to the virtual clock (the test advances it)."""
    aws.admin.set_clock("virtual")
    aws.admin.load_fleet(fleet_yaml)


def deploy(
    aws: AwsTestContext,
    target: str,
    components: dict[str, Any],
    **extra: Any,
) -> dict[str, Any]:
    created: dict[str, Any] = aws.client("greengrassv2").create_deployment(
        targetArn=target, components=components, **extra
    )
    return created


def counts(aws: AwsTestContext, job_id: str) -> dict[str, int]:
    details = aws.client("iot").describe_job(jobId=job_id)["job"]["jobProcessDetails"]
    return {k.removeprefix("numberOf").removesuffix("Things"): v for k, v in details.items() if v}


def status(aws: AwsTestContext, deployment_id: str) -> str:
    gg = aws.client("greengrassv2")
    return str(gg.get_deployment(deploymentId=deployment_id)["deploymentStatus"])


def configured_component(
    aws: AwsTestContext, name: str, version: str, defaults: dict[str, Any]
) -> None:
    """A private component version with these default configuration values."""
    document = recipe(name, version)
    document["ComponentConfiguration"] = {"DefaultConfiguration": defaults}
    aws.client("greengrassv2").create_component_version(
        inlineRecipe=json.dumps(document).encode("utf-8")
    )


def merge(values: dict[str, Any], reset: list[str] | None = None) -> dict[str, Any]:
    update: dict[str, Any] = {"merge": json.dumps(values)}
    if reset is not None:
        update["reset"] = reset
    return update
