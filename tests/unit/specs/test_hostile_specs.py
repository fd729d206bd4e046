"""Hostile spec files: what they expand to, text nothing can send, limits that would fail late,
long `extends` chains. Each class of defect is refused at load time (`validate`), with the file
and line, before anything is planned or applied."""

from __future__ import annotations

import json
import tracemalloc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.core.specs import InMemorySpecTree, InvalidSpecsError, SpecLimits
from reconciler.core.specs.loading import load_specs
from reconciler.core.specs.scalars import unsendable_character
from tests.unit.specs.support import (
    document,
    edit,
    load,
    only_settings,
    problems,
    rendered,
    sample_files,
)

PROD = "groups/camera-prod.yaml"
STAGING = "groups/camera-staging.yaml"
RECIPE = "components/com.acme.ImageUploader/recipe.yaml"
OVERRIDE = "overrides/dlr-model-store.yaml"
MIB = 1024 * 1024


def _deployment(name: str, configuration: str, extends: str | None = None) -> str:
    """A Deployment of thing group `name` whose one component has `configuration` (YAML lines
    indented for a mapping under `configuration:`)."""
    head = f"extends: {extends}\n" if extends else ""
    body = "".join(f"      {line}\n" for line in configuration.splitlines())
    return document(
        "Deployment",
        name,
        f"{head}thingGroup: {name}\ncomponents:\n  com.example.App:\n    version: 1.0.0\n"
        f"    configuration:\n{body}",
    )


# --- 1. memory bound by bytes, not only by values ------------------------------------------


def test_a_long_string_aliased_many_times_is_refused_before_it_expands() -> None:
    """860 KB on disk, ~45 GB expanded: counted through the aliases, never built."""
    aliases = ", ".join(["*big"] * 90_000)
    text = _deployment("bomb", f"Big: &big {'x' * 500_000}\nMany: [{aliases}]")
    assert len(text) < 1024 * 1024
    tracemalloc.start()
    try:
        found = rendered(only_settings(bomb=text))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert found == [
        "bomb.yaml:12: more than 2,097,152 characters of keys and strings (counting every "
        "expansion of YAML aliases): the file is an alias bomb or holds data that belongs in an "
        "artifact"
    ]
    assert peak < 64 * MIB  # a few copies of the file, not of its expansion


def test_keys_count_as_characters_and_aliased_mappings_count_their_keys() -> None:
    keys = "\n".join(f"{'k' * 100}{i}: 1" for i in range(1000))  # 100 KB of keys
    text = _deployment("keys", f"Block: &block\n  {keys.replace(chr(10), chr(10) + '  ')}\n"
                       "Again: [*block, *block, *block]")  # fmt: skip
    limits = SpecLimits(max_characters=300_000)
    found = rendered(only_settings(keys=text), limits)
    assert len(found) == 1 and "more than 300,000 characters" in found[0]
    assert load(only_settings(keys=text), SpecLimits(max_characters=500_000))


def test_many_small_alias_bombs_exhaust_the_budget_of_the_whole_tree() -> None:
    """Each file is far under the per-file limits; together they are not."""
    bomb = "L0: &l0 [a, a, a, a, a, a, a, a, a, a]\nL1: &l1 [*l0, *l0, *l0, *l0, *l0]\n"
    files = only_settings(**{f"g{i:02d}": _deployment(f"g{i:02d}", bomb) for i in range(20)})
    limits = SpecLimits(max_alias_values=1_000)  # each file's aliases add 55 values (5 x 11)
    found = problems(files, limits)
    assert [p.file for p in found] == ["g18.yaml", "g19.yaml"]  # 19 x 55 > 1,000: over from g18
    assert found[0].message.startswith("YAML aliases in the spec tree add more than 1,000 values")
    assert load(files, SpecLimits(max_alias_values=1_200))


