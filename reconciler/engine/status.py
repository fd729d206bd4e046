"""What the controller knows about itself and the fleet, for /status, /readyz and metrics.

One lock guards it; readers get plain-dict snapshots, never live references. Each group's
document is built once per change and shared by the snapshots until the group changes again
(at 10,000 groups /status and the dashboard would otherwise rebuild them all on every request):
readers must not modify what they get.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

from reconciler.core.rollouts import RolloutView


class SyncState(StrEnum):
    SYNCED = "Synced"
    OUT_OF_SYNC = "OutOfSync"  # changes planned but not applied (yet, or not allowed)
    DRIFTED = "Drifted"  # changed outside Git; selfHeal off
    FAILED = "Failed"
    PRUNED = "Pruned"
    PRUNING = "Pruning"  # `prune: uninstall`: its empty revision is rolling out, then cancelled
    UNKNOWN = "Unknown"  # the last cycle crashed before it could tell
    # Held back on purpose (the stop button, docs/controller.md "Stopping a group"): planned,
    # not applied; `TargetStatus.reason` says why.
    HALTED = "Halted"  # its latest revision was canceled outside Git
    SUSPENDED = "Suspended"  # `suspend` in the specs, or an operator's (reconciler suspend)
    ROLLED_BACK = "RolledBack"  # an operator's `reconciler rollback` stands
    WAITING = "Waiting"  # outside its sync window (Settings `syncWindows`)


# Per thing group, at most this many revisions and rollout samples are kept for the dashboard:
# a few hundred bytes each, so 10,000 groups stay within a few megabytes.
KEPT_REVISIONS = 10
KEPT_ROLLOUT_SAMPLES = 120


@dataclass(frozen=True)
class ChangeRecord:
    """A change the controller planned for a thing group: at which commit, by whom, and the
    plan's text for the group (the lines of the PR comment's diff block: secrets redacted)."""

    commit: str | None
    author: str | None = None
    subject: str | None = None
    at: float | None = None  # the commit's time (epoch seconds), else when it was planned
    plan_text: str = ""
    applied: bool = False  # a revision was created for it (else it is pending or refused)

    def to_json(self) -> dict[str, Any]:
        return {
            "commit": self.commit,
            "author": self.author,
            "subject": self.subject,
            "at": self.at,
            "applied": self.applied,
        }


@dataclass
class TargetStatus:
    thing_group: str
    sync: SyncState
    spec_file: str | None = None
    deployment_id: str | None = None
    revision_id: str | None = None
    last_error: str | None = None
    updated_at: float = field(default_factory=time.time)
    last_change: ChangeRecord | None = None
    reason: str | None = None  # why a held group is not applied (Halted...)


CANCELED_OUTSIDE_GIT = "canceled outside Git"


@dataclass(frozen=True)
class Hold:
    """Why the controller does not apply a planned group this cycle."""

    state: SyncState
    reason: str
    # Told once as a `halted` event when the group enters it; a Rollout's holds are not (their
    # reasons move with the gate's counts): the Rollout tells its halt once (engine/waves.py).
    announce: bool = True


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
        # For the dashboard: the revisions each group was given, and its rollout over time
        # (epoch seconds, succeeded, failed, pending), appended as the counts move.
        self._revisions: dict[str, deque[dict[str, Any]]] = {}
        self._samples: dict[str, deque[tuple[float, int, int, int]]] = {}
        # Each Rollout's phase, wave and reason (engine/waves.py), by name, as /status shows it.
        self._wave_rollouts: dict[str, dict[str, Any]] = {}
        # Each group's /status document, built when first asked for after it changed.
        self._documents: dict[str, dict[str, Any]] = {}
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
            self._documents.pop(status.thing_group, None)

    def target(self, thing_group: str) -> TargetStatus | None:
        with self._lock:
            current = self.targets.get(thing_group)
            # A shallow copy: its values (ChangeRecord included) are immutable.
            return None if current is None else replace(current)

    def replace_targets(self, statuses: list[TargetStatus]) -> None:
        with self._lock:
            self.targets = {s.thing_group: s for s in statuses}
            self._documents = {}
            self._revisions = {g: h for g, h in self._revisions.items() if g in self.targets}

    def mark_all_unknown(self, reason: str) -> tuple[str, ...]:
        """After a crashed cycle: no group is known to be in sync any more. Returns them."""
        with self._lock:
            for status in self.targets.values():
                status.sync = SyncState.UNKNOWN
                status.last_error = reason
                status.updated_at = time.time()
            self._documents = {}
            return tuple(sorted(self.targets))

    def record_revision(
        self, thing_group: str, *, deployment_id: str, change: ChangeRecord | None
    ) -> None:
        """A revision the controller created for the group (newest last)."""
        entry = {"deploymentId": deployment_id, **(change.to_json() if change else {})}
        with self._lock:
            history = self._revisions.setdefault(thing_group, deque(maxlen=KEPT_REVISIONS))
            history.append(entry)

    def set_rollout(self, thing_group: str, view: RolloutView, *, at: float | None = None) -> None:
        counts = view.devices
        sample = (at if at is not None else time.time(), counts.succeeded, counts.failures)
        with self._lock:
            earlier = self._rollouts.get(thing_group)
            self._rollouts[thing_group] = view
            self._documents.pop(thing_group, None)
            samples = self._samples.get(thing_group)
            if samples is None or earlier is None or earlier.deployment_id != view.deployment_id:
                samples = self._samples[thing_group] = deque(maxlen=KEPT_ROLLOUT_SAMPLES)
            point = (*sample, counts.pending)
            if not samples or samples[-1][1:] != point[1:]:
                samples.append(point)

    def set_wave_rollouts(self, documents: dict[str, dict[str, Any]]) -> None:
        """Every Rollout's document (`rollout_document`), replacing the earlier ones."""
        with self._lock:
            self._wave_rollouts = documents

    def wave_rollouts(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return dict(self._wave_rollouts)

    def keep_rollouts(self, thing_groups: Iterable[str]) -> None:
        keep = set(thing_groups)
        with self._lock:
            self._rollouts = {g: v for g, v in self._rollouts.items() if g in keep}
            self._samples = {g: v for g, v in self._samples.items() if g in keep}
            self._documents = {}

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

    def group_detail(self, thing_group: str) -> dict[str, Any] | None:
        """One group as `snapshot()` shows it, with what only its dashboard page shows: the
        plan text of its last change, its revisions, and its rollout's samples over time."""
        with self._lock:
            status = self.targets.get(thing_group)
            if status is None:
                return None
            document = dict(self._target_document(thing_group, status))
            change = status.last_change
            document["planText"] = change.plan_text if change else ""
            document["revisions"] = list(self._revisions.get(thing_group, ()))
            document["rolloutSamples"] = [list(s) for s in self._samples.get(thing_group, ())]
            return document

    def _target_document(self, name: str, s: TargetStatus) -> dict[str, Any]:
        document = self._documents.get(name)
        if document is None:
            document = self._documents[name] = self._build_document(name, s)
        return document

    def _build_document(self, name: str, s: TargetStatus) -> dict[str, Any]:
        return {
            "sync": s.sync.value,
            "specFile": s.spec_file,
            "deploymentId": s.deployment_id,
            "revisionId": s.revision_id,
            "rollout": (self._rollouts[name].to_json() if name in self._rollouts else None),
            "lastError": s.last_error,
            "reason": s.reason,
            "updatedAt": s.updated_at,
            "lastChange": s.last_change.to_json() if s.last_change else None,
        }

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
                    name: self._target_document(name, s) for name, s in sorted(self.targets.items())
                },
                "rollouts": dict(sorted(self._wave_rollouts.items())),
            }
