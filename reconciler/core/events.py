"""What the controller tells the outside world happened: the events notifications carry.

The engine produces `Event`s (a revision applied, a rollout that ended, drift, a failed cycle,
and progress of a rollout for Git feedback); adapters deliver them (chat and JSON webhooks,
SNS/EventBridge, GitHub commit statuses and deployments). The engine depends only on the
`EventPublisher` protocol, so delivering can never block or break reconciling.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from reconciler.core.configuration import JsonValue


class EventKind(StrEnum):
    APPLIED = "applied"
    ROLLOUT_PROGRESSED = "rolloutProgressed"  # for Git feedback; not sent to chat by default
    ROLLOUT_SUCCEEDED = "rolloutSucceeded"
    ROLLOUT_FAILED = "rolloutFailed"
    DRIFT_DETECTED = "driftDetected"
    CYCLE_FAILED = "cycleFailed"
    HALTED = "halted"  # a group the controller holds back (canceled outside Git...), once
    ROLLOUT_HALTED = "rolloutHalted"  # a Rollout's wave failed its gate: later waves wait, once


@dataclass(frozen=True)
class Event:
    kind: EventKind
    summary: str  # one human line, e.g. "CameraFleetProd: 37/120 devices took revision 4"
    thing_group: str | None = None
    commit: str | None = None  # the Git commit the change came from, when known
    deployment_id: str | None = None
    revision_id: str | None = None
    # Structured facts for machines (device counts, failing devices, field diff), redacted.
    details: Mapping[str, JsonValue] = field(default_factory=dict)
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class EventPublisher(Protocol):
    """Accepts events. Implementations must return at once and never raise."""

    def publish(self, event: Event) -> None: ...


class NoEventPublisher:
    """The default when no sink is configured: events are dropped."""

    def publish(self, event: Event) -> None:
        del event
