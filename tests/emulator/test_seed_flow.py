"""The user flow of the seed: customize a public model store with a model of your own.

get_component(YAML) of the public model store -> decode -> bump the version -> point the
artifacts at an object in S3 -> create_component_version -> DEPLOYABLE; deploy the public
inference component, whose dependency range now resolves to the custom model store.
"""

from __future__ import annotations

import pytest
import yaml
from botocore.exceptions import ClientError

from tests.conftest import AwsTestContext
from tests.emulator.helpers import public_version_arn, thing_group_arn

MODEL_STORE = "variant.DLR.ImageClassification.ModelStore"
MODEL_KEY = "models/DLR-resnet50-x86_64-cpu-ImageClassification.tar.gz"


def customized_model_store(aws: AwsTestContext, model_uri: str) -> bytes:
    gg = aws.client("greengrassv2")
    answer = gg.get_component(
        arn=public_version_arn(MODEL_STORE, "2.1.9", aws.region), recipeOutputFormat="YAML"
    )
    document = yaml.safe_load(answer["recipe"])  # boto3 already decoded the base64 blob
    assert document["ComponentName"] == MODEL_STORE
    document["ComponentVersion"] = "2.1.10"  # bump the patch version, keep the name
    for manifest in document["Manifests"]:
        for artifact in manifest["Artifacts"]:
            artifact["URI"] = model_uri
    return yaml.safe_dump(document, sort_keys=False).encode()


def test_a_custom_model_store_becomes_deployable_and_wins(aws: AwsTestContext) -> None:
    s3, gg = aws.client("s3"), aws.client("greengrassv2")
    s3.create_bucket(Bucket="my-models")
    s3.put_object(Bucket="my-models", Key=MODEL_KEY, Body=b"custom resnet50")
    created = gg.create_component_version(
        inlineRecipe=customized_model_store(aws, f"s3://my-models/{MODEL_KEY}")
    )
    assert created["status"]["componentState"] == "REQUESTED"
    assert gg.describe_component(arn=created["arn"])["status"]["componentState"] == "DEPLOYABLE"

    # The inference component's `~2.1.0` now resolves to the private 2.1.10.
    resolved = gg.resolve_component_candidates(
        platform={"attributes": {"os": "linux", "architecture": "amd64"}},
        componentCandidates=[
            {
                "componentName": "aws.greengrass.DLRImageClassification",
                "componentVersion": "2.1.10",
                "versionRequirements": {"thing-group": "2.1.10"},
            }
        ],
    )["resolvedComponentVersions"]
    chosen = {r["componentName"]: r for r in resolved}
    assert chosen[MODEL_STORE]["arn"] == created["arn"]
    assert chosen["variant.DLR"]["componentVersion"] == "1.6.12"

    aws.admin.create_thing_groups(["cameras"])
    deployment = gg.create_deployment(
        targetArn=thing_group_arn("cameras", aws.region, aws.account_id),
        components={
            "aws.greengrass.DLRImageClassification": {
                "componentVersion": "2.1.10",
                "configurationUpdate": {"merge": '{"InferenceInterval": "15"}'},
            },
            MODEL_STORE: {"componentVersion": "2.1.10"},
        },
    )
    # A thing-group deployment is continuous: ACTIVE while it is the group's latest revision.
    assert (
        gg.get_deployment(deploymentId=deployment["deploymentId"])["deploymentStatus"] == "ACTIVE"
    )


def test_a_missing_model_object_refuses_the_version_naming_it(aws: AwsTestContext) -> None:
    s3, gg = aws.client("s3"), aws.client("greengrassv2")
    s3.create_bucket(Bucket="my-models")
    uri = f"s3://my-models/{MODEL_KEY}"
    with pytest.raises(ClientError) as refused:
        gg.create_component_version(inlineRecipe=customized_model_store(aws, uri))
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert f"{{{uri} = Specified artifact resource cannot be accessed}}" in str(
        refused.value.response["Error"]["Message"]
    )
    with pytest.raises(ClientError) as raised:
        gg.create_deployment(
            targetArn=f"arn:aws:iot:{aws.region}:{aws.account_id}:thing/camera-1",
            components={MODEL_STORE: {"componentVersion": "2.1.10"}},
        )
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert "does not exist" in raised.value.response["Error"]["Message"]
