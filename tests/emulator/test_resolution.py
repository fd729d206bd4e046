"""ResolveComponentCandidates: the dependency closure, chosen like the nucleus chooses."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.conftest import AwsTestContext
from tests.emulator.helpers import recipe_bytes

LINUX_X86 = {"attributes": {"os": "linux", "architecture": "amd64"}}


def resolve(
    aws: AwsTestContext, *candidates: dict[str, object], platform: dict[str, object] | None = None
) -> dict[str, dict[str, object]]:
    answer = aws.client("greengrassv2").resolve_component_candidates(
        platform=platform or LINUX_X86, componentCandidates=list(candidates)
    )
    return {r["componentName"]: r for r in answer["resolvedComponentVersions"]}


def test_the_closure_of_a_public_inference_component(aws: AwsTestContext) -> None:
    chosen = resolve(
        aws,
        {
            "componentName": "aws.greengrass.TensorFlowLiteImageClassification",
            "versionRequirements": {"group": ">=2.1.0"},
        },
    )
    versions = {name: r["componentVersion"] for name, r in chosen.items()}
    assert versions == {
        "aws.greengrass.TensorFlowLiteImageClassification": "2.1.8",
        "variant.TensorFlowLite.ImageClassification.ModelStore": "2.1.8",
        "variant.TensorFlowLite": "2.5.11",
        "aws.greengrass.Nucleus": "2.12.1",
    }
    recipe = json.loads(chosen["variant.TensorFlowLite"]["recipe"])
    assert recipe["ComponentConfiguration"]["DefaultConfiguration"]["MLRootPath"]
    assert all(r["vendorGuidance"] == "ACTIVE" for r in chosen.values())


def test_requirements_pick_the_highest_satisfying_version(aws: AwsTestContext) -> None:
    chosen = resolve(
        aws,
        {
            "componentName": "aws.greengrass.DLRImageClassification",
            "versionRequirements": {"a": ">=2.1.8", "b": "<2.1.10"},
        },
    )
    assert chosen["aws.greengrass.DLRImageClassification"]["componentVersion"] == "2.1.9"


def test_a_candidate_without_requirements_is_pinned_to_its_version(aws: AwsTestContext) -> None:
    chosen = resolve(aws, {"componentName": "variant.DLR", "componentVersion": "1.6.11"})
    assert chosen["variant.DLR"]["componentVersion"] == "1.6.11"


def test_private_versions_count_alongside_public_ones(aws: AwsTestContext) -> None:
    gg = aws.client("greengrassv2")
    gg.create_component_version(inlineRecipe=recipe_bytes(name="variant.DLR", version="1.6.13"))
    gg.create_component_version(inlineRecipe=recipe_bytes(name="variant.DLR", version="1.7.0"))
    chosen = resolve(
        aws,
        {
            "componentName": "aws.greengrass.DLRImageClassification",
            "versionRequirements": {"group": "2.1.10"},
        },
    )
    assert chosen["variant.DLR"]["componentVersion"] == "1.6.13"  # ~1.6.0 excludes 1.7.0
    assert f":{aws.account_id}:" in str(chosen["variant.DLR"]["arn"])


def test_platforms_that_no_manifest_supports_are_skipped(aws: AwsTestContext) -> None:
    gg = aws.client("greengrassv2")
    gg.create_component_version(
        inlineRecipe=recipe_bytes(version="1.0.0", platform={"os": "linux"})
    )
    gg.create_component_version(
        inlineRecipe=recipe_bytes(version="2.0.0", platform={"os": "windows"})
    )
    chosen = resolve(
        aws, {"componentName": "com.example.Hello", "versionRequirements": {"group": ">=1.0.0"}}
    )
    assert chosen["com.example.Hello"]["componentVersion"] == "1.0.0"


LINUX_ARM = {"attributes": {"os": "linux", "architecture": "arm"}}
WINDOWS_ARM = {"attributes": {"os": "windows", "architecture": "arm"}}


@pytest.mark.parametrize(
    ("platform", "devices"),
    [
        ({"os": "all"}, [LINUX_X86, WINDOWS_ARM]),
        ({"os": "any"}, [LINUX_X86, WINDOWS_ARM]),
        ({"os": "linux", "architecture": "all"}, [LINUX_X86, LINUX_ARM]),
        ({"os": "any", "architecture": "any"}, [LINUX_X86, WINDOWS_ARM]),
    ],
)
def test_all_and_any_are_wildcards_for_os_and_architecture(
    aws: AwsTestContext, platform: dict[str, str], devices: list[dict[str, object]]
) -> None:
    """As the nucleus's PlatformHelper treats them (recipes like aws/aws-cli#6185's
    `"os": "all"`): the manifest serves every value of that attribute."""
    gg = aws.client("greengrassv2")
    gg.create_component_version(inlineRecipe=recipe_bytes(version="3.0.0", platform=platform))
    for device in devices:
        chosen = resolve(aws, {"componentName": "com.example.Hello"}, platform=device)
        assert chosen["com.example.Hello"]["componentVersion"] == "3.0.0"
    if platform.get("os") == "linux":
        with pytest.raises(ClientError):
            resolve(aws, {"componentName": "com.example.Hello"}, platform=WINDOWS_ARM)


def test_all_is_a_wildcard_only_for_os_and_architecture(aws: AwsTestContext) -> None:
    gg = aws.client("greengrassv2")
    gg.create_component_version(
        inlineRecipe=recipe_bytes(platform={"os": "linux", "com.example.board": "all"})
    )
    device = {"attributes": {"os": "linux", "architecture": "amd64", "com.example.board": "pi"}}
    with pytest.raises(ClientError) as raised:
        resolve(aws, {"componentName": "com.example.Hello"}, platform=device)
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_conflicting_requirements_name_the_component_and_ranges(aws: AwsTestContext) -> None:
    gg = aws.client("greengrassv2")
    gg.create_component_version(
        inlineRecipe=recipe_bytes(
            name="com.example.NeedsOldDlr",
            dependencies={"variant.DLR": {"VersionRequirement": "<1.6.0"}},
        )
    )
    with pytest.raises(ClientError) as raised:
        resolve(
            aws,
            {"componentName": "com.example.NeedsOldDlr", "versionRequirements": {"g": "1.0.0"}},
            {"componentName": "variant.DLR", "versionRequirements": {"g": "~1.6.0"}},
        )
    error = raised.value.response["Error"]
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert error["Code"] == "ConflictException"
    assert "variant.DLR" in error["Message"]
    assert "com.example.NeedsOldDlr requires '<1.6.0'" in error["Message"]
    assert "g requires '~1.6.0'" in error["Message"]


def test_an_unknown_dependency_is_not_found(aws: AwsTestContext) -> None:
    gg = aws.client("greengrassv2")
    gg.create_component_version(
        inlineRecipe=recipe_bytes(
            dependencies={"com.example.Missing": {"VersionRequirement": "^1.0.0"}}
        )
    )
    with pytest.raises(ClientError) as raised:
        resolve(aws, {"componentName": "com.example.Hello", "versionRequirements": {"g": "1.0.0"}})
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert "com.example.Missing" in raised.value.response["Error"]["Message"]
