"""Resolve components and their dependency closure the way the Greengrass nucleus does.

For each component, pick the highest available version that satisfies every requirement placed
on it (by the caller and by the recipes of the versions chosen so far); repeat until the choice
is stable. There is no backtracking: like the nucleus, a component whose requirements no version
satisfies is a conflict, reported with each requirer and its range.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import semantic_version

from reconciler.emulator.greengrass.components import ComponentVersion

MAX_ROUNDS = 64


@dataclass(frozen=True)
class Requirement:
    requirer: str
    range: str
    spec: semantic_version.NpmSpec

    def describe(self) -> str:
        return f"{self.requirer} requires '{self.range}'"


class UnknownComponentError(Exception):
    """No version of the component exists (for this platform)."""

    def __init__(self, name: str, required_by: list[Requirement]) -> None:
        who = ", ".join(r.requirer for r in required_by) or "the request"
        super().__init__(f"Component {name} (required by {who}) has no deployable version")
        self.name = name


class ResolutionConflictError(Exception):
    """Versions exist, but none satisfies every requirement on the component."""

    def __init__(self, name: str, requirements: list[Requirement], available: list[str]) -> None:
        wanted = "; ".join(r.describe() for r in requirements)
        offered = ", ".join(available)
        super().__init__(
            f"No version of component {name} satisfies all requirements: {wanted}. "
            f"Available versions: {offered}"
        )
        self.name = name
        self.requirements = requirements


def resolve(
    roots: Mapping[str, list[Requirement]],
    candidates: Callable[[str], list[ComponentVersion]],
) -> dict[str, ComponentVersion]:
    """Map every component of the closure of `roots` to its chosen version.

    `candidates(name)` returns the usable versions of a component, highest first.
    """
    chosen: dict[str, ComponentVersion] = {}
    for _ in range(MAX_ROUNDS):
        requirements = _requirements(roots, chosen)
        picked: dict[str, ComponentVersion] = {}
        for name, wanted in requirements.items():
            versions = candidates(name)
            if not versions:
                raise UnknownComponentError(name, wanted)
            pick = next((v for v in versions if all(r.spec.match(v.semver) for r in wanted)), None)
            if pick is None:
                raise ResolutionConflictError(name, wanted, [v.version for v in versions])
            picked[name] = pick
        if _same(picked, chosen):
            return picked
        chosen = picked
    raise ResolutionConflictError(  # pragma: no cover - needs a pathological catalog
        next(iter(roots), "?"), [], ["(the resolution did not settle)"]
    )


def _requirements(
    roots: Mapping[str, list[Requirement]], chosen: Mapping[str, ComponentVersion]
) -> dict[str, list[Requirement]]:
    """The requirements on every component reachable from the roots through `chosen`."""
    requirements = {name: list(wanted) for name, wanted in roots.items()}
    queue = list(roots)
    seen: set[str] = set()
    while queue:
        name = queue.pop(0)
        if name in seen:
            continue
        seen.add(name)
        version = chosen.get(name)
        if version is None:
            continue
        for dependency in version.recipe.dependencies:
            requirement = Requirement(name, dependency.requirement, dependency.spec)
            requirements.setdefault(dependency.name, []).append(requirement)
            queue.append(dependency.name)
    return requirements


def _same(a: Mapping[str, ComponentVersion], b: Mapping[str, ComponentVersion]) -> bool:
    return a.keys() == b.keys() and all(a[name].arn == b[name].arn for name in a)
