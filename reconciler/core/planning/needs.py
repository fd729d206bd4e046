"""What the planner will ask of the live state, so the engine reads exactly that and no more."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.core.live import LiveDeployment
from reconciler.core.specs.resolved import SpecSet


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
    targets = {spec_set.settings.thing_group_arn(d.thing_group) for d in spec_set.deployments}
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
