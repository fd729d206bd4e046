"""Whole-deployment dependency check, before anything is created.

Within one thing group's revision, a pinned (root) component must satisfy every range that the
other components' recipes declare on it, and a dependency nobody pins must have some known
version inside all of those ranges at once. Only direct dependencies of the roots are checked:
their own dependencies are resolved by the service and the nucleus, as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from reconciler.core.live import ComponentVersionRef
from reconciler.core.plan import ComponentAction, TargetPlan
from reconciler.core.recipes import dependencies
from reconciler.core.versions import Requirement, satisfies, sort_versions


def dependency_problems(
    target: TargetPlan,
    recipe_of: Callable[[str, str], Mapping[str, Any] | None],
    known_versions: Mapping[str, tuple[ComponentVersionRef, ...]],
    extra_versions: Mapping[str, str],
) -> list[str]:
    """Conflicts in `target`'s desired revision, each naming components and ranges.

    `known_versions` lists existing versions of some names; `extra_versions` adds versions this
    plan creates (an override's new version) so that they count as available.
    """
    roots = {
        c.name: c.desired_version
        for c in target.components
        if c.action is not ComponentAction.REMOVE and c.desired_version is not None
    }
    wanted: dict[str, list[Requirement]] = {}
    for name, version in sorted(roots.items()):
        recipe = recipe_of(name, version)
        for dependency in dependencies(recipe or {}).values():
            wanted.setdefault(dependency.name, []).append(
                Requirement(f"{name}@{version}", dependency.requirement)
            )
    # Name the Deployment document first, as every other planning error does.
    where = f"{target.spec_file}: {target.thing_group}" if target.spec_file else target.thing_group
    problems: list[str] = []
    for name, requirements in sorted(wanted.items()):
        if name in roots:
            blocked = [r for r in requirements if not satisfies(roots[name], r.requirement)]
            if blocked:
                problems.append(
                    f"{where}: {name} {roots[name]} (pinned) does not satisfy "
                    + "; ".join(str(r) for r in blocked)
                )
            continue
        refs = known_versions.get(name)
        if refs is None:
            continue  # versions not listed: the service resolves and reports it
        candidates = {r.version for r in refs}
        if name in extra_versions:
            candidates.add(extra_versions[name])
        if not any(all(satisfies(v, r.requirement) for r in requirements) for v in candidates):
            problems.append(
                f"{where}: no version of {name} "
                f"(known: {', '.join(sort_versions(candidates)) or 'none'}) satisfies "
                + " and ".join(str(r) for r in requirements)
            )
    return problems
