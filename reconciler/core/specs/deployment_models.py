"""What a Deployment document may say: the `spec` of `kind: Deployment` and `kind: DeploymentBase`
and of Settings.defaults, which share their fields (`DeploymentFields`) and are merged by `extends`.

Member names, enums and numeric bounds are those of botocore's greengrassv2 model
(CreateDeploymentRequest, ComponentDeploymentSpecification, ComponentRunWith, DeploymentPolicies,
DeploymentIoTJobConfiguration), so a block pasted from `aws greengrassv2 get-deployment` is valid
here, and `to_api()` hands the planner exactly what CreateDeployment takes.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BeforeValidator, Field, JsonValue

from reconciler.core.provenance import (
    MAX_RESOURCE_TAGS,
    MAX_USER_TAGS,
    OWN_TAG_KEYS,
    PREFIX,
)
from reconciler.core.specs.fields import (
    ComponentName,
    JsonPointer,
    Name,
    SecretPointer,
    SemVer,
    SingleLine,
    SpecModel,
    TagKey,
    TagValue,
    ThingGroupName,
    ThingName,
)
from reconciler.core.specs.problems import quoted
from reconciler.core.suspension import parse_instant


class ApiShape(SpecModel):
    """A model whose fields are exactly an AWS API structure."""

    def to_api(self) -> dict[str, Any]:
        """The structure as the AWS API takes it (camelCase keys, unset members left out)."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


# --- deploymentPolicies ---------------------------------------------------------------------


class ComponentUpdatePolicy(ApiShape):
    """How components are told about an update (DeploymentComponentUpdatePolicy)."""

    timeout_in_seconds: int | None = None
    action: Literal["NOTIFY_COMPONENTS", "SKIP_NOTIFY_COMPONENTS"] | None = None


class ConfigurationValidationPolicy(ApiShape):
    """How long components may take to validate a configuration update."""

    timeout_in_seconds: int | None = None


class DeploymentPolicies(ApiShape):
    """CreateDeployment's `deploymentPolicies`."""

    failure_handling_policy: Literal["ROLLBACK", "DO_NOTHING"] | None = None
    component_update_policy: ComponentUpdatePolicy | None = None
    configuration_validation_policy: ConfigurationValidationPolicy | None = None

    def with_service_defaults(self) -> DeploymentPolicies:
        """These policies with every unset member set to the value the service applies.

        GetDeployment reports the defaults the service filled in; comparing against this form
        keeps an omitted policy from looking like drift.
        """
        update = self.component_update_policy or ComponentUpdatePolicy()
        validation = self.configuration_validation_policy or ConfigurationValidationPolicy()
        return DeploymentPolicies.model_validate(
            {
                "failureHandlingPolicy": self.failure_handling_policy or "ROLLBACK",
                "componentUpdatePolicy": {
                    "timeoutInSeconds": _default(update.timeout_in_seconds, 60),
                    "action": update.action or "NOTIFY_COMPONENTS",
                },
                "configurationValidationPolicy": {
                    "timeoutInSeconds": _default(validation.timeout_in_seconds, 30)
                },
            }
        )


def _default(value: int | None, default: int) -> int:
    return default if value is None else value


# --- iotJobConfiguration --------------------------------------------------------------------


class IoTJobRateIncreaseCriteria(ApiShape):
    number_of_notified_things: Annotated[int, Field(ge=1)] | None = None
    number_of_succeeded_things: Annotated[int, Field(ge=1)] | None = None


class IoTJobExponentialRolloutRate(ApiShape):
    base_rate_per_minute: Annotated[int, Field(ge=1, le=1000)]
    increment_factor: Annotated[float, Field(ge=1, le=5)]
    rate_increase_criteria: IoTJobRateIncreaseCriteria


class IoTJobExecutionsRolloutConfig(ApiShape):
    exponential_rate: IoTJobExponentialRolloutRate | None = None
    maximum_per_minute: Annotated[int, Field(ge=1, le=1000)] | None = None


