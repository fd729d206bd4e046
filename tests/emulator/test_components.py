"""Components over the wire: create, describe, get, list, delete, artifacts — and their errors."""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.request

import pytest
import yaml
from botocore.exceptions import ClientError

from tests.conftest import AwsTestContext
from tests.emulator.helpers import public_version_arn, recipe, recipe_bytes


def error_of(raised: pytest.ExceptionInfo[ClientError]) -> dict[str, str]:
    return dict(raised.value.response["Error"])


def test_a_new_version_is_requested_then_deployable(aws: AwsTestContext) -> None:
    gg = aws.client("greengrassv2")
    created = gg.create_component_version(inlineRecipe=recipe_bytes())
    assert created["componentName"] == "com.example.Hello"
    assert created["componentVersion"] == "1.0.0"
    assert created["status"]["componentState"] == "REQUESTED"
    assert created["arn"] == (
        f"arn:aws:greengrass:{aws.region}:{aws.account_id}:components:com.example.Hello"
        ":versions:1.0.0"
    )
    described = gg.describe_component(arn=created["arn"])
    assert described["status"]["componentState"] == "DEPLOYABLE"
    assert described["publisher"] == "Example Corp"
    assert described["platforms"] == [{"attributes": {"os": "linux"}}]


def test_yaml_recipes_are_accepted(aws: AwsTestContext) -> None:
    gg = aws.client("greengrassv2")
    text = yaml.safe_dump(recipe(name="com.example.Yaml", version="2.0.0"))
    # Unquoted, YAML reads 2020-01-25 as a date; the service accepts it as the format version.
    text = text.replace("'2020-01-25'", "2020-01-25")
    created = gg.create_component_version(inlineRecipe=text.encode())
    assert created["componentVersion"] == "2.0.0"


def test_an_existing_version_is_a_conflict_with_the_service_message(aws: AwsTestContext) -> None:
    gg = aws.client("greengrassv2")
    gg.create_component_version(inlineRecipe=recipe_bytes())
    with pytest.raises(ClientError) as raised:
        gg.create_component_version(inlineRecipe=recipe_bytes())
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert error_of(raised)["Code"] == "ConflictException"
    assert error_of(raised)["Message"] == (
        f"Component [com.example.Hello : 1.0.0] for account [{aws.account_id}] already exists "
        "with state: [DEPLOYABLE]"
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"RecipeFormatVersion": "2019-01-01"}, "RecipeFormatVersion must be '2020-01-25'"),
        ({"ComponentVersion": "1.0"}, "ComponentVersion must be a semantic version"),
        (
            {"ComponentDependencies": {"x": {"VersionRequirement": "not a range"}}},
            "is not a valid npm-style version range",
        ),
        (
            {
                "ComponentDependencies": {
                    "x": {"VersionRequirement": "^1.0.0", "DependencyType": "MEDIUM"}
                }
            },
            "DependencyType must be HARD or SOFT",
        ),
        ({"Manifests": [{"Artifacts": [{"Unarchive": "ZIP"}]}]}, "URI is required"),
    ],
)
def test_invalid_recipes_are_rejected_with_the_reason(
    aws: AwsTestContext, change: dict[str, object], expected: str
) -> None:
    document = {**recipe(), **change}
    with pytest.raises(ClientError) as raised:
        aws.client("greengrassv2").create_component_version(
            inlineRecipe=json.dumps(document).encode()
        )
    assert error_of(raised)["Code"] == "ValidationException"
    assert expected in error_of(raised)["Message"]
    assert raised.value.response["reason"] == "FIELD_VALIDATION_FAILED"


def test_lambda_components_are_refused_clearly(aws: AwsTestContext) -> None:
    with pytest.raises(ClientError) as raised:
        aws.client("greengrassv2").create_component_version(
            lambdaFunction={"lambdaArn": "arn:aws:lambda:us-east-1:123456789012:function:f:1"}
        )
    assert error_of(raised)["Code"] == "ValidationException"
    assert "not supported by the emulator" in error_of(raised)["Message"]


def test_artifacts_in_s3_make_the_version_deployable_with_a_digest(aws: AwsTestContext) -> None:
    s3, gg = aws.client("s3"), aws.client("greengrassv2")
    s3.create_bucket(Bucket="artifacts")
    s3.put_object(Bucket="artifacts", Key="hello/run.sh", Body=b"echo hello")
    created = gg.create_component_version(
        inlineRecipe=recipe_bytes(artifacts=["s3://artifacts/hello/run.sh"])
    )
    assert gg.describe_component(arn=created["arn"])["status"]["componentState"] == "DEPLOYABLE"
    stored = json.loads(gg.get_component(arn=created["arn"])["recipe"])
    artifact = stored["Manifests"][0]["Artifacts"][0]
    assert artifact["Algorithm"] == "SHA-256"
    expected = base64.b64encode(hashlib.sha256(b"echo hello").digest()).decode()
    assert artifact["Digest"] == expected


