"""What a cycle tells the controller's status: each planned group's sync state, its change
and its hold, from the plan and the apply report.

The cycle (`reconciling.py`) owns the groups' statuses and writes them here, once a cycle, as
whole values (`ControllerStatus.replace_targets`); the rollout follower writes only the rollout
views beside them (`engine/rollouts.py`), so neither reads-modifies-writes the other's part.
"""

from __future__ import annotations

import time

import structlog

from reconciler.adapters.sources.base import SourceRevision
from reconciler.core.events import Event, EventKind, EventPublisher
from reconciler.core.plan import Plan, TargetAction, TargetPlan
from reconciler.core.rendering.markdown import target_diff_text
from reconciler.engine.applying import ApplyReport, Outcome, TargetResult
from reconciler.engine.status import (
    ChangeRecord,
    ControllerStatus,
    Hold,
    SyncState,
    TargetStatus,
)

log = structlog.get_logger("reconciler.cycle")


class StatusProjection:
    """Projects each cycle's plan, holds and apply report onto the controller's status."""

    def __init__(self, status: ControllerStatus) -> None:
        self.status = status

    def record(
        self,
        plan: Plan,
        report: ApplyReport | None,
        holds: dict[str, Hold],
        events: EventPublisher,
        revision: SourceRevision,
    ) -> None:
        """Every planned group's status this cycle (the ones that could not be planned too);
        a group entering a hold is announced once, in the log and to `events`."""
        results = {r.thing_group: r for r in report.targets} if report else {}
        statuses: list[TargetStatus] = []
        for target in plan.targets:
            result = results.get(target.thing_group)
            change = self._change(target, result, revision)
            deployment_id = target.live_deployment_id
            error = None
            hold = holds.get(target.thing_group)
            if hold is not None:
                sync = hold.state
                self._announce(target, hold, events, revision.revision)
            elif result is not None and result.outcome is Outcome.APPLIED:
                sync, deployment_id = SyncState.SYNCED, result.deployment_id
            elif result is not None and result.outcome is Outcome.FAILED:
                sync, error = SyncState.FAILED, result.reason
            elif result is not None and result.outcome is Outcome.PRUNED:
                sync = SyncState.PRUNED
            elif result is not None and result.outcome is Outcome.UNINSTALLING:
                sync, deployment_id = SyncState.PRUNING, result.deployment_id
            elif target.action is TargetAction.NOOP:
                sync = SyncState.SYNCED
            elif target.drift:
                sync = SyncState.DRIFTED
            else:
                sync = SyncState.OUT_OF_SYNC
            statuses.append(
                TargetStatus(
                    thing_group=target.thing_group,
                    sync=sync,
                    spec_file=target.spec_file,
                    deployment_id=deployment_id,
                    revision_id=target.live_revision_id,
                    last_error=error,
                    last_change=change,
                    reason=hold.reason
                    if hold
                    else (result.reason if sync is SyncState.PRUNING and result else None),
                )
            )
            if result is not None and result.outcome is Outcome.APPLIED and result.deployment_id:
                self.status.record_revision(
                    target.thing_group, deployment_id=result.deployment_id, change=change
                )
        statuses += self._unplanned(plan)
        self.status.replace_targets(statuses)

    def _unplanned(self, plan: Plan) -> list[TargetStatus]:
        """The groups that could not be planned: `Failed` with the reason, their live
        deployment as the last cycle knew it."""
        statuses = []
        for failure in plan.failures:
            previous = self.status.target(failure.thing_group)
            statuses.append(
                TargetStatus(
                    thing_group=failure.thing_group,
                    sync=SyncState.FAILED,
                    spec_file=previous.spec_file if previous else None,
                    deployment_id=previous.deployment_id if previous else None,
                    revision_id=previous.revision_id if previous else None,
                    last_change=previous.last_change if previous else None,
                    last_error=f"cannot be planned: {failure.reason}",
                )
            )
        return statuses

    def _change(
        self, target: TargetPlan, result: TargetResult | None, revision: SourceRevision
    ) -> ChangeRecord | None:
        """This cycle's change for the group, or the one recorded earlier when it has none."""
        if not target.has_changes:
            earlier = self.status.target(target.thing_group)
            return earlier.last_change if earlier else None
        return ChangeRecord(
            commit=revision.revision,
            author=revision.author,
            subject=revision.subject,
            at=revision.committed_at or time.time(),
            plan_text=target_diff_text(target),
            applied=result is not None and result.outcome is Outcome.APPLIED,
        )

    def _announce(
        self, target: TargetPlan, hold: Hold, events: EventPublisher, commit: str
    ) -> None:
        """Log and publish a hold once, when the group enters it (not every cycle it stays)."""
        before = self.status.target(target.thing_group)
        if not hold.announce or (
            before is not None and before.sync is hold.state and before.reason == hold.reason
        ):
            return
        log.warning(
            "group held back", group=target.thing_group, state=hold.state.value, reason=hold.reason
        )
        events.publish(
            Event(
                kind=EventKind.HALTED,
                summary=f"{target.thing_group}: {hold.state.value} ({hold.reason})",
                thing_group=target.thing_group,
                commit=commit,
                deployment_id=target.live_deployment_id,
                revision_id=target.live_revision_id,
                details={"state": hold.state.value, "reason": hold.reason},
            )
        )