class IoTJobAbortCriteria(ApiShape):
    failure_type: Literal["FAILED", "REJECTED", "TIMED_OUT", "ALL"]
    action: Literal["CANCEL"]
    threshold_percentage: Annotated[float, Field(ge=0, le=100)]
    min_number_of_executed_things: Annotated[int, Field(ge=1)]


class IoTJobAbortConfig(ApiShape):
    criteria_list: Annotated[list[IoTJobAbortCriteria], Field(min_length=1)]


class IoTJobTimeoutConfig(ApiShape):
    in_progress_timeout_in_minutes: int | None = None


class DeploymentIoTJobConfiguration(ApiShape):
    """CreateDeployment's `iotJobConfiguration`: rollout, abort and timeout of the IoT job."""

    job_executions_rollout_config: IoTJobExecutionsRolloutConfig | None = None
    abort_config: IoTJobAbortConfig | None = None
    timeout_config: IoTJobTimeoutConfig | None = None


# --- components -----------------------------------------------------------------------------


class SystemResourceLimits(ApiShape):
    memory: Annotated[int, Field(ge=0, le=9_223_372_036_854_771_712)] | None = None
    """Maximum RAM in kilobytes."""
    cpus: Annotated[float, Field(ge=0)] | None = None
    """Maximum CPU time, in CPU cores (0.5 = half of one core)."""


class ComponentRunWith(ApiShape):
    """CreateDeployment's `components.*.runWith`."""

    posix_user: Annotated[SingleLine, Field(min_length=1)] | None = None
    windows_user: Annotated[SingleLine, Field(min_length=1)] | None = None
    system_resource_limits: SystemResourceLimits | None = None


class DeploymentComponentSpec(SpecModel):
    """One entry of `spec.components`.

    `configuration` is the overlay on top of the recipe's DefaultConfiguration (free-form JSON);
    the planner turns it into CreateDeployment's `configurationUpdate`.
    """

    version: SemVer | None = None
    """Omit only for a component declared in this repository (Component or ComponentOverride)."""
    configuration: dict[str, JsonValue] | None = None
    configuration_policy: Literal["minimal", "replace"] | None = None
    reset: list[JsonPointer] | None = None
    secret_paths: list[SecretPointer] | None = None
    run_with: ComponentRunWith | None = None


def _room_for_own_tags(tags: dict[str, str]) -> dict[str, str]:
    reserved = sorted(key for key in tags if key.startswith(PREFIX))
    if reserved:
        raise ValueError(
            f"tag key {quoted(reserved[0])} begins with {PREFIX!r}, which the reconciler reserves "
            "for the tags it sets itself (who made a revision, from which commit): rename it"
        )
    if len(tags) > MAX_USER_TAGS:
        raise ValueError(
            f"{len(tags)} tags (after extends): CreateDeployment accepts at most "
            f"{MAX_RESOURCE_TAGS}, and the reconciler adds its own {len(OWN_TAG_KEYS)} "
            f"({', '.join(OWN_TAG_KEYS)}), so keep at most {MAX_USER_TAGS}"
        )
    return tags


Tags = Annotated[
    dict[TagKey, TagValue],
    AfterValidator(_room_for_own_tags),
    Field(json_schema_extra={"maxProperties": MAX_USER_TAGS}),
]


def _prune_value(value: Any) -> Any:
    """One message for every wrong value (a union would report only its first member's)."""
    if value is None or isinstance(value, bool) or value in ("cancel", "uninstall"):
        return value
    shown = quoted(value) if isinstance(value, str) else repr(value)
    raise ValueError(f"expected true, false, cancel or uninstall, got {shown}")


PruneValue = Annotated[bool | Literal["cancel", "uninstall"], BeforeValidator(_prune_value)]


