"""The private component versions a plan creates: their recipes and content identity."""

from __future__ import annotations

import dataclasses

import pytest

from reconciler.core.plan import ComponentOrigin, ComponentVersionPlan
from reconciler.core.planning import plan_deployments
from reconciler.core.specs import InMemorySpecTree, parse_spec_tree
from reconciler.errors import PlanError
from tests.unit.planning.cases import CASES_ROOT, INSTANCE, case_inputs, plan_case
from tests.unit.specs.support import read_tree

MODEL_STORE = "variant.DLR.ImageClassification.ModelStore"


def only_version(case: str) -> ComponentVersionPlan:
    (version,) = plan_case(case).component_versions
    return version


def test_override_recipe_is_the_public_one_with_our_artifacts() -> None:
    spec_set, live = case_inputs("override-range-aware")
    base = live.recipes[(MODEL_STORE, "2.1.9")].recipe
    version = only_version("override-range-aware")
    assert version.origin is ComponentOrigin.OVERRIDE and version.needs_create
    recipe = version.recipe
    assert recipe["ComponentName"] == MODEL_STORE
    assert recipe["ComponentVersion"] == "2.1.11"
    assert recipe["ComponentPublisher"] == "ACME Vision"
    artifacts = [a for manifest in recipe["Manifests"] for a in manifest["Artifacts"]]
    assert [a["URI"] for a in artifacts] == [
        "s3://test-artifacts/greengrass-reconciler/"
        f"{MODEL_STORE}/2.1.11/resnet18-x86_64.tar.gz",  # a repository file, uploaded
        "s3://acme-models/resnet18-aarch64.tar.gz",  # an S3 object named by the rule
    ]
    # AWS's digests describe AWS's files: the service computes those of the new ones.
    assert all("Digest" not in a and "Algorithm" not in a for a in artifacts)
    assert all(a["Unarchive"] == "ZIP" for a in artifacts)
    assert [m["Platform"] for m in recipe["Manifests"]] == [
        m["Platform"] for m in base["Manifests"]
    ]
    # The public recipe the plan was made from is left as it was.
    assert base["ComponentVersion"] == "2.1.9"
    assert "Digest" in base["Manifests"][0]["Artifacts"][0]
    assert spec_set.overrides[0].base_version == "2.1.9"


def test_an_override_keeps_its_identity_whatever_version_it_gets() -> None:
    # The hash says what the override is made of, not which version it got: that is how an
    # earlier apply's version is found and reused instead of taking yet another patch.
    created = only_version("override-range-aware")
    reused = only_version("override-already-created")
    assert (created.version, created.exists) == ("2.1.11", False)
    assert (reused.version, reused.exists) == ("2.1.11", True)
    assert created.content_hash == reused.content_hash


def test_custom_recipe_points_at_the_uploaded_artifact() -> None:
    version = only_version("custom-component-new")
    assert version.origin is ComponentOrigin.CUSTOM
    artifacts = version.recipe["Manifests"][0]["Artifacts"]
    assert [a["URI"] for a in artifacts] == [
        "s3://test-artifacts/greengrass-reconciler/com.acme.Uploader/1.0.0/upload.py",
        "s3://shared-bucket/libs/common.zip",
    ]
    (upload,) = version.artifacts
    assert upload.local_path == "components/com.acme.Uploader/artifacts/upload.py"
    assert upload.uri == artifacts[0]["URI"]


def test_custom_content_hash_follows_the_artifact_bytes() -> None:
    files = read_tree(CASES_ROOT / "custom-component-new" / "specs")
    artifact = "components/com.acme.Uploader/artifacts/upload.py"
    _, live = case_inputs("custom-component-new")

    def content_hash(tree: dict[str, bytes]) -> str:
        plan = plan_deployments(parse_spec_tree(InMemorySpecTree(tree)), live, instance=INSTANCE)
        return plan.component_versions[0].content_hash

    same = content_hash(files)
    assert content_hash(dict(files)) == same == only_version("custom-component-new").content_hash
    assert content_hash({**files, artifact: files[artifact] + b"#"}) != same


def _with_explicit_version(version: str) -> list[tuple[str, bool]]:
    """Plan override-already-created with the override's `bump` replaced by `version`."""
    files = read_tree(CASES_ROOT / "override-already-created" / "specs")
    document = files["overrides/model-store.yaml"].decode()
    assert "bump: patch" in document
    files["overrides/model-store.yaml"] = document.replace(
        "bump: patch", f"version: {version}"
    ).encode()
    _, live = case_inputs("override-already-created")
    plan = plan_deployments(parse_spec_tree(InMemorySpecTree(files)), live, instance=INSTANCE)
    return [(v.version, v.exists) for v in plan.component_versions]


def test_an_explicit_override_version_is_honoured() -> None:
    # 2.1.11 exists with this very content, but the specs ask for 2.1.15: that is created.
    assert _with_explicit_version("2.1.15") == [("2.1.15", False)]
    assert _with_explicit_version("2.1.11") == [("2.1.11", True)]


def test_an_explicit_override_version_taken_by_other_content_is_an_error() -> None:
    with pytest.raises(PlanError) as raised:
        _with_explicit_version("2.1.10")  # another team's
    assert str(raised.value).startswith(
        "overrides/model-store.yaml:1: override of variant.DLR.ImageClassification.ModelStore: "
        "version 2.1.10 already exists; versions are immutable"
    )


def _lower_case_keys(value: object) -> object:
    """`value` with every recipe key written in lower case (Greengrass reads them either way)."""
    if isinstance(value, dict):
        return {key.lower(): _lower_case_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_lower_case_keys(item) for item in value]
    return value


def test_an_override_of_a_recipe_written_in_lower_case_keeps_one_key_per_field() -> None:
    spec_set, live = case_inputs("override-range-aware")
    record = live.recipes[(MODEL_STORE, "2.1.9")]
    lowered = _lower_case_keys(record.recipe)
    assert isinstance(lowered, dict)
    recipes = {**live.recipes, (MODEL_STORE, "2.1.9"): dataclasses.replace(record, recipe=lowered)}
    live = dataclasses.replace(live, recipes=recipes)

    (version,) = plan_deployments(spec_set, live, instance=INSTANCE).component_versions

    recipe = version.recipe
    assert recipe["componentversion"] == "2.1.11" and "ComponentVersion" not in recipe
    assert recipe["componentpublisher"] == "ACME Vision" and "ComponentPublisher" not in recipe
    artifacts = [a for manifest in recipe["manifests"] for a in manifest["artifacts"]]
    assert [a["uri"] for a in artifacts] == [
        f"s3://test-artifacts/greengrass-reconciler/{MODEL_STORE}/2.1.11/resnet18-x86_64.tar.gz",
        "s3://acme-models/resnet18-aarch64.tar.gz",
    ]
    assert all("digest" not in a and "algorithm" not in a for a in artifacts)
