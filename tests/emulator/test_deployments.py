"""Deployments over the wire: revisions per target, history filters, idempotency, lifecycle."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import AwsTestContext
from tests.emulator.helpers import recipe_bytes, thing_group_arn

DLR = {"aws.greengrass.DLRImageClassification": {"componentVersion": "2.1.10"}}


@pytest.fixture
def fleet(aws: AwsTestContext) -> str:
    aws.admin.create_thing_groups(["fleet"])
    return thing_group_arn("fleet", aws.region, aws.account_id)


def code_of(raised: pytest.ExceptionInfo[ClientError]) -> str:
    return str(raised.value.response["Error"]["Code"])


def test_create_and_get_a_thing_group_deployment(aws: AwsTestContext, fleet: str) -> None:
    gg = aws.client("greengrassv2")
    components = {
        "aws.greengrass.DLRImageClassification": {
            "componentVersion": "2.1.10",
            "configurationUpdate": {"merge": '{"InferenceInterval": 15}', "reset": ["/ImageName"]},
            "runWith": {
                "posixUser": "ggc_user",
                "systemResourceLimits": {"memory": 1024, "cpus": 0.5},
            },
        }
    }
    created = gg.create_deployment(
        targetArn=fleet,
        deploymentName="ml",
        components=components,
        tags={"team": "ml"},
        deploymentPolicies={"failureHandlingPolicy": "DO_NOTHING"},
        iotJobConfiguration={"timeoutConfig": {"inProgressTimeoutInMinutes": 10}},
    )
    deployment = gg.get_deployment(deploymentId=created["deploymentId"])
    assert deployment["targetArn"] == fleet
    assert deployment["revisionId"] == "1"
    assert deployment["deploymentName"] == "ml"
    assert deployment["components"] == components
    assert deployment["tags"] == {"team": "ml"}
    assert deployment["isLatestForTarget"] is True
    assert deployment["deploymentStatus"] == "ACTIVE"  # a thing-group deployment is continuous
    assert deployment["iotJobId"] == created["iotJobId"]
    assert deployment["iotJobArn"] == (
        f"arn:aws:iot:{aws.region}:{aws.account_id}:job/{created['iotJobId']}"
    )
    assert deployment["iotJobConfiguration"] == {
        "timeoutConfig": {"inProgressTimeoutInMinutes": 10}
    }
    # What the request gave, as it gave it: the service fills in no policy of its own.
    assert deployment["deploymentPolicies"] == {"failureHandlingPolicy": "DO_NOTHING"}
    assert deployment["creationTimestamp"].year >= 2024


def test_what_the_request_left_out_get_deployment_leaves_out(
    aws: AwsTestContext, fleet: str
) -> None:
    """aws/aws-cli#6185: a deployment created without name and policies answers
    `"deploymentName": null, "deploymentPolicies": null`, and components without a
    configuration update `"configurationUpdate": null` (botocore drops nulls: absent)."""
    gg = aws.client("greengrassv2")
    created = gg.create_deployment(targetArn=fleet, components=DLR)
    deployment = gg.get_deployment(deploymentId=created["deploymentId"])
    for absent in ("deploymentName", "deploymentPolicies", "iotJobConfiguration", "tags"):
        assert absent not in deployment, absent
    assert deployment["components"] == DLR
    listed = gg.list_deployments(targetArn=fleet)["deployments"]
    assert [d["deploymentId"] for d in listed] == [created["deploymentId"]]
    assert "deploymentName" not in listed[0]


def test_a_missing_thing_group_is_not_found(aws: AwsTestContext) -> None:
    with pytest.raises(ClientError) as raised:
        aws.client("greengrassv2").create_deployment(
            targetArn=thing_group_arn("nowhere", aws.region, aws.account_id), components=DLR
        )
    assert code_of(raised) == "ResourceNotFoundException"
    assert "nowhere" in raised.value.response["Error"]["Message"]


def test_a_thing_can_be_targeted(aws: AwsTestContext) -> None:
    gg = aws.client("greengrassv2")
    target = f"arn:aws:iot:{aws.region}:{aws.account_id}:thing/device-1"
    created = gg.create_deployment(targetArn=target, components=DLR)
    assert gg.get_deployment(deploymentId=created["deploymentId"])["targetArn"] == target


def test_unknown_components_are_named_in_the_error(aws: AwsTestContext, fleet: str) -> None:
    with pytest.raises(ClientError) as raised:
        aws.client("greengrassv2").create_deployment(
            targetArn=fleet,
            components={**DLR, "com.example.Ghost": {"componentVersion": "9.9.9"}},
        )
    assert code_of(raised) == "ValidationException"
    assert (
        "com.example.Ghost version 9.9.9 does not exist"
        in raised.value.response["Error"]["Message"]
    )
    assert (
        raised.value.response["fields"][0]["name"]
        == "components.com.example.Ghost.componentVersion"
    )


def test_components_still_requested_cannot_be_deployed(aws: AwsTestContext, fleet: str) -> None:
    gg = aws.client("greengrassv2")
    aws.admin.set_settings(component_ready_seconds=3600)
    gg.create_component_version(inlineRecipe=recipe_bytes())
    with pytest.raises(ClientError) as raised:
        gg.create_deployment(
            targetArn=fleet, components={"com.example.Hello": {"componentVersion": "1.0.0"}}
        )
    assert "is REQUESTED and cannot be deployed" in raised.value.response["Error"]["Message"]


def test_invalid_configuration_merge_is_rejected(aws: AwsTestContext, fleet: str) -> None:
    bad = {
        "aws.greengrass.DLRImageClassification": {
            "componentVersion": "2.1.10",
            "configurationUpdate": {"merge": "{not json"},
        }
    }
    with pytest.raises(ClientError) as raised:
        aws.client("greengrassv2").create_deployment(targetArn=fleet, components=bad)
    assert "merge is not valid JSON" in raised.value.response["Error"]["Message"]


def test_a_new_deployment_is_a_new_revision_of_the_target(aws: AwsTestContext, fleet: str) -> None:
    gg = aws.client("greengrassv2")
    first = gg.create_deployment(targetArn=fleet, components=DLR)["deploymentId"]
    second = gg.create_deployment(targetArn=fleet, components=DLR)["deploymentId"]
    old, new = gg.get_deployment(deploymentId=first), gg.get_deployment(deploymentId=second)
    assert (old["revisionId"], new["revisionId"]) == ("1", "2")
    assert old["isLatestForTarget"] is False and new["isLatestForTarget"] is True
    assert old["deploymentStatus"] == "CANCELED"
    assert new["deploymentStatus"] == "ACTIVE"


def test_latest_only_is_the_default_history_filter(aws: AwsTestContext, fleet: str) -> None:
    gg = aws.client("greengrassv2")
    aws.admin.create_thing_groups(["other"])
    other = thing_group_arn("other", aws.region, aws.account_id)
    ids = [gg.create_deployment(targetArn=fleet, components=DLR)["deploymentId"] for _ in range(3)]
    other_id = gg.create_deployment(targetArn=other, components=DLR)["deploymentId"]
    latest = gg.list_deployments()["deployments"]
    assert [d["deploymentId"] for d in latest] == [other_id, ids[2]]  # newest first
    everything = gg.list_deployments(historyFilter="ALL")["deployments"]
    assert [d["deploymentId"] for d in everything] == [other_id, *reversed(ids)]
    only_fleet = gg.list_deployments(targetArn=fleet, historyFilter="ALL")["deployments"]
    assert [d["revisionId"] for d in only_fleet] == ["3", "2", "1"]
    assert set(only_fleet[0]) >= {
        "targetArn",
        "revisionId",
        "deploymentId",
        "creationTimestamp",
        "deploymentStatus",
        "isLatestForTarget",
    }
    assert "components" not in only_fleet[0]


def test_list_deployments_paginates_newest_first(aws: AwsTestContext, fleet: str) -> None:
    gg = aws.client("greengrassv2")
    ids = [gg.create_deployment(targetArn=fleet, components=DLR)["deploymentId"] for _ in range(7)]
    pages = list(
        gg.get_paginator("list_deployments").paginate(
            historyFilter="ALL", PaginationConfig={"PageSize": 3}
        )
    )
    assert [len(p["deployments"]) for p in pages] == [3, 3, 1]
    assert [d["deploymentId"] for p in pages for d in p["deployments"]] == list(reversed(ids))


def test_max_results_above_100_is_a_validation_error(aws: AwsTestContext) -> None:
    with pytest.raises(ClientError) as raised:
        aws.client("greengrassv2").list_deployments(maxResults=101)
    response = raised.value.response
    assert code_of(raised) == "ValidationException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["reason"] == "FIELD_VALIDATION_FAILED"
    assert response["fields"] == [
        {
            "name": "maxResults",
            "message": "Value '101' at 'maxResults' failed to satisfy constraint: Member must have "
            "value less than or equal to 100",
        }
    ]


def test_an_unknown_enum_value_is_a_validation_error(aws: AwsTestContext) -> None:
    with pytest.raises(ClientError) as raised:
        aws.client("greengrassv2").list_deployments(historyFilter="SOME")
    assert (
        "Member must satisfy enum value set: [ALL, LATEST_ONLY]"
        in raised.value.response["Error"]["Message"]
    )


def test_the_same_client_token_answers_the_same_deployment(aws: AwsTestContext, fleet: str) -> None:
    gg = aws.client("greengrassv2")
    first = gg.create_deployment(targetArn=fleet, components=DLR, clientToken="release-42")
    again = gg.create_deployment(targetArn=fleet, components=DLR, clientToken="release-42")
    assert again["deploymentId"] == first["deploymentId"]
    assert len(gg.list_deployments(historyFilter="ALL")["deployments"]) == 1
    with pytest.raises(ClientError) as raised:
        gg.create_deployment(targetArn=fleet, components={}, clientToken="release-42")
    assert code_of(raised) == "ConflictException"
    assert "release-42" in raised.value.response["Error"]["Message"]


def test_client_tokens_must_match_the_model_pattern(aws: AwsTestContext, fleet: str) -> None:
    with pytest.raises(ClientError) as raised:
        aws.client("greengrassv2").create_deployment(
            targetArn=fleet, components=DLR, clientToken="not valid!"
        )
    assert "regular expression pattern" in raised.value.response["Error"]["Message"]


def test_cancel_then_delete(aws: AwsTestContext, fleet: str) -> None:
    gg = aws.client("greengrassv2")
    deployment_id = gg.create_deployment(targetArn=fleet, components=DLR)["deploymentId"]
    with pytest.raises(ClientError) as raised:
        gg.delete_deployment(deploymentId=deployment_id)
    assert code_of(raised) == "ConflictException"  # ACTIVE must be canceled first
    # The service's answer, as in the AWS CLI's cancel-deployment example.
    assert gg.cancel_deployment(deploymentId=deployment_id)["message"] == "SUCCESS"
    assert gg.get_deployment(deploymentId=deployment_id)["deploymentStatus"] == "CANCELED"
    with pytest.raises(ClientError) as raised:
        gg.cancel_deployment(deploymentId=deployment_id)
    assert code_of(raised) == "ConflictException"
    gg.delete_deployment(deploymentId=deployment_id)
    with pytest.raises(ClientError) as raised:
        gg.get_deployment(deploymentId=deployment_id)
    assert code_of(raised) == "ResourceNotFoundException"
    # The revision counter survives deletion: the next deployment is revision 2.
    next_id = gg.create_deployment(targetArn=fleet, components=DLR)["deploymentId"]
    assert gg.get_deployment(deploymentId=next_id)["revisionId"] == "2"


def test_subdeployments_are_listed_by_parent(aws: AwsTestContext, fleet: str) -> None:
    gg = aws.client("greengrassv2")
    aws.admin.create_thing_groups(["canary"])
    canary = thing_group_arn("canary", aws.region, aws.account_id)
    gg.create_deployment(targetArn=fleet, components=DLR)
    sub = gg.create_deployment(targetArn=canary, parentTargetArn=fleet, components=DLR)
    listed: list[dict[str, Any]] = gg.list_deployments(parentTargetArn=fleet)["deployments"]
    assert [d["deploymentId"] for d in listed] == [sub["deploymentId"]]
    assert listed[0]["parentTargetArn"] == fleet


def test_a_subdeployment_needs_a_parent_deployment_and_a_thing_group_target(
    aws: AwsTestContext, fleet: str
) -> None:
    gg = aws.client("greengrassv2")
    aws.admin.create_thing_groups(["canary", "other"])
    canary = thing_group_arn("canary", aws.region, aws.account_id)
    other = thing_group_arn("other", aws.region, aws.account_id)
    device = f"arn:aws:iot:{aws.region}:{aws.account_id}:thing/cam-1"
    with pytest.raises(ClientError) as raised:  # the parent has no deployment yet
        gg.create_deployment(targetArn=canary, parentTargetArn=fleet, components=DLR)
    assert code_of(raised) == "ValidationException"
    assert "has no deployment" in str(raised.value)
    gg.create_deployment(targetArn=fleet, components=DLR)
    gg.create_deployment(targetArn=other, components=DLR)
    for target, parent in ((device, fleet), (canary, canary), (canary, device)):
        with pytest.raises(ClientError) as raised:
            gg.create_deployment(targetArn=target, parentTargetArn=parent, components=DLR)
        assert code_of(raised) == "ValidationException"
    gg.create_deployment(targetArn=canary, parentTargetArn=fleet, components=DLR)
    # "If a thing group for a subdeployment is used with one parentTargetArn, it can't be
    # reused with a different parent fleet" (AWS's Create subdeployments).
    with pytest.raises(ClientError) as raised:
        gg.create_deployment(targetArn=canary, parentTargetArn=other, components=DLR)
    assert code_of(raised) == "ValidationException"
    assert "cannot be reused with a different parent" in str(raised.value)
    assert gg.list_deployments(parentTargetArn=other)["deployments"] == []
