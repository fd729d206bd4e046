"""The controller's memo keeps unchanged groups small and changed ones whole."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconciler.core.plan import TargetAction
from reconciler.core.planning import plan_deployments
from reconciler.engine.memo import CompactPlanMemo
from reconciler.errors import PlanError
from tests.unit.planning.cases import CASES, COMMIT, INSTANCE, case_inputs


def test_noop_plans_are_kept_without_previews_and_still_hit() -> None:
    spec_set, live = case_inputs("no-op")
    memo = CompactPlanMemo()
    first = plan_deployments(spec_set, live, instance=INSTANCE, commit=COMMIT, memo=memo)
    assert all(t.action is TargetAction.NOOP for t in first.targets)
    assert all(c.effective_configuration is not None for c in first.targets[0].components)

    stored = list(memo.values())
    assert len(stored) == len(first.targets)
    for target in stored:
        assert target.request is None
        assert all(c.effective_configuration is None for c in target.components)
        assert all(c.live_effective_configuration is None for c in target.components)

    again = plan_deployments(spec_set, live, instance=INSTANCE, commit=COMMIT, memo=memo)
    assert [t.action for t in again.targets] == [t.action for t in first.targets]
    assert [t.client_token for t in again.targets] == [t.client_token for t in first.targets]
    assert again.targets[0] is stored[0]  # a hit, not a re-plan


def test_changed_plans_keep_their_request_but_not_their_previews() -> None:
    spec_set, live = case_inputs("configuration-keys")
    memo = CompactPlanMemo()
    plan = plan_deployments(spec_set, live, instance=INSTANCE, commit=COMMIT, memo=memo)
    changed = [t for t in plan.targets if t.action is TargetAction.UPDATE]
    assert changed
    assert all(t.request is not None for t in memo.values() if t.action is TargetAction.UPDATE)
    assert all(c.effective_configuration is None for t in memo.values() for c in t.components)
    kept = [c for c in changed[0].components if c.desired_version is not None]
    assert kept and all(c.effective_configuration is not None for c in kept)


def test_a_rollout_completing_is_a_memo_hit_but_a_cancel_is_not() -> None:
    spec_set, live = case_inputs("no-op")
    memo = CompactPlanMemo()
    plan_deployments(spec_set, live, instance=INSTANCE, commit=COMMIT, memo=memo)
    stored = set(map(id, memo.values()))

    def with_status(status: str):  # type: ignore[no-untyped-def]
        latest = {arn: replace(d, status=status) for arn, d in live.latest.items()}
        return replace(live, latest=latest)

    completed = plan_deployments(
        spec_set, with_status("COMPLETED"), instance=INSTANCE, commit=COMMIT, memo=memo
    )
    assert {id(t) for t in completed.targets} <= stored  # every group answered from the memo
    cancelled = plan_deployments(
        spec_set, with_status("CANCELED"), instance=INSTANCE, commit=COMMIT, memo=memo
    )
    assert all(t.action is TargetAction.UPDATE for t in cancelled.targets)


@pytest.mark.parametrize("case", CASES)
def test_a_compact_plan_is_the_full_plan_without_its_documents(case: str) -> None:
    spec_set, live = case_inputs(case)
    try:
        full = plan_deployments(spec_set, live, instance=INSTANCE, commit=COMMIT)
    except PlanError as error:
        with pytest.raises(PlanError) as compact_error:
            plan_deployments(spec_set, live, instance=INSTANCE, commit=COMMIT, compact=True)
        assert str(compact_error.value) == str(error)
        return
    compact = plan_deployments(spec_set, live, instance=INSTANCE, commit=COMMIT, compact=True)
    stripped = [target.compact() for target in full.targets]
    assert list(compact.targets) == stripped
    assert compact.component_versions == full.component_versions
    assert compact.warnings == full.warnings
    assert all(c.is_compact for t in compact.targets for c in t.components)
    assert all(t.compact() is t for t in compact.targets)


def test_a_compact_plan_is_stored_as_it_is() -> None:
    spec_set, live = case_inputs("no-op")
    memo = CompactPlanMemo()
    plan = plan_deployments(
        spec_set, live, instance=INSTANCE, commit=COMMIT, memo=memo, compact=True
    )
    assert plan.targets and all(t.action is TargetAction.NOOP for t in plan.targets)
    assert {id(t) for t in plan.targets} == {id(t) for t in memo.values()}

    spec_set, live = case_inputs("configuration-keys")
    memo = CompactPlanMemo()
    plan = plan_deployments(
        spec_set, live, instance=INSTANCE, commit=COMMIT, memo=memo, compact=True
    )
    changed = [t for t in plan.targets if t.has_changes]
    assert changed
    stored = {id(t) for t in memo.values()}
    assert all(id(t) in stored for t in changed)  # shared with the cycle's plan, not copied


def test_equal_request_parts_of_one_plan_are_one_object() -> None:
    pairs = 0
    for case in CASES:
        spec_set, live = case_inputs(case)
        try:
            plan = plan_deployments(spec_set, live, instance=INSTANCE, commit=COMMIT)
        except PlanError:
            continue
        parts = [
            part
            for target in plan.targets
            if target.request is not None
            for part in (
                *target.request["components"].values(),
                target.request.get("iotJobConfiguration"),
                target.request.get("tags"),
            )
            if part is not None
        ]
        for index, part in enumerate(parts):
            for other in parts[index + 1 :]:
                if part == other:
                    pairs += 1
                    assert part is other
    assert pairs  # the cases do have groups that share parts
