"""The live state of a golden case, read from a small YAML file (`live.yaml`).

The file says what the Greengrass control plane would answer, in the API's own words where it
has them, so that a case reads like the account it describes:

    deployments:                      # the latest deployment of each target
      CameraFleetProd:                # target key: a thing group's name, or thing/NAME for a
                                      # core device (the ARN comes from the case's Settings)
        deploymentId: d-prod-3
        revisionId: "3"
        deploymentName: camera-fleet-prod
        status: ACTIVE                # default ACTIVE
        managed: true                 # our provenance tags, content hash of exactly this content
        # managed: {contentHash: ...} # our tags, with the hash of some other content (drift)
        components:
          aws.greengrass.DLRImageClassification:
            componentVersion: 2.1.10
            configurationUpdate:
              merge: {InferenceInterval: 15}   # a mapping, or the API's JSON text
              reset: [/UseCamera]
            runWith: {posixUser: ggc_user}
        deploymentPolicies: {...}     # as GetDeployment returns them
        iotJobConfiguration: {...}
        tags: {team: vision}
        parentThingGroup: CameraFleet # a subdeployment of that group (parentTargetArn)
    recipes:                          # GetComponent (name and version come from the recipe)
      - public: true
        recipe: {RecipeFormatVersion: "2020-01-25", ComponentName: ..., ComponentVersion: ...}
    componentVersions:                # ListComponentVersions, public and private
      variant.DLR.ImageClassification.ModelStore: {public: [2.1.8, 2.1.9], private: [2.1.10]}
    privateVersionTags:               # ListTagsForResource of private versions
      com.acme.Uploader: {1.0.0: {greengrass-reconciler/content-hash: ...}}

Every key is checked: a typo in a case fails loudly instead of silently meaning "absent".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from reconciler.core.arns import (
    PUBLIC_COMPONENT_ACCOUNT,
    component_version_arn,
    target_arn,
    thing_group_arn,
)
from reconciler.core.live import (
    ComponentVersionRef,
    LiveComponent,
    LiveDeployment,
    LiveState,
    RecipeRecord,
)
from reconciler.core.planning.content import live_content, request_hash
from reconciler.core.provenance import provenance_tags

# The commit our earlier, made-up apply ran at: only the content hash matters to the planner.
EARLIER_COMMIT = "1111111"

_TOP_KEYS = {"deployments", "recipes", "componentVersions", "privateVersionTags"}
_DEPLOYMENT_KEYS = {
    "deploymentId", "revisionId", "deploymentName", "status", "managed", "components",
    "deploymentPolicies", "iotJobConfiguration", "tags", "createdAt", "parentThingGroup",
}  # fmt: skip
_COMPONENT_KEYS = {"componentVersion", "configurationUpdate", "runWith"}


class LiveYamlError(ValueError):
    """live.yaml does not describe a live state; the message says where and why."""


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise LiveYamlError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def _known(value: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise LiveYamlError(f"{where}: unknown key(s) {', '.join(unknown)}")


def _configuration_update(raw: Any, where: str) -> dict[str, Any] | None:
    """The API form: `merge` is JSON *text* there; a mapping in the file is written out as such."""
    if raw is None:
        return None
    update = dict(_mapping(raw, where))
    _known(update, {"merge", "reset"}, where)
    if isinstance(update.get("merge"), Mapping):
        update["merge"] = json.dumps(update["merge"])
    return update


def _component(name: str, raw: Any, where: str) -> LiveComponent:
    entry = _mapping(raw, where)
    _known(entry, _COMPONENT_KEYS, where)
    if "componentVersion" not in entry:
        raise LiveYamlError(f"{where}: componentVersion is required")
    run_with = entry.get("runWith")
    return LiveComponent(
        name=name,
        version=str(entry["componentVersion"]),
        configuration_update=_configuration_update(
            entry.get("configurationUpdate"), f"{where}.configurationUpdate"
        ),
        run_with=dict(_mapping(run_with, f"{where}.runWith")) if run_with is not None else None,
    )


def _deployment(
    group: str, raw: Any, *, region: str, account: str, instance: str
) -> LiveDeployment:
    where = f"deployments.{group}"
    entry = _mapping(raw, where)
    _known(entry, _DEPLOYMENT_KEYS, where)
    for required in ("deploymentId", "revisionId", "deploymentName"):
        if required not in entry:
            raise LiveYamlError(f"{where}: {required} is required")
    policies = entry.get("deploymentPolicies")
    job = entry.get("iotJobConfiguration")
    deployment = LiveDeployment(
        deployment_id=str(entry["deploymentId"]),
        target_arn=target_arn(region, account, group),
        revision_id=str(entry["revisionId"]),
        deployment_name=str(entry["deploymentName"]),
        components={
            name: _component(name, value, f"{where}.components.{name}")
            for name, value in sorted(_mapping(entry.get("components"), where).items())
        },
        deployment_policies=dict(_mapping(policies, where)) if policies is not None else None,
        iot_job_configuration=dict(_mapping(job, where)) if job is not None else None,
        tags={str(k): str(v) for k, v in _mapping(entry.get("tags"), where).items()},
        status=str(entry.get("status", "ACTIVE")),
        created_at=float(entry.get("createdAt", 0.0)),
        parent_target_arn=(
            thing_group_arn(region, account, str(entry["parentThingGroup"]))
            if entry.get("parentThingGroup")
            else None
        ),
    )
    managed = entry.get("managed", False)
    if managed is False:
        return deployment
    # What our apply writes: the hash of the content it created, computed the same way.
    content_hash = request_hash(live_content(deployment))
    if managed is not True:
        claimed = _mapping(managed, f"{where}.managed")
        _known(claimed, {"contentHash"}, f"{where}.managed")
        content_hash = str(claimed["contentHash"])
    tags = {
        **provenance_tags(
            instance=instance, content_hash=content_hash, commit=EARLIER_COMMIT, spec=None
        ),
        **deployment.tags,
    }
    return replace(deployment, tags=tags)


def _recipes(raw: Any) -> dict[tuple[str, str], RecipeRecord]:
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise LiveYamlError("recipes: expected a list")
    recipes: dict[tuple[str, str], RecipeRecord] = {}
    for index, item in enumerate(raw):
        where = f"recipes[{index}]"
        entry = _mapping(item, where)
        _known(entry, {"public", "recipe"}, where)
        recipe = dict(_mapping(entry.get("recipe"), f"{where}.recipe"))
        key = (str(recipe.get("ComponentName")), str(recipe.get("ComponentVersion")))
        if key in recipes:
            raise LiveYamlError(f"{where}: {key[0]} {key[1]} is listed twice")
        recipes[key] = RecipeRecord(recipe=recipe, public=bool(entry.get("public", False)))
    return recipes


def _component_versions(
    raw: Any, *, region: str, account: str
) -> dict[str, tuple[ComponentVersionRef, ...]]:
    listed: dict[str, tuple[ComponentVersionRef, ...]] = {}
    for name, value in sorted(_mapping(raw, "componentVersions").items()):
        where = f"componentVersions.{name}"
        scopes = _mapping(value, where)
        _known(scopes, {"public", "private"}, where)
        refs = [
            ComponentVersionRef(
                name=name,
                version=str(version),
                arn=component_version_arn(
                    region, PUBLIC_COMPONENT_ACCOUNT if public else account, name, str(version)
                ),
                public=public,
            )
            for public, key in ((True, "public"), (False, "private"))
            for version in scopes.get(key) or []
        ]
        listed[name] = tuple(refs)
    return listed


def _private_version_tags(raw: Any) -> dict[tuple[str, str], dict[str, str]]:
    tags: dict[tuple[str, str], dict[str, str]] = {}
    for name, versions in sorted(_mapping(raw, "privateVersionTags").items()):
        for version, value in sorted(_mapping(versions, f"privateVersionTags.{name}").items()):
            where = f"privateVersionTags.{name}.{version}"
            tags[(name, str(version))] = {str(k): str(v) for k, v in _mapping(value, where).items()}
    return tags


def live_state_from_document(
    document: Any, *, region: str, account: str, instance: str
) -> LiveState:
    top = _mapping(document, "live.yaml")
    _known(top, _TOP_KEYS, "live.yaml")
    latest = {}
    for group, raw in sorted(_mapping(top.get("deployments"), "deployments").items()):
        deployment = _deployment(str(group), raw, region=region, account=account, instance=instance)
        latest[deployment.target_arn] = deployment
    return LiveState(
        latest=latest,
        recipes=_recipes(top.get("recipes")),
        component_versions=_component_versions(
            top.get("componentVersions"), region=region, account=account
        ),
        private_version_tags=_private_version_tags(top.get("privateVersionTags")),
    )


def load_live_state(path: Path, *, region: str, account: str, instance: str) -> LiveState:
    """The `LiveState` that `path` (a live.yaml) describes, for thing groups of `account`."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return live_state_from_document(document, region=region, account=account, instance=instance)
