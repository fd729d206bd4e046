"""Recipe checks of Component documents, and local files of recipes and overrides."""

from __future__ import annotations

import json

import pytest

from tests.unit.specs.support import document, load, only_settings, rendered

COMPONENT = document("Component", "com.example.Cam", "version: 1.0.0\nrecipe: cam/recipe.yaml")
RECIPE = """\
RecipeFormatVersion: "2020-01-25"
ComponentName: com.example.Cam
ComponentVersion: 1.0.0
ComponentType: aws.greengrass.generic
ComponentConfiguration:
  DefaultConfiguration: {interval: 5}
ComponentDependencies:
  aws.greengrass.Nucleus: {VersionRequirement: ">=2.0.0 <3.0.0", DependencyType: SOFT}
Manifests:
  - Name: Linux
    Platform: {os: linux}
    Selections: [all]
    Lifecycle: {Run: "python3 {artifacts:path}/cam.py"}
    Artifacts:
      - URI: cam.py
        Unarchive: NONE
        Permission: {READ: ALL, Execute: OWNER}
      - URI: s3://models-bucket/cam/model.tar.gz
      - URI: docker:public.ecr.aws/acme/cam:1.0
"""


def tree(recipe: str = RECIPE, extra: dict[str, bytes] | None = None) -> dict[str, bytes]:
    files = only_settings(component=COMPONENT)
    files["cam/recipe.yaml"] = recipe.encode()
    files["cam/cam.py"] = b"print('cam')\n"
    files.update(extra or {})
    return files


def test_a_valid_recipe_with_case_insensitive_keys_loads() -> None:
    [component] = load(tree()).components
    assert [a.path for a in component.local_artifacts] == ["cam/cam.py"]
    assert component.recipe["ComponentName"] == "com.example.Cam"
    assert json.dumps(component.recipe).count("s3://models-bucket/cam/model.tar.gz") == 1


def test_json_recipes_work_too() -> None:
    component = document("Component", "com.example.Cam", "version: 1.0.0\nrecipe: cam/recipe.json")
    files = only_settings(component=component)
    files["cam/recipe.json"] = (
        b'{"RecipeFormatVersion": "2020-01-25", "ComponentName": "com.example.Cam",\n'
        b' "ComponentVersion": "1.0.0"}\n'
    )
    [loaded] = load(files).components
    assert loaded.recipe_path == "cam/recipe.json"


