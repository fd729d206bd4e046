"""`extends`: RFC 7386 merge patch over located values, chains of bases, and where problems found
after merging point to."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.core.specs import merge_patch
from reconciler.core.specs.located import JsonValue, Node, SourceLocation, node_from_plain
from reconciler.core.specs.merging import merge_plain
from reconciler.core.specs.parsing import parse_file
from reconciler.core.specs.tree import SpecLimits
from tests.unit.specs.support import document, edit, load, only_settings, rendered, sample_files


def located(file: str, text: str) -> Node:
    node = parse_file(file, text.encode(), SpecLimits())
    assert node is not None
    return node


def merged(target: Any, patch: Any) -> Any:
    base = node_from_plain(target, SourceLocation("target.yaml", 1))
    return merge_patch(base, node_from_plain(patch, SourceLocation("patch.yaml", 1))).plain()


def test_mappings_merge_recursively() -> None:
    assert merged({"a": {"b": 1, "c": 2}, "d": 3}, {"a": {"c": 20, "e": 5}}) == {
        "a": {"b": 1, "c": 20, "e": 5},
        "d": 3,
    }


def test_lists_and_scalars_replace_whole() -> None:
    assert merged({"l": [1, 2, 3], "s": "x"}, {"l": [9], "s": "y"}) == {"l": [9], "s": "y"}
    assert merged({"a": {"b": 1}}, {"a": [1]}) == {"a": [1]}
    assert merged({"a": [1]}, {"a": {"b": 1}}) == {"a": {"b": 1}}


def test_null_deletes_a_key_and_never_survives_in_a_mapping() -> None:
    assert merged({"a": 1, "b": {"c": 1, "d": 2}}, {"a": None, "b": {"d": None}}) == {"b": {"c": 1}}
    assert merged({}, {"new": {"x": None, "y": 1}}) == {"new": {"y": 1}}
    assert merged({}, {"gone": None}) == {}


def test_a_null_inside_a_list_is_kept_as_rfc_7386_says() -> None:
    assert merged({}, {"l": [None, {"a": None}]}) == {"l": [None, {"a": None}]}


# RFC 7386, Appendix A (the same in RFC 7396): original, patch, result.
RFC_EXAMPLES: list[tuple[JsonValue, JsonValue, JsonValue]] = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("original", "patch", "result"), RFC_EXAMPLES)
def test_the_merge_gives_the_rfc_7386_examples_on_plain_values_and_on_nodes(
    original: JsonValue, patch: JsonValue, result: JsonValue
) -> None:
    assert merge_plain(original, patch) == result
    assert merged(original, patch) == result


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(["x", "y"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(json_values, json_values)
def test_on_nodes_the_merge_is_the_plain_merge_and_keeps_every_value_where_it_was_written(
    target: JsonValue, patch: JsonValue
) -> None:
    target_node = node_from_plain(target, SourceLocation("target.yaml", 1))
    patch_node = node_from_plain(patch, SourceLocation("patch.yaml", 1))
    result = merge_patch(target_node, patch_node)
    assert result.plain() == merge_plain(target, patch)

    def written(node: Node, sources: list[Node | None]) -> None:
        """Each value of the result is a node of the patch or of the target, at its place;
        a merged mapping carries the patch's location."""
        entries = node.mapping()
        if entries is None:
            assert any(node is source for source in sources)
            return
        if not any(node is source for source in sources):
            assert node.location == SourceLocation("patch.yaml", 1)
        for key, entry in entries.items():
            written(entry, [s.child(key) for s in sources if s is not None])

    written(result, [patch_node, target_node])


@given(json_values, json_values)
def test_a_patch_applied_twice_changes_nothing_more(target: JsonValue, patch: JsonValue) -> None:
    once = merge_plain(target, patch)
    assert merge_plain(once, patch) == once


def test_merging_changes_neither_input() -> None:
    target = located("t.yaml", "a: {b: 1}\n")
    patch = located("p.yaml", "a: {c: 2}\nd: null\n")
    merge_patch(target, patch)
    assert target.plain() == {"a": {"b": 1}}
    assert patch.plain() == {"a": {"c": 2}, "d": None}


