"""Field rules of the spec documents and how their problems are worded."""

from __future__ import annotations

import pytest

from reconciler.core.specs import DeploymentPolicies, SpecProblem
from reconciler.core.specs.located import render_field_path
from tests.unit.specs.support import document, load, only_settings, rendered


def deployment_problems(spec: str) -> list[str]:
    """The messages for a Deployment with `spec` (YAML under spec:), without file and line."""
    files = only_settings(d=document("Deployment", "d", spec))
    return [line.split(": ", 2)[2] for line in rendered(files)]


def component(yaml: str) -> str:
    return "thingGroup: G\ncomponents:\n  a.B:\n" + "".join(f"    {x}\n" for x in yaml.splitlines())


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2.1", "'2.1' is not a valid semantic version (expected MAJOR.MINOR.PATCH, e.g. 2.1.0)"),
        ("v1.0.0", "'v1.0.0' is not a valid semantic version"),
        ("01.0.0", "'01.0.0' is not a valid semantic version"),
        ("1000000.0.0", "Greengrass allows at most 6 digits per version number"),
        ("[1]", "expected a string, got a list"),
    ],
)
def test_component_versions_are_semantic_versions(value: str, message: str) -> None:
    [problem] = deployment_problems(component(f"version: {value}"))
    assert message in problem


def test_prerelease_and_build_versions_are_fine() -> None:
    files = only_settings(d=document("Deployment", "d", component("version: 2.0.0-rc.1+b7")))
    [deployment] = load(files).deployments
    assert deployment.components["a.B"].version == "2.0.0-rc.1+b7"


@pytest.mark.parametrize(
    ("pointer", "ok"),
    [
        ("", True),
        ("/a/b", True),
        ("/a~1b/~0c", True),
        ("a/b", False),
        ("/a~2", False),
        ("/~", False),
    ],
)
def test_reset_takes_rfc_6901_pointers(pointer: str, ok: bool) -> None:
    spec = component(f"version: 1.0.0\nreset: [{pointer!r}]")
    files = only_settings(d=document("Deployment", "d", spec))
    if ok:
        assert load(files).deployments[0].components["a.B"].reset == (pointer,)
    else:
        [problem] = rendered(files)
        assert "is not a JSON pointer (RFC 6901)" in problem


def test_secret_paths_must_point_inside_the_configuration() -> None:
    [problem] = deployment_problems(component("version: 1.0.0\nsecretPaths: ['']"))
    assert problem == "'' would hide the whole configuration; point at the secret value itself"


def test_unknown_fields_suggest_the_closest_valid_one() -> None:
    assert deployment_problems(component("version: 1.0.0\nconfig: {}")) == [
        "unknown field 'config', did you mean 'configuration'?"
    ]
    assert deployment_problems("thingGroup: G\nTags: {a: b}") == [
        "unknown field 'Tags', did you mean 'tags'?"
    ]
    [problem] = deployment_problems("thingGroup: G\nzzz: 1")
    assert problem.startswith("unknown field 'zzz' (expected one of: ")
    assert "thingGroup" in problem and "iotJobConfiguration" in problem


def test_snake_case_keys_are_unknown_fields() -> None:
    # The target (thingGroup or thing) is checked once the spec is otherwise valid.
    assert deployment_problems("thing_group: G") == [
        "unknown field 'thing_group', did you mean 'thingGroup'?",
    ]


def test_yaml_types_are_taken_as_written_with_a_hint_to_quote() -> None:
    assert deployment_problems("thingGroup: 1234") == [
        'expected a string, got the number 1234; quote it: "1234"'
    ]
    assert deployment_problems("thingGroup: G\ntags: {on: yes}") == [
        "the key 'on' is read as a boolean, but keys must be strings: quote it (\"on\")"
    ]
    spec = "thingGroup: G\ndeploymentPolicies: {componentUpdatePolicy: {timeoutInSeconds: '60'}}"
    assert deployment_problems(spec) == ["expected an integer, got '60'"]


def test_enums_suggest_the_right_spelling() -> None:
    spec = "thingGroup: G\ndeploymentPolicies: {componentUpdatePolicy: {action: notify_components}}"
    assert deployment_problems(spec) == [
        "'notify_components' is not allowed (expected NOTIFY_COMPONENTS or "
        "SKIP_NOTIFY_COMPONENTS); did you mean 'NOTIFY_COMPONENTS'?"
    ]


