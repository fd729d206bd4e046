"""Suspensions: a group (or every group) planned but not applied, for a reason, maybe until a time.

A suspension comes from the specs (`suspend: {reason, until}` on a Deployment, a base or the
Settings' defaults) or from an operator (`reconciler suspend`, or the controller's HTTP API),
who records it outside Git (see the engine's suspension store). Either kind ends by itself at
`until`: an expired suspension is simply no longer active, nothing has to remove it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

ALL_GROUPS = "*"
"""The key of an operator's suspension of every group (`reconciler suspend --all`)."""


def parse_instant(text: str) -> datetime:
    """An ISO 8601 date-time with a timezone (`2026-12-24T18:00:00Z`, `...+01:00`).

    Raises ValueError, with what was wrong, for anything else: a time without a zone would mean
    a different instant on the controller than in the author's head."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is not an ISO 8601 date-time (e.g. 2026-12-24T18:00:00Z)"
        ) from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{text!r} has no timezone: add Z (UTC) or an offset such as +01:00")
    return value.astimezone(UTC)


def format_instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Suspension:
    reason: str
    until: datetime | None = None  # None: until resumed (or removed from the specs)
    origin: str = "operator"  # "operator", or the spec file:line that says it
    since: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.until is None or now < self.until

    def describe(self) -> str:
        until = f" until {format_instant(self.until)}" if self.until else ""
        return f"suspended by {self.origin}{until}: {self.reason}"

    def to_json(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "until": format_instant(self.until) if self.until else None,
            "origin": self.origin,
            "since": format_instant(self.since) if self.since else None,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Suspension:
        until, since = value.get("until"), value.get("since")
        return cls(
            reason=str(value.get("reason") or ""),
            until=parse_instant(until) if isinstance(until, str) else None,
            origin=str(value.get("origin") or "operator"),
            since=parse_instant(since) if isinstance(since, str) else None,
        )


def active_suspension(
    group: str,
    in_specs: Suspension | None,
    by_operator: Mapping[str, Suspension],
    now: datetime,
) -> Suspension | None:
    """The suspension that holds `group` at `now`, if any: the specs' first, then an operator's
    of the group, then an operator's of every group."""
    for candidate in (in_specs, by_operator.get(group), by_operator.get(ALL_GROUPS)):
        if candidate is not None and candidate.active(now):
            return candidate
    return None


@dataclass(frozen=True)
class RollbackRecord:
    """An operator's `reconciler rollback`: the content hash of the revision it creates
    (`content_hash`, recorded before it is created, so no cycle can see the revision without
    the record), its id once created, and the content hash of the revision it replaced
    (`replaced_hash`: what the specs asked then). The controller leaves the group `RolledBack`
    while a revision with `content_hash` is live and the specs still ask what it replaced; a
    commit that changes the group, or specs that match the rollback, end it."""

    content_hash: str
    deployment_id: str
    to_revision: str
    from_revision: str
    replaced_hash: str | None
    at: datetime

    def describe(self) -> str:
        return (
            f"rolled back by operator from revision {self.from_revision} to the content of "
            f"revision {self.to_revision} at {format_instant(self.at)}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "contentHash": self.content_hash,
            "deploymentId": self.deployment_id,
            "toRevision": self.to_revision,
            "fromRevision": self.from_revision,
            "replacedHash": self.replaced_hash,
            "at": format_instant(self.at),
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> RollbackRecord:
        replaced = value.get("replacedHash")
        return cls(
            content_hash=str(value["contentHash"]),
            deployment_id=str(value["deploymentId"]),
            to_revision=str(value["toRevision"]),
            from_revision=str(value["fromRevision"]),
            replaced_hash=str(replaced) if replaced else None,
            at=parse_instant(str(value["at"])),
        )
