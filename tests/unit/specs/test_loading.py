"""Loading a whole specs tree: the resolved sample, cross-document rules, files and limits."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest

from reconciler.core.plan import PruneMode
from reconciler.core.specs import (
    InMemorySpecTree,
    InvalidSpecsError,
    SpecLimits,
    SpecSet,
    parse_spec_tree,
)
from reconciler.core.specs.local_files import ESCAPING_SYMLINK
from tests.unit.specs.support import (
    SAMPLE,
    document,
    edit,
    load,
    only_settings,
    rendered,
    sample_files,
)

INFERENCE = "aws.greengrass.DLRImageClassification"
MODEL_STORE = "variant.DLR.ImageClassification.ModelStore"
UPLOADER = "com.acme.ImageUploader"


@pytest.fixture(scope="module")
def sample() -> SpecSet:
    return load(sample_files())


def test_the_sample_resolves_settings(sample: SpecSet) -> None:
    settings = sample.settings
    assert (settings.region, settings.account_id) == ("us-east-1", "123456789012")
    assert settings.thing_group_arn("CameraFleetProd") == (
        "arn:aws:iot:us-east-1:123456789012:thinggroup/CameraFleetProd"
    )
    assert settings.artifact_uri(UPLOADER, "1.0.0", "upload_results.py") == (
        "s3://acme-greengrass-artifacts/greengrass-reconciler/com.acme.ImageUploader/1.0.0/"
        "upload_results.py"
    )


def test_deployments_are_sorted_by_thing_group_with_components_sorted(sample: SpecSet) -> None:
    assert [d.thing_group for d in sample.deployments] == ["CameraFleetProd", "CameraFleetStaging"]
    for deployment in sample.deployments:
        assert list(deployment.components) == sorted(deployment.components)
    prod = sample.deployments[0]
    assert (prod.name, prod.deployment_name) == ("camera-prod", "camera-fleet-prod")
    assert sample.deployments[1].deployment_name == "camera-staging"  # defaults to metadata.name


def test_omitted_versions_come_from_the_repository(sample: SpecSet) -> None:
    prod = sample.deployment_for("CameraFleetProd")
    staging = sample.deployment_for("CameraFleetStaging")
    assert prod is not None and staging is not None
    assert prod.components[UPLOADER].version == "1.0.0"  # the Component's version
    assert prod.components[MODEL_STORE].version is None  # the override's: the planner picks it
    assert staging.components[MODEL_STORE].version == "2.1.9"  # pinned to the public one
    assert prod.components[INFERENCE].version == "2.1.10"  # from the base


def test_policies_get_the_service_defaults_and_api_shapes(sample: SpecSet) -> None:
    prod = sample.deployment_for("CameraFleetProd")
    staging = sample.deployment_for("CameraFleetStaging")
    assert prod is not None and staging is not None
    assert prod.deployment_policies.to_api() == {
        "failureHandlingPolicy": "ROLLBACK",
        "componentUpdatePolicy": {"timeoutInSeconds": 120, "action": "NOTIFY_COMPONENTS"},
        "configurationValidationPolicy": {"timeoutInSeconds": 30},
    }
    assert staging.iot_job_configuration.to_api() == {
        "jobExecutionsRolloutConfig": {"maximumPerMinute": 100},
        "timeoutConfig": {"inProgressTimeoutInMinutes": 60},
    }
    assert prod.iot_job_configuration.to_api()["abortConfig"] == {
        "criteriaList": [
            {
                "failureType": "FAILED",
                "action": "CANCEL",
                "thresholdPercentage": 10.0,
                "minNumberOfExecutedThings": 20,
            }
        ]
    }
    assert prod.components[UPLOADER].run_with_api() == {
        "systemResourceLimits": {"memory": 102400, "cpus": 0.5}
    }
    assert prod.components[INFERENCE].run_with_api() is None


def test_tags_secrets_and_sync_policy_merge_through_extends(sample: SpecSet) -> None:
    prod = sample.deployment_for("CameraFleetProd")
    staging = sample.deployment_for("CameraFleetStaging")
    assert prod is not None and staging is not None
    assert prod.tags == {"env": "prod", "managed-by": "greengrass-reconciler", "team": "vision"}
    team = {"managed-by": "greengrass-reconciler", "team": "vision"}
    assert staging.tags_api() == {"env": "staging", **team}
    assert staging.components[UPLOADER].secret_paths == ("/credentials/token",)
    assert prod.components[UPLOADER].secret_paths == ("/credentials/token", "/credentials/clientId")
    assert (prod.sync_policy.self_heal, prod.sync_policy.prune) == (True, False)
    assert prod.components[INFERENCE].configuration_policy == "minimal"


def test_components_carry_their_recipe_and_hashed_local_artifacts(sample: SpecSet) -> None:
    [uploader] = sample.components
    assert (uploader.name, uploader.version) == (UPLOADER, "1.0.0")
    assert uploader.recipe_path == "components/com.acme.ImageUploader/recipe.yaml"
    assert uploader.recipe["ComponentName"] == UPLOADER
    [artifact] = uploader.local_artifacts
    content = (SAMPLE / artifact.path).read_bytes()
    assert artifact.reference == "artifacts/upload_results.py"
    assert (artifact.size, artifact.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    assert artifact.file_name == "upload_results.py"


def test_overrides_carry_their_rules(sample: SpecSet) -> None:
    [override] = sample.overrides
    assert (override.name, override.base_version, override.bump) == (MODEL_STORE, "2.1.9", "patch")
    assert override.version is None and override.publisher == "ACME Vision"
    rules = {rule.match: rule for rule in override.artifact_rules}
    assert [rule.match for rule in override.artifact_rules][:3] == [
        "*x86_64*",
        "*aarch64*",
        "*armv7l*",
    ]
    for rule in override.artifact_rules:
        assert (rule.uri is None) != (rule.local is None)  # exactly one source per rule
    for match in ("*x86_64*", "*aarch64*"):
        local = rules[match].local
        assert local is not None and local.path.startswith("overrides/models/")
        assert local.size == (SAMPLE / local.path).stat().st_size
    assert rules["*armv7l*"].uri == (
        "s3://acme-greengrass-artifacts/models/DLR-resnet18-armv7l-cpu-ImageClassification.tar.gz"
    )


def test_recipes_and_artifacts_are_not_spec_documents() -> None:
    files = sample_files()
    files["components/com.acme.ImageUploader/artifacts/settings.yaml"] = b"not: a spec\n"
    files = edit(
        files,
        "components/com.acme.ImageUploader/recipe.yaml",
        "      - URI: artifacts/upload_results.py",
        "      - URI: artifacts/settings.yaml\n      - URI: artifacts/upload_results.py",
    )
    [uploader] = load(files).components
    assert [a.file_name for a in uploader.local_artifacts] == ["settings.yaml", "upload_results.py"]


def test_hidden_files_and_other_extensions_are_ignored() -> None:
    files = sample_files()
    files[".github/workflows/ci.yaml"] = b"on: push\n"
    files["groups/.draft.yaml"] = b"broken: ["
    files["notes.txt"] = b"anything"
    assert len(load(files).deployments) == 2


def test_every_problem_is_reported_in_one_run_sorted_by_file_and_line() -> None:
    files = sample_files()
    files = edit(files, "groups/camera-staging.yaml", "version: 2.1.9", "version: 2.1")
    files = edit(files, "groups/camera-prod.yaml", "maximumPerMinute: 50", "maximumPerMinute: 5000")
    files = edit(files, "bases/camera-fleet.yaml", "selfHeal: true", "selfHeal: sometimes")
    found = rendered(files)
    assert [line.split(": ")[0] for line in found] == [
        "bases/camera-fleet.yaml:38",
        "groups/camera-prod.yaml:49",
        "groups/camera-staging.yaml:19",
    ]


def test_a_missing_or_second_settings_document() -> None:
    files = sample_files()
    settings = files.pop("reconciler.yaml")
    assert rendered(files) == [
        ".: no Settings document found: add reconciler.yaml with kind: Settings (region, "
        "accountId, artifacts.bucket)"
    ]
    files.update({"reconciler.yaml": settings, "zz-settings.yaml": settings})
    assert rendered(files) == [
        "zz-settings.yaml:4: kind: a second Settings document (the first is reconciler.yaml:4); "
        "keep exactly one per specs root"
    ]


def test_zero_deployments_need_allow_empty() -> None:
    files = only_settings()
    assert load(files).deployments == ()
    files = edit(files, "reconciler.yaml", "allowEmpty: true", "allowEmpty: false")
    [message] = rendered(files)
    assert message.startswith("reconciler.yaml:1: spec.allowEmpty: there is no Deployment document")


def test_names_are_unique_per_kind_and_thing_groups_have_one_deployment() -> None:
    files = only_settings(
        a=document("Deployment", "same", "thingGroup: One\ncomponents: {x.Y: {version: 1.0.0}}"),
        b=document("Deployment", "same", "thingGroup: Two"),
        c=document("Deployment", "other", "thingGroup: One"),
        d=document("DeploymentBase", "same", "{}"),  # another kind: allowed
    )
    assert rendered(files) == [
        "b.yaml:4: metadata.name: another Deployment is already named 'same' (a.yaml:1); names "
        "must be unique per kind",
        "c.yaml:6: spec.thingGroup: thing group 'One' is already the target of Deployment 'same' "
        "(a.yaml:1); a thing group has exactly one Deployment",
    ]


def test_a_version_may_be_omitted_only_for_repository_components() -> None:
    files = only_settings(a=document("Deployment", "a", "thingGroup: A\ncomponents:\n  x.Y: {}"))
    [message] = rendered(files)
    assert message.startswith(
        "a.yaml:8: spec.components[\"x.Y\"]: no version given, and 'x.Y' is not declared in this "
        "repository"
    )


def test_a_component_is_declared_once() -> None:
    files = sample_files()
    override = files["overrides/dlr-model-store.yaml"].decode()
    files["overrides/uploader.yaml"] = override.replace(MODEL_STORE, UPLOADER).encode()
    [message] = rendered(files)
    assert message.startswith(
        "overrides/uploader.yaml:9: metadata.name: 'com.acme.ImageUploader' is also declared as "
        "a Component (components/com.acme.ImageUploader/component.yaml:2)"
    )


def test_documents_and_recipes_over_the_size_limit_are_not_read() -> None:
    files = sample_files()
    files["groups/huge.yaml"] = b"# " + b"x" * 5000 + b"\n"
    limits = SpecLimits(max_document_bytes=4000)
    assert rendered(files, limits) == [
        "groups/huge.yaml: the file is 5003 bytes; spec documents and recipes may be at most "
        "4000 bytes"
    ]


def test_artifacts_over_the_size_limit_are_rejected() -> None:
    limits = SpecLimits(max_artifact_bytes=100)
    found = rendered(sample_files(), limits)
    assert len(found) == 3  # the uploader script and both model archives
    assert all("more than the limit of 100 bytes" in line for line in found)


class BrokenTree(InMemorySpecTree):
    """A tree where some listed files cannot be read (permissions, a vanished file)."""

    def __init__(self, files: dict[str, bytes], unreadable: Sequence[str]) -> None:
        super().__init__(files)
        self.unreadable = set(unreadable)

    def read_bytes(self, path: str) -> bytes:
        if path in self.unreadable:
            raise PermissionError(13, "Permission denied")
        return super().read_bytes(path)

    def sha256(self, path: str) -> str:
        if path in self.unreadable:
            raise PermissionError(13, "Permission denied")
        return super().sha256(path)


def test_unreadable_files_are_problems_not_crashes() -> None:
    artifact = "components/com.acme.ImageUploader/artifacts/upload_results.py"
    tree = BrokenTree(sample_files(), ["groups/camera-prod.yaml", artifact])
    with pytest.raises(InvalidSpecsError) as raised:
        parse_spec_tree(tree)
    messages = [p.render() for p in raised.value.problems]
    assert "groups/camera-prod.yaml: the file cannot be read: Permission denied" in messages
    assert any(artifact in m and "cannot read" in m and "Permission denied" in m for m in messages)


def test_symlinks_that_leave_the_root_are_refused() -> None:
    artifact = "components/com.acme.ImageUploader/artifacts/upload_results.py"
    tree = InMemorySpecTree(
        sample_files(), escaping=frozenset({artifact, "groups/camera-prod.yaml"})
    )
    with pytest.raises(InvalidSpecsError) as raised:
        parse_spec_tree(tree)
    messages = [p.message for p in raised.value.problems]
    assert f"{artifact!r} {ESCAPING_SYMLINK}" in messages
    assert f"the file {ESCAPING_SYMLINK}" in messages


def test_unknown_kind_suggests_the_closest() -> None:
    files = only_settings(a=document("Deploymnt", "a", "{}"))
    assert rendered(files) == [
        "a.yaml:2: kind: 'Deploymnt' is not allowed (expected Settings or DeploymentBase or "
        "Deployment or Component or ComponentOverride or Rollout); did you mean 'Deployment'?"
    ]


def test_a_yaml_file_that_is_no_spec_document() -> None:
    files = only_settings(a="name: something else\n")
    assert rendered(files) == [
        "a.yaml:1: apiVersion: required field is missing",
        "a.yaml:1: kind: required field is missing",
        "a.yaml:1: metadata: required field is missing",
        "a.yaml:1: name: unknown field 'name' (expected one of: apiVersion, kind, metadata, spec)",
        "a.yaml:1: spec: required field is missing",
    ]


def deployment_of(group: str) -> str:
    return document("Deployment", group.lower(), f"thingGroup: {group}\ncomponents: {{}}")


def test_a_rollout_loads_with_the_deployments_it_orders() -> None:
    spec = (
        "waves:\n"
        "  - name: canary\n"
        "    canary: {parent: CameraFleetProd, group: CameraFleetCanary}\n"
        "    gate: {minDevices: 3, bake: 10m}\n"
        "  - name: production\n"
        "    targets: [CameraFleetProd]\n"
        "onFailure: revert"
    )
    files = only_settings(
        rollout=document("Rollout", "camera-models", spec),
        prod=deployment_of("CameraFleetProd"),
        other=deployment_of("OtherFleet"),
    )
    spec_set = load(files)
    (rollout,) = spec_set.rollouts
    assert rollout.name == "camera-models"
    assert [wave.name for wave in rollout.waves] == ["canary", "production"]
    assert rollout.groups == ("CameraFleetCanary", "CameraFleetProd")
    assert rollout.source_group("CameraFleetCanary") == "CameraFleetProd"
    assert rollout.waves[0].gate.bake_seconds == 600.0
    assert spec_set.rollout_for("CameraFleetProd") is rollout
    assert spec_set.rollout_for("OtherFleet") is None


def test_a_rollout_naming_a_group_without_a_deployment_is_an_error_with_its_line() -> None:
    spec = "waves:\n  - name: staging\n    targets: [CameraFleetStaging]"
    files = only_settings(rollout=document("Rollout", "camera-models", spec))
    assert rendered(files) == [
        "rollout.yaml:7: spec.waves[0].targets: the thing group 'CameraFleetStaging' has no "
        "Deployment document"
    ]


def test_a_rollout_spec_is_checked_like_every_other_kind() -> None:
    spec = "waves:\n  - name: canary\n    targets: [A]\n    gate: {bake: soon}"
    files = only_settings(rollout=document("Rollout", "camera-models", spec), a=deployment_of("A"))
    (line,) = rendered(files)
    assert line.startswith("rollout.yaml:9: spec.waves[0].gate.bake:")
    assert "not a duration" in line


def test_a_kind_that_is_not_text_is_reported_not_crashed_on() -> None:
    files = only_settings(a="apiVersion: greengrass-reconciler/v1\nkind: [Rollout]\n")
    assert any(line.startswith("a.yaml:2: kind:") for line in rendered(files))


@pytest.mark.parametrize(
    ("written", "mode"),
    [
        ("false", PruneMode.OFF),
        ("true", PruneMode.CANCEL),  # what prune: true always did
        ("cancel", PruneMode.CANCEL),
        ("uninstall", PruneMode.UNINSTALL),
    ],
)
def test_settings_say_what_prune_does(written: str, mode: PruneMode) -> None:
    files = edit(sample_files(), "reconciler.yaml", "prune: false", f"prune: {written}")
    assert load(files).settings.prune is mode


def test_an_unknown_prune_mode_is_an_error_naming_the_field() -> None:
    files = edit(sample_files(), "reconciler.yaml", "prune: false", "prune: remove")
    assert rendered(files) == [
        "reconciler.yaml:26: spec.defaults.syncPolicy.prune: expected true, false, cancel or "
        "uninstall, got 'remove'"
    ]
