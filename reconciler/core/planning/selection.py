"""Which thing groups a change of the specs reaches: the selection of `plan --changed-since`.

A group is selected when its resolved desired state differs between the two spec sets (its own
file, a base it extends, or the Settings' defaults: they are already merged into it), when it
uses a repository component or an override that changed, or when the Settings changed (every
group). Groups that had a spec before and have none now are returned apart: they are prune
candidates. Where a file sits and on which line is not desired state and never selects a group.
The rule errs on the side of selecting more: an override changes which version a dependency
resolves to anywhere in the fleet, so a changed override selects every group.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from reconciler.core.recipes import dependencies
from reconciler.core.specs.located import SourceLocation
from reconciler.core.specs.spec_set import CustomComponent, DeploymentSpec, SpecSet


@dataclass(frozen=True)
class SpecChanges:
    """`groups`: thing groups with a spec now whose plan may differ; `removed`: thing groups
    that had a spec and have none now; `reason`: one line saying why, for the reader."""

    groups: frozenset[str]
    removed: frozenset[str]
    reason: str


def changed_thing_groups(before: SpecSet | None, after: SpecSet) -> SpecChanges:
    """The groups of `after` that a change from `before` reaches (`before` None: no specs)."""
    every = frozenset(d.thing_group for d in after.deployments)
    if before is None:
        return SpecChanges(every, frozenset(), "no specs at the base: every thing group")
    removed = frozenset(d.thing_group for d in before.deployments) - every
    if _plain(before.settings) != _plain(after.settings):
        return SpecChanges(every, removed, "the Settings changed: every thing group")
    overrides = _changed_names(before.overrides, after.overrides)
    if overrides:
        return SpecChanges(
            every,
            removed,
            f"override {', '.join(sorted(overrides))} changed: every thing group",
        )
    components = _reaching(
        _changed_names(before.components, after.components),
        [*before.components, *after.components],
    )
    old = {d.thing_group: d for d in before.deployments}
    groups = frozenset(
        d.thing_group
        for d in after.deployments
        if _differs(old.get(d.thing_group), d) or components.intersection(d.components)
    )
    reason = f"{len(groups)} thing group(s) changed, {len(removed)} removed"
    if components:
        reason += f" (components changed: {', '.join(sorted(components))})"
    return SpecChanges(groups, removed, reason)


def group_changed(before: SpecSet | None, after: SpecSet | None, thing_group: str) -> bool:
    """Whether what the specs ask of `thing_group` differs between `before` and `after`
    (None: no specs): its resolved spec (Settings' defaults and bases merged in), or a
    repository component or override it uses. Stricter than `changed_thing_groups`, which
    selects every group on any Settings or override change: `rollback --revert-pr` reverts
    only the commits that changed this group."""
    old = before.deployment_for(thing_group) if before else None
    new = after.deployment_for(thing_group) if after else None
    if old is None or new is None:
        return (old is None) != (new is None)
    if _differs(old, new):
        return True
    assert before is not None and after is not None  # both have the group
    used = set(old.components) | set(new.components)
    changed = _changed_names(before.components, after.components) | _changed_names(
        before.overrides, after.overrides
    )
    reached = _reaching(changed, [*before.components, *after.components])
    return bool(reached & used)


def _differs(before: DeploymentSpec | None, after: DeploymentSpec) -> bool:
    if before is None:
        return True
    # Equal fingerprints (which the planner computes anyway) mean equal specs, locations
    # included: the common case, decided without walking the spec.
    return before.fingerprint != after.fingerprint and _plain(before) != _plain(after)


def _changed_names(before: Iterable[Any], after: Iterable[Any]) -> set[str]:
    def by_name(items: Iterable[Any]) -> dict[str, list[Any]]:
        named: dict[str, list[Any]] = {}
        for item in items:
            named.setdefault(item.name, []).append(_plain(item))
        return {name: sorted(values, key=repr) for name, values in named.items()}

    old, new = by_name(before), by_name(after)
    return {name for name in old.keys() | new.keys() if old.get(name) != new.get(name)}


def _reaching(changed: set[str], components: list[CustomComponent]) -> set[str]:
    """`changed` and every repository component that depends on one of them, transitively."""
    reached = set(changed)
    while True:
        more = {
            c.name
            for c in components
            if c.name not in reached and reached.intersection(dependencies(c.recipe))
        }
        if not more:
            return reached
        reached |= more


def _plain(value: Any) -> Any:
    """A comparable copy of a resolved spec value without its source locations."""
    if isinstance(value, SourceLocation):
        return None
    if is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            tuple((f.name, _plain(getattr(value, f.name))) for f in fields(value)),
        )
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _plain(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_plain(v) for v in value)
    return repr(value)