def test_name_and_version_must_match_the_document_naming_both_places() -> None:
    recipe = RECIPE.replace("ComponentName: com.example.Cam", "ComponentName: com.example.Other")
    recipe = recipe.replace("ComponentVersion: 1.0.0", "ComponentVersion: 1.0.1")
    assert rendered(tree(recipe)) == [
        "cam/recipe.yaml:2: ComponentName: ComponentName 'com.example.Other' differs from "
        "metadata.name 'com.example.Cam' in component.yaml:4; they must be equal",
        "cam/recipe.yaml:3: ComponentVersion: ComponentVersion '1.0.1' differs from spec.version "
        "'1.0.0' in component.yaml:6; they must be equal",
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'RecipeFormatVersion: "2020-01-25"',
            "RecipeFormatVersion: 2021-01-01",
            "cam/recipe.yaml:1: RecipeFormatVersion: unsupported recipe format '2021-01-01' "
            "(expected 2020-01-25)",
        ),
        (
            "ComponentVersion: 1.0.0",
            "ComponentVersion: 1.0",
            "cam/recipe.yaml:3: ComponentVersion: '1.0' is not a valid semantic version "
            "(expected MAJOR.MINOR.PATCH, e.g. 2.1.0)",
        ),
        (
            'VersionRequirement: ">=2.0.0 <3.0.0"',
            'VersionRequirement: "2.x.x.x"',
            'cam/recipe.yaml:8: ComponentDependencies["aws.greengrass.Nucleus"]'
            ".VersionRequirement: '2.x.x.x' is not a valid npm-style version range "
            "(e.g. '>=2.1.0 <2.2.0' or '~2.1.0')",
        ),
        (
            "DependencyType: SOFT",
            "DependencyType: WEAK",
            'cam/recipe.yaml:8: ComponentDependencies["aws.greengrass.Nucleus"].DependencyType: '
            "'WEAK' is not allowed (expected HARD or SOFT)",
        ),
        (
            "ComponentType: aws.greengrass.generic",
            "ComponentType: generic",
            "cam/recipe.yaml:4: ComponentType: 'generic' is not allowed (expected "
            "aws.greengrass.generic or aws.greengrass.lambda or aws.greengrass.plugin or "
            "aws.greengrass.nucleus)",
        ),
        (
            "Selections: [all]",
            "Selection: [all]",
            "cam/recipe.yaml:12: Manifests[0].Selection: unknown recipe field 'Selection', "
            "did you mean 'Selections'?",
        ),
        (
            "ComponentConfiguration:",
            "ComponentConfig:",
            "cam/recipe.yaml:5: ComponentConfig: unknown recipe field 'ComponentConfig', "
            "did you mean 'ComponentConfiguration'?",
        ),
        (
            "Unarchive: NONE",
            "Unarchive: TAR",
            "cam/recipe.yaml:16: Manifests[0].Artifacts[0].Unarchive: 'TAR' is not allowed "
            "(expected NONE or ZIP)",
        ),
        (
            "  - Name: Linux\n",
            "  - Name: Linux\n    Artifacts: {URI: cam.py}\n",
            "cam/recipe.yaml:15: Manifests[0].Artifacts: duplicate key 'Artifacts' (first "
            "defined at line 11); remove one of them",
        ),
        (
            "  DefaultConfiguration: {interval: 5}",
            "  DefaultConfiguration: {interval: 5, Interval: 6}",
            "cam/recipe.yaml:6: ComponentConfiguration.DefaultConfiguration.Interval: the "
            "configuration key 'Interval' differs from 'interval' only by case: the nucleus reads "
            "keys case-insensitively (CaseInsensitiveString), so a device would hold one key for "
            "both; keep one spelling",
        ),
        (
            "  DefaultConfiguration: {interval: 5}",
            "  DefaultConfiguration:\n    interval: 5\n    state: {_cache: x}",
            "cam/recipe.yaml:8: ComponentConfiguration.DefaultConfiguration.state._cache: the "
            "configuration key '_cache' begins with '_': the nucleus drops such keys "
            "(Topics.toPOJO), so no device would ever hold it; rename it",
        ),
        (
            "ComponentType: aws.greengrass.generic",
            "ComponentType: aws.greengrass.generic\ncomponentType: aws.greengrass.generic",
            "cam/recipe.yaml:5: componentType: recipe field 'componentType' is given twice: "
            "Greengrass reads recipe keys case-insensitively, so it is the same field as the one "
            "above; keep one",
        ),
    ],
)
def test_recipe_problems(old: str, new: str, expected: str) -> None:
    assert old in RECIPE
    assert expected in rendered(tree(RECIPE.replace(old, new)))


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("../../outside.py", "'../../outside.py' leads outside the specs root"),
        ("/etc/passwd", "'/etc/passwd' is absolute; give a path relative to this file"),
        ("C:/tools/cam.py", "'C:/tools/cam.py' is absolute; give a path relative to this file"),
        ("dir\\cam.py", "use '/' to separate directories"),
        ("missing.py", "file 'cam/missing.py' not found in the specs root"),
        (
            ".hidden/cam.py",
            "file 'cam/.hidden/cam.py' not found in the specs root (hidden files are ignored)",
        ),
        ("https://example.com/cam.py", "unsupported URI scheme 'https'"),
        (
            "s3://Bad_Bucket/key",
            "'s3://Bad_Bucket/key' is not an S3 URI (expected s3://bucket/key)",
        ),
    ],
)
def test_artifact_uris(uri: str, message: str) -> None:
    recipe = RECIPE.replace("      - URI: cam.py", f"      - URI: {json.dumps(uri)}")
    files = tree(recipe, {"cam/.hidden/cam.py": b"hidden"})
    [problem] = rendered(files)
    assert problem.startswith("cam/recipe.yaml:15: Manifests[0].Artifacts[0].URI: ")
    assert message in problem


