"""The canonical content of a revision and the idempotency token derived from it."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from reconciler.core.live import LiveComponent, LiveDeployment
from reconciler.core.plan import TargetAction
from reconciler.core.planning import PlanMemo, plan_deployments
from reconciler.core.planning.content import (
    canonical_request,
    client_token,
    component_entry,
    live_content,
    request_hash,
)
from reconciler.core.provenance import provenance_tags
from reconciler.core.specs import DeploymentPolicies
from reconciler.errors import PlanError
from tests.unit.planning.cases import CASES, INSTANCE, case_inputs, plan_case

TOKEN = re.compile(r"^[a-zA-Z0-9-]+$")  # CreateDeployment's clientToken pattern
ARN = "arn:aws:iot:us-east-1:123456789012:thinggroup/CameraProd"
CONTENT = "5" * 64


def test_client_token_is_deterministic_and_valid() -> None:
    token = client_token(ARN, CONTENT, "d-1")
    assert token == client_token(ARN, CONTENT, "d-1")
    assert 1 <= len(token) <= 64
    assert TOKEN.match(token)


@pytest.mark.parametrize(
    ("target", "content", "live_id"),
    [
        (ARN, CONTENT, "d-2"),  # another live revision: a revert must make a new revision
        (ARN, CONTENT, None),  # no live revision at all
        (ARN.replace("CameraProd", "CameraLab"), CONTENT, "d-1"),
        (ARN, "6" * 64, "d-1"),
    ],
)
def test_client_token_differs_when_any_input_differs(
    target: str, content: str, live_id: str | None
) -> None:
    assert client_token(target, content, live_id) != client_token(ARN, CONTENT, "d-1")


def test_every_planned_token_is_valid_and_unique_within_its_plan() -> None:
    checked = 0
    for case in CASES:
        try:
            plan = plan_case(case)
        except PlanError:  # error cases: nothing to apply
            continue
        tokens = [t.client_token for t in plan.targets if t.client_token is not None]
        assert len(tokens) == len(set(tokens)), case
        for target in plan.targets:
            if target.client_token is not None:
                assert len(target.client_token) <= 64 and TOKEN.match(target.client_token)
                assert target.client_token == client_token(
                    target.target_arn, target.content_hash or "", target.live_deployment_id
                )
                checked += 1
    assert checked > 10


def _spec_request() -> dict[str, object]:
    """A revision as the specs ask for it: policies omitted, no job configuration, team tag."""
    return canonical_request(
        target_arn=ARN,
        deployment_name="camera-prod",
        components={
            "aws.greengrass.DLRImageClassification": component_entry(
                "2.1.10",
                None,
                {"posixUser": "ggc_user", "systemResourceLimits": {"memory": 1024}},
            )
        },
        deployment_policies=DeploymentPolicies().with_service_defaults().to_api(),
        iot_job_configuration=None,
        tags={"team": "vision"},
    )


def _echoed(**changes: object) -> LiveDeployment:
    """The same revision as GetDeployment echoes it: defaults filled in, empty members present,
    our provenance tags added."""
    fields: dict[str, object] = {
        "deployment_id": "d-prod",
        "target_arn": ARN,
        "revision_id": "3",
        "deployment_name": "camera-prod",
        "components": {
            "aws.greengrass.DLRImageClassification": LiveComponent(
                name="aws.greengrass.DLRImageClassification",
                version="2.1.10",
                configuration_update={},
                run_with={
                    "posixUser": "ggc_user",
                    "windowsUser": None,
                    "systemResourceLimits": {"memory": 1024},
                },
            )
        },
        "deployment_policies": {
            "failureHandlingPolicy": "ROLLBACK",
            "componentUpdatePolicy": {"timeoutInSeconds": 60, "action": "NOTIFY_COMPONENTS"},
            "configurationValidationPolicy": {"timeoutInSeconds": 30},
        },
        "iot_job_configuration": {"jobExecutionsRolloutConfig": {}, "timeoutConfig": {}},
        "tags": {
            "team": "vision",
            **provenance_tags(
                instance="greengrass-reconciler", content_hash=CONTENT, commit="1", spec=None
            ),
        },
    }
    fields.update(changes)
    return LiveDeployment(**fields)  # type: ignore[arg-type]


def test_an_echoed_revision_has_the_content_of_the_spec_that_omitted_the_defaults() -> None:
    assert live_content(_echoed()) == _spec_request()
    assert request_hash(live_content(_echoed())) == request_hash(_spec_request())


def test_service_defaults_count_as_omitted_on_either_side() -> None:
    omitted = _echoed(deployment_policies=None)
    partial = _echoed(deployment_policies={"componentUpdatePolicy": {"timeoutInSeconds": 60}})
    assert live_content(omitted) == live_content(partial) == _spec_request()


def test_merge_text_is_compared_as_json_not_as_text() -> None:
    def with_merge(text: str) -> LiveDeployment:
        component = LiveComponent(
            name="c", version="1.0.0", configuration_update={"merge": text, "reset": ["/b", "/a"]}
        )
        return _echoed(components={"c": component})

    spaced = live_content(with_merge('{ "b": [1, 2], "a": {"y": 1, "x": 2} }'))
    compact = live_content(with_merge('{"a":{"x":2,"y":1},"b":[1,2]}'))
    assert spaced == compact
    assert spaced["components"]["c"]["configurationUpdate"] == {
        "merge": '{"a":{"x":2,"y":1},"b":[1,2]}',
        "reset": ["/a", "/b"],
    }
    # JSON, not Python, decides: 1 and true are different configuration values.
    assert live_content(with_merge('{"a": 1}')) != live_content(with_merge('{"a": true}'))


def test_content_differences_that_matter_are_not_normalised_away() -> None:
    base = live_content(_echoed())
    assert live_content(_echoed(deployment_name="other")) != base
    assert live_content(_echoed(tags={"team": "other"})) != base
    assert (
        live_content(_echoed(deployment_policies={"failureHandlingPolicy": "DO_NOTHING"})) != base
    )
    assert (
        live_content(
            _echoed(iot_job_configuration={"timeoutConfig": {"inProgressTimeoutInMinutes": 5}})
        )
        != base
    )


def test_our_own_tags_are_not_content() -> None:
    ours = _echoed()
    retagged = _echoed(tags={"team": "vision"})
    assert live_content(ours) == live_content(retagged)
    assert "greengrass-reconciler/content-hash" not in str(live_content(ours))


def test_a_memoized_plan_sees_tags_changed_without_a_new_revision() -> None:
    # TagResource changes a deployment's tags in place: same id, same revision.
    spec_set, live = case_inputs("no-op")
    memo: PlanMemo = {}
    assert plan_deployments(spec_set, live, instance=INSTANCE, memo=memo).has_changes is False
    ((arn, deployment),) = live.latest.items()
    retagged = replace(deployment, tags={**deployment.tags, "team": "changed-in-console"})
    live = replace(live, latest={arn: retagged})
    target = plan_deployments(spec_set, live, instance=INSTANCE, memo=memo).targets[0]
    assert target.action is TargetAction.UPDATE and target.drift