@pytest.mark.parametrize(
    ("rollout", "message"),
    [
        ("maximumPerMinute: 1001", "the number 1001 is out of range (expected <= 1000)"),
        (
            "exponentialRate: {baseRatePerMinute: 1, incrementFactor: 5.5,\n"
            "  rateIncreaseCriteria: {}}",
            "the number 5.5 is out of range (expected <= 5)",
        ),
        (
            "exponentialRate: {baseRatePerMinute: 1, incrementFactor: 2,\n"
            "  rateIncreaseCriteria: {numberOfNotifiedThings: 0}}",
            "the number 0 is out of range (expected >= 1)",
        ),
    ],
)
def test_numeric_bounds_are_botocores(rollout: str, message: str) -> None:
    rollout = rollout.replace("\n", "\n    ")
    spec = f"thingGroup: G\niotJobConfiguration:\n  jobExecutionsRolloutConfig: {{{rollout}}}"
    assert deployment_problems(spec) == [message]


def test_thing_groups_are_names_not_arns() -> None:
    [problem] = deployment_problems("thingGroup: arn:aws:iot:us-east-1:1:thinggroup/G")
    assert "is not a valid thing group name" in problem and "give the name, not the ARN" in problem


def test_tags_follow_the_api_limits() -> None:
    tags = "{" + ", ".join(f"k{i}: v" for i in range(201)) + "}"
    [problem] = deployment_problems(f"thingGroup: G\ntags: {tags}")
    assert problem.startswith("201 tags (after extends): CreateDeployment accepts at most 200")
    [problem] = deployment_problems("thingGroup: G\ntags: {aws:x: y}")
    assert problem == "invalid key: tag key 'aws:x': the 'aws:' prefix is reserved by AWS"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ("accountId: 123456789012", 'the account id must be quoted ("123456789012")'),
        ('accountId: "12345"', "'12345' is not an AWS account id (expected 12 digits, quoted)"),
        ("region: useast1", "'useast1' is not an AWS region"),
        ("artifacts: {bucket: Bad_Bucket}", "'Bad_Bucket' is not a valid S3 bucket name"),
        ("artifacts: {bucket: ok-bucket, prefix: no-slash}", "must end with '/'"),
    ],
)
def test_settings_fields(settings: str, message: str) -> None:
    key = settings.split(":")[0]
    files = only_settings()
    text = files["reconciler.yaml"].decode()
    lines = [line for line in text.splitlines() if not line.startswith(f"  {key}:")]
    if key == "artifacts":
        lines = [line for line in lines if not line.startswith("    bucket:")]
    files["reconciler.yaml"] = ("\n".join(lines) + f"\n  {settings}\n").encode()
    [problem] = rendered(files)
    assert message in problem


def test_artifact_prefix_has_a_default() -> None:
    assert load(only_settings()).settings.artifact_prefix == "greengrass-reconciler/"


def test_misplaced_fields_say_where_they_belong() -> None:
    files = only_settings(b=document("DeploymentBase", "b", "thingGroup: G"))
    [problem] = rendered(files)
    assert problem.endswith(
        "'thingGroup' is not allowed here: only a Deployment targets a thing group; a "
        "DeploymentBase is abstract"
    )


def test_policies_fill_in_what_the_service_would() -> None:
    update = {"componentUpdatePolicy": {"action": "SKIP_NOTIFY_COMPONENTS"}}
    partial = DeploymentPolicies.model_validate(update)
    assert partial.with_service_defaults().to_api() == {
        "failureHandlingPolicy": "ROLLBACK",
        "componentUpdatePolicy": {"timeoutInSeconds": 60, "action": "SKIP_NOTIFY_COMPONENTS"},
        "configurationValidationPolicy": {"timeoutInSeconds": 30},
    }
    zero = DeploymentPolicies.model_validate({"componentUpdatePolicy": {"timeoutInSeconds": 0}})
    api = zero.with_service_defaults().to_api()
    assert api["componentUpdatePolicy"]["timeoutInSeconds"] == 0  # an explicit 0 is kept


def test_field_paths_render_like_jq() -> None:
    assert render_field_path(("spec", "components", "aws.greengrass.Nucleus", "reset", 0)) == (
        'spec.components["aws.greengrass.Nucleus"].reset[0]'
    )
    assert render_field_path(("spec", "tags", "with space", "x_1")) == 'spec.tags["with space"].x_1'
    assert render_field_path(()) == ""


def test_problems_render_as_compilers_do() -> None:
    assert SpecProblem("a.yaml", 3, "spec.x", "bad").render() == "a.yaml:3: spec.x: bad"
    assert SpecProblem("a.yaml", 0, "", "empty").render("root/") == "root/a.yaml: empty"
    assert (
        SpecProblem("", 0, "", "no settings").render("deploy-specs/") == "deploy-specs: no settings"
    )
