"""The wave schedule a plan carries (reconciler/core/planning/schedule.py, core/schedule.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reconciler.core.plan import Plan, TargetAction, TargetPlan
from reconciler.core.planning import device_count_needs, with_device_counts
from reconciler.core.planning.schedule import rollout_schedule, rollout_schedules
from reconciler.core.waves import Canary, Gate, OnFailure, Rollout, Wave

CAMERAS = Rollout(
    name="camera-models",
    waves=(
        Wave("canary", canary=Canary(parent="Prod", group="Canary"), gate=Gate(min_devices=3)),
        Wave("staging", targets=("Staging",), gate=Gate(success_ratio=0.98, bake_seconds=1800)),
        Wave("production", targets=("Prod",)),
    ),
    on_failure=OnFailure.REVERT,
)
LAB = Rollout(name="lab", waves=(Wave("all", targets=("LabA", "LabB")),))


def target(group: str, action: TargetAction) -> TargetPlan:
    return TargetPlan(thing_group=group, target_arn=f"arn:tg/{group}", action=action)


def test_a_change_to_the_parent_reaches_its_canary_and_leaves_staging_marked() -> None:
    schedule = rollout_schedule(CAMERAS, {"Prod"})
    assert schedule is not None
    assert [w.name for w in schedule.waves] == ["canary", "staging", "production"]
    canary, staging, production = schedule.waves
    assert (canary.groups[0].thing_group, canary.groups[0].parent) == ("Canary", "Prod")
    assert canary.canary and canary.changes
    assert not staging.changes and not staging.canary
    assert production.changes
    assert staging.gate == Gate(success_ratio=0.98, bake_seconds=1800)
    assert schedule.on_failure is OnFailure.REVERT


def test_only_rollouts_with_a_created_or_updated_group_are_scheduled() -> None:
    targets = [
        target("LabA", TargetAction.NOOP),
        target("Staging", TargetAction.UPDATE),
        target("Prod", TargetAction.PRUNE),  # a prune candidate has no desired revision
    ]
    schedules = rollout_schedules([CAMERAS, LAB], targets)
    assert [s.rollout for s in schedules] == ["camera-models"]
    assert rollout_schedules([CAMERAS, LAB], [target("Other", TargetAction.CREATE)]) == ()


def test_devices_are_needed_only_for_scheduled_rollouts_and_prune_candidates() -> None:
    quiet = Plan(targets=(target("LabA", TargetAction.NOOP),))
    assert device_count_needs(quiet) == frozenset()
    changed = [target("LabB", TargetAction.CREATE), target("Old", TargetAction.PRUNE)]
    plan = Plan(targets=tuple(changed), schedules=rollout_schedules([CAMERAS, LAB], changed))
    assert device_count_needs(plan) == {"LabA", "LabB", "Old"}


def test_counts_fill_groups_waves_and_prune_candidates() -> None:
    changed = (target("Prod", TargetAction.UPDATE), target("Old", TargetAction.PRUNE))
    plan = Plan(targets=changed, schedules=rollout_schedules([CAMERAS], changed))
    counted = with_device_counts(plan, {"Canary": 5, "Staging": 3, "Prod": 20, "Old": 2})
    waves = counted.schedules[0].waves
    assert [w.devices for w in waves] == [5, 3, 20]
    assert counted.targets[1].devices == 2
    assert counted.targets[0].devices is None  # a changed group's own target is not a prune
    partial = with_device_counts(plan, {"Canary": 5})
    assert [w.devices for w in partial.schedules[0].waves] == [5, None, None]
    assert with_device_counts(plan, {}) is plan


@given(st.dictionaries(st.sampled_from(["A", "B", "C", "D"]), st.integers(0, 10_000)))
def test_a_waves_devices_are_the_sum_of_its_groups_once_all_are_counted(
    counts: dict[str, int],
) -> None:
    rollout = Rollout("r", waves=(Wave("w1", targets=("A", "B")), Wave("w2", targets=("C", "D"))))
    schedule = rollout_schedule(rollout, {"A"})
    assert schedule is not None
    counted = schedule.with_devices(counts)
    for wave in counted.waves:
        groups = [g.thing_group for g in wave.groups]
        if all(g in counts for g in groups):
            assert wave.devices == sum(counts[g] for g in groups)
        else:
            assert wave.devices is None
    # Counting twice with the same counts changes nothing.
    assert counted.with_devices(counts) == counted
