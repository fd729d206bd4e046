"""What the account looks like after a plan is applied, built from the plan alone.

This plays the parts of `Applier` and the service that matter to the next plan: each changed
thing group's latest deployment becomes the plan's CreateDeployment request with our
provenance tags (the service echoes the request back), and each component version the plan
creates exists with our content-hash tag, listed among the private versions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from reconciler.core.arns import component_version_arn
from reconciler.core.live import (
    ComponentVersionRef,
    LiveComponent,
    LiveDeployment,
    LiveState,
    RecipeRecord,
)
from reconciler.core.plan import Plan, TargetAction, TargetPlan
from reconciler.core.provenance import provenance_tags


def deployment_from_request(
    target: TargetPlan, *, instance: str, commit: str | None, deployment_id: str
) -> LiveDeployment:
    """The revision CreateDeployment makes from `target.request`, as GetDeployment returns it."""
    assert target.request is not None and target.content_hash is not None
    request: Mapping[str, Any] = target.request
    tags = {
        **dict(request.get("tags") or {}),
        **provenance_tags(
            instance=instance,
            content_hash=target.content_hash,
            commit=commit,
            spec=target.spec_file,
        ),
    }
    components = {
        name: LiveComponent(
            name=name,
            version=str(entry["componentVersion"]),
            configuration_update=entry.get("configurationUpdate"),
            run_with=entry.get("runWith"),
        )
        for name, entry in request["components"].items()
    }
    return LiveDeployment(
        deployment_id=deployment_id,
        target_arn=str(request["targetArn"]),
        revision_id=str(int(target.live_revision_id or "0") + 1),
        deployment_name=str(request["deploymentName"]),
        components=components,
        deployment_policies=request.get("deploymentPolicies"),
        iot_job_configuration=request.get("iotJobConfiguration"),
        tags=tags,
    )


def after_apply(
    plan: Plan, live: LiveState, *, instance: str, commit: str | None, region: str, account: str
) -> LiveState:
    """`live` with every change of `plan` applied (prune candidates included)."""
    latest = dict(live.latest)
    for number, target in enumerate(plan.targets):
        if target.action is TargetAction.PRUNE:
            latest[target.target_arn] = replace(latest[target.target_arn], status="CANCELED")
        elif target.action is not TargetAction.NOOP:
            latest[target.target_arn] = deployment_from_request(
                target, instance=instance, commit=commit, deployment_id=f"d-applied-{number}"
            )
    listings = {name: list(refs) for name, refs in live.component_versions.items()}
    tags = dict(live.private_version_tags)
    recipes = dict(live.recipes)
    for version in plan.versions_to_create:
        recipes[(version.name, version.version)] = RecipeRecord(version.recipe, public=False)
        tags[(version.name, version.version)] = provenance_tags(
            instance=instance, content_hash=version.content_hash, commit=commit, spec=None
        )
        listings.setdefault(version.name, []).append(
            ComponentVersionRef(
                name=version.name,
                version=version.version,
                arn=component_version_arn(region, account, version.name, version.version),
                public=False,
            )
        )
    return LiveState(
        latest=latest,
        recipes=recipes,
        component_versions={name: tuple(refs) for name, refs in listings.items()},
        private_version_tags=tags,
    )
