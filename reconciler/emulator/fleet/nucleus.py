"""How a core device applies a deployment, written from aws-greengrass-nucleus's source.

A device keeps, per deployment target, the last deployment it applied (DeploymentService's
`GroupToRootComponents`; a subdeployment is recorded under its parent group, the document's
`OnBehalfOf`). Applying deployment D:

1. The targets are the device's current thing groups (ThingGroupHelper lists them at each
   deployment: components of a group the device left go away) and its own thing, with D
   replacing what its target had.
2. The root components are the union of those targets' components, each target requiring its
   version; the closure is resolved like ResolveComponentCandidates. Two targets asking for
   different versions of one component cannot be satisfied: FAILED_NO_STATE_CHANGE with
   NO_AVAILABLE_COMPONENT_VERSION / COMPONENT_VERSION_REQUIREMENTS_NOT_MET (REQUEST_ERROR).
3. Every component's configuration is resolved by `configuration.resolve_configuration`; only
   D's `configurationUpdate` applies (other targets' components keep their running
   configuration plus their recipe defaults).
4. Simulated failures (the fleet's failure rules): `configuration` rejects the new
   configuration before anything changes (COMPONENT_CONFIGURATION_NOT_VALID,
   FAILED_NO_STATE_CHANGE); `install` and `run` break the component (COMPONENT_UPDATE_ERROR,
   COMPONENT_BROKEN; AWS_COMPONENT_ERROR for public components, else USER_COMPONENT_ERROR).
   `failureHandlingPolicy` ROLLBACK then restores the previous components and configuration
   (FAILED_ROLLBACK_COMPLETE); DO_NOTHING leaves the broken component BROKEN
   (FAILED_ROLLBACK_NOT_REQUESTED).

Pure functions over plain data: the simulation supplies the resolver and the failure rules.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.emulator.fleet.configuration import resolve_configuration
from reconciler.emulator.fleet.devices import (
    BROKEN,
    RUNNING,
    DeploymentDocument,
    InstalledComponent,
)

SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
THING_KEY_PREFIX = "thing/"
GROUP_KEY_PREFIX = "thinggroup/"

REQUIREMENTS_NOT_MET = (
    (
        "DEPLOYMENT_FAILURE",
        "NO_AVAILABLE_COMPONENT_VERSION",
        "COMPONENT_VERSION_REQUIREMENTS_NOT_MET",
    ),
    ("REQUEST_ERROR",),
)
CONFIGURATION_NOT_VALID = (("DEPLOYMENT_FAILURE", "COMPONENT_CONFIGURATION_NOT_VALID"), ())
COMPONENT_BROKEN = ("DEPLOYMENT_FAILURE", "COMPONENT_UPDATE_ERROR", "COMPONENT_BROKEN")


@dataclass(frozen=True)
class ResolvedVersion:
    name: str
    version: str
    arn: str
    public: bool
    defaults: Mapping[str, Any]


class ResolutionFailedError(Exception):
    """The components of the device's targets cannot be resolved together."""


Resolver = Callable[[dict[str, dict[str, str]]], list[ResolvedVersion]]
FailureLookup = Callable[[str, str, str], bool]  # (component, version, phase) -> fails here?


@dataclass
class Outcome:
    status: str  # SUCCEEDED | FAILED (the job execution's status)
    detailed: str  # the nucleus's detailed deployment status, reported as `reason`
    cause: str | None = None
    error_stack: tuple[str, ...] = ()
    error_types: tuple[str, ...] = ()
    installed: dict[str, InstalledComponent] | None = None  # None: unchanged
    configuration: dict[str, dict[str, Any]] | None = None
    group_deployments: dict[str, DeploymentDocument] | None = None
    broken: list[str] = field(default_factory=list)


def group_key(name: str) -> str:
    return GROUP_KEY_PREFIX + name


