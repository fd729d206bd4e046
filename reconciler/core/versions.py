"""Semantic versions and npm-style ranges, as Greengrass recipes and the nucleus use them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import semantic_version

Bump = Literal["patch", "minor"]


def parse_version(text: str) -> semantic_version.Version:
    return semantic_version.Version(text)


# A plan checks the same few (version, range) pairs for every thing group, and parsing an npm
# range is the expensive part (a fifth of planning 1,000 new groups): remember the answers.
# Both arguments are immutable strings and the answer depends on nothing else; invalid input
# still raises every time (lru_cache does not remember exceptions).
@lru_cache(maxsize=4096)
def satisfies(version: str, requirement: str) -> bool:
    """Whether `version` meets an npm-style `requirement` (`~2.1.0`, `>=2.1.0 <2.2.0`, `^1.6`)."""
    return bool(semantic_version.NpmSpec(requirement).match(parse_version(version)))


def highest(versions: Iterable[str]) -> str | None:
    parsed = sorted(parse_version(v) for v in versions)
    return str(parsed[-1]) if parsed else None


def sort_versions(versions: Iterable[str]) -> list[str]:
    return [str(v) for v in sorted({parse_version(v) for v in versions})]


@dataclass(frozen=True)
class Requirement:
    """`dependant` (name@version) requires `requirement` of some component."""

    dependant: str
    requirement: str

    def __str__(self) -> str:
        return f"{self.dependant} requires '{self.requirement}'"


class NoVersionFitsError(ValueError):
    """No version can be chosen; the message names the requirements that rule it out."""


def next_override_version(
    *,
    base_version: str,
    bump: Bump,
    existing: Iterable[str],
    requirements: Iterable[Requirement],
) -> str:
    """The version to publish an override of a public component under.

    It must be new (component versions are immutable), above every existing version of the same
    line (else the nucleus, which picks the highest version satisfying a range, would not pick
    the override), and inside every dependant's range. Patch bumps stay on the base's minor line;
    minor bumps open the next minor line.
    """
    base = parse_version(base_version)
    known = {parse_version(v) for v in existing}
    if bump == "patch":
        line = [v for v in known if (v.major, v.minor) == (base.major, base.minor)]
        start = max([base, *line])
        candidate = start.next_patch()
    else:
        line = [v for v in known if v.major == base.major]
        start = max([base, *line])
        candidate = start.next_minor()
    blocked = [r for r in requirements if not satisfies(str(candidate), r.requirement)]
    if blocked:
        raise NoVersionFitsError(
            f"the next {bump} version {candidate} is outside "
            + "; ".join(str(r) for r in blocked)
            + (" (try bump: patch)" if bump == "minor" else "")
        )
    return str(candidate)