def test_a_deployment_merged_with_its_base_is_held_to_the_file_limits() -> None:
    """Each file is small; the base's configuration is copied into every Deployment."""
    big = "\n".join(f"Key{i}: {'v' * 100}" for i in range(50))  # ~5,000 characters
    base = document(
        "DeploymentBase",
        "fat",
        "components:\n  com.example.App:\n    version: 1.0.0\n    configuration:\n"
        + "".join(f"      {line}\n" for line in big.splitlines()),
    )
    own = "\n".join(f"Own{i}: {'w' * 100}" for i in range(30))  # ~3,000 characters
    files = only_settings(fat=base, thin=_deployment("thin", own, extends="fat"))
    assert rendered(files, SpecLimits(max_characters=7_000)) == [
        "thin.yaml:6: spec.extends: with what it extends, this deployment comes to more than "
        "7,000 characters of keys and strings (counting every expansion): move large data into "
        "artifacts"
    ]
    assert load(files, SpecLimits(max_characters=9_000))


def test_distinct_resolved_configuration_is_bounded_over_the_whole_tree() -> None:
    """Thousands of one-line Deployments, each a copy of a large base with one key changed."""
    big = "\n".join(f"Key{i}: {'v' * 100}" for i in range(20))  # ~2,000 characters
    base = document(
        "DeploymentBase",
        "fat",
        "components:\n  com.example.App:\n    version: 1.0.0\n    configuration:\n"
        + "".join(f"      {line}\n" for line in big.splitlines()),
    )
    groups = {f"g{i:02d}": _deployment(f"g{i:02d}", f"Key0: changed-{i}", "fat") for i in range(30)}
    same = {f"s{i:02d}": _deployment(f"s{i:02d}", "Key0: same", "fat") for i in range(30)}
    limits = SpecLimits(max_resolved_characters=40_000)
    found = problems(only_settings(fat=base, **groups), limits)
    assert {p.message for p in found} == {
        "the resolved Deployments would hold more than 40,000 characters of distinct "
        "configuration and tags in all (each Deployment a copy of what it extends with a "
        "change): move large data into artifacts"
    }
    assert {p.line for p in found} == {6}  # at each one's extends
    # Equal configurations are held once: thirty equal copies cost one.
    assert len(load(only_settings(fat=base, **same), limits).deployments) == 30


def test_a_deployment_with_a_problem_is_charged_once_at_the_tree_limit() -> None:
    """Its problem is worded against the file parsed again, which charges the budget nothing:
    twenty Deployments of 55 alias values each fit a limit of exactly 1,100."""
    bomb = "L0: &l0 [a, a, a, a, a, a, a, a, a, a]\nL1: &l1 [*l0, *l0, *l0, *l0, *l0]\n"
    undeclared = "    com.example.Other: {}\n"  # no version, not declared: a problem
    files = only_settings(
        **{f"g{i:02d}": _deployment(f"g{i:02d}", bomb) + undeclared for i in range(20)}
    )
    expected = {(f"g{i:02d}.yaml", 'spec.components["com.example.Other"]') for i in range(20)}
    found = problems(files, SpecLimits(max_alias_values=1_100))
    assert {(p.file, p.field) for p in found} == expected
    assert all(p.message.startswith("no version given") for p in found)
    over = problems(files, SpecLimits(max_alias_values=1_099))
    assert "YAML aliases in the spec tree add more than 1,099 values" in over[-1].message


def test_a_deployment_with_a_problem_charges_its_resolved_values_once() -> None:
    """Each Deployment's first component is charged ({"Key":"value-NN"}, 18 characters) before
    its second is found undeclared; twenty of them fit a limit of exactly 360."""
    undeclared = "    com.example.Other: {}\n"
    files = only_settings(
        **{f"g{i:02d}": _deployment(f"g{i:02d}", f"Key: value-{i:02d}") + undeclared
           for i in range(20)}
    )  # fmt: skip
    found = problems(files, SpecLimits(max_resolved_characters=360))
    assert len(found) == 20 and all(p.message.startswith("no version given") for p in found)
    over = rendered(files, SpecLimits(max_resolved_characters=359))
    assert sum("would hold more than 359 characters" in line for line in over) == 1


def test_a_reload_whose_changed_files_use_aliases_is_checked_as_a_whole() -> None:
    bomb = "L0: &l0 [a, a, a, a, a, a, a, a, a, a]\nL1: &l1 [*l0, *l0, *l0, *l0, *l0]\n"
    plain = {f"g{i:02d}": _deployment(f"g{i:02d}", "Plain: 1") for i in range(20)}
    limits = SpecLimits(max_alias_values=1_000)
    files = {path: text for path, text in only_settings(**plain).items()}
    previous = load_specs(InMemorySpecTree(files), limits)
    for i in range(20):
        files[f"g{i:02d}.yaml"] = _deployment(f"g{i:02d}", bomb).encode()
    with pytest.raises(InvalidSpecsError, match="YAML aliases in the spec tree add more than"):
        load_specs(InMemorySpecTree(files), limits, previous=previous)


