"""Rollout truth: what a deployment revision did on the devices, and how often to ask.

On AWS a thing-group deployment stays ACTIVE for as long as it is its group's latest revision,
so `deploymentStatus` says nothing about the devices. Their answer is in the deployment's IoT
job: DescribeJob's `jobProcessDetails` counts the job executions by status (one call per
revision, whatever the fleet's size). These pure rules turn those counts, and a few facts about
the job, into a rollout state; the engine follows, the adapters read.

States:

- `Progressing`: devices are still queued (offline devices are pending, never failures) or
  applying, and the failures so far are within the threshold.
- `Succeeded`: every targeted device that reported took the revision, none is pending.
- `Degraded`: nothing is pending, some devices failed, at most `failureThresholdPercentage` of
  the targeted devices.
- `Failed`: more than the threshold failed (as soon as that is certain: failed executions are
  final), or the job was aborted by its `abortConfig`.
- `Superseded`: a newer revision of the group replaced it before it ended.
- `Canceled`: it was canceled (CancelDeployment, or the console) and no newer revision exists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from reconciler.core.configuration import JsonValue


class RolloutState(StrEnum):
    PROGRESSING = "Progressing"
    SUCCEEDED = "Succeeded"
    DEGRADED = "Degraded"
    FAILED = "Failed"
    SUPERSEDED = "Superseded"
    CANCELED = "Canceled"

    @property
    def terminal(self) -> bool:
        return self is not RolloutState.PROGRESSING


# The gauge value of each state in Prometheus (greengrass_reconciler_rollout_state): ordered so
# that "higher is worse" among the states a team acts on.
STATE_GAUGE_VALUES: Mapping[RolloutState, int] = {
    RolloutState.SUCCEEDED: 0,
    RolloutState.PROGRESSING: 1,
    RolloutState.DEGRADED: 2,
    RolloutState.FAILED: 3,
    RolloutState.SUPERSEDED: 4,
    RolloutState.CANCELED: 5,
}

# DescribeJob's jobProcessDetails member for each count (botocore `iot` model, JobProcessDetails).
_PROCESS_DETAIL_FIELDS: Mapping[str, str] = {
    "queued": "numberOfQueuedThings",
    "inProgress": "numberOfInProgressThings",
    "succeeded": "numberOfSucceededThings",
    "failed": "numberOfFailedThings",
    "timedOut": "numberOfTimedOutThings",
    "rejected": "numberOfRejectedThings",
    "canceled": "numberOfCanceledThings",
    "removed": "numberOfRemovedThings",
}

# The job execution statuses that mean "this device did not take the revision".
FAILURE_EXECUTION_STATUSES = ("FAILED", "TIMED_OUT", "REJECTED")

DEFAULT_FAILURE_THRESHOLD_PERCENTAGE = 10.0
DEFAULT_ROLLOUT_TIMEOUT_MINUTES = 24 * 60


@dataclass(frozen=True)
class DeviceCounts:
    """Job executions of one revision by status; `total` counts every execution."""

    queued: int = 0
    in_progress: int = 0
    succeeded: int = 0
    failed: int = 0
    timed_out: int = 0
    rejected: int = 0
    canceled: int = 0
    removed: int = 0

    @classmethod
    def from_process_details(cls, details: Mapping[str, Any] | None) -> DeviceCounts:
        """From DescribeJob's `jobProcessDetails` (absent members count 0)."""
        values = details or {}

        def count(key: str) -> int:
            raw = values.get(_PROCESS_DETAIL_FIELDS[key])
            return int(raw) if isinstance(raw, int | float) and raw > 0 else 0

        return cls(
            queued=count("queued"),
            in_progress=count("inProgress"),
            succeeded=count("succeeded"),
            failed=count("failed"),
            timed_out=count("timedOut"),
            rejected=count("rejected"),
            canceled=count("canceled"),
            removed=count("removed"),
        )

    @property
    def total(self) -> int:
        return (
            self.queued
            + self.in_progress
            + self.succeeded
            + self.failed
            + self.timed_out
            + self.rejected
            + self.canceled
            + self.removed
        )

    @property
    def pending(self) -> int:
        """Devices that may still take the revision (offline ones stay QUEUED)."""
        return self.queued + self.in_progress

    @property
    def failures(self) -> int:
        return self.failed + self.timed_out + self.rejected

    @property
    def targeted(self) -> int:
        """Devices the revision is for: a device that left the group (REMOVED) is not."""
        return self.total - self.removed

    def to_json(self) -> dict[str, int]:
        return {
            "queued": self.queued,
            "inProgress": self.in_progress,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "timedOut": self.timed_out,
            "rejected": self.rejected,
            "canceled": self.canceled,
            "removed": self.removed,
            "total": self.total,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> DeviceCounts:
        return cls(
            queued=int(value.get("queued", 0)),
            in_progress=int(value.get("inProgress", 0)),
            succeeded=int(value.get("succeeded", 0)),
            failed=int(value.get("failed", 0)),
            timed_out=int(value.get("timedOut", 0)),
            rejected=int(value.get("rejected", 0)),
            canceled=int(value.get("canceled", 0)),
            removed=int(value.get("removed", 0)),
        )


@dataclass(frozen=True)
class RolloutPolicy:
    """A Deployment's `rolloutPolicy`, defaults filled in."""

    failure_threshold_percentage: float = DEFAULT_FAILURE_THRESHOLD_PERCENTAGE
    rollout_timeout_minutes: int = DEFAULT_ROLLOUT_TIMEOUT_MINUTES

    @property
    def timeout_seconds(self) -> float:
        return self.rollout_timeout_minutes * 60.0


@dataclass(frozen=True)
class JobFacts:
    """What DescribeJob says about the job besides its counts."""

    status: str  # IN_PROGRESS | CANCELED | COMPLETED | DELETION_IN_PROGRESS | SCHEDULED
    counts: DeviceCounts
    rate_limited: bool = False  # the job has a jobExecutionsRolloutConfig
    abort_criteria: tuple[Mapping[str, Any], ...] = ()  # abortConfig.criteriaList
    created_at: float = 0.0
    updated_at: float = 0.0

    @property
    def canceled(self) -> bool:
        return self.status in ("CANCELED", "DELETION_IN_PROGRESS")


def abort_criteria_met(criteria: Sequence[Mapping[str, Any]], counts: DeviceCounts) -> bool:
    """Whether an `abortConfig` criterion holds for these counts, as IoT evaluates it: at least
    `minNumberOfExecutedThings` devices notified and the executions of the criterion's
    `failureType` (ALL: failed, rejected, timed out) at least `thresholdPercentage` of them."""
    notified = counts.total
    by_type = {
        "FAILED": counts.failed,
        "REJECTED": counts.rejected,
        "TIMED_OUT": counts.timed_out,
        "ALL": counts.failures,
    }
    for criterion in criteria:
        failures = by_type.get(str(criterion.get("failureType", "ALL")), 0)
        minimum = int(criterion.get("minNumberOfExecutedThings") or 1)
        threshold = float(criterion.get("thresholdPercentage", 100))
        if notified >= minimum and failures > 0 and failures * 100.0 >= threshold * notified:
            return True
    return False


def over_threshold(counts: DeviceCounts, threshold_percentage: float, members: int) -> bool:
    """More than `threshold_percentage` of the devices the revision targets failed: the
    executions so far, or the group's `members` when more (devices not notified yet)."""
    targeted = max(counts.targeted, members, 1)
    return counts.failures * 100.0 > threshold_percentage * targeted


def rollout_state(
    job: JobFacts,
    policy: RolloutPolicy,
    *,
    superseded: bool = False,
    members: int | None = None,
) -> RolloutState:
    """The state of a revision from its job. `superseded`: a newer revision of the group
    exists. `members`: the things in the group, as read with these counts (None: unknown).

    DescribeJob counts only the executions created so far: a job with a
    `jobExecutionsRolloutConfig` notifies devices batch by batch, and a new job creates its
    executions over a moment. Without `members` neither an end nor a failure share is
    certain, so the rollout stays Progressing (a job its abortConfig canceled is Failed)."""
    counts = job.counts
    if job.canceled and abort_criteria_met(job.abort_criteria, counts):
        return RolloutState.FAILED
    if members is not None and over_threshold(counts, policy.failure_threshold_percentage, members):
        return RolloutState.FAILED
    if superseded:
        return RolloutState.SUPERSEDED
    if job.canceled:
        return RolloutState.CANCELED
    if counts.pending > 0 or members is None or members > counts.targeted:
        return RolloutState.PROGRESSING
    return RolloutState.DEGRADED if counts.failures else RolloutState.SUCCEEDED


# Poll intervals by the rollout's age: devices report within seconds of a revision, stragglers
# (offline devices, slow rollouts) over hours. (age below, seconds between polls)
POLL_SCHEDULE: tuple[tuple[float, float], ...] = (
    (5 * 60.0, 15.0),
    (30 * 60.0, 30.0),
    (2 * 3600.0, 60.0),
    (12 * 3600.0, 300.0),
)
SLOWEST_POLL_SECONDS = 900.0


def poll_interval(age_seconds: float) -> float:
    """Seconds until the next poll of a rollout `age_seconds` old (never shorter as it ages)."""
    for below, interval in POLL_SCHEDULE:
        if age_seconds < below:
            return interval
    return SLOWEST_POLL_SECONDS


def follow_up_rate(rate_limit: float, share: float) -> float:
    """The calls per second following rollouts may use: `share` of the client's rate, so the
    reconcile cycles always keep the rest."""
    if not 0 < share <= 1:
        raise ValueError("the rollout budget share must be in (0, 1]")
    return rate_limit * share


@dataclass(frozen=True)
class FailingDevice:
    """A device that did not take the revision, with what its nucleus reported."""

    device: str
    status: str  # the job execution's status: FAILED, TIMED_OUT, REJECTED
    error_types: tuple[str, ...] = ()
    error_stack: tuple[str, ...] = ()
    reason: str | None = None

    @property
    def top_error(self) -> str | None:
        """The most specific code: the last of the nucleus's error stack."""
        if self.error_stack:
            return self.error_stack[-1]
        if self.error_types:
            return self.error_types[0]
        return self.reason

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "device": self.device,
            "status": self.status,
            "errorTypes": list(self.error_types),
            "errorStack": list(self.error_stack),
            "reason": self.reason,
        }


