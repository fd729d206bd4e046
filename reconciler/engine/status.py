"""What the controller knows about itself and the fleet, for /status, /readyz and metrics.

One lock guards it; readers get plain-dict snapshots, never live references.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from reconciler.core.rollouts import RolloutView


class SyncState(StrEnum):
    SYNCED = "Synced"
    OUT_OF_SYNC = "OutOfSync"  # changes planned but not applied (yet, or not allowed)
    DRIFTED = "Drifted"  # changed outside Git; selfHeal off
    FAILED = "Failed"
    PRUNED = "Pruned"
    # Held back on purpose (the stop button, docs/controller.md "Stopping a group"): planned,
    # not applied; `TargetStatus.reason` says why.
    HALTED = "Halted"  # its latest revision was canceled outside Git
    SUSPENDED = "Suspended"  # `suspend` in the specs, or an operator's (reconciler suspend)
    ROLLED_BACK = "RolledBack"  # an operator's `reconciler rollback` stands


@dataclass
class TargetStatus:
    thing_group: str
    sync: SyncState
    spec_file: str | None = None
    deployment_id: str | None = None
    revision_id: str | None = None
    last_error: str | None = None
    updated_at: float = field(default_factory=time.time)
    reason: str | None = None  # why a held group is not applied (Halted...)


CANCELED_OUTSIDE_GIT = "canceled outside Git"


@dataclass(frozen=True)
class Hold:
    """Why the controller does not apply a planned group this cycle."""

    state: SyncState
    reason: str


@dataclass
class ErrorRecord:
    message: str
    commit: str | None
    at: float


class ControllerStatus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.ready = False
        self.leader = False
        self.source: str = ""
        self.last_seen_commit: str | None = None
        self.last_applied_commit: str | None = None
        self.last_success_at: float | None = None
        self.last_error: ErrorRecord | None = None
        self.cycles = 0
        self.targets: dict[str, TargetStatus] = {}
        # Written by the rollout follower alone (the cycle owns `targets`): each writer replaces
        # whole values under the lock, nobody reads-modifies-writes the other's part.
        self._rollouts: dict[str, RolloutView] = {}
        self.heartbeat = time.monotonic()

    def update(self, **fields: Any) -> None:
        with self._lock:
            for name, value in fields.items():
                setattr(self, name, value)

    def record_cycle(self) -> None:
        with self._lock:
            self.cycles += 1
            self.heartbeat = time.monotonic()

    def beat(self) -> None:
        with self._lock:
            self.heartbeat = time.monotonic()

    def seconds_since_beat(self) -> float:
        with self._lock:
            return time.monotonic() - self.heartbeat

    def set_target(self, status: TargetStatus) -> None:
        with self._lock:
            self.targets[status.thing_group] = status

    def target(self, thing_group: str) -> TargetStatus | None:
        with self._lock:
            current = self.targets.get(thing_group)
            return None if current is None else TargetStatus(**asdict(current))

    def replace_targets(self, statuses: list[TargetStatus]) -> None:
        with self._lock:
            self.targets = {s.thing_group: s for s in statuses}

    def set_rollout(self, thing_group: str, view: RolloutView) -> None:
        with self._lock:
            self._rollouts[thing_group] = view

    def keep_rollouts(self, thing_groups: Iterable[str]) -> None:
        keep = set(thing_groups)
        with self._lock:
            self._rollouts = {g: v for g, v in self._rollouts.items() if g in keep}

    def rollout(self, thing_group: str) -> RolloutView | None:
        with self._lock:
            return self._rollouts.get(thing_group)  # immutable: safe to hand out

    def rollouts(self) -> dict[str, RolloutView]:
        with self._lock:
            return dict(self._rollouts)

    def counts(self) -> dict[str, int]:
        with self._lock:
            counts = {state.value: 0 for state in SyncState}
            for status in self.targets.values():
                counts[status.sync.value] += 1
            return counts

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "ready": self.ready,
                "leader": self.leader,
                "source": self.source,
                "lastSeenCommit": self.last_seen_commit,
                "lastAppliedCommit": self.last_applied_commit,
                "lastSuccessAt": self.last_success_at,
                "lastError": asdict(self.last_error) if self.last_error else None,
                "cycles": self.cycles,
                "targets": {
                    name: {
                        "sync": s.sync.value,
                        "specFile": s.spec_file,
                        "deploymentId": s.deployment_id,
                        "revisionId": s.revision_id,
                        "rollout": (
                            self._rollouts[name].to_json() if name in self._rollouts else None
                        ),
                        "lastError": s.last_error,
                        "reason": s.reason,
                        "updatedAt": s.updated_at,
                    }
                    for name, s in sorted(self.targets.items())
                },
            }
