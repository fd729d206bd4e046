"""Planning: turn the specs and the live state into a `Plan` (pure, deterministic).

needs = live_needs(spec_set, latest)        # what the engine must read
plan = plan_deployments(spec_set, live, instance=..., commit=...)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core.arns import thing_group_name
from reconciler.core.live import LiveState
from reconciler.core.plan import Plan, TargetAction, TargetPlan
from reconciler.core.planning.components import resolve_repository_components
from reconciler.core.planning.dependencies import dependency_problems
from reconciler.core.planning.needs import LiveNeeds, live_needs
from reconciler.core.planning.targets import RecipeLookup, TargetPlanningError, plan_target
from reconciler.core.provenance import is_managed
from reconciler.core.recipes import dependencies
from reconciler.core.specs.resolved import SpecSet
from reconciler.errors import PlanError

__all__ = ["LiveNeeds", "live_needs", "plan_deployments"]


def _override_warnings(
    spec_set: SpecSet,
    targets: list[TargetPlan],
    recipe_of: RecipeLookup,
    versions: Mapping[str, str],
) -> list[str]:
    """An override is account-wide: say which groups get it without naming it."""
    warnings = []
    for override in spec_set.overrides:
        version = versions.get(override.name)
        if version is None:
            continue
        for target in targets:
            names = {c.name for c in target.components}
            if override.name in names:
                continue
            through = sorted(
                f"{c.name}@{c.desired_version}"
                for c in target.components
                if c.desired_version
                and override.name in dependencies(recipe_of(c.name, c.desired_version) or {})
            )
            if through:
                warnings.append(
                    f"{target.thing_group} will also get {override.name} {version} (the override) "
                    f"through {', '.join(through)}; pin {override.name} in its spec to keep the "
                    "public version"
                )
    return warnings


def plan_deployments(
    spec_set: SpecSet,
    live: LiveState,
    *,
    instance: str,
    commit: str | None = None,
    specs_path: str | None = None,
) -> Plan:
    """The plan that brings every thing group of `spec_set` to its desired revision.

    Raises `PlanError` listing every problem found (all of them, not the first).
    """
    repo = resolve_repository_components(spec_set, live)
    errors = list(repo.errors)

    def recipe_of(name: str, version: str) -> Mapping[str, Any] | None:
        own = repo.recipes.get((name, version))
        if own is not None:
            return own
        record = live.recipes.get((name, version))
        return record.recipe if record is not None else None

    targets: list[TargetPlan] = []
    settings = spec_set.settings
    for spec in spec_set.deployments:
        arn = settings.thing_group_arn(spec.thing_group)
        try:
            target = plan_target(
                spec,
                target_arn=arn,
                live=live.latest.get(arn),
                versions=repo.versions,
                recipe_of=recipe_of,
                instance=instance,
            )
        except TargetPlanningError as error:
            errors.append(str(error))
            continue
        if target.has_changes:
            errors.extend(
                dependency_problems(target, recipe_of, live.component_versions, repo.versions)
            )
        targets.append(target)
    if errors:
        raise PlanError("\n".join(errors))
    wanted = {t.target_arn for t in targets}
    for arn, deployment in sorted(live.latest.items()):
        group = thing_group_name(arn)
        if (
            group is not None
            and arn not in wanted
            and deployment.status != "CANCELED"
            and is_managed(deployment.tags, instance)
        ):
            targets.append(
                TargetPlan(
                    thing_group=group,
                    target_arn=arn,
                    action=TargetAction.PRUNE,
                    live_deployment_id=deployment.deployment_id,
                    live_revision_id=deployment.revision_id,
                    live_managed=True,
                    warnings=("no spec targets this group any more",),
                )
            )
    return Plan(
        targets=tuple(targets),
        component_versions=repo.plans,
        warnings=tuple(_override_warnings(spec_set, targets, recipe_of, repo.versions)),
        commit=commit,
        specs_path=specs_path,
    )