def top_error(failing: Sequence[FailingDevice]) -> str | None:
    """The most frequent error code among the sampled failing devices (ties: alphabetical)."""
    codes: dict[str, int] = {}
    for device in failing:
        code = device.top_error
        if code:
            codes[code] = codes.get(code, 0) + 1
    if not codes:
        return None
    return min(codes, key=lambda code: (-codes[code], code))


@dataclass(frozen=True)
class RolloutView:
    """A group's rollout as /status, `reconciler status` and the events show it."""

    state: RolloutState
    revision_id: str
    deployment_id: str
    devices: DeviceCounts
    failing: tuple[FailingDevice, ...] = ()
    unhealthy: int = 0
    since: float = 0.0  # when it entered this state (epoch seconds, from the job's timestamps)
    following: bool = True  # False once it is terminal or its rolloutTimeout passed
    commit: str | None = None

    def to_json(self) -> dict[str, JsonValue]:
        """The stable shape of `targets[GROUP].rollout` (docs/controller-endpoints.md)."""
        return {
            "state": self.state.value,
            "revisionId": self.revision_id,
            "deploymentId": self.deployment_id,
            "devices": dict(self.devices.to_json()),
            "failing": [device.to_json() for device in self.failing],
            "unhealthy": self.unhealthy,
            "since": self.since,
            "following": self.following,
            "topError": top_error(self.failing),
        }

    def summary(self, thing_group: str) -> str:
        """One human line, e.g. `CameraFleetProd: 37/120 devices took revision 4 (Progressing)`."""
        counts = self.devices
        line = (
            f"{thing_group}: {counts.succeeded}/{counts.targeted} devices took revision "
            f"{self.revision_id or '?'} ({self.state.value})"
        )
        if counts.failures:
            error = top_error(self.failing)
            line += f", {counts.failures} failed" + (f" ({error})" if error else "")
        return line
