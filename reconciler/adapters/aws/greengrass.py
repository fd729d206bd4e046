"""The Greengrass v2 gateway: reads live state cheaply and performs the few writes of an apply.

Cost grows with what changed, not with history: one LATEST_ONLY sweep of ListDeployments names
every target's latest deployment, and GetDeployment runs only for ids not seen before. Deployment
content and recipes are immutable, so caching them by id (and by name+version) is always valid;
the deployment cache keeps only ids that are still latest, so it stays as large as the fleet.
"""

from __future__ import annotations

import base64
import json
import sys
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from reconciler.adapters.aws.calling import AwsCaller
from reconciler.adapters.aws.clients import AwsClients
from reconciler.adapters.cache import FactCache
from reconciler.concurrency import bounded_map
from reconciler.core.arns import PUBLIC_COMPONENT_ACCOUNT, component_arn, component_version_arn
from reconciler.core.interning import InternTable
from reconciler.core.live import (
    ComponentVersionRef,
    DeploymentSummary,
    LiveComponent,
    LiveDeployment,
)
from reconciler.errors import AwsNotFoundError, AwsValidationError

PAGE_SIZE = 100  # the service's maximum for ListDeployments / ListComponents
# CreateComponentVersion's words for an S3 artifact it cannot read (aws/aws-cli#6261).
UNREADABLE_ARTIFACT = "Specified artifact resource cannot be accessed"
DEPLOYMENT_FACT = "deployment"
RECIPE_FACT = "recipe"
# What of GetDeployment's answer never changes for a deploymentId (status, isLatestForTarget
# and the job's progress do). Tags can be changed by TagResource: like the in-process cache
# before it, the persistent one keeps the tags the revision was read or created with.
_DOCUMENT_FIELDS = (
    "deploymentId",
    "targetArn",
    "revisionId",
    "deploymentName",
    "components",
    "deploymentPolicies",
    "iotJobConfiguration",
    "tags",
    "parentTargetArn",
)


def _summary(item: dict[str, Any], *, latest_by_default: bool) -> DeploymentSummary:
    """One ListDeployments item. `isLatestForTarget` is absent from some answers: LATEST_ONLY
    listings hold only latest revisions, ALL listings may not."""
    return DeploymentSummary(
        deployment_id=item["deploymentId"],
        target_arn=item["targetArn"],
        revision_id=str(item.get("revisionId", "")),
        deployment_name=item.get("deploymentName", ""),
        status=item.get("deploymentStatus", ""),
        created_at=_epoch(item.get("creationTimestamp")),
        is_latest_for_target=bool(item.get("isLatestForTarget", latest_by_default)),
        parent_target_arn=item.get("parentTargetArn") or None,
    )


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value or 0.0)


