"""Following each revision to the devices, within the follow-up budget.

The reconciler hands the follower every revision it creates (`track`) and, after each plan,
the managed revisions it found live (`adopt`: this is how state comes back after a restart,
from ListDeployments, the reconciler's tags and DescribeJob). A scheduler calls `poll()`; it
reads the rollouts that are due (one DescribeJob each, more only when counts moved), derives
their state with the pure rules of `reconciler.core.rollouts`, writes the group's rollout in the
controller status (its one writer) and publishes events. A revision is followed until its state
is terminal, or it is superseded, or its `rolloutTimeoutMinutes` passed; polls back off as it
ages (`poll_interval`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import structlog

from reconciler.adapters.aws.rollouts import RolloutReader
from reconciler.core.events import Event, EventKind, EventPublisher, NoEventPublisher
from reconciler.core.provenance import COMMIT
from reconciler.core.rollouts import (
    DeviceCounts,
    FailingDevice,
    JobFacts,
    RolloutPolicy,
    RolloutState,
    RolloutView,
    poll_interval,
    rollout_state,
)
from reconciler.engine.status import ControllerStatus
from reconciler.errors import ReconcilerError

log = structlog.get_logger("reconciler.rollouts")

# One poll round never runs longer than this: the rest stays due for the next round, so a
# restart that adopts 10,000 revisions does not hold the scheduler's thread for half an hour.
ROUND_SECONDS = 30.0


@dataclass
class _Followed:
    """One revision being followed, and what the follower observed of it so far."""

    thing_group: str
    deployment_id: str
    reader: RolloutReader
    events: EventPublisher
    policy: RolloutPolicy
    commit: str | None
    revision_id: str | None
    job_id: str | None
    tracked_at: float
    adopted: bool  # found live (e.g. after a restart), not created by this process
    next_poll: float = 0.0
    started_at: float | None = None  # the rollout's start on the follower's clock
    view: RolloutView | None = None
    members: int | None = None  # the group's things, read when nothing is pending
    members_for: DeviceCounts | None = None  # the counts `members` was read at
    failing: tuple[FailingDevice, ...] = ()
    unhealthy: int = 0
    following: bool = True
    polls: int = field(default=0)


@dataclass(frozen=True)
class RolloutEnd:
    """A rollout this follower saw end (for the rollouts counter)."""

    thing_group: str
    state: RolloutState


class RolloutFollower:
    """Follows the latest managed revision of each thing group; thread-safe."""

    def __init__(
        self,
        status: ControllerStatus,
        *,
        clock: Callable[[], float] = time.time,
        round_seconds: float = ROUND_SECONDS,
    ) -> None:
        self._status = status
        self._clock = clock
        self._round_seconds = round_seconds
        self._followed: dict[str, _Followed] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    # ------------------------------------------------------------------ what to follow
    def track(
        self,
        reader: RolloutReader,
        *,
        thing_group: str,
        deployment_id: str,
        policy: RolloutPolicy,
        commit: str | None,
        revision_id: str | None = None,
        job_id: str | None = None,
        events: EventPublisher | None = None,
    ) -> None:
        """Follow a revision this process just created; it replaces (supersedes) the group's
        previous one."""
        now = self._clock()
        entry = _Followed(
            thing_group=thing_group,
            deployment_id=deployment_id,
            reader=reader,
            events=events or NoEventPublisher(),
            policy=policy,
            commit=commit,
            revision_id=revision_id,
            job_id=job_id,
            tracked_at=now,
            adopted=False,
            next_poll=now,
            started_at=now,
        )
        with self._lock:
            self._followed[thing_group] = entry
        self._status.set_rollout(
            thing_group,
            RolloutView(
                state=RolloutState.PROGRESSING,
                revision_id=revision_id or "",
                deployment_id=deployment_id,
                devices=DeviceCounts(),
                since=now,
                commit=commit,
            ),
            at=now,
        )

    def adopt(
        self,
        reader: RolloutReader,
        found: Iterable[AdoptedRevision],
        *,
        events: EventPublisher | None = None,
    ) -> None:
        """Follow the managed revisions found live that are not followed yet (read once, then
        followed while they are not terminal); refresh the policy of those already followed."""
        now = self._clock()
        with self._lock:
            for revision in found:
                current = self._followed.get(revision.thing_group)
                if current is not None and current.deployment_id == revision.deployment_id:
                    current.policy = revision.policy
                    current.revision_id = current.revision_id or revision.revision_id
                    continue
                if current is not None and not current.adopted and current.view is None:
                    continue  # created by this process and not read yet: keep ours
                self._followed[revision.thing_group] = _Followed(
                    thing_group=revision.thing_group,
                    deployment_id=revision.deployment_id,
                    reader=reader,
                    events=events or NoEventPublisher(),
                    policy=revision.policy,
                    commit=revision.commit,
                    revision_id=revision.revision_id,
                    job_id=revision.job_id,
                    tracked_at=now,
                    adopted=True,
                    next_poll=now,
                )

    def forget_except(self, thing_groups: Iterable[str]) -> None:
        """Stop following, and stop showing, groups no spec targets any more."""
        keep = set(thing_groups)
        with self._lock:
            gone = [group for group in self._followed if group not in keep]
            for group in gone:
                del self._followed[group]
        self._status.keep_rollouts(keep)

    @property
    def following(self) -> int:
        """Revisions still followed (not terminal, not timed out)."""
        with self._lock:
            return sum(1 for entry in self._followed.values() if entry.following)

    def next_due(self) -> float | None:
        """When the next poll is due (follower clock), None when nothing is followed."""
        with self._lock:
            due = [e.next_poll for e in self._followed.values() if e.following]
        return min(due) if due else None

    # ------------------------------------------------------------------ polling
    def stop(self) -> None:
        """Stop following: a round in progress ends after its current read, quietly (the
        controller is shutting down, and AWS or the emulator may already be gone)."""
        self._stopped.set()

    def poll(self, *, due_only: bool = True) -> list[RolloutEnd]:
        """Read the rollouts that are due (all followed ones with `due_only=False`, as
        `reconciler status --watch` does at its own interval), oldest due first, for at most
        one round."""
        started = self._clock()
        with self._lock:
            due = sorted(
                (
                    e
                    for e in self._followed.values()
                    if e.following and (e.next_poll <= started or not due_only)
                ),
                key=lambda e: e.next_poll,
            )
        ended: list[RolloutEnd] = []
        for entry in due:
            if self._stopped.is_set() or self._clock() - started > self._round_seconds:
                break
            with self._lock:
                if self._followed.get(entry.thing_group) is not entry:
                    continue  # superseded by a newer revision while we waited
            try:
                end = self._poll_one(entry)
            except ReconcilerError as error:
                if self._stopped.is_set():
                    break
                age = self._age(entry)
                entry.next_poll = self._clock() + poll_interval(age)
                entry.following = age < entry.policy.timeout_seconds
                log.warning(
                    "rollout unreadable",
                    group=entry.thing_group,
                    deployment=entry.deployment_id,
                    error=str(error),
                )
                continue
            if end is not None:
                ended.append(end)
        return ended

    def _age(self, entry: _Followed) -> float:
        started = entry.started_at if entry.started_at is not None else entry.tracked_at
        return max(0.0, self._clock() - started)

    def _poll_one(self, entry: _Followed) -> RolloutEnd | None:
        reader = entry.reader
        superseded = False
        if entry.job_id is None or not entry.revision_id:
            facts = reader.deployment(entry.deployment_id)
            entry.job_id, entry.revision_id = facts.iot_job_id, facts.revision_id
            entry.commit = entry.commit or facts.tags.get(COMMIT)
            if entry.job_id is None:
                raise _NoJobError(f"deployment {entry.deployment_id} has no IoT job")
        assert entry.job_id is not None
        job = reader.job(entry.job_id)
        now = self._clock()
        entry.polls += 1
        if entry.started_at is None:
            # Adopted: the job says how old the rollout is (never in the future of our clock).
            entry.started_at = min(job.created_at or now, now)
        if job.canceled:
            superseded = not reader.deployment(entry.deployment_id).is_latest
        counts = job.counts
        previous = entry.view
        moved = previous is None or previous.devices != counts
        if moved:
            if counts.failures > len(entry.failing) and len(entry.failing) < reader.failing_sample:
                entry.failing = reader.failing_devices(
                    job_id=entry.job_id,
                    deployment_id=entry.deployment_id,
                    counts=counts,
                    known=entry.failing,
                )
            entry.unhealthy = reader.unhealthy_devices(entry.thing_group)
        # The group's members make an end or a failure share certain (a job counts only the
        # devices notified so far): read when nothing is pending, and once failures appear.
        looks_done = counts.pending == 0 and entry.members_for != counts
        first_failures = counts.failures > 0 and entry.members is None
        if not job.canceled and (looks_done or first_failures):
            entry.members, entry.members_for = reader.group_members(entry.thing_group), counts
        members = entry.members
        if counts.pending == 0 and entry.members_for != counts:
            members = None  # read with other counts: no end is certain yet
        state = rollout_state(job, entry.policy, superseded=superseded, members=members)
        age = self._age(entry)
        timed_out = not state.terminal and age >= entry.policy.timeout_seconds
        entry.following = not state.terminal and not timed_out
        view = RolloutView(
            state=state,
            revision_id=entry.revision_id or "",
            deployment_id=entry.deployment_id,
            devices=counts,
            failing=entry.failing,
            unhealthy=entry.unhealthy,
            since=_since(job, state, previous),
            following=entry.following,
            commit=entry.commit,
        )
        entry.view = view
        entry.next_poll = now + poll_interval(age)
        with self._lock:
            if self._followed.get(entry.thing_group) is not entry:
                return None  # a newer revision replaced it while we read
            self._status.set_rollout(entry.thing_group, view, at=now)
        if timed_out:
            log.info(
                "rollout no longer followed: rolloutTimeout passed",
                group=entry.thing_group,
                deployment=entry.deployment_id,
                pending=counts.pending,
            )
        return self._announce(entry, previous, view)

    def _announce(
        self, entry: _Followed, previous: RolloutView | None, view: RolloutView
    ) -> RolloutEnd | None:
        # An adopted revision already ended before we saw it: it was announced (or could not
        # be) by the process that followed it, and a restart must not repeat notifications.
        first_sight_of_an_end = previous is None and entry.adopted and view.state.terminal
        if first_sight_of_an_end or view.state is RolloutState.SUPERSEDED:
            return None
        changed = previous is None or previous.devices != view.devices
        if not view.state.terminal:
            if changed:
                self._publish(entry, EventKind.ROLLOUT_PROGRESSED, view)
            return None
        if previous is not None and previous.state is view.state:
            return None
        kind = (
            EventKind.ROLLOUT_SUCCEEDED
            if view.state in (RolloutState.SUCCEEDED, RolloutState.DEGRADED)
            else EventKind.ROLLOUT_FAILED
        )
        self._publish(entry, kind, view)
        log.info(
            "rollout ended",
            group=entry.thing_group,
            deployment=entry.deployment_id,
            state=view.state.value,
            succeeded=view.devices.succeeded,
            failed=view.devices.failures,
            total=view.devices.total,
        )
        return RolloutEnd(entry.thing_group, view.state)

    def _publish(self, entry: _Followed, kind: EventKind, view: RolloutView) -> None:
        entry.events.publish(
            Event(
                kind=kind,
                summary=view.summary(entry.thing_group),
                thing_group=entry.thing_group,
                commit=entry.commit,
                deployment_id=entry.deployment_id,
                revision_id=view.revision_id or None,
                details=view.to_json(),
            )
        )


@dataclass(frozen=True)
class AdoptedRevision:
    """A managed revision found live, to follow."""

    thing_group: str
    deployment_id: str
    revision_id: str | None
    job_id: str | None
    commit: str | None
    policy: RolloutPolicy


class _NoJobError(ReconcilerError):
    """GetDeployment named no IoT job (a deployment still being created)."""


def _since(job: JobFacts, state: RolloutState, previous: RolloutView | None) -> float:
    """When the rollout entered `state`: its start while progressing, else the job's last
    update when the end was first seen (stable across polls and restarts)."""
    if previous is not None and previous.state is state and previous.since:
        return previous.since
    if state is RolloutState.PROGRESSING:
        return job.created_at
    return job.updated_at or job.created_at
