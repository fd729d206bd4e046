"""Enforcing Rollouts: which planned groups may take their change this cycle (docs/controller.md
"Rollouts in waves").

Each cycle (and each one-shot `reconciler apply`), for every Rollout the plan touches: observe
each wave's groups (whether their latest revision is the change's, and its devices' counts from
rollout truth: DescribeJob of the revision's IoT job), let the pure rules of
`reconciler/core/waves.py` decide, record the decision in the gate state file (it survives a
restart), and turn it into holds: the groups of later waves keep their current revision, held
`Waiting` with the wave and gate they wait for; a halted rollout holds them all `Halted`. With
`onFailure: revert`, the failed wave's groups are sent back once, when the failure is found: a
canary to its parent's live revision (what its devices ran before), a group to its last revision
whose rollout succeeded (as `reconciler rollback --last-good`). A halt is told once, as a
`rolloutHalted` event.

Groups in no Rollout are not touched. A Rollout one of whose groups could not be planned is held
as it is for the cycle: without that group's desired revision the change cannot be told, and a
guess would restart the waves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial

import structlog

from reconciler.adapters.rollout_waves import ApprovalStore, RolloutWaveStore
from reconciler.core.events import Event, EventKind
from reconciler.core.plan import Plan, TargetAction, TargetPlan
from reconciler.core.rollback import RollbackError, rollback_request
from reconciler.core.rollouts import DeviceCounts, FailingDevice, RolloutView
from reconciler.core.specs import SpecSet
from reconciler.core.waves import (
    GroupFacts,
    Rollout,
    RolloutDecision,
    RolloutPhase,
    RolloutRecord,
    Wave,
    WaveObservation,
    WaveRecord,
    change_key,
    decide,
    observe_waves,
    rollout_status,
)
from reconciler.engine.gate_metrics import wave_metric_failure
from reconciler.engine.rollback import last_good_revision, revision_job_id
from reconciler.engine.runtime import Runtime
from reconciler.engine.status import ControllerStatus, Hold, SyncState
from reconciler.errors import ReconcilerError

log = structlog.get_logger("reconciler.waves")


@dataclass(frozen=True)
class Reverted:
    """A group the enforcer sent back after its wave failed (or why it could not)."""

    thing_group: str
    deployment_id: str | None
    note: str


class WaveEnforcer:
    """Holds, reverts and records of the Rollouts; one per controller (or one-shot apply)."""

    def __init__(
        self,
        store: RolloutWaveStore,
        approvals: ApprovalStore,
        *,
        status: ControllerStatus | None = None,
        recheck_seconds: float = 60.0,
    ) -> None:
        self.store = store
        self.approvals = approvals
        self._status = status
        self._recheck_seconds = recheck_seconds
        # What the last enforcing saw, to tell when a cycle is worth running (`wants_cycle`).
        self._progressing: tuple[str, ...] = ()
        self._due: float | None = None
        self._checked_at: float = 0.0
        self._seen: dict[str, RolloutView | None] = {}

    # ------------------------------------------------------------------ each cycle
    def enforce(
        self, plan: Plan, spec_set: SpecSet, runtime: Runtime, *, now: float, commit: str | None
    ) -> dict[str, Hold]:
        """The holds the Rollouts put on the plan's groups this cycle; reverts done, the gate
        state recorded (only when it changed)."""
        planned = {t.thing_group: t for t in plan.targets}
        failed = {f.thing_group for f in plan.failures}
        records = self.store.load()
        approvals = self.approvals.load()
        recorded = dict(records)
        holds: dict[str, Hold] = {}
        progressing: list[str] = []
        due: list[float] = []
        names = {r.name for r in spec_set.rollouts}

        def persist(name: str, record: RolloutRecord) -> None:
            records[name] = record
            self.store.save({n: r for n, r in records.items() if n in names})

        for rollout in spec_set.rollouts:
            if not any(g in planned or g in failed for g in rollout.groups):
                continue
            missing = [g for g in rollout.groups if g not in planned]
            if missing:
                reason = f"rollout {rollout.name} waits: {', '.join(missing)} could not be planned"
                holds.update(
                    _holds(dict.fromkeys(rollout.groups, reason), planned, SyncState.WAITING)
                )
                continue
            record, rollout_holds, bake_end = self._enforce_one(
                rollout,
                planned,
                records.get(rollout.name),
                approvals.get(rollout.name, {}),
                runtime,
                now=now,
                commit=commit,
                persist=partial(persist, rollout.name),
            )
            records[rollout.name] = record
            holds.update(rollout_holds)
            if record.phase is RolloutPhase.PROGRESSING:
                progressing.extend(rollout.groups)
                if bake_end is not None:
                    due.append(bake_end)
        records = {name: r for name, r in records.items() if name in names}
        if records != recorded:
            self.store.save(records)
        self._progressing = tuple(progressing)
        self._due = min(due) if due else None
        self._checked_at = now
        if self._status is not None:
            self._seen = {g: self._status.rollout(g) for g in progressing}
            self._status.set_wave_rollouts(
                {
                    r.name: rollout_status(r, records[r.name])
                    for r in spec_set.rollouts
                    if r.name in records
                }
            )
        return holds

    def wants_cycle(self, now: float) -> bool:
        """Whether a Rollout in progress may move on: a bake ended, the devices of one of its
        groups moved (the follower's latest view), or `recheck_seconds` passed since it was
        last checked (counts the follower does not follow)."""
        if not self._progressing:
            return False
        if self._due is not None and now >= self._due:
            return True
        if now - self._checked_at >= self._recheck_seconds:
            return True
        if self._status is None:
            return False
        return any(self._status.rollout(g) != self._seen.get(g) for g in self._progressing)

    # ------------------------------------------------------------------ one Rollout
    def _enforce_one(
        self,
        rollout: Rollout,
        planned: Mapping[str, TargetPlan],
        record: RolloutRecord | None,
        approved_waves: Mapping[str, str],
        runtime: Runtime,
        *,
        now: float,
        commit: str | None,
        persist: Callable[[RolloutRecord], None],
    ) -> tuple[RolloutRecord, dict[str, Hold], float | None]:
        desired = {
            g: planned[g].content_hash or "" for g in rollout.groups if g == rollout.source_group(g)
        }
        change = change_key(rollout, desired)
        same_change = record is not None and record.change == change
        if not same_change and all(planned[g].action is TargetAction.NOOP for g in rollout.groups):
            # Every group has the change already (a Rollout added to a synced fleet, or its
            # record lost): nothing to roll out.
            done = RolloutRecord(
                change=change,
                waves={w.name: WaveRecord(passed=True) for w in rollout.waves},
                phase=RolloutPhase.COMPLETED,
            )
            return done, {}, None
        halted = same_change and record is not None and record.halted_reason is not None
        # The devices of the waves whose gate is still open (a halted change reads none).
        passed = {
            w.name
            for w in rollout.waves
            if halted or (same_change and record is not None and record.wave(w.name).passed)
        }
        facts: dict[str, GroupFacts] = {}
        for wave in rollout.waves:
            for group in wave.groups:
                target = planned[group]
                deployed = target.action is TargetAction.NOOP
                counts = _counts(runtime, target) if deployed and wave.name not in passed else None
                facts[group] = GroupFacts(
                    latest_hash=desired[rollout.source_group(group)] if deployed else None,
                    counts=counts,
                )
        observations: Mapping[str, WaveObservation] = observe_waves(rollout, desired, facts)
        current = next((w for w in rollout.waves if w.name not in passed), None)
        if current is not None and current.gate.metrics:
            observations = _with_metrics(runtime, current, planned, observations, now)
        approved = {
            wave for wave, approved_change in approved_waves.items() if approved_change == change
        }
        unparented = {
            wave.name
            for wave in rollout.waves
            if wave.canary is not None and not planned[wave.canary.parent].live_deployment_id
        }
        decision = decide(
            rollout, change, observations, now, record, approved=approved, unparented=unparented
        )
        newly_halted = decision.phase is RolloutPhase.HALTED and (
            record is None or record.halted_reason is None or decision.restarted
        )
        failing: tuple[FailingDevice, ...] = ()
        if newly_halted:
            failed_groups = next(w.groups for w in rollout.waves if w.name == decision.current_wave)
            failing = _failing_devices(runtime, [planned[g] for g in failed_groups])
        note = next(iter(decision.waiting.values()), None)
        saved = replace(
            decision.record,
            waves={w.name: decision.record.wave(w.name) for w in rollout.waves},
            phase=decision.phase,
            current_wave=decision.current_wave,
            note=note,
            failing_devices=(
                tuple(d.device for d in failing)
                if newly_halted
                else decision.record.failing_devices
            ),
        )
        if decision.restarted:
            log.info("rollout restarted with a newer change", rollout=rollout.name, change=change)
        reverted: list[Reverted] = []
        if newly_halted:
            # Recorded before anything is reverted: a controller stopped in between must not
            # read the reverted wave as "not deployed yet" and deploy the failed change again.
            persist(saved)
            reverted = [_revert(rollout, g, planned, runtime) for g in sorted(decision.revert)]
            self._announce_halt(rollout, decision, saved, failing, reverted, runtime, commit)
        state = SyncState.HALTED if decision.phase is RolloutPhase.HALTED else SyncState.WAITING
        holds = _holds(decision.waiting, planned, state)
        for revert in reverted:
            reason = f"rollout {rollout.name} halted: {saved.halted_reason}; {revert.note}"
            holds[revert.thing_group] = Hold(SyncState.HALTED, reason, announce=False)
        return saved, holds, _bake_end(rollout, decision)

    def _announce_halt(
        self,
        rollout: Rollout,
        decision: RolloutDecision,
        saved: RolloutRecord,
        failing: tuple[FailingDevice, ...],
        reverted: list[Reverted],
        runtime: Runtime,
        commit: str | None,
    ) -> None:
        summary = f"rollout {rollout.name} halted: {saved.halted_reason}"
        if reverted:
            summary += "; " + "; ".join(r.note for r in reverted)
        log.warning(
            "rollout halted",
            rollout=rollout.name,
            wave=decision.current_wave,
            reason=saved.halted_reason,
            failing=[d.device for d in failing],
        )
        runtime.events.publish(
            Event(
                kind=EventKind.ROLLOUT_HALTED,
                summary=summary,
                commit=commit,
                details={
                    "rollout": rollout.name,
                    "wave": decision.current_wave,
                    "reason": saved.halted_reason,
                    "onFailure": rollout.on_failure.value,
                    "failing": [d.to_json() for d in failing],
                    "reverted": [
                        {
                            "thingGroup": r.thing_group,
                            "deploymentId": r.deployment_id,
                            "note": r.note,
                        }
                        for r in reverted
                    ],
                },
            )
        )


def _holds(
    reasons: Mapping[str, str], planned: Mapping[str, TargetPlan], state: SyncState
) -> dict[str, Hold]:
    """Holds for the groups that have something to apply (a group already at its desired
    revision is `Synced`, whatever wave it is in)."""
    return {
        group: Hold(state, reason, announce=False)
        for group, reason in reasons.items()
        if group in planned and planned[group].action is not TargetAction.NOOP
    }


def _with_metrics(
    runtime: Runtime,
    wave: Wave,
    planned: Mapping[str, TargetPlan],
    observations: Mapping[str, WaveObservation],
    now: float,
) -> Mapping[str, WaveObservation]:
    """`observations` with the metric verdict of `wave`, the wave whose gate is open, once its
    groups have the change and their devices are read (one GetMetricData request). The
    window starts no earlier than the newest of its groups' revisions: datapoints from before
    the wave took the change say nothing about it."""
    seen = observations.get(wave.name)
    if seen is None or not seen.deployed or seen.counts is None:
        return observations
    created = [
        _created_at(runtime, deployment_id)
        for deployment_id in (planned[g].live_deployment_id for g in wave.groups)
        if deployment_id
    ]
    since = max(created) if created and all(created) else None
    failure, pending = wave_metric_failure(runtime.metrics, wave, now=now, since=since)
    return {
        **observations,
        wave.name: replace(seen, metric_failure=failure, metric_pending=pending),
    }


def _created_at(runtime: Runtime, deployment_id: str) -> float:
    """When a revision was created: from the gateway's cache, else GetDeployment."""
    cached = runtime.gateway.cached_deployment(deployment_id)
    if cached is not None and cached.created_at:
        return cached.created_at
    return runtime.rollouts.deployment(deployment_id).created_at


def _counts(runtime: Runtime, target: TargetPlan) -> DeviceCounts | None:
    """The devices of the group's live revision (DescribeJob), None when it has no job yet.

    A job counts only the devices notified so far (a rate-limited rollout notifies a few at a
    time): when none is pending, the group's members not yet counted are counted as queued, so
    that a gate never passes on the first few devices alone."""
    job_id = revision_job_id(runtime, target.live_deployment_id)
    if job_id is None:
        return None
    counts = runtime.rollouts.job(job_id).counts
    if counts.pending == 0:
        members = runtime.rollouts.group_members(target.thing_group)
        if members > counts.total:
            counts = replace(counts, queued=counts.queued + members - counts.total)
    return counts


def _failing_devices(runtime: Runtime, targets: list[TargetPlan]) -> tuple[FailingDevice, ...]:
    """A sample of the failed wave's devices that did not take the revision."""
    found: list[FailingDevice] = []
    for target in targets:
        try:
            job_id = revision_job_id(runtime, target.live_deployment_id)
            if job_id is None or target.live_deployment_id is None:
                continue
            counts = runtime.rollouts.job(job_id).counts
            found.extend(
                runtime.rollouts.failing_devices(
                    job_id=job_id, deployment_id=target.live_deployment_id, counts=counts
                )
            )
        except ReconcilerError as error:  # the halt stands; only its details are missing
            log.warning("failing devices unreadable", group=target.thing_group, error=str(error))
    return tuple(found)


def _revert(
    rollout: Rollout, group: str, planned: Mapping[str, TargetPlan], runtime: Runtime
) -> Reverted:
    """Send `group` back: a canary to its parent's live revision (a subdeployment, what the
    canary's devices ran before), another group to its last revision whose rollout succeeded."""
    target = planned[group]
    instance = runtime.settings.instance
    try:
        parent = rollout.source_group(group)
        if parent != group:
            parent_target = planned[parent]
            if not parent_target.live_deployment_id:
                return Reverted(group, None, f"{group} not reverted: {parent} has no revision")
            parent_live = runtime.gateway.deployment(parent_target.live_deployment_id)
            restored = replace(
                parent_live,
                target_arn=target.target_arn,
                parent_target_arn=parent_target.target_arn,
            )
            request, _ = rollback_request(
                restored, latest_deployment_id=target.live_deployment_id or "", instance=instance
            )
            label = f"{parent}'s revision {parent_live.revision_id}"
        else:
            latest, chosen = last_good_revision(runtime, group, target.target_arn)
            restored = runtime.gateway.deployment(chosen.deployment_id)
            request, _ = rollback_request(
                restored, latest_deployment_id=latest.deployment_id, instance=instance
            )
            label = f"revision {chosen.revision_id}"
        created = runtime.gateway.create_deployment(request)
    except (RollbackError, ReconcilerError) as error:
        log.error("revert failed", rollout=rollout.name, group=group, error=str(error))
        return Reverted(group, None, f"{group} could not be reverted: {error}")
    deployment_id = str(created["deploymentId"])
    log.warning("reverted", rollout=rollout.name, group=group, to=label, deployment=deployment_id)
    return Reverted(group, deployment_id, f"{group} reverted to {label}")


def _bake_end(rollout: Rollout, decision: RolloutDecision) -> float | None:
    """When the current wave's bake ends (None: it is not baking)."""
    wave = next((w for w in rollout.waves if w.name == decision.current_wave), None)
    if wave is None or decision.phase is not RolloutPhase.PROGRESSING:
        return None
    started = decision.record.wave(wave.name).bake_started_at
    return None if started is None else started + wave.gate.bake_seconds
