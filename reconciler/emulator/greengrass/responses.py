"""One function per Greengrass v2 operation: parsed parameters in, output dictionary out.

Rules live in the backend (`models.py` and the services it holds); these functions only pick
parameters, call it, and shape its records into the operation's output (as Python values; the
protocol layer turns timestamps and blobs into their wire form).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler.emulator.greengrass.components import ComponentVersion, newest_first
from reconciler.emulator.greengrass.deployments import Deployment
from reconciler.emulator.greengrass.models import GreengrassBackend
from reconciler.emulator.greengrass.pagination import paginate
from reconciler.emulator.greengrass.recipes import render


@dataclass(frozen=True)
class Call:
    """What a handler gets besides the parameters."""

    backend: GreengrassBackend
    endpoint_url: str
    now: float


@dataclass(frozen=True)
class Outcome:
    output: dict[str, Any]
    resource: str | None = None  # the ARN the call acted on, for the request log


Handler = Callable[[Call, dict[str, Any]], Outcome]
HANDLERS: dict[str, Handler] = {}


def handles(operation: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[operation] = handler
        return handler

    return register


# -- components ----------------------------------------------------------------------------------


@handles("CreateComponentVersion")
def create_component_version(call: Call, params: dict[str, Any]) -> Outcome:
    version = call.backend.create_component_version(params)
    output = {
        "arn": version.arn,
        "componentName": version.name,
        "componentVersion": version.version,
        "creationTimestamp": version.created,
        "status": version.status(call.now),
    }
    return Outcome(output, version.arn)


@handles("DescribeComponent")
def describe_component(call: Call, params: dict[str, Any]) -> Outcome:
    version = call.backend.components.version_by_arn(params["arn"])
    output: dict[str, Any] = {
        "arn": version.arn,
        "componentName": version.name,
        "componentVersion": version.version,
        "creationTimestamp": version.created,
        "publisher": version.recipe.publisher or None,
        "description": version.recipe.description or None,
        "status": version.status(call.now),
        "platforms": version.recipe.platforms(),
    }
    tags = call.backend.tags_of(version.arn)
    if tags:
        output["tags"] = tags
    return Outcome(output, version.arn)


@handles("GetComponent")
def get_component(call: Call, params: dict[str, Any]) -> Outcome:
    version = call.backend.components.version_by_arn(params["arn"])
    output_format = params.get("recipeOutputFormat") or "JSON"
    output: dict[str, Any] = {
        "recipeOutputFormat": output_format,
        "recipe": render(version.recipe.document, output_format),
    }
    tags = call.backend.tags_of(version.arn)
    if tags:
        output["tags"] = tags
    return Outcome(output, version.arn)


@handles("ListComponents")
def list_components(call: Call, params: dict[str, Any]) -> Outcome:
    summaries = call.backend.components.summaries(params.get("scope") or "PRIVATE")
    page, token = paginate(
        summaries, lambda s: s.name, params.get("maxResults"), params.get("nextToken")
    )
    items = [
        {"arn": s.arn, "componentName": s.name, "latestVersion": _latest_version(s.latest)}
        for s in page
    ]
    return Outcome(_without_none({"components": items, "nextToken": token}))


@handles("ListComponentVersions")
def list_component_versions(call: Call, params: dict[str, Any]) -> Outcome:
    versions = call.backend.components.versions_by_component_arn(params["arn"])
    page, token = paginate(
        versions, newest_first, params.get("maxResults"), params.get("nextToken")
    )
    items = [{"componentName": v.name, "componentVersion": v.version, "arn": v.arn} for v in page]
    return Outcome(_without_none({"componentVersions": items, "nextToken": token}), params["arn"])


@handles("DeleteComponent")
def delete_component(call: Call, params: dict[str, Any]) -> Outcome:
    call.backend.delete_component(params["arn"])
    return Outcome({}, params["arn"])


@handles("GetComponentVersionArtifact")
def get_component_version_artifact(call: Call, params: dict[str, Any]) -> Outcome:
    url = call.backend.components.artifact_url(
        params["arn"], params["artifactName"], call.endpoint_url
    )
    return Outcome({"preSignedUrl": url}, params["arn"])


@handles("ResolveComponentCandidates")
def resolve_component_candidates(call: Call, params: dict[str, Any]) -> Outcome:
    chosen = call.backend.components.resolve_candidates(
        params.get("platform"), params.get("componentCandidates") or []
    )
    items = [
        {
            "arn": v.arn,
            "componentName": v.name,
            "componentVersion": v.version,
            "recipe": render(v.recipe.document, "JSON"),
            "vendorGuidance": "ACTIVE",
        }
        for v in chosen
    ]
    return Outcome({"resolvedComponentVersions": items})


# -- deployments ---------------------------------------------------------------------------------


@handles("CreateDeployment")
def create_deployment(call: Call, params: dict[str, Any]) -> Outcome:
    deployment = call.backend.create_deployment(params)
    output = {
        "deploymentId": deployment.deployment_id,
        "iotJobId": deployment.iot_job_id,
        "iotJobArn": deployment.iot_job_arn,
    }
    return Outcome(output, deployment.target_arn)


@handles("GetDeployment")
def get_deployment(call: Call, params: dict[str, Any]) -> Outcome:
    deployment = call.backend.deployments.get(params["deploymentId"])
    output = {
        **_deployment_summary(deployment, call.now),
        "iotJobId": deployment.iot_job_id,
        "iotJobArn": deployment.iot_job_arn,
        "components": deployment.components,
        # None (left out) where the request gave none, as the service answers null there.
        "deploymentPolicies": deployment.deployment_policies,
        "iotJobConfiguration": deployment.iot_job_configuration,
        "tags": call.backend.tags_of(deployment.arn) or None,
    }
    return Outcome(_without_none(output), deployment.arn)


@handles("ListDeployments")
def list_deployments(call: Call, params: dict[str, Any]) -> Outcome:
    page, token = call.backend.deployments.list(
        target_arn=params.get("targetArn"),
        history_filter=params.get("historyFilter"),
        parent_target_arn=params.get("parentTargetArn"),
        max_results=params.get("maxResults"),
        next_token=params.get("nextToken"),
    )
    items = [_without_none(_deployment_summary(d, call.now)) for d in page]
    return Outcome(
        _without_none({"deployments": items, "nextToken": token}), params.get("targetArn")
    )


@handles("CancelDeployment")
def cancel_deployment(call: Call, params: dict[str, Any]) -> Outcome:
    deployment = call.backend.deployments.cancel(params["deploymentId"])
    # The service's answer, as the AWS CLI's cancel-deployment example shows it.
    return Outcome({"message": "SUCCESS"}, deployment.arn)


@handles("DeleteDeployment")
def delete_deployment(call: Call, params: dict[str, Any]) -> Outcome:
    call.backend.delete_deployment(params["deploymentId"])
    return Outcome({}, params["deploymentId"])


# -- tags ----------------------------------------------------------------------------------------


@handles("TagResource")
def tag_resource(call: Call, params: dict[str, Any]) -> Outcome:
    call.backend.tag_resource(params["resourceArn"], params["tags"])
    return Outcome({}, params["resourceArn"])


@handles("UntagResource")
def untag_resource(call: Call, params: dict[str, Any]) -> Outcome:
    call.backend.untag_resource(params["resourceArn"], params["tagKeys"])
    return Outcome({}, params["resourceArn"])


@handles("ListTagsForResource")
def list_tags_for_resource(call: Call, params: dict[str, Any]) -> Outcome:
    tags = call.backend.list_tags(params["resourceArn"])
    return Outcome({"tags": tags}, params["resourceArn"])


# -- shaping helpers -----------------------------------------------------------------------------


def _latest_version(version: ComponentVersion) -> dict[str, Any]:
    return _without_none(
        {
            "arn": version.arn,
            "componentVersion": version.version,
            "creationTimestamp": version.created,
            "description": version.recipe.description or None,
            "publisher": version.recipe.publisher or None,
            "platforms": version.recipe.platforms(),
        }
    )


def _deployment_summary(deployment: Deployment, now: float) -> dict[str, Any]:
    return {
        "targetArn": deployment.target_arn,
        "revisionId": str(deployment.revision),
        "deploymentId": deployment.deployment_id,
        "deploymentName": deployment.name,
        "creationTimestamp": deployment.created,
        "deploymentStatus": deployment.status(now),
        "isLatestForTarget": deployment.is_latest,
        "parentTargetArn": deployment.parent_target_arn,
    }


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
