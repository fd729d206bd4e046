"""What the reconciler reads from the live Greengrass control plane, as plain immutable values.

These are the planner's inputs on the live side; adapters build them from API responses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

JsonObject = Mapping[str, Any]


@dataclass(frozen=True)
class DeploymentSummary:
    """One row of ListDeployments: enough to know *which* deployment is latest for a target."""

    deployment_id: str
    target_arn: str
    revision_id: str
    deployment_name: str
    status: str
    created_at: float
    is_latest_for_target: bool = True
    parent_target_arn: str | None = None


@dataclass(frozen=True, slots=True, weakref_slot=True)
class LiveComponent:
    """A component as a live deployment asked for it (not what devices report)."""

    name: str
    version: str
    configuration_update: JsonObject | None = None  # the API's {"merge": str, "reset": [..]}
    run_with: JsonObject | None = None


@dataclass(frozen=True, slots=True)
class LiveDeployment:
    """The immutable content of a deployment revision, as GetDeployment returns it."""

    deployment_id: str
    target_arn: str
    revision_id: str
    deployment_name: str
    components: Mapping[str, LiveComponent]
    deployment_policies: JsonObject | None = None
    iot_job_configuration: JsonObject | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    status: str = "ACTIVE"
    created_at: float = 0.0
    iot_job_id: str | None = None  # the IoT job that carries the revision to the devices
    parent_target_arn: str | None = None  # a subdeployment's parent (its `parentTargetArn`)


@dataclass(frozen=True)
class ComponentVersionRef:
    """A component version that exists in the account (private) or in the public catalog."""

    name: str
    version: str
    arn: str
    public: bool


@dataclass(frozen=True)
class RecipeRecord:
    """A recipe fetched from the service, and whether it came from the public catalog."""

    recipe: JsonObject
    public: bool


@dataclass(frozen=True)
class LiveState:
    """Everything the planner needs to know about the account, read beforehand by the engine.

    `latest` holds the latest deployment of every thing group the specs target (when it has
    one) and of other thing groups that may be prune candidates. `recipes` is keyed by
    (name, version). `component_versions` lists public and private versions for the names the
    planner must choose or check versions of. `private_version_tags` holds the tags of existing
    private versions of the repository's components; a missing key means the version does not
    exist.
    """

    latest: Mapping[str, LiveDeployment] = field(default_factory=dict)
    recipes: Mapping[tuple[str, str], RecipeRecord] = field(default_factory=dict)
    component_versions: Mapping[str, tuple[ComponentVersionRef, ...]] = field(default_factory=dict)
    private_version_tags: Mapping[tuple[str, str], Mapping[str, str]] = field(default_factory=dict)