def test_local_artifacts_with_the_same_file_name_would_collide_in_s3() -> None:
    recipe = RECIPE.replace("      - URI: cam.py", "      - URI: cam.py\n      - URI: lib/cam.py")
    [problem] = rendered(tree(recipe, {"cam/lib/cam.py": b"other"}))
    assert "have the same file name: they would overwrite each other" in problem


def test_a_recipe_must_be_a_yaml_or_json_mapping() -> None:
    files = tree("- a list\n")
    assert rendered(files) == [
        "cam/recipe.yaml:1: a recipe must be a mapping (RecipeFormatVersion, ComponentName, ...)"
    ]
    component = document("Component", "com.example.Cam", "version: 1.0.0\nrecipe: cam/cam.py")
    files = {**tree(), "component.yaml": component.encode()}
    assert "'cam/cam.py': a recipe must be a .yaml, .yml or .json file" in rendered(files)[-1]


def test_an_unreferenced_recipe_is_called_out_as_such() -> None:
    files = tree(extra={"cam/old.yaml": RECIPE.encode()})
    assert rendered(files) == [
        "cam/old.yaml:1: this looks like a component recipe, but no Component document names it "
        "in spec.recipe (a recipe is not a spec document)"
    ]


OVERRIDE = """\
baseVersion: 2.1.9
artifacts:
  - match: "*x86_64*"
    file: models/x86.tar.gz
  - match: "*arm*"
    uri: s3://models-bucket/arm.tar.gz
"""


def override_tree(spec: str) -> dict[str, bytes]:
    files = only_settings(o=document("ComponentOverride", "variant.Model", spec))
    files["models/x86.tar.gz"] = b"model"
    return files


def test_override_rules_resolve_local_files() -> None:
    [override] = load(override_tree(OVERRIDE)).overrides
    first, second = override.artifact_rules
    assert first.local is not None and first.local.path == "models/x86.tar.gz"
    assert (second.uri, second.local) == ("s3://models-bucket/arm.tar.gz", None)
    assert override.bump == "patch"  # the default


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "file: models/x86.tar.gz",
            "file: models/nope.tar.gz",
            "file 'models/nope.tar.gz' not found",
        ),
        ('match: "*arm*"', 'match: "*x86_64*"', "a rule for '*x86_64*' exists already (line 8)"),
        (
            "    uri: s3://models-bucket/arm.tar.gz",
            "    uri: s3://bucket-b/k\n    file: models/x86.tar.gz",
            "give exactly one of 'file'",
        ),
        (
            "baseVersion: 2.1.9",
            "baseVersion: 2.1.9\nversion: 2.1.9",
            "must be greater than baseVersion",
        ),
        (
            "baseVersion: 2.1.9",
            "baseVersion: 2.1.9\nversion: 2.2.0\nbump: minor",
            "set either 'bump'",
        ),
        (
            "baseVersion: 2.1.9",
            "baseVersion: 2.1.9\nbump: major",
            "'major' is not allowed (expected patch or minor)",
        ),
    ],
)
def test_override_problems(old: str, new: str, expected: str) -> None:
    found = rendered(override_tree(OVERRIDE.replace(old, new)))
    assert any(expected in line for line in found), found


def test_all_problems_of_an_override_are_reported_at_once() -> None:
    spec = OVERRIDE.replace("baseVersion: 2.1.9", "baseVersion: 2.1.9\nversion: 2.0.0\nbump: minor")
    spec = spec.replace("file: models/x86.tar.gz", "file: ../x86.tar.gz")
    spec = spec.replace('match: "*arm*"', 'match: "arm/*"')
    assert [line.split(": ")[1] for line in rendered(override_tree(spec))] == [
        "spec.version",
        "spec.bump",
        "spec.artifacts[0].file",
        "spec.artifacts[1].match",
    ]
