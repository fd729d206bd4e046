"""Component versions: the record the service keeps for each, and a store of them.

A version is created REQUESTED and becomes DEPLOYABLE once `ready_at` has passed: the state is
derived from the clock on every read, so no background thread is needed and a restarted emulator
agrees. Unreadable artifacts refuse the creation itself (a ValidationException, as the service
answers), so new versions never turn FAILED; `final_state` and `errors` keep the FAILED
versions that state files of earlier emulator versions hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import semantic_version

from reconciler.emulator.greengrass.recipes import Recipe, recipe_from_document

REQUESTED = "REQUESTED"
DEPLOYABLE = "DEPLOYABLE"
FAILED = "FAILED"


@dataclass
class ComponentVersion:
    arn: str
    name: str
    version: str
    account: str
    region: str
    created: float
    recipe: Recipe
    ready_at: float
    final_state: str = DEPLOYABLE
    errors: dict[str, str] = field(default_factory=dict)
    semver: semantic_version.Version = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.semver = semantic_version.Version(self.version)

    @property
    def public(self) -> bool:
        return self.account == "aws"

    def state(self, now: float) -> str:
        return REQUESTED if now < self.ready_at else self.final_state

    def status(self, now: float) -> dict[str, Any]:
        """The `CloudComponentStatus` of the service."""
        state = self.state(now)
        status: dict[str, Any] = {"componentState": state, "vendorGuidance": "ACTIVE"}
        if state == FAILED:
            status["message"] = "One or more artifacts of the component cannot be accessed"
            status["errors"] = dict(self.errors)
        elif state == REQUESTED:
            status["message"] = "The component version is being processed"
            status["errors"] = {}
        else:
            status["message"] = "NONE"
            status["errors"] = {}
        return status

    def to_record(self) -> dict[str, Any]:
        return {
            "arn": self.arn,
            "account": self.account,
            "region": self.region,
            "created": self.created,
            "recipe": self.recipe.document,
            "readyAt": self.ready_at,
            "finalState": self.final_state,
            "errors": self.errors,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ComponentVersion:
        recipe = recipe_from_document(record["recipe"])
        return cls(
            arn=record["arn"],
            name=recipe.name,
            version=recipe.version,
            account=record["account"],
            region=record["region"],
            created=record["created"],
            recipe=recipe,
            ready_at=record["readyAt"],
            final_state=record["finalState"],
            errors=dict(record["errors"]),
        )


def newest_first(version: ComponentVersion) -> tuple[Any, ...]:
    """Sort key that orders versions from the highest semantic version down."""
    v = version.semver
    return (-v.major, -v.minor, -v.patch, 1 if v.prerelease else 0, version.version)


class ComponentStore:
    """The versions of one account's components in one region, by name then version."""

    def __init__(self) -> None:
        self._by_name: dict[str, dict[str, ComponentVersion]] = {}

    def put(self, version: ComponentVersion) -> None:
        self._by_name.setdefault(version.name, {})[version.version] = version

    def get(self, name: str, version: str) -> ComponentVersion | None:
        return self._by_name.get(name, {}).get(version)

    def delete(self, name: str, version: str) -> None:
        versions = self._by_name.get(name, {})
        versions.pop(version, None)
        if not versions:
            self._by_name.pop(name, None)

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def versions(self, name: str) -> list[ComponentVersion]:
        """Every version of `name`, highest first."""
        return sorted(self._by_name.get(name, {}).values(), key=newest_first)

    def latest(self, name: str) -> ComponentVersion | None:
        versions = self.versions(name)
        return versions[0] if versions else None

    def all(self) -> list[ComponentVersion]:
        return [v for versions in self._by_name.values() for v in versions.values()]

    def clear(self) -> None:
        self._by_name.clear()