def test_every_merged_value_keeps_the_file_and_line_it_came_from() -> None:
    base = located("base.yaml", "a:\n  kept: 1\n  changed: 1\nlist: [1]\n")
    patch = located("deployment.yaml", "a:\n  changed: 2\nlist: [2]\n")
    result = merge_patch(base, patch)
    a = result.child("a")
    assert a is not None
    kept, changed, items = a.child("kept"), a.child("changed"), result.child("list")
    assert kept is not None and changed is not None and items is not None
    assert kept.location == SourceLocation("base.yaml", 2)
    assert changed.location == SourceLocation("deployment.yaml", 2)
    assert items.location == SourceLocation("deployment.yaml", 3)
    assert a.location == SourceLocation("deployment.yaml", 1)  # merged mapping: the later file


BASES = {
    "root-base": """\
apiVersion: greengrass-reconciler/v1
kind: DeploymentBase
metadata: {name: root}
spec:
  components:
    com.example.A:
      version: 1.0.0
      configuration: {level: root, keep: root, list: [1, 2]}
    com.example.Dropped: {version: 1.0.0}
  tags: {layer: root, root: "yes"}
""",
    "middle-base": """\
apiVersion: greengrass-reconciler/v1
kind: DeploymentBase
metadata: {name: middle}
spec:
  extends: root
  components:
    com.example.A:
      configuration: {level: middle, list: [3]}
  tags: {layer: middle}
""",
    "leaf": """\
apiVersion: greengrass-reconciler/v1
kind: Deployment
metadata: {name: leaf}
spec:
  extends: middle
  thingGroup: Leaf
  components:
    com.example.A:
      configuration: {level: leaf}
    com.example.Dropped: null
  tags: {layer: leaf}
""",
}


def test_a_chain_merges_defaults_then_the_farthest_base_first() -> None:
    files = only_settings("  defaults:\n    tags: {layer: defaults, team: t}\n", **BASES)
    [deployment] = load(files).deployments
    assert list(deployment.components) == ["com.example.A"]  # null removed the dropped one
    component = deployment.components["com.example.A"]
    assert component.version == "1.0.0"
    assert component.configuration == {"level": "leaf", "keep": "root", "list": [3]}
    assert deployment.tags == {"layer": "leaf", "root": "yes", "team": "t"}


def test_problems_found_after_merging_point_at_the_base_that_holds_the_value() -> None:
    files = edit(only_settings(**BASES), "root-base.yaml", "version: 1.0.0\n ", "version: 1.0\n ")
    assert rendered(files) == [
        "root-base.yaml:7: spec.components[\"com.example.A\"].version: '1.0' is not a valid "
        "semantic version (expected MAJOR.MINOR.PATCH, e.g. 2.1.0)"
    ]


def test_problems_in_settings_defaults_point_at_the_settings_file() -> None:
    files = edit(sample_files(), "reconciler.yaml", "Policy: ROLLBACK", "Policy: UNDO")
    [message] = rendered(files)
    field = "spec.defaults.deploymentPolicies.failureHandlingPolicy"
    assert message.startswith(f"reconciler.yaml:18: {field}: 'UNDO' is not allowed")


def test_a_deployment_drops_a_base_configuration_key_with_null() -> None:
    spec_set = load(sample_files())
    prod = spec_set.deployment_for("CameraFleetProd")
    staging = spec_set.deployment_for("CameraFleetStaging")
    assert prod is not None and staging is not None
    inference = "aws.greengrass.DLRImageClassification"
    assert "ImageDirectory" not in prod.components[inference].configuration
    sample_images = "/greengrass/v2/sample-images/"
    assert staging.components[inference].configuration["ImageDirectory"] == sample_images


def test_missing_base_and_cycles_are_reported_at_the_extends_line() -> None:
    files = only_settings(
        a=document("DeploymentBase", "a", "extends: b"),
        b=document("DeploymentBase", "b", "extends: a"),
        c=document("Deployment", "c", "extends: nope\nthingGroup: C"),
        d=document("Deployment", "d", "extends: a\nthingGroup: D"),  # runs into the a-b cycle
    )
    assert rendered(files) == [
        "a.yaml:6: spec.extends: extends cycle: a -> b -> a",
        "b.yaml:6: spec.extends: extends cycle: b -> a -> b",
        "c.yaml:6: spec.extends: no DeploymentBase named 'nope' (known bases: a, b)",
    ]
