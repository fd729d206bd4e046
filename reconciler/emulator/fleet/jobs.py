"""The IoT jobs that carry Greengrass deployments to devices, with one execution per device.

Shaped by botocore's `iot` model (Job, JobProcessDetails, JobExecution). A thing-group
deployment's job is CONTINUOUS (devices that join the group later get an execution and the job
stays IN_PROGRESS); a thing deployment's job is SNAPSHOT and COMPLETED once its execution ended.

- `jobExecutionsRolloutConfig`: at most `maximumPerMinute` devices are notified per minute;
  with `exponentialRate` the rate starts at `baseRatePerMinute` and is multiplied by
  `incrementFactor` each time `rateIncreaseCriteria` (notified or succeeded devices since the
  last increase) is met, never above `maximumPerMinute` (or 1,000, the service's maximum).
  Without a rollout configuration every device is notified at once.
- `abortConfig`: after each execution ends, a criterion is met when at least
  `minNumberOfExecutedThings` devices were notified and the executions of its `failureType`
  (FAILED, REJECTED, TIMED_OUT, or ALL three) are at least `thresholdPercentage` of them; the
  job is then canceled: QUEUED executions and devices not yet notified are CANCELED, executions
  IN_PROGRESS finish (a cancel without `force`).
- `timeoutConfig`: an execution IN_PROGRESS longer than `inProgressTimeoutInMinutes` is
  TIMED_OUT.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

QUEUED = "QUEUED"
IN_PROGRESS = "IN_PROGRESS"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
TIMED_OUT = "TIMED_OUT"
REJECTED = "REJECTED"
REMOVED = "REMOVED"
CANCELED = "CANCELED"
TERMINAL = frozenset({SUCCEEDED, FAILED, TIMED_OUT, REJECTED, REMOVED, CANCELED})
JOB_IN_PROGRESS = "IN_PROGRESS"
JOB_CANCELED = "CANCELED"
JOB_COMPLETED = "COMPLETED"
MAX_RATE_PER_MINUTE = 1000
_COUNT_FIELDS = {
    CANCELED: "numberOfCanceledThings",
    SUCCEEDED: "numberOfSucceededThings",
    FAILED: "numberOfFailedThings",
    REJECTED: "numberOfRejectedThings",
    QUEUED: "numberOfQueuedThings",
    IN_PROGRESS: "numberOfInProgressThings",
    REMOVED: "numberOfRemovedThings",
    TIMED_OUT: "numberOfTimedOutThings",
}


@dataclass(slots=True)
class Execution:
    thing_arn: str
    status: str
    queued_at: float
    updated_at: float
    started_at: float | None = None
    version: int = 1
    details: dict[str, str] | None = None

    def summary(self) -> dict[str, Any]:
        return _without_none(
            {
                "status": self.status,
                "queuedAt": self.queued_at,
                "startedAt": self.started_at,
                "lastUpdatedAt": self.updated_at,
                "executionNumber": 1,
            }
        )


@dataclass
class Job:
    job_id: str
    arn: str
    deployment_id: str
    target_arn: str
    continuous: bool
    created: float
    configuration: dict[str, Any]
    updated: float = 0.0
    status: str = JOB_IN_PROGRESS
    completed: float | None = None
    executions: dict[str, Execution] = field(default_factory=dict)  # by thing name
    pending: deque[str] = field(default_factory=deque)  # devices not notified yet
    counts: Counter[str] = field(default_factory=Counter)
    notified: int = 0
    rate: int | None = None  # devices per minute (None: no limit)
    since_increase: int = 0
    comment: str | None = None
    reason_code: str | None = None
    release_scheduled: bool = False

    def __post_init__(self) -> None:
        self.updated = self.created
        rollout = self.configuration.get("jobExecutionsRolloutConfig") or {}
        exponential = rollout.get("exponentialRate")
        if exponential:
            self.rate = int(exponential["baseRatePerMinute"])
        elif rollout.get("maximumPerMinute"):
            self.rate = int(rollout["maximumPerMinute"])

    # -- executions ---------------------------------------------------------------------------

    def notify(self, thing: str, thing_arn: str, now: float) -> Execution:
        execution = Execution(thing_arn, QUEUED, now, now)
        self.executions[thing] = execution
        self.counts[QUEUED] += 1
        self.notified += 1
        self.updated = now
        self._maybe_increase("numberOfNotifiedThings")
        return execution

    def move(
        self, thing: str, status: str, now: float, details: dict[str, str] | None = None
    ) -> None:
        execution = self.executions[thing]
        if execution.status in TERMINAL:
            return
        self.counts[execution.status] -= 1
        self.counts[status] += 1
        execution.status = status
        execution.updated_at = now
        execution.version += 1
        if status == IN_PROGRESS:
            execution.started_at = now
        if details is not None:
            execution.details = details
        self.updated = now
        if status == SUCCEEDED:
            self._maybe_increase("numberOfSucceededThings")
        if (
            self.status == JOB_IN_PROGRESS
            and not self.continuous
            and not self.pending
            and all(e.status in TERMINAL for e in self.executions.values())
        ):
            self.status = JOB_COMPLETED
            self.completed = now

    def cancel(self, now: float, comment: str | None = None, reason: str | None = None) -> None:
        """Cancel the job: QUEUED executions and devices not yet notified are canceled."""
        if self.status != JOB_IN_PROGRESS:
            return
        self.status = JOB_CANCELED
        self.comment = comment
        self.reason_code = reason
        self.pending.clear()
        for thing, execution in self.executions.items():
            if execution.status == QUEUED:
                self.move(thing, CANCELED, now)
        self.updated = now
        self.completed = now

    # -- rollout and abort --------------------------------------------------------------------

    def releasable(self) -> int:
        """How many pending devices may be notified in this minute."""
        return len(self.pending) if self.rate is None else min(self.rate, len(self.pending))

    def abort_due(self) -> bool:
        criteria = (self.configuration.get("abortConfig") or {}).get("criteriaList") or []
        for criterion in criteria:
            kind = criterion.get("failureType")
            kinds = (FAILED, REJECTED, TIMED_OUT) if kind == "ALL" else (kind,)
            failures = sum(self.counts[k] for k in kinds)
            minimum = int(criterion.get("minNumberOfExecutedThings") or 1)
            if self.notified >= minimum and failures * 100.0 >= (
                float(criterion.get("thresholdPercentage", 100)) * self.notified
            ):
                return True
        return False

    def timeout_seconds(self) -> float | None:
        minutes = (self.configuration.get("timeoutConfig") or {}).get("inProgressTimeoutInMinutes")
        return float(minutes) * 60.0 if minutes else None

    def _maybe_increase(self, criterion: str) -> None:
        rollout = self.configuration.get("jobExecutionsRolloutConfig") or {}
        exponential = rollout.get("exponentialRate")
        if not exponential or self.rate is None:
            return
        needed = (exponential.get("rateIncreaseCriteria") or {}).get(criterion)
        if not needed:
            return
        self.since_increase += 1
        if self.since_increase >= int(needed):
            self.since_increase = 0
            ceiling = int(rollout.get("maximumPerMinute") or MAX_RATE_PER_MINUTE)
            factor = float(exponential.get("incrementFactor") or 1)
            self.rate = min(ceiling, max(self.rate + 1, math.ceil(self.rate * factor)))

    # -- shapes of the iot model --------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        details = {name: self.counts[status] for status, name in _COUNT_FIELDS.items()}
        job: dict[str, Any] = {
            "jobArn": self.arn,
            "jobId": self.job_id,
            "targetSelection": "CONTINUOUS" if self.continuous else "SNAPSHOT",
            "status": self.status,
            "forceCanceled": False if self.status == JOB_CANCELED else None,
            "comment": self.comment,
            "reasonCode": self.reason_code,
            "targets": [self.target_arn],
            "description": f"Greengrass deployment {self.deployment_id}",
            "createdAt": self.created,
            "lastUpdatedAt": self.updated,
            "completedAt": self.completed,
            "jobProcessDetails": details,
            "isConcurrent": False,
        }
        for key in ("jobExecutionsRolloutConfig", "abortConfig", "timeoutConfig"):
            if self.configuration.get(key):
                job[key] = self.configuration[key]
        return {"job": _without_none(job)}

    def execution(self, thing: str) -> dict[str, Any] | None:
        found = self.executions.get(thing)
        if found is None:
            return None
        document = {
            "jobId": self.job_id,
            **found.summary(),
            "thingArn": found.thing_arn,
            "versionNumber": found.version,
            "forceCanceled": False if found.status == CANCELED else None,
            "statusDetails": {"detailsMap": found.details} if found.details else None,
        }
        return {"execution": _without_none(document)}


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
