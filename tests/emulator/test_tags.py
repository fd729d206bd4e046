"""Tagging components and deployments."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.conftest import AwsTestContext
from tests.emulator.helpers import recipe_bytes, thing_group_arn


def test_tags_on_a_component_version(aws: AwsTestContext) -> None:
    gg = aws.client("greengrassv2")
    arn = gg.create_component_version(inlineRecipe=recipe_bytes(), tags={"owner": "ml"})["arn"]
    assert gg.list_tags_for_resource(resourceArn=arn)["tags"] == {"owner": "ml"}
    gg.tag_resource(resourceArn=arn, tags={"stage": "beta", "owner": "platform"})
    assert gg.list_tags_for_resource(resourceArn=arn)["tags"] == {
        "owner": "platform",
        "stage": "beta",
    }
    gg.untag_resource(resourceArn=arn, tagKeys=["owner", "absent"])
    assert gg.list_tags_for_resource(resourceArn=arn)["tags"] == {"stage": "beta"}
    assert gg.describe_component(arn=arn)["tags"] == {"stage": "beta"}
    assert gg.get_component(arn=arn)["tags"] == {"stage": "beta"}


def test_tags_on_a_component_and_a_deployment(aws: AwsTestContext) -> None:
    gg = aws.client("greengrassv2")
    gg.create_component_version(inlineRecipe=recipe_bytes())
    component = f"arn:aws:greengrass:{aws.region}:{aws.account_id}:components:com.example.Hello"
    gg.tag_resource(resourceArn=component, tags={"kind": "app"})
    assert gg.list_tags_for_resource(resourceArn=component)["tags"] == {"kind": "app"}
    aws.admin.create_thing_groups(["fleet"])
    deployment_id = gg.create_deployment(
        targetArn=thing_group_arn("fleet", aws.region, aws.account_id),
        components={"com.example.Hello": {"componentVersion": "1.0.0"}},
    )["deploymentId"]
    deployment = f"arn:aws:greengrass:{aws.region}:{aws.account_id}:deployments:{deployment_id}"
    gg.tag_resource(resourceArn=deployment, tags={"change": "CHG-1"})
    assert gg.get_deployment(deploymentId=deployment_id)["tags"] == {"change": "CHG-1"}
    assert gg.list_tags_for_resource(resourceArn=deployment)["tags"] == {"change": "CHG-1"}


def test_unknown_resources_and_reserved_keys_are_refused(aws: AwsTestContext) -> None:
    gg = aws.client("greengrassv2")
    missing = f"arn:aws:greengrass:{aws.region}:{aws.account_id}:deployments:nope"
    with pytest.raises(ClientError) as raised:
        gg.list_tags_for_resource(resourceArn=missing)
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    arn = gg.create_component_version(inlineRecipe=recipe_bytes())["arn"]
    with pytest.raises(ClientError) as raised:
        gg.tag_resource(resourceArn=arn, tags={"aws:owner": "me"})
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as raised:
        gg.tag_resource(resourceArn="arn:aws:s3:::bucket", tags={"a": "b"})
    assert raised.value.response["Error"]["Code"] == "ValidationException"  # model pattern
