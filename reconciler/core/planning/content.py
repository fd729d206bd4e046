"""The canonical content of a deployment revision, for desired and live alike.

Both sides pass through the same normalisation (service defaults filled in, empty members
dropped, configuration updates canonical), so equal content compares and hashes equal whatever
the service echoed back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from reconciler.core.configuration.model import ConfigurationUpdate
from reconciler.core.live import LiveDeployment
from reconciler.core.provenance import user_tags
from reconciler.core.recipes import content_hash
from reconciler.core.specs.deployment_models import DeploymentPolicies


def prune_empty(value: Any) -> Any:
    """`value` without None members and empty objects/lists (the API treats them as absent)."""
    if isinstance(value, Mapping):
        pruned = {k: prune_empty(v) for k, v in sorted(value.items())}
        return {k: v for k, v in pruned.items() if v is not None and v != {} and v != []}
    if isinstance(value, list):
        return [prune_empty(v) for v in value]
    return value


def normalized_policies(raw: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """Deployment policies with the service's defaults filled in. Read-only: a fleet shares a
    handful of policy documents, and every plan of one holds the same object."""
    return _normalized_policies(json.dumps(raw or {}, sort_keys=True))


@lru_cache(maxsize=256)
def _normalized_policies(text: str) -> Mapping[str, Any]:
    raw = json.loads(text)
    try:
        policies = DeploymentPolicies.model_validate(raw)
    except ValueError:
        return prune_empty(raw)  # type: ignore[no-any-return]  # unknown shape: as it is
    return prune_empty(policies.with_service_defaults().to_api())  # type: ignore[no-any-return]


def parse_update(api: Mapping[str, Any] | None) -> ConfigurationUpdate:
    """`ConfigurationUpdate.from_api`, parsed once per distinct document (updates are values)."""
    if not api:
        return ConfigurationUpdate()
    return _parse_update(api.get("merge"), tuple(api.get("reset") or ()))


# Bounded small: the updates a fleet shares (a base's components) stay in it; the ones each
# group has of its own would only fill it (about 1.5 KB each).
@lru_cache(maxsize=1024)
def _parse_update(merge: str | None, reset: tuple[str, ...]) -> ConfigurationUpdate:
    document: dict[str, Any] = {"reset": list(reset)}
    if merge is not None:
        document["merge"] = merge
    return ConfigurationUpdate.from_api(document)


def component_entry(
    version: str, update: ConfigurationUpdate | None, run_with: Mapping[str, Any] | None
) -> dict[str, Any]:
    entry: dict[str, Any] = {"componentVersion": version}
    if update is not None and not update.is_empty:
        entry["configurationUpdate"] = update.to_api()
    run_with_doc = prune_empty(dict(run_with or {}))
    if run_with_doc:
        entry["runWith"] = run_with_doc
    return entry


def live_content(live: LiveDeployment) -> dict[str, Any]:
    """The live revision in the canonical form of a CreateDeployment request."""
    components = {
        name: component_entry(c.version, parse_update(c.configuration_update), c.run_with)
        for name, c in sorted(live.components.items())
    }
    return canonical_request(
        target_arn=live.target_arn,
        deployment_name=live.deployment_name,
        components=components,
        deployment_policies=live.deployment_policies,
        iot_job_configuration=live.iot_job_configuration,
        tags=live.tags,
        parent_target_arn=live.parent_target_arn,
    )


def canonical_request(
    *,
    target_arn: str,
    deployment_name: str,
    components: Mapping[str, Mapping[str, Any]],
    deployment_policies: Mapping[str, Any] | None,
    iot_job_configuration: Mapping[str, Any] | None,
    tags: Mapping[str, str],
    parent_target_arn: str | None = None,
) -> dict[str, Any]:
    """`parent_target_arn` makes it a subdeployment; a request without one has no such key,
    so the content (and its hash) of every other deployment is what it always was."""
    request: dict[str, Any] = {
        "targetArn": target_arn,
        "deploymentName": deployment_name,
        # The entries are the callers' own (fresh from `component_entry`): not copied again.
        "components": dict(sorted(components.items())),
        "deploymentPolicies": normalized_policies(deployment_policies),
    }
    job = prune_empty(dict(iot_job_configuration or {}))
    if job:
        request["iotJobConfiguration"] = job
    own_tags = user_tags(tags)
    if own_tags:
        request["tags"] = own_tags
    if parent_target_arn:  # a subdeployment: the parent thing group it stands in for
        request["parentTargetArn"] = parent_target_arn
    return request


def request_hash(request: Mapping[str, Any]) -> str:
    return content_hash(request)


def client_token(target_arn: str, content: str, live_deployment_id: str | None) -> str:
    """CreateDeployment's idempotency token: the same revision of the same parent, the same token.

    The live deployment id is part of it so that returning to an earlier content later (a
    revert) makes a new revision instead of being answered with the old deployment; and a
    retry after a crash, which sees the same live deployment, can never create a duplicate.
    """
    seed = f"{target_arn}|{content}|{live_deployment_id or '-'}"
    return hashlib.sha256(seed.encode()).hexdigest()  # 64 chars of [0-9a-f]: the API's maximum