class GreengrassGateway:
    """Greengrass v2 reads and writes for one account and region."""

    def __init__(
        self,
        clients: AwsClients,
        caller: AwsCaller,
        *,
        account: str,
        concurrency: int = 16,
        facts: FactCache | None = None,
    ) -> None:
        self._clients = clients
        self._caller = caller
        self.region = clients.settings.region
        self.account = account
        self.concurrency = concurrency
        self._deployments: dict[str, LiveDeployment] = {}
        self._shared = _SharedParts()
        self._recipes: dict[tuple[str, str, bool], dict[str, Any]] = {}
        self._lock = threading.Lock()
        self.facts = facts
        self._facts_written = 0

    @property
    def _client(self) -> Any:
        # The Greengrass client, created on first use (clients.py).
        return self._clients.greengrass

    # ----------------------------------------------------------------- deployments (reads)
    def latest_deployments(self, target_arn: str | None = None) -> dict[str, DeploymentSummary]:
        """Every target's latest deployment, keyed by target ARN (thing groups and things);
        with `target_arn`, only that target's (one call instead of a sweep of every page).

        A subdeployment (`parentTargetArn`) is its target group's latest deployment like any
        other: the planner compares its parent with the one the specs ask for. Should a listing
        ever name two latest deployments for one target, the newest is kept."""
        latest: dict[str, DeploymentSummary] = {}
        scope = {"targetArn": target_arn} if target_arn else {}
        for item in self._caller.paginate(
            self._client,
            "list_deployments",
            "deployments",
            historyFilter="LATEST_ONLY",
            maxResults=PAGE_SIZE,
            **scope,
        ):
            if item.get("parentTargetArn") and ":thinggroup/" not in str(item.get("targetArn")):
                continue  # a thing's share of a group deployment, not a target of ours
            # A subdeployment to a thing group (a Rollout's canary) is that group's latest.
            summary = _summary(item, latest_by_default=True)
            earlier = latest.get(summary.target_arn)
            if earlier is None or _revision_order(summary) > _revision_order(earlier):
                latest[summary.target_arn] = summary
        return latest

    def deployment_history(
        self, target_arn: str, parent_target_arn: str | None = None
    ) -> list[DeploymentSummary]:
        """Every revision of one target (ListDeployments ALL), newest revision first: its own
        deployments, or with `parent_target_arn` its subdeployments of that parent."""
        scope = {"parentTargetArn": parent_target_arn} if parent_target_arn else {}
        revisions = [
            _summary(item, latest_by_default=False)
            for item in self._caller.paginate(
                self._client,
                "list_deployments",
                "deployments",
                historyFilter="ALL",
                targetArn=target_arn,
                maxResults=PAGE_SIZE,
                **scope,
            )
            if item.get("targetArn") == target_arn
            and (item.get("parentTargetArn") or None) == parent_target_arn
        ]
        return sorted(revisions, key=_revision_order, reverse=True)

    def deployment(self, deployment_id: str) -> LiveDeployment:
        with self._lock:
            cached = self._deployments.get(deployment_id)
        if cached is not None:
            return cached
        raw = self._caller.call(self._client, "get_deployment", deploymentId=deployment_id)
        live = _live_deployment(raw, self._shared)
        self._remember_document(_document(raw))
        with self._lock:
            self._deployments[deployment_id] = live
        return live

    def cached_deployment(self, deployment_id: str) -> LiveDeployment | None:
        """The deployment if it is cached (no call)."""
        with self._lock:
            return self._deployments.get(deployment_id)

    def deployments(
        self,
        deployment_ids: Iterable[str],
        *,
        listed: Mapping[str, DeploymentSummary] | None = None,
    ) -> dict[str, LiveDeployment]:
        """Fetch many deployments concurrently (within the caller's rate limit).

        `listed` (by deployment id) is what a fresh ListDeployments said of them: a persistent
        cache entry is used only when it agrees with it (see `_agrees`)."""
        ids = sorted(set(deployment_ids))
        with self._lock:
            missing = [i for i in ids if i not in self._deployments]
        if missing and self.facts is not None:
            missing = [i for i in missing if not self._recall((listed or {}).get(i), i)]
        if missing:
            for _ in bounded_map(
                self.deployment, missing, workers=min(self.concurrency, len(missing))
            ):
                pass
        with self._lock:
            return {i: self._deployments[i] for i in ids}

    def forget_deployments_except(self, keep: Iterable[str]) -> None:
        """Drop cached deployments that are no longer latest anywhere (bounded memory)."""
        keep_set = set(keep)
        with self._lock:
            for deployment_id in [i for i in self._deployments if i not in keep_set]:
                del self._deployments[deployment_id]

    def cached_deployment_count(self) -> int:
        with self._lock:
            return len(self._deployments)

    def _recall(self, summary: DeploymentSummary | None, deployment_id: str) -> bool:
        """Take a deployment from the persistent cache; whether it was there and checked out."""
        assert self.facts is not None
        key = self._fact_key(deployment_id)
        document = self.facts.get(DEPLOYMENT_FACT, key)
        if document is None:
            return False
        if not isinstance(document, dict) or not _agrees(document, deployment_id, summary):
            # Well-formed but not what the service lists: a stale or altered entry. Read the
            # revision from the service (and overwrite the entry) instead of trusting it.
            self.facts.discard(DEPLOYMENT_FACT, key)
            return False
        try:
            live = _live_deployment(document, self._shared)
        except (KeyError, TypeError, AttributeError):
            self.facts.discard(DEPLOYMENT_FACT, key)
            return False
        with self._lock:
            self._deployments[deployment_id] = live
        return True

    def _remember_document(self, document: dict[str, Any]) -> None:
        if self.facts is None:
            return
        self.facts.put(DEPLOYMENT_FACT, self._fact_key(str(document["deploymentId"])), document)
        with self._lock:
            self._facts_written += 1

    def _fact_key(self, name: str) -> str:
        return f"{self.region}/{self.account}/{name}"

    def trim_facts(self) -> None:
        """Keep the persistent cache within its bound, once some entries were written."""
        with self._lock:
            written, self._facts_written = self._facts_written, 0
        if written and self.facts is not None:
            self.facts.trim()

    # ----------------------------------------------------------------- components (reads)
    def component_versions(self, name: str, *, public: bool) -> list[ComponentVersionRef]:
        account = PUBLIC_COMPONENT_ACCOUNT if public else self.account
        arn = component_arn(self.region, account, name)
        try:
            items = list(
                self._caller.paginate(
                    self._client,
                    "list_component_versions",
                    "componentVersions",
                    arn=arn,
                    maxResults=PAGE_SIZE,
                )
            )
        except AwsNotFoundError:
            return []  # no version of that component exists in this scope
        return [
            ComponentVersionRef(
                name=item["componentName"],
                version=item["componentVersion"],
                arn=item["arn"],
                public=public,
            )
            for item in items
        ]

    def private_component_names(self) -> list[str]:
        return sorted(
            item["componentName"]
            for item in self._caller.paginate(
                self._client, "list_components", "components", scope="PRIVATE", maxResults=PAGE_SIZE
            )
        )

    def recipe(self, name: str, version: str, *, public: bool) -> dict[str, Any]:
        """The recipe of name@version as a dict (JSON format), cached: versions are immutable."""
        key = (name, version, public)
        with self._lock:
            cached = self._recipes.get(key)
        if cached is not None:
            return cached
        account = PUBLIC_COMPONENT_ACCOUNT if public else self.account
        arn = component_version_arn(self.region, account, name, version)
        # Only public versions persist: a private version can be deleted and created again
        # with another recipe under the same ARN, so it is read once per process.
        persist = public and self.facts is not None
        recipe = self._recall_recipe(arn, name, version) if persist else None
        if recipe is None:
            raw = self._caller.call(
                self._client, "get_component", arn=arn, recipeOutputFormat="JSON"
            )
            recipe_bytes = raw["recipe"]
            if isinstance(recipe_bytes, str):  # botocore decodes blobs; a string is base64 text
                recipe_bytes = base64.b64decode(recipe_bytes)
            recipe = json.loads(recipe_bytes)
            if persist and self.facts is not None:
                self.facts.put(RECIPE_FACT, arn, recipe)
                with self._lock:
                    self._facts_written += 1
        assert recipe is not None
        with self._lock:
            self._recipes[key] = recipe
        return recipe

    def _recall_recipe(self, arn: str, name: str, version: str) -> dict[str, Any] | None:
        assert self.facts is not None
        recipe = self.facts.get(RECIPE_FACT, arn)
        if recipe is None:
            return None
        if (
            not isinstance(recipe, dict)
            or recipe.get("ComponentName") != name
            or recipe.get("ComponentVersion") != version
        ):
            self.facts.discard(RECIPE_FACT, arn)  # not the recipe of this ARN: read it again
            return None
        return recipe

    def describe_component_version(self, name: str, version: str) -> dict[str, Any]:
        arn = component_version_arn(self.region, self.account, name, version)
        return self._caller.call(self._client, "describe_component", arn=arn)

    # ----------------------------------------------------------------- writes
    def create_component_version(
        self, recipe: bytes, *, tags: Mapping[str, str], client_token: str
    ) -> dict[str, Any]:
        try:
            return self._caller.call(
                self._client,
                "create_component_version",
                inlineRecipe=recipe,
                tags=dict(tags),
                clientToken=client_token,
            )
        except AwsValidationError as error:
            if UNREADABLE_ARTIFACT not in str(error):
                raise
            # The service's message names the URIs but not what to check: say it (a bucket in
            # another region is the classic cause, aws/aws-cli#6261). Nothing was created.
            raise AwsValidationError(
                f"{error} — Greengrass reads every s3:// artifact when it creates the version: "
                f"the object must exist, in a bucket of {self.region}, readable by this account",
                code=error.code,
                operation=error.operation,
            ) from error

    def create_deployment(self, request: Mapping[str, Any]) -> dict[str, Any]:
        created = self._caller.call(self._client, "create_deployment", **request)
        # We know exactly what this immutable deployment holds: remember it, so the next
        # reconcile does not read back every revision it just created. Status and revision id
        # come from the next ListDeployments sweep.
        deployment_id = created.get("deploymentId")
        if deployment_id:
            content = {k: v for k, v in request.items() if k != "clientToken"}
            document = {
                **content,
                "deploymentId": str(deployment_id),
                "iotJobId": created.get("iotJobId"),
            }
            live = _live_deployment(document, self._shared)
            self._remember_document(_document(document))
            with self._lock:
                self._deployments[str(deployment_id)] = live
        return created

    def cancel_deployment(self, deployment_id: str) -> dict[str, Any]:
        return self._caller.call(self._client, "cancel_deployment", deploymentId=deployment_id)


