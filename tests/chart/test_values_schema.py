"""values.yaml and the example values obey values.schema.json; typos and inline secrets do not."""

from __future__ import annotations

import json
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml

from tests.chart.conftest import CHART_DIR, REQUIRED_VALUES
from tests.chart.helmlite import merge_values


def schema() -> dict[str, Any]:
    document = json.loads((CHART_DIR / "values.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(document)  # Helm validates with draft 7
    return dict(document)


def defaults() -> dict[str, Any]:
    values = yaml.safe_load((CHART_DIR / "values.yaml").read_text(encoding="utf-8"))
    assert isinstance(values, dict)
    return values


def problems(overrides: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(schema())
    merged = merge_values(defaults(), overrides)
    return [error.message for error in validator.iter_errors(merged)]


def test_values_yaml_and_the_example_files_are_valid(ha_values: dict[str, Any]) -> None:
    assert problems({}) == []
    assert problems(REQUIRED_VALUES) == []
    assert problems(ha_values) == []


def test_every_default_value_is_described_by_the_schema() -> None:
    # additionalProperties: false at the top: a key in values.yaml the schema does not know
    # would make every install fail, so both must list the same keys.
    assert set(defaults()) == set(schema()["properties"])


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"replicas": 3}, "Additional properties are not allowed ('replicas'"),
        ({"replicaCount": 0}, "0 is less than the minimum of 1"),
        ({"lock": {"kind": "file"}}, "'file' is not one of"),
        ({"git": {"token": "ghp_secret"}}, "Additional properties are not allowed ('token'"),
        ({"webhook": {"secret": {"value": "s3cr3t"}}}, "('value' was unexpected)"),
        ({"extraConfig": {"RECONCILER_GIT_TOKEN": "ghp_secret"}}, "should not be valid"),
        ({"extraConfig": {"GIT_TOKEN": "x"}}, "does not match '^RECONCILER_"),
        ({"serviceAccount": {"roleArn": "my-role"}}, "does not match"),
        ({"reconciler": {"pollIntervalSeconds": 0}}, "less than or equal to the minimum of 0"),
        ({"serviceMonitor": {"interval": "30"}}, "does not match"),
    ],
)
def test_mistakes_and_inline_secrets_are_rejected(
    overrides: dict[str, Any], complaint: str
) -> None:
    found = problems(overrides)
    assert any(complaint in message for message in found), found