def apply_deployment(
    *,
    document: DeploymentDocument,
    device_name: str,
    device_groups: set[str],
    installed: Mapping[str, InstalledComponent],
    configuration: Mapping[str, Mapping[str, Any]],
    group_deployments: Mapping[str, DeploymentDocument],
    resolve: Resolver,
    fails: FailureLookup,
    now: float,
) -> Outcome:
    targets = {
        key: doc
        for key, doc in group_deployments.items()
        if key == THING_KEY_PREFIX + device_name
        or key.removeprefix(GROUP_KEY_PREFIX) in device_groups
    }
    targets[document.group_key] = document
    roots: dict[str, dict[str, str]] = {}
    for key, doc in targets.items():
        for name, spec in doc.components.items():
            roots.setdefault(name, {})[key] = f"={spec.get('componentVersion', '')}"
    try:
        resolved = resolve(roots)
    except ResolutionFailedError as error:
        return _failure("FAILED_NO_STATE_CHANGE", str(error), *REQUIREMENTS_NOT_MET)
    new_configuration: dict[str, dict[str, Any]] = {}
    changed_config: set[str] = set()
    for version in resolved:
        update = (document.components.get(version.name) or {}).get("configurationUpdate") or {}
        merge = json.loads(update["merge"]) if update.get("merge") else None
        running = configuration.get(version.name)
        resolved_config = resolve_configuration(
            running, version.defaults, update.get("reset"), merge
        )
        new_configuration[version.name] = resolved_config
        if resolved_config != running:
            changed_config.add(version.name)
    changed_version = {
        v.name
        for v in resolved
        if v.name not in installed or installed[v.name].version != v.version
    }
    for phase, names in (
        ("configuration", changed_config),
        ("install", changed_version),
        ("run", changed_version | changed_config),
    ):
        culprit = next(
            (v for v in resolved if v.name in names and fails(v.name, v.version, phase)), None
        )
        if culprit is None:
            continue
        if phase == "configuration":
            cause = f"Component {culprit.name} rejected its new configuration"
            return _failure("FAILED_NO_STATE_CHANGE", cause, *CONFIGURATION_NOT_VALID)
        cause = f"Service {culprit.name} in broken state after deployment ({phase} failed)"
        error_type = "AWS_COMPONENT_ERROR" if culprit.public else "USER_COMPONENT_ERROR"
        if document.failure_policy == "ROLLBACK":
            return _failure("FAILED_ROLLBACK_COMPLETE", cause, COMPONENT_BROKEN, (error_type,))
        outcome = _failure("FAILED_ROLLBACK_NOT_REQUESTED", cause, COMPONENT_BROKEN, (error_type,))
        outcome.installed = _installed(
            resolved, roots, installed, document, now, broken=culprit.name
        )
        outcome.configuration = new_configuration
        outcome.group_deployments = targets
        outcome.broken = [culprit.name]
        return outcome
    return Outcome(
        SUCCEEDED,
        "SUCCESSFUL",
        installed=_installed(resolved, roots, installed, document, now, broken=None),
        configuration=new_configuration,
        group_deployments=targets,
    )


def _installed(
    resolved: list[ResolvedVersion],
    roots: Mapping[str, Any],
    before: Mapping[str, InstalledComponent],
    document: DeploymentDocument,
    now: float,
    *,
    broken: str | None,
) -> dict[str, InstalledComponent]:
    result: dict[str, InstalledComponent] = {}
    for version in resolved:
        lifecycle = BROKEN if version.name == broken else RUNNING
        earlier = before.get(version.name)
        unchanged = earlier is not None and (earlier.version, earlier.lifecycle) == (
            version.version,
            lifecycle,
        )
        changed_at = earlier.changed_at if unchanged and earlier is not None else now
        brought = not unchanged or version.name in document.components or earlier is None
        source = document.deployment_id if brought or earlier is None else earlier.source
        result[version.name] = InstalledComponent(
            version.version, version.name in roots, lifecycle, changed_at, version.arn, source
        )
    return result


def _failure(detailed: str, cause: str, stack: tuple[str, ...], types: tuple[str, ...]) -> Outcome:
    return Outcome(FAILED, detailed, cause, stack, types)