def test_unreadable_artifacts_refuse_the_version_at_once(aws: AwsTestContext) -> None:
    """The service's answer, word for word as aws/aws-cli#6261 quotes it; nothing is created."""
    s3, gg = aws.client("s3"), aws.client("greengrassv2")
    s3.create_bucket(Bucket="here")
    s3.create_bucket(
        Bucket="elsewhere", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    s3.put_object(Bucket="elsewhere", Key="model.tar.gz", Body=b"m")
    missing, other_region = "s3://here/missing.tar.gz", "s3://elsewhere/model.tar.gz"
    no_bucket = "s3://no-such-bucket/x"
    with pytest.raises(ClientError) as raised:
        gg.create_component_version(
            inlineRecipe=recipe_bytes(artifacts=[missing, other_region, no_bucket])
        )
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error_of(raised)["Code"] == "ValidationException"
    assert error_of(raised)["Message"] == (
        "Invalid Input: Encountered following errors in Artifacts: "
        f"{{{missing} = Specified artifact resource cannot be accessed, "
        f"{other_region} = Specified artifact resource cannot be accessed, "
        f"{no_bucket} = Specified artifact resource cannot be accessed}}"
    )
    why = {f["name"]: f["message"] for f in raised.value.response["fields"]}
    assert set(why) == {missing, other_region, no_bucket}
    assert "does not exist" in why[missing]
    assert "eu-west-1" in why[other_region]
    assert gg.list_components()["components"] == []


def test_a_refused_version_can_be_created_once_its_artifact_exists(aws: AwsTestContext) -> None:
    s3, gg = aws.client("s3"), aws.client("greengrassv2")
    s3.create_bucket(Bucket="artifacts")
    document = recipe_bytes(artifacts=["s3://artifacts/hello/run.sh"])
    with pytest.raises(ClientError) as raised:
        gg.create_component_version(inlineRecipe=document, clientToken="first-try")
    assert error_of(raised)["Code"] == "ValidationException"
    arn = (
        f"arn:aws:greengrass:{aws.region}:{aws.account_id}:components:com.example.Hello"
        ":versions:1.0.0"
    )
    with pytest.raises(ClientError) as missing:
        gg.describe_component(arn=arn)
    assert error_of(missing)["Code"] == "ResourceNotFoundException"

    s3.put_object(Bucket="artifacts", Key="hello/run.sh", Body=b"echo hello")
    # The same request and token again: not blocked, neither by the name nor by the token.
    created = gg.create_component_version(inlineRecipe=document, clientToken="first-try")
    assert created["arn"] == arn
    assert gg.describe_component(arn=arn)["status"]["componentState"] == "DEPLOYABLE"


def test_get_component_returns_json_or_yaml(aws: AwsTestContext) -> None:
    gg = aws.client("greengrassv2")
    arn = gg.create_component_version(inlineRecipe=recipe_bytes())["arn"]
    as_json = gg.get_component(arn=arn, recipeOutputFormat="JSON")
    as_yaml = gg.get_component(arn=arn, recipeOutputFormat="YAML")
    assert as_json["recipeOutputFormat"] == "JSON"
    assert as_yaml["recipeOutputFormat"] == "YAML"
    assert json.loads(as_json["recipe"]) == yaml.safe_load(as_yaml["recipe"]) == recipe()
    assert not as_yaml["recipe"].lstrip().startswith(b"{")


def test_public_components_are_listed_with_their_latest_version(aws: AwsTestContext) -> None:
    gg = aws.client("greengrassv2")
    public = {c["componentName"]: c for c in gg.list_components(scope="PUBLIC")["components"]}
    dlr = public["aws.greengrass.DLRImageClassification"]
    assert dlr["arn"] == (
        f"arn:aws:greengrass:{aws.region}:aws:components:aws.greengrass.DLRImageClassification"
    )
    assert dlr["latestVersion"]["componentVersion"] == "2.1.10"
    assert dlr["latestVersion"]["publisher"] == "AWS"
    assert {"variant.DLR", "variant.TensorFlowLite", "aws.greengrass.Nucleus"} <= set(public)
    assert gg.list_components()["components"] == []  # PRIVATE is the default scope


def test_public_versions_and_dependency_ranges(aws: AwsTestContext) -> None:
    gg = aws.client("greengrassv2")
    name = "aws.greengrass.TensorFlowLiteImageClassification"
    arn = f"arn:aws:greengrass:{aws.region}:aws:components:{name}"
    versions = gg.list_component_versions(arn=arn)["componentVersions"]
    assert [v["componentVersion"] for v in versions] == ["2.1.8", "2.1.7", "2.1.6"]
    document = json.loads(gg.get_component(arn=versions[0]["arn"])["recipe"])
    dependencies = document["ComponentDependencies"]
    assert (
        dependencies["variant.TensorFlowLite.ImageClassification.ModelStore"]["VersionRequirement"]
        == ">=2.1.0 <2.2.0"
    )
    assert dependencies["variant.TensorFlowLite"]["VersionRequirement"] == ">=2.5.0 <2.6.0"
    configuration = document["ComponentConfiguration"]["DefaultConfiguration"]
    assert configuration["PublishResultsOnTopic"] == "ml/tflite/image-classification"


@pytest.mark.parametrize(
    ("name", "version", "topic"),
    [
        ("aws.greengrass.DLRImageClassification", "2.1.10", "ml/dlr/image-classification"),
        ("aws.greengrass.DLRObjectDetection", "2.1.10", "ml/dlr/object-detection"),
        (
            "aws.greengrass.TensorFlowLiteImageClassification",
            "2.1.8",
            "ml/tflite/image-classification",
        ),
    ],
)
def test_public_ipc_policy_ids_are_those_of_the_component_documentation(
    aws: AwsTestContext, name: str, version: str, topic: str
) -> None:
    """The `accessControl` default of each page of the developer guide (e.g. "DLR image
    classification": `aws.greengrass.DLRImageClassification:mqttproxy:1`): a deployment that
    overrides the policy by its id replaces the default one instead of adding a second."""
    gg = aws.client("greengrassv2")
    answer = gg.get_component(arn=public_version_arn(name, version, aws.region))
    configuration = json.loads(answer["recipe"])["ComponentConfiguration"]["DefaultConfiguration"]
    policies = configuration["accessControl"]["aws.greengrass.ipc.mqttproxy"]
    assert list(policies) == [f"{name}:mqttproxy:1"]
    assert policies[f"{name}:mqttproxy:1"]["resources"] == [topic]
    assert configuration["PublishResultsOnTopic"] == topic


def test_list_paginators_walk_every_page(aws: AwsTestContext) -> None:
    gg = aws.client("greengrassv2")
    for index in range(7):
        gg.create_component_version(inlineRecipe=recipe_bytes(name=f"com.example.C{index}"))
    for version in ("0.9.0", "1.2.0", "1.10.0", "2.0.0"):
        gg.create_component_version(
            inlineRecipe=recipe_bytes(name="com.example.C0", version=version)
        )
    names = [
        c["componentName"]
        for page in gg.get_paginator("list_components").paginate(PaginationConfig={"PageSize": 3})
        for c in page["components"]
    ]
    assert names == sorted(f"com.example.C{i}" for i in range(7))
    arn = f"arn:aws:greengrass:{aws.region}:{aws.account_id}:components:com.example.C0"
    pages = list(
        gg.get_paginator("list_component_versions").paginate(
            arn=arn, PaginationConfig={"PageSize": 2}
        )
    )
    versions = [v["componentVersion"] for p in pages for v in p["componentVersions"]]
    assert versions == ["2.0.0", "1.10.0", "1.2.0", "1.0.0", "0.9.0"]
    assert len(pages) == 3


def test_unknown_components_are_not_found(aws: AwsTestContext) -> None:
    gg = aws.client("greengrassv2")
    arn = f"arn:aws:greengrass:{aws.region}:{aws.account_id}:components:com.example.None"
    with pytest.raises(ClientError) as raised:
        gg.describe_component(arn=f"{arn}:versions:1.0.0")
    assert error_of(raised)["Code"] == "ResourceNotFoundException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as raised:
        gg.list_component_versions(arn=arn)
    assert error_of(raised)["Code"] == "ResourceNotFoundException"


def test_delete_removes_a_private_version_but_not_a_public_one(aws: AwsTestContext) -> None:
    gg = aws.client("greengrassv2")
    arn = gg.create_component_version(inlineRecipe=recipe_bytes())["arn"]
    gg.delete_component(arn=arn)
    with pytest.raises(ClientError) as raised:
        gg.get_component(arn=arn)
    assert error_of(raised)["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as raised:
        gg.delete_component(arn=public_version_arn("variant.DLR", "1.6.12"))
    assert error_of(raised)["Code"] == "AccessDeniedException"


def test_artifact_urls_download_the_object_from_emulated_s3(aws: AwsTestContext) -> None:
    s3, gg = aws.client("s3"), aws.client("greengrassv2")
    s3.create_bucket(Bucket="artifacts")
    s3.put_object(Bucket="artifacts", Key="models/resnet.tar.gz", Body=b"weights")
    arn = gg.create_component_version(
        inlineRecipe=recipe_bytes(artifacts=["s3://artifacts/models/resnet.tar.gz"])
    )["arn"]
    url = gg.get_component_version_artifact(arn=arn, artifactName="resnet.tar.gz")["preSignedUrl"]
    assert url.startswith(aws.endpoint_url + "/artifacts/models/resnet.tar.gz?")
    assert "X-Amz-Signature=" in url
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"weights"
    with pytest.raises(ClientError) as raised:
        gg.get_component_version_artifact(arn=arn, artifactName="other.zip")
    assert error_of(raised)["Code"] == "ResourceNotFoundException"
