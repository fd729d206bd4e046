"""The events a reconcile cycle publishes: revisions applied, drift found, cycles failed.

Kept apart from the cycle itself: what to tell, once, and in which words. Publishing never
blocks nor raises (`EventPublisher`); repeats are held back here, so that a failure or a drift
that lasts is told once, not on every poll:
- `driftDetected` once per drifted live deployment of a group (again if it drifts anew);
- `cycleFailed` when a cycle fails with another message than the failed cycle before it (a
  new commit, another error); a successful cycle re-arms it.
"""

from __future__ import annotations

import threading

from reconciler.core.configuration import JsonValue
from reconciler.core.drift import drift_details
from reconciler.core.events import Event, EventKind, EventPublisher
from reconciler.core.plan import Plan
from reconciler.core.specs import SpecSet
from reconciler.engine.applying import ApplyReport, Outcome


def _short(commit: str | None) -> str:
    return (commit or "?")[:12]


class CycleNotices:
    def __init__(self, events: EventPublisher) -> None:
        self._events = events
        self._lock = threading.Lock()
        self._last_failure: str | None = None
        self._drift_told: dict[str, str | None] = {}  # group -> live deployment id told

    def applied(self, report: ApplyReport, events: EventPublisher, commit: str | None) -> None:
        """One `applied` event per group that got a new revision. The revision id is not
        known yet (CreateDeployment does not return it); rollout events carry it."""
        for result in report.targets:
            if result.outcome is not Outcome.APPLIED:
                continue
            events.publish(
                Event(
                    kind=EventKind.APPLIED,
                    summary=(
                        f"{result.thing_group}: new revision from commit {_short(commit)} "
                        f"(deployment {result.deployment_id})"
                    ),
                    thing_group=result.thing_group,
                    commit=commit,
                    deployment_id=result.deployment_id,
                )
            )

    def drift(
        self, plan: Plan, spec_set: SpecSet, events: EventPublisher, commit: str | None
    ) -> None:
        heal = {d.thing_group for d in spec_set.deployments if d.sync_policy.self_heal}
        drifted = {t.thing_group: t for t in plan.targets if t.drift}
        with self._lock:
            for group in [g for g in self._drift_told if g not in drifted]:
                del self._drift_told[group]  # healed, or changed back: a new drift is news
            fresh = [
                target
                for group, target in sorted(drifted.items())
                if group not in self._drift_told
                or self._drift_told[group] != target.live_deployment_id
            ]
            for target in fresh:
                self._drift_told[target.thing_group] = target.live_deployment_id
        for target in fresh:
            self_heal = target.thing_group in heal
            action = (
                "selfHeal reverts it"
                if self_heal
                else "selfHeal is off: it stays until Git changes"
            )
            details: dict[str, JsonValue] = {**drift_details(target), "selfHeal": self_heal}
            events.publish(
                Event(
                    kind=EventKind.DRIFT_DETECTED,
                    summary=(
                        f"{target.thing_group}: revision {target.live_revision_id or '?'} was "
                        f"changed outside Git; {action}"
                    ),
                    thing_group=target.thing_group,
                    commit=commit,
                    deployment_id=target.live_deployment_id,
                    revision_id=target.live_revision_id,
                    details=details,
                )
            )

    def cycle_failed(
        self, trigger: str, commit: str | None, message: str, failed_groups: tuple[str, ...]
    ) -> None:
        with self._lock:
            if message == self._last_failure:
                return
            self._last_failure = message
        self._events.publish(
            Event(
                kind=EventKind.CYCLE_FAILED,
                summary=message,
                commit=commit,
                details={
                    "trigger": trigger,
                    "error": message,
                    "failedGroups": list(failed_groups),
                },
            )
        )

    def cycle_succeeded(self) -> None:
        with self._lock:
            self._last_failure = None
