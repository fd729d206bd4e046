"""`plan_deployments(keep_going=True)`: a group that cannot be planned is set aside, not fatal."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reconciler.core.plan import TargetAction
from reconciler.core.planning import plan_deployments
from reconciler.errors import PlanError
from tests.unit.planning.cases import CASES, CASES_ROOT, COMMIT, INSTANCE, case_inputs

ERROR_CASES = [c for c in CASES if (CASES_ROOT / c / "expected-error.txt").exists()]
PLANNED_CASES = [c for c in CASES if c not in ERROR_CASES]


def test_the_conflicting_group_is_a_failure_with_every_problem() -> None:
    spec_set, live = case_inputs("dependency-conflict")
    with pytest.raises(PlanError) as raised:
        plan_deployments(spec_set, live, instance=INSTANCE, commit=COMMIT)
    plan = plan_deployments(spec_set, live, instance=INSTANCE, commit=COMMIT, keep_going=True)
    assert plan.targets == ()
    [failure] = plan.failures
    assert failure.thing_group == "CameraProd"
    assert failure.target_arn.endswith(":thinggroup/CameraProd")
    assert failure.reason == str(raised.value)


@pytest.mark.parametrize("case", PLANNED_CASES)
def test_without_failures_keep_going_plans_the_same(case: str) -> None:
    spec_set, live = case_inputs(case)
    strict = plan_deployments(spec_set, live, instance=INSTANCE, commit=COMMIT)
    lenient = plan_deployments(spec_set, live, instance=INSTANCE, commit=COMMIT, keep_going=True)
    assert lenient == strict
    assert lenient.failures == ()


def test_the_other_groups_are_planned_and_a_failed_group_is_never_pruned() -> None:
    # The conflicting group next to a good one, with a live revision of ours on the bad one:
    # were it left out of the plan like a removed spec, prune would cancel it.
    good_specs, good_live = case_inputs("new-target")
    bad_specs, bad_live = case_inputs("dependency-conflict")
    bad_spec = replace(bad_specs.deployments[0])
    spec_set = replace(good_specs, deployments=(*good_specs.deployments, bad_spec))
    _, prune_live = case_inputs("prune-candidate")
    # CameraOld's revision: ours, active, its spec gone: the case's prune candidate.
    managed = next(d for d in prune_live.latest.values() if d.deployment_id == "d-old")
    bad_arn = good_specs.settings.thing_group_arn(bad_spec.thing_group)
    live = replace(
        good_live,
        latest={**good_live.latest, bad_arn: replace(managed, target_arn=bad_arn)},
        recipes={**bad_live.recipes, **good_live.recipes},
        component_versions={**bad_live.component_versions, **good_live.component_versions},
    )
    plan = plan_deployments(spec_set, live, instance=INSTANCE, commit=COMMIT, keep_going=True)
    assert [f.thing_group for f in plan.failures] == ["CameraProd"]
    assert {t.thing_group for t in plan.targets} == {d.thing_group for d in good_specs.deployments}
    assert all(t.action is not TargetAction.PRUNE for t in plan.targets)
    # The same live revision without a spec at all is a prune candidate: the check can fail.
    gone = replace(spec_set, deployments=good_specs.deployments)
    pruned = plan_deployments(gone, live, instance=INSTANCE, commit=COMMIT, keep_going=True)
    assert [t.thing_group for t in pruned.targets if t.action is TargetAction.PRUNE] == [
        "CameraProd"
    ]