# --- 2. strings that cannot be encoded ------------------------------------------------------


def _json_prod(replace: str, by: str) -> dict[str, bytes]:
    """The sample with camera-prod written as JSON (indented: one value per line)."""
    import yaml

    files = sample_files()
    data = yaml.safe_load(files.pop(PROD))
    text = json.dumps(data, indent=2)
    assert replace in text
    files["groups/camera-prod.json"] = text.replace(replace, by, 1).encode()
    return files


@pytest.mark.parametrize(
    ("escape", "line"),
    [
        ('"\\ud800"', 17),  # a high half alone
        ('"\\udc00"', 17),  # a low half alone
        ('"ok \\ud83d"', 17),  # a high half at the end of a string
        ('"\\ud83d\\u0041"', 17),  # a high half before a character that is no low half
    ],
)
def test_json_lone_surrogates_are_refused_at_their_line(escape: str, line: int) -> None:
    files = _json_prod('"InferenceInterval": 300', f'"InferenceInterval": 300, "Bad": {escape}')
    found = problems(files)
    assert [(p.file, p.line) for p in found] == [("groups/camera-prod.json", line)]
    assert "half of a UTF-16 surrogate pair" in found[0].message
    found[0].render().encode("utf-8")  # the message itself can be printed


def test_json_surrogate_pairs_and_escaped_backslashes_are_fine_and_keep_their_lines() -> None:
    files = _json_prod(
        '"InferenceInterval": 300',
        '"InferenceInterval": 300, "Emoji": "\\ud83d\\udcf7", "Text": "\\\\ud800"',
    )
    spec = load(files).deployment_for("CameraFleetProd")
    assert spec is not None
    configuration = spec.components["aws.greengrass.DLRImageClassification"].configuration
    assert (configuration["Emoji"], configuration["Text"]) == ("\U0001f4f7", "\\ud800")
    # The pair no longer sends the whole file to line 1: a problem elsewhere keeps its line.
    broken = _json_prod(
        '"InferenceInterval": 300', '"InferenceInterval": 300, "Emoji": "\\ud83d\\udcf7"'
    )
    broken["groups/camera-prod.json"] = broken["groups/camera-prod.json"].replace(
        b'"thingGroup": "CameraFleetProd"', b'"thingGroup": 7'
    )
    assert [(p.line, p.field) for p in problems(broken)] == [(12, "spec.thingGroup")]


def test_json_numbers_too_large_for_a_double_are_refused() -> None:
    files = _json_prod('"InferenceInterval": 300', '"InferenceInterval": 1e999')
    assert rendered(files) == [
        'groups/camera-prod.json:17: spec.components["aws.greengrass.DLRImageClassification"]'
        ".configuration.InferenceInterval: '1e999' is not a finite number (JSON has no NaN or "
        "infinity, and a number this large becomes infinity)"
    ]


@pytest.mark.parametrize(
    ("value", "code"),
    [('"a\\0b"', "0000"), ('"bell\\a"', "0007"), ('"\\x1b[31m"', "001B"), ('"\\x7f"', "007F")],
)
def test_yaml_escapes_cannot_smuggle_control_characters(value: str, code: str) -> None:
    files = edit(sample_files(), PROD, "InferenceInterval: 300", f"InferenceInterval: {value}")
    found = problems(files)
    assert [(p.file, p.line) for p in found] == [(PROD, 15)]
    assert f"holds U+{code} at position" in found[0].message


def test_keys_are_checked_like_values() -> None:
    files = edit(sample_files(), PROD, "InferenceInterval: 300", '"Bad\\0Key": 300')
    found = problems(files)
    assert [(p.line, p.message[:12]) for p in found] == [(15, "the key 'Bad")]


def test_tabs_and_line_breaks_are_text() -> None:
    files = edit(sample_files(), PROD, "InferenceInterval: 300", 'Note: "a\\tb\\r\\nc"')
    assert load(files)