def _revision_order(summary: DeploymentSummary) -> tuple[int, float]:
    revision = summary.revision_id
    return (int(revision) if revision.isdigit() else -1, summary.created_at)


class _SharedParts:
    """One object for equal parts of cached deployments.

    A fleet's deployments repeat themselves: the same components with the same configuration
    updates, the same policies, in thousands of groups. The cache keeps each distinct part once
    (about 3.4 KB per group before, at 10,000 groups). Components are held weakly, so they go
    with the last deployment that uses them; documents (policies, job configuration) are few,
    and the table starts over if a fleet ever has more than `max_documents` of them.
    """

    def __init__(self, max_documents: int = 1024) -> None:
        self._components: InternTable[LiveComponent] = InternTable(weak=True)
        self._documents: InternTable[Mapping[str, Any]] = InternTable(max_size=max_documents)

    def component(self, name: str, spec: Mapping[str, Any]) -> LiveComponent:
        made = LiveComponent(
            name=name,
            version=spec["componentVersion"],
            configuration_update=spec.get("configurationUpdate"),
            run_with=spec.get("runWith"),
        )
        key = json.dumps(
            [name, made.version, made.configuration_update, made.run_with], sort_keys=True
        )
        return self._components.intern(key, made)

    def document(self, value: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
        if value is None:
            return None
        key = json.dumps(value, sort_keys=True)
        return self._documents.intern(key, value)


def _document(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The immutable part of a deployment, as JSON (what the persistent cache keeps)."""
    document = {name: raw[name] for name in _DOCUMENT_FIELDS if raw.get(name) is not None}
    if raw.get("creationTimestamp") is not None:
        document["creationTimestamp"] = _epoch(raw["creationTimestamp"])
    return document


def _agrees(
    document: Mapping[str, Any], deployment_id: str, summary: DeploymentSummary | None
) -> bool:
    """Whether a cached document is the revision a fresh listing names: same id, target and
    name, and the same revision id and creation time where both sides know them (a document
    remembered at creation knows neither). A cheap check, not a proof: see docs/cache.md."""
    if document.get("deploymentId") != deployment_id or "targetArn" not in document:
        return False
    if summary is None:
        return True
    if document["targetArn"] != summary.target_arn:
        return False
    if document.get("deploymentName", "") != summary.deployment_name:
        return False
    revision = str(document.get("revisionId", ""))
    if revision and summary.revision_id and revision != summary.revision_id:
        return False
    created = float(document.get("creationTimestamp") or 0.0)
    return not (created and summary.created_at and abs(created - summary.created_at) > 0.001)


def _live_deployment(raw: Mapping[str, Any], shared: _SharedParts) -> LiveDeployment:
    # Names and tag keys repeat in every deployment of a fleet: one string each (interned).
    components = {
        sys.intern(name): shared.component(sys.intern(name), spec)
        for name, spec in sorted((raw.get("components") or {}).items())
    }
    return LiveDeployment(
        deployment_id=raw["deploymentId"],
        target_arn=raw["targetArn"],
        revision_id=str(raw.get("revisionId", "")),
        deployment_name=raw.get("deploymentName", ""),
        components=components,
        deployment_policies=shared.document(raw.get("deploymentPolicies")),
        iot_job_configuration=shared.document(raw.get("iotJobConfiguration")),
        tags={sys.intern(k): v for k, v in (raw.get("tags") or {}).items()},
        status=raw.get("deploymentStatus", ""),
        created_at=_epoch(raw.get("creationTimestamp")),
        iot_job_id=raw.get("iotJobId") or None,
        parent_target_arn=raw.get("parentTargetArn") or None,
    )
