"""No-op plans kept between processes (core/planning/remembered.py, engine/kept_plans.py):
a kept plan renders what the plan it stands for renders, a new process takes every unchanged
group from them, and nothing but a record of that very group and revision is ever used."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.core.live import LiveState, RecipeRecord
from reconciler.core.plan import Plan, TargetAction
from reconciler.core.planning import plan_deployments
from reconciler.core.planning.remembered import (
    is_keepable,
    plan_context,
    plan_of_record,
    record_of,
)
from reconciler.core.rendering import render_markdown, render_text
from reconciler.engine.kept_plans import KeptPlanMemo
from reconciler.errors import PlanError
from tests.unit.planning.cases import CASES, COMMIT, INSTANCE, case_inputs

CODE = "code-digest"


def _plans(case: str) -> Plan | None:
    spec_set, live = case_inputs(case)
    try:
        return plan_deployments(spec_set, live, instance=INSTANCE, commit=COMMIT)
    except PlanError:
        return None


def _renders(plan: Plan) -> list[str]:
    return [
        render_text(plan),
        render_text(plan, show_unchanged=True),
        render_markdown(plan),
    ]


def _kept_by_a_first_process(case: str) -> tuple[dict[str, object], bytes]:
    spec_set, live = case_inputs(case)
    context = plan_context(CODE, live)
    first = KeptPlanMemo(context, {})
    plan_deployments(spec_set, live, instance=INSTANCE, commit=COMMIT, memo=first)
    # What goes to disk is JSON: the next process reads it back as such.
    return json.loads(json.dumps(first.records())), context


@pytest.mark.parametrize("case", CASES)
def test_a_kept_record_is_the_compact_plan_and_renders_as_the_full_one(case: str) -> None:
    plan = _plans(case)
    if plan is None:
        return  # an error case plans nothing to keep
    targets = []
    for target in plan.targets:
        if is_keepable(target):
            kept = plan_of_record(json.loads(json.dumps(record_of(target.compact()))))
            assert kept == target.compact()
            target = kept
        targets.append(target)
    assert _renders(replace(plan, targets=tuple(targets))) == _renders(plan)


@pytest.mark.parametrize("case", CASES)
def test_a_new_process_takes_every_unchanged_group_from_the_kept_plans(case: str) -> None:
    plan = _plans(case)
    if plan is None:
        return
    kept, context = _kept_by_a_first_process(case)
    keepable = [t for t in plan.targets if is_keepable(t)]
    assert len(kept) == len(keepable)

    spec_set, live = case_inputs(case)
    second = KeptPlanMemo(context, kept)
    again = plan_deployments(spec_set, live, instance=INSTANCE, commit=COMMIT, memo=second)
    assert second.hits == len(keepable)
    assert _renders(again) == _renders(plan)
    assert [t.client_token for t in again.targets] == [t.client_token for t in plan.targets]
    assert second.records() == kept  # nothing new to write


def test_other_code_or_another_private_recipe_finds_nothing_kept() -> None:
    kept, context = _kept_by_a_first_process("no-op")
    assert kept
    spec_set, live = case_inputs("no-op")
    assert plan_context(CODE, live) == context  # the same inputs: the same context

    other_code = KeptPlanMemo(plan_context("other-code", live), kept)
    plan_deployments(spec_set, live, instance=INSTANCE, commit=COMMIT, memo=other_code)
    assert other_code.hits == 0

    private = RecipeRecord(recipe={"ComponentName": "com.example.Own"}, public=False)
    recreated = RecipeRecord(recipe={"ComponentName": "com.example.Own", "x": 1}, public=False)
    before = replace(live, recipes={**live.recipes, ("com.example.Own", "1.0.0"): private})
    after = replace(live, recipes={**live.recipes, ("com.example.Own", "1.0.0"): recreated})
    assert plan_context(CODE, before) != plan_context(CODE, after)
    public = RecipeRecord(recipe={"ComponentName": "aws.greengrass.Nucleus"}, public=True)
    nucleus = ("aws.greengrass.Nucleus", "9.9.9")
    with_public = replace(live, recipes={**live.recipes, nucleus: public})
    assert plan_context(CODE, with_public) == plan_context(CODE, live)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("thing_group", "OtherGroup"),
        ("target_arn", "arn:aws:iot:us-east-1:123456789012:thinggroup/OtherGroup"),
        ("spec_file", "other.yaml"),
        ("live_deployment_id", "another-revision"),
    ],
)
def test_a_record_of_another_group_or_revision_is_not_used(field: str, value: str) -> None:
    kept, context = _kept_by_a_first_process("no-op")
    spec_set, live = case_inputs("no-op")
    fresh = plan_deployments(spec_set, live, instance=INSTANCE, commit=COMMIT)
    # Well formed, under the right key (checksummed on disk it would be served), and wrong.
    lying = {key: {**record, field: value} for key, record in kept.items()}  # type: ignore[dict-item]
    memo = KeptPlanMemo(context, lying)
    plan = plan_deployments(spec_set, live, instance=INSTANCE, commit=COMMIT, memo=memo)
    assert memo.hits == len(kept)  # found under its key, then refused by the planner:
    assert plan.targets == fresh.targets  # every group planned as without kept plans


def test_a_changed_spec_or_revision_is_planned_again() -> None:
    kept, _ = _kept_by_a_first_process("no-op")
    spec_set, live = case_inputs("no-op")
    arn, deployment = sorted(live.latest.items())[0]
    moved = replace(live, latest={**live.latest, arn: replace(deployment, deployment_id="new-id")})
    memo = KeptPlanMemo(plan_context(CODE, moved), kept)
    plan_deployments(spec_set, moved, instance=INSTANCE, commit=COMMIT, memo=memo)
    assert memo.hits == len(kept) - 1


def test_records_of_groups_a_targeted_plan_did_not_reach_are_kept() -> None:
    kept, context = _kept_by_a_first_process("no-op")
    spec_set, live = case_inputs("no-op")
    one = replace(spec_set, deployments=spec_set.deployments[:1])
    memo = KeptPlanMemo(context, kept)
    plan_deployments(one, live, instance=INSTANCE, commit=COMMIT, memo=memo)
    assert memo.records() == kept


def test_a_record_of_a_removed_group_is_dropped_once_that_group_is_planned() -> None:
    kept, context = _kept_by_a_first_process("no-op")
    stale = {f"{key}-older": record for key, record in kept.items()}  # earlier revisions' keys
    spec_set, live = case_inputs("no-op")
    memo = KeptPlanMemo(context, {**stale, **kept})
    plan_deployments(spec_set, live, instance=INSTANCE, commit=COMMIT, memo=memo)
    assert memo.records() == kept


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=20,
)


@given(_json)
def test_any_json_is_a_record_or_refused(value: object) -> None:
    assert plan_of_record(value) is None


@given(st.data())
def test_a_damaged_record_is_refused_or_read_as_written(data: st.DataObject) -> None:
    plan = _plans("no-op")
    assert plan is not None
    record = record_of(plan.targets[0].compact())
    field = data.draw(st.sampled_from(sorted(record)))
    damaged = {**record, field: data.draw(_json)}
    kept = plan_of_record(damaged)  # never raises
    if kept is not None:  # the damage kept the field's type: read as written
        assert kept.action is TargetAction.NOOP
        assert record_of(kept) == damaged or field == "desired_digest"  # hex is normalized


def test_a_live_state_without_recipes_has_a_context() -> None:
    assert len(plan_context(CODE, LiveState())) == 16
