"""The JSON Schema: committed copy up to date, accepts the sample, catches typos while typing."""

from __future__ import annotations

import json
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs installed
import pytest
import yaml
from jsonschema.exceptions import best_match  # type: ignore[import-untyped]

from reconciler.core.specs.schema import render_schema, spec_json_schema
from tests.unit.specs.support import REPO, SAMPLE

SAMPLE_DOCUMENTS = sorted(
    path.relative_to(SAMPLE).as_posix()
    for path in SAMPLE.rglob("*.yaml")
    if path.name != "recipe.yaml"
)


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = spec_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def sample(path: str) -> Any:
    return yaml.safe_load((SAMPLE / path).read_text(encoding="utf-8"))


def test_the_committed_schema_is_up_to_date() -> None:
    committed = (REPO / "docs" / "deploy-specs.schema.json").read_text(encoding="utf-8")
    assert committed == render_schema(), (
        "run: reconciler schema --out docs/deploy-specs.schema.json"
    )


def test_the_schema_covers_every_kind(validator: jsonschema.Draft202012Validator) -> None:
    kinds = {rule["if"]["properties"]["kind"]["const"] for rule in validator.schema["allOf"]}
    assert kinds == {
        "Settings",
        "DeploymentBase",
        "Deployment",
        "Component",
        "ComponentOverride",
        "Rollout",
    }


@pytest.mark.parametrize("path", SAMPLE_DOCUMENTS)
def test_every_sample_document_is_valid(
    validator: jsonschema.Draft202012Validator, path: str
) -> None:
    assert list(validator.iter_errors(sample(path))) == []


def test_a_typo_is_rejected_at_its_place(validator: jsonschema.Draft202012Validator) -> None:
    document = sample("groups/camera-prod.yaml")
    document["spec"]["components"]["com.acme.ImageUploader"]["configuraton"] = {}
    error = best_match(validator.iter_errors(document))
    assert error is not None
    assert "'configuraton' was unexpected" in error.message
    assert list(error.absolute_path) == ["spec", "components", "com.acme.ImageUploader"]


DELETE = object()


@pytest.mark.parametrize(
    ("path", "field", "value"),
    [
        ("groups/camera-prod.yaml", "spec.deploymentPolicies.failureHandlingPolicy", "UNDO"),
        ("groups/camera-prod.yaml", "spec.thingGroup", DELETE),
        ("reconciler.yaml", "spec.accountId", 123456789012),
        ("bases/camera-fleet.yaml", "spec.thingGroup", "X"),
        ("overrides/dlr-model-store.yaml", "spec.bump", "major"),
        ("groups/camera-staging.yaml", "kind", "Deploymnt"),
        ("groups/camera-staging.yaml", "apiVersion", "v1"),
    ],
)
def test_invalid_documents_are_rejected(
    validator: jsonschema.Draft202012Validator, path: str, field: str, value: object
) -> None:
    document = sample(path)
    *parents, key = field.split(".")
    target = document
    for parent in parents:
        target = target[parent]
    if value is DELETE:
        del target[key]
    else:
        target[key] = value
    assert list(validator.iter_errors(document)) != []


def test_patch_documents_may_delete_with_null_and_set_nested_parts(
    validator: jsonschema.Draft202012Validator,
) -> None:
    document = sample("groups/camera-staging.yaml")
    document["spec"]["components"]["com.acme.ImageUploader"] = None
    document["spec"]["iotJobConfiguration"] = {
        "jobExecutionsRolloutConfig": {"exponentialRate": {"baseRatePerMinute": 10}}
    }
    document["spec"]["tags"] = None
    assert list(validator.iter_errors(document)) == []


def test_the_schema_is_json() -> None:
    assert json.loads(render_schema())["$schema"] == "https://json-schema.org/draft/2020-12/schema"