@given(st.text(st.characters(codec=None, exclude_categories=())))
def test_unsendable_is_exactly_what_yaml_cannot_hold_as_text(text: str) -> None:
    """A string passes iff it encodes as UTF-8 and has no character YAML refuses in a file."""
    allowed = all(
        c in "\t\n\r"
        or "\x20" <= c <= "\x7e"
        or c == "\x85"
        or "\xa0" <= c <= "\ud7ff"
        or "\ue000" <= c <= "\ufffd"
        or c >= "\U00010000"
        for c in text
    )
    assert (unsendable_character(text) is None) == allowed
    if allowed:
        text.encode("utf-8")


# --- 3. limits that fail late ----------------------------------------------------------------

# (file, text in the sample, the name or value in it that gets a line break at its end)
_NAMES = [
    (PROD, "thingGroup: CameraFleetProd", "CameraFleetProd"),
    (PROD, "name: camera-prod", "camera-prod"),
    (PROD, "extends: camera-fleet", "camera-fleet"),
    (PROD, "com.acme.ImageUploader:", "com.acme.ImageUploader"),
    ("reconciler.yaml", "region: us-east-1", "us-east-1"),
    ("reconciler.yaml", 'accountId: "123456789012"', '"123456789012"'),
    ("reconciler.yaml", "bucket: acme-greengrass-artifacts", "acme-greengrass-artifacts"),
    ("reconciler.yaml", "prefix: greengrass-reconciler/", "greengrass-reconciler/"),
    ("bases/camera-fleet.yaml", "version: 2.1.10", "2.1.10"),
    (OVERRIDE, "baseVersion: 2.1.9", "2.1.9"),
    (OVERRIDE, "uri: s3://acme-greengrass-artifacts/models/DLR-resnet18-armv7l", "s3://"),
    (OVERRIDE, "publisher: ACME Vision", "ACME Vision"),
    (RECIPE, "ComponentName: com.acme.ImageUploader", "com.acme.ImageUploader"),
    (RECIPE, "ComponentVersion: 1.0.0", "1.0.0"),
    (RECIPE, 'VersionRequirement: ">=2.1.0 <2.2.0"', '">=2.1.0 <2.2.0"'),
    (RECIPE, "  aws.greengrass.DLRImageClassification:", "aws.greengrass.DLRImageClassification"),
    (PROD, "deploymentName: camera-fleet-prod", "camera-fleet-prod"),
    (PROD, "tags:\n    env: prod", "prod"),
]


@pytest.mark.parametrize(("file", "text", "value"), _NAMES, ids=[n[2] for n in _NAMES])
def test_a_trailing_line_break_is_refused_in_every_kind_of_name(
    file: str, text: str, value: str
) -> None:
    original = sample_files()[file].decode()
    line = original.split(text)[0].count("\n") + 1 + text.count("\n")
    end = original.index(text) + len(text)
    if value == "s3://":  # the whole URI, to the end of its line
        end = original.index("\n", end)
        value = original[original.index(value, original.index(text)) : end]
    start = original.rindex(value, 0, end)
    plain = json.loads(value) if value.startswith('"') else value
    broken = original[:start] + json.dumps(plain + "\n") + original[start + len(value) :]
    files = {**sample_files(), file: broken.encode()}
    found = problems(files)
    assert (file, line) in {(p.file, p.line) for p in found}, found


def test_a_trailing_line_break_no_longer_defeats_one_deployment_per_group() -> None:
    files = edit(sample_files(), STAGING, "thingGroup: CameraFleetStaging",
                 'thingGroup: "CameraFleetProd\\n"')  # fmt: skip
    assert any("is not a valid thing group name" in line for line in rendered(files))


@pytest.mark.parametrize(("key_length", "ok"), [(255, True), (256, False)])
def test_a_configuration_key_must_stay_removable(key_length: int, ok: bool) -> None:
    """Its reset pointer ("/" + key) may be at most 256 characters (botocore's model)."""
    files = only_settings(g=_deployment("g", f"{'k' * key_length}: 1\nShort: 2"))
    if ok:
        assert load(files)
        return
    found = problems(files)
    key = "k" * key_length
    assert [(p.line, p.field) for p in found] == [
        (11, f'spec.components["com.example.App"].configuration.{key}')
    ]
    assert "could never be removed again: its reset pointer would be 257 characters" in (
        found[0].message
    )