class SyncPolicy(SpecModel):
    """What the controller may do on its own."""

    prune: PruneValue | None = None
    """What to do with the deployment of a thing group whose Deployment document was removed
    (read from the Settings' defaults): `cancel` (or `true`) cancels it, and its devices keep
    running its components; `uninstall` first deploys a revision with no components (devices
    remove what that group deployed), then cancels it; `false` leaves it."""
    self_heal: bool | None = None
    """Revert changes made outside Git (console, CLI) without waiting for a new commit."""


class RolloutPolicySpec(SpecModel):
    """When the controller calls a rollout good or bad, and how long it follows it."""

    failure_threshold_percentage: Annotated[float, Field(ge=0, le=100)] | None = None
    """Share of the targeted devices that may fail before the rollout is `Failed` (at or below
    it, with failures, it ends `Degraded`). Default 10."""
    rollout_timeout_minutes: Annotated[int, Field(ge=1, le=525_600)] | None = None
    """Stop following a revision this long after it was created, devices still pending or not
    (offline devices are pending, not failures). Default 1440 (24 hours)."""


def _instant(text: str) -> str:
    parse_instant(text)
    return text


class SuspendSpec(SpecModel):
    """Plan the group but do not apply it: a stop that lives in Git (docs/controller.md)."""

    reason: Annotated[str, Field(min_length=1, max_length=500)]
    """Why; shown in /status, the plan and the log."""
    until: Annotated[str, AfterValidator(_instant)] | None = None
    """ISO 8601 date-time with a timezone (2026-12-24T18:00:00Z): the suspension ends by itself
    then. Omitted: until the document says otherwise."""


class DeploymentFields(SpecModel):
    """Fields shared by Settings.defaults, DeploymentBase and Deployment (merged by `extends`).

    A component set to null is removed from what a base declared (RFC 7386 merge patch).
    """

    components: dict[ComponentName, DeploymentComponentSpec | None] | None = None
    deployment_policies: DeploymentPolicies | None = None
    iot_job_configuration: DeploymentIoTJobConfiguration | None = None
    tags: Tags | None = None
    sync_policy: SyncPolicy | None = None
    rollout_policy: RolloutPolicySpec | None = None
    suspend: SuspendSpec | None = None


class DeploymentDefaults(DeploymentFields):
    """Settings.defaults: an implicit base under every Deployment and DeploymentBase."""

    misplaced_fields: ClassVar[dict[str, str]] = {
        "extends": "defaults are the root of every extends chain; they cannot extend",
        "thingGroup": "only a Deployment targets a thing group",
        "thing": "only a Deployment targets a core device",
        "parentThingGroup": "only a Deployment can be a subdeployment",
        "deploymentName": "only a Deployment has a deployment name",
    }


class DeploymentBaseSpec(DeploymentFields):
    """A shared, abstract deployment; documents name it in `extends`."""

    misplaced_fields: ClassVar[dict[str, str]] = {
        "thingGroup": "only a Deployment targets a thing group; a DeploymentBase is abstract",
        "thing": "only a Deployment targets a core device; a DeploymentBase is abstract",
        "parentThingGroup": "only a Deployment can be a subdeployment",
        "deploymentName": "only a Deployment has a deployment name",
    }

    extends: Name | None = None


class DeploymentDocumentSpec(DeploymentBaseSpec):
    """The deployment of one target: a thing group, or one core device (`thing`).

    Exactly one of `thingGroup` and `thing` is given (checked by the loader, which names the
    field); `parentThingGroup` makes a thing group's deployment a subdeployment."""

    misplaced_fields: ClassVar[dict[str, str]] = {}

    thing_group: ThingGroupName | None = None
    """The target thing group's name (or give `thing`)."""
    thing: ThingName | None = None
    """The target core device's thing name (or give `thingGroup`)."""
    parent_thing_group: ThingGroupName | None = None
    """With `thingGroup` only: deploy as a subdeployment of this group's deployment (its
    `parentTargetArn`); the target group's devices are in the parent."""
    deployment_name: Annotated[SingleLine, Field(min_length=1, max_length=256)] | None = None
