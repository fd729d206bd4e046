"""Which Rollouts a plan's change goes through, and their wave schedules (pure).

A Rollout is scheduled when the plan changes the desired revision of one of its groups: a group
to create or update (prune candidates have no desired revision). A canary group takes its
parent's revision, so it changes exactly when its parent does.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace

from reconciler.core.plan import Plan, TargetAction, TargetPlan
from reconciler.core.schedule import RolloutSchedule, ScheduledGroup, ScheduledWave
from reconciler.core.waves import Rollout

_CHANGES = (TargetAction.CREATE, TargetAction.UPDATE)


def changed_groups(targets: Iterable[TargetPlan]) -> frozenset[str]:
    """The thing groups whose desired revision the plan changes."""
    return frozenset(t.thing_group for t in targets if t.action in _CHANGES)


def rollout_schedule(rollout: Rollout, changed: Collection[str]) -> RolloutSchedule | None:
    """The schedule of `rollout` for a change to the groups `changed` (None: it has none of
    them, so the change does not go through it)."""
    waves = tuple(
        ScheduledWave(
            name=wave.name,
            groups=tuple(
                ScheduledGroup(
                    thing_group=group,
                    parent=wave.canary.parent if wave.canary is not None else None,
                    changes=rollout.source_group(group) in changed,
                )
                for group in wave.groups
            ),
            gate=wave.gate,
        )
        for wave in rollout.waves
    )
    if not any(wave.changes for wave in waves):
        return None
    return RolloutSchedule(rollout=rollout.name, on_failure=rollout.on_failure, waves=waves)


def rollout_schedules(
    rollouts: Iterable[Rollout], targets: Iterable[TargetPlan]
) -> tuple[RolloutSchedule, ...]:
    """The schedules of the Rollouts the targets' change goes through, in the specs' order."""
    changed = changed_groups(targets)
    found = (rollout_schedule(rollout, changed) for rollout in rollouts)
    return tuple(schedule for schedule in found if schedule is not None)


def with_device_counts(plan: Plan, counts: Mapping[str, int]) -> Plan:
    """The plan with the devices `counts` holds by thing group: on its prune candidates and in
    its wave schedules (what `device_count_needs` asked for)."""
    if not counts:
        return plan
    return replace(
        plan,
        targets=tuple(
            replace(t, devices=counts[t.thing_group])
            if t.action is TargetAction.PRUNE and t.thing_group in counts
            else t
            for t in plan.targets
        ),
        schedules=tuple(schedule.with_devices(counts) for schedule in plan.schedules),
    )