def test_the_keys_above_a_configuration_key_count_towards_its_pointer() -> None:
    nested = f"Outer~/{'o' * 100}:\n  {'i' * 150}: 1"  # "~" and "/" take two characters each
    found = problems(only_settings(g=_deployment("g", nested)))
    assert [p.line for p in found] == [12]  # the inner key's
    assert "reset pointer would be 261 characters long" in found[0].message
    # Inside a list no pointer is needed: lists are reset whole.
    assert load(only_settings(g=_deployment("g", f"List:\n  - {'k' * 300}: 1")))


def test_a_too_long_key_in_a_base_is_reported_at_the_base() -> None:
    base = document(
        "DeploymentBase",
        "b",
        f"components:\n  com.example.App:\n    version: 1.0.0\n    configuration:\n"
        f"      {'k' * 300}: 1\n",
    )
    files = only_settings(b=base, g=_deployment("g", "Own: 1", extends="b"))
    assert {(p.file, p.line) for p in problems(files)} == {("b.yaml", 10)}


@pytest.mark.parametrize("name", ["up load.py", "upload#1.py", "upload?.py", "upload%41.py"])
def test_local_artifact_names_must_make_usable_uris(name: str) -> None:
    files = sample_files()
    artifact = "components/com.acme.ImageUploader/artifacts/upload_results.py"
    files[f"components/com.acme.ImageUploader/artifacts/{name}"] = files.pop(artifact)
    files = edit(files, RECIPE, "URI: artifacts/upload_results.py", f'URI: "artifacts/{name}"')
    found = problems(files)
    assert [(p.file, p.line) for p in found] == [(RECIPE, 38)]
    assert "would make an artifact URI devices cannot download" in found[0].message


@pytest.mark.parametrize("key", ["models/a b.tar.gz", "models/a#b", "models/a?b", "models/%41"])
def test_s3_uris_must_be_downloadable(key: str) -> None:
    files = edit(
        sample_files(),
        OVERRIDE,
        "uri: s3://acme-greengrass-artifacts/models/DLR-resnet18-armv7l-cpu-ImageClassification.tar.gz",
        f'uri: "s3://acme-greengrass-artifacts/{key}"',
    )  # fmt: skip
    found = problems(files)
    assert [(p.file, p.line) for p in found] == [(OVERRIDE, 20)]
    assert "devices could not download this object" in found[0].message


# --- 5. long extends chains ------------------------------------------------------------------


def _chain(length: int) -> dict[str, bytes]:
    """A Deployment on a chain of `length` one-tag bases."""
    bases = {
        f"b{i:04d}": document(
            "DeploymentBase",
            f"b{i:04d}",
            (f"extends: b{i + 1:04d}\n" if i + 1 < length else "") + "tags: {t: v}",
        )
        for i in range(length)
    }
    return only_settings(**bases, g=_deployment("g", "Own: 1", extends="b0000"))


def test_an_extends_chain_may_be_as_deep_as_the_limit() -> None:
    assert load(_chain(4), SpecLimits(max_extends_depth=4))


def test_a_deeper_extends_chain_is_refused_at_each_document_that_reaches_too_far() -> None:
    assert rendered(_chain(5), SpecLimits(max_extends_depth=4)) == [
        "g.yaml:6: spec.extends: the extends chain is more than 4 bases deep (g -> b0000 -> "
        "b0001 -> b0002 -> ... -> b0003 -> b0004); merge some of the bases"
    ]
    found = problems(_chain(6), SpecLimits(max_extends_depth=4))
    assert [(p.file, p.line) for p in found] == [("b0000.yaml", 6), ("g.yaml", 6)]


def test_three_thousand_tiny_bases_are_refused_without_walking_every_chain() -> None:
    """Each document walks at most the limit's number of links: 3,000 x 32, not 3,000²."""
    found = problems(_chain(3_000))
    # Every base with more than 32 bases behind it (b0000 ... b2966), and the Deployment.
    assert len(found) == 2_967 + 1
    assert all("bases deep" in p.message for p in found)
