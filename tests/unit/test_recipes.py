"""Recipe reading: keys match case-insensitively, as the Greengrass service and the spec loader
read them (a recipe may write `componentConfiguration`, `Manifests` or `manifests`, `Uri`)."""

from __future__ import annotations

from typing import Any

from reconciler.core.recipes import (
    Dependency,
    artifact_uris,
    default_configuration,
    dependencies,
    recipe_key,
    with_artifact_uris,
)

LOWER_CASE_RECIPE: dict[str, Any] = {
    "recipeFormatVersion": "2020-01-25",
    "componentName": "com.example.A",
    "componentVersion": "1.0.0",
    "componentConfiguration": {"defaultConfiguration": {"Interval": 5}},
    "COMPONENTDEPENDENCIES": {
        "com.example.B": {"versionRequirement": "^1.0.0", "dependencytype": "SOFT"},
        "com.example.C": {},
    },
    "manifests": [{"artifacts": [{"uri": "s3://bucket/a.zip"}, {"Uri": "s3://bucket/b.zip"}]}],
}


def test_the_default_configuration_is_found_whatever_the_case_of_its_keys() -> None:
    assert default_configuration(LOWER_CASE_RECIPE) == {"Interval": 5}
    assert default_configuration({"ComponentConfiguration": {}}) == {}


def test_dependencies_are_found_whatever_the_case_of_their_keys() -> None:
    assert dependencies(LOWER_CASE_RECIPE) == {
        "com.example.B": Dependency("com.example.B", "^1.0.0", "SOFT"),
        "com.example.C": Dependency("com.example.C", "*", "HARD"),
    }


def test_artifact_uris_are_found_and_replaced_under_their_own_spelling() -> None:
    assert artifact_uris(LOWER_CASE_RECIPE) == ["s3://bucket/a.zip", "s3://bucket/b.zip"]

    replaced = with_artifact_uris(LOWER_CASE_RECIPE, lambda uri: uri.replace("bucket", "mine"))

    assert replaced["manifests"][0]["artifacts"] == [
        {"uri": "s3://mine/a.zip"},
        {"Uri": "s3://mine/b.zip"},
    ]
    assert LOWER_CASE_RECIPE["manifests"][0]["artifacts"][0] == {"uri": "s3://bucket/a.zip"}


def test_a_key_is_written_under_the_spelling_the_recipe_already_uses() -> None:
    assert recipe_key(LOWER_CASE_RECIPE, "ComponentVersion") == "componentVersion"
    assert recipe_key(LOWER_CASE_RECIPE, "ComponentPublisher") == "ComponentPublisher"
