"""What the planner will ask of the live state, so the engine reads exactly that and no more."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.core.live import LiveDeployment
from reconciler.core.plan import Plan, TargetAction
from reconciler.core.recipes import dependencies
from reconciler.core.specs.spec_set import SpecSet


@dataclass(frozen=True)
class LiveNeeds:
    # (name, version) whose recipe is needed: private first, else public.
    recipes: frozenset[tuple[str, str]]
    # Public recipes used as override templates.
    public_recipes: frozenset[tuple[str, str]]
    # Names whose public and private versions must be listed (overrides).
    version_lists: frozenset[str]
    # Private versions of repository components whose existence and tags must be known.
    private_versions: frozenset[tuple[str, str]]


def live_needs(spec_set: SpecSet, latest: Mapping[str, LiveDeployment]) -> LiveNeeds:
    custom = {(c.name, c.version) for c in spec_set.components}
    recipes: set[tuple[str, str]] = set()
    for deployment in spec_set.deployments:
        for component in deployment.components.values():
            if component.version is not None and (component.name, component.version) not in custom:
                recipes.add((component.name, component.version))
    targets = {spec_set.settings.target_arn(d.thing_group) for d in spec_set.deployments}
    targets.update(  # a Rollout's canary groups are planned too (their parent's revision)
        spec_set.settings.thing_group_arn(wave.canary.group)
        for rollout in spec_set.rollouts
        for wave in rollout.waves
        if wave.canary is not None
    )
    for arn, live in latest.items():
        if arn in targets:
            recipes.update((c.name, c.version) for c in live.components.values())
    recipes -= custom
    return LiveNeeds(
        recipes=frozenset(recipes),
        public_recipes=frozenset((o.name, o.base_version) for o in spec_set.overrides),
        version_lists=frozenset(o.name for o in spec_set.overrides),
        private_versions=frozenset(custom),
    )


def unpinned_dependencies(
    spec_set: SpecSet, recipe_of: Callable[[str, str], Mapping[str, Any] | None]
) -> frozenset[str]:
    """Names a Deployment's components depend on without the Deployment pinning them itself.

    Only these need their versions listed for the dependency check (`dependency_problems`): a
    pinned dependency is checked against its pin. A fleet that pins every dependency lists none.
    An override without a version is looked up by its base version (the same dependencies).
    """
    bases = {o.name: o.base_version for o in spec_set.overrides}
    needed: dict[tuple[str, str], frozenset[str]] = {}
    names: set[str] = set()
    for deployment in spec_set.deployments:
        for component in deployment.components.values():
            version = component.version or bases.get(component.name)
            if version is None:
                continue
            key = (component.name, version)
            if key not in needed:
                needed[key] = frozenset(dependencies(recipe_of(*key) or {}))
            names.update(needed[key].difference(deployment.components))
    return frozenset(names)


def device_count_needs(plan: Plan) -> frozenset[str]:
    """The thing groups whose devices a plan people read shows, counted after planning (the
    engine reads each group's things once, child groups included): its prune candidates (what
    pruning concerns) and the groups of the Rollouts its change goes through (the blast radius
    of each wave). Empty, so nothing is read, when the plan prunes nothing and changes no
    group of a Rollout."""
    prune = {t.thing_group for t in plan.targets if t.action is TargetAction.PRUNE}
    waves = {group for schedule in plan.schedules for group in schedule.thing_groups}
    return frozenset(prune | waves)
