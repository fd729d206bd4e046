"""`difference_points` against a JSON Patch of the two documents (the former implementation).

The planner walks the two configurations directly; a JSON Patch (`jsonpatch.make_patch`) touches
the same places, once each operation's paths are lifted out of the lists they lead into (a list
is one value for Greengrass) and a list whose items differ only as JSON (`[1]` against `[true]`,
which older jsonpatch releases found equal) counts as differing. Both must agree on every pair
of documents, so that plans stay byte-identical.
"""

from __future__ import annotations

import jsonpatch
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.core.configuration import JsonObject, JsonValue
from reconciler.core.configuration.diffing import difference_points
from reconciler.core.configuration.documents import canonical_json, copy_json, json_equal
from reconciler.core.configuration.pointers import (
    Path,
    lift_out_of_lists,
    outermost,
    parse_pointer,
)
from tests.unit.configuration.strategies import DEFAULTS, KEYS, SCALARS, json_values


def patch_points(live: JsonObject, desired: JsonObject) -> list[Path]:
    documents = (live, desired)
    points: list[Path] = []
    for operation in jsonpatch.make_patch(live, desired):
        if operation["op"] == "test":
            continue
        if operation["op"] in ("move", "copy"):
            points.append(lift_out_of_lists(parse_pointer(operation["from"]), documents))
        points.append(lift_out_of_lists(parse_pointer(operation["path"]), documents))
    points.extend(_lists_differing_as_json(live, desired, ()))
    return outermost(points)


def _lists_differing_as_json(live: JsonValue, desired: JsonValue, path: Path) -> list[Path]:
    if isinstance(live, dict) and isinstance(desired, dict):
        return [
            point
            for key in live.keys() & desired.keys()
            for point in _lists_differing_as_json(live[key], desired[key], (*path, key))
        ]
    if isinstance(live, list) and isinstance(desired, list) and not json_equal(live, desired):
        return [path]
    return []


def edited(document: JsonObject, data: st.DataObject) -> JsonObject:
    """`document` with a few keys changed, added or removed, nested ones too: documents that
    share most of their paths, as a live and a desired configuration do."""
    copy: JsonObject = {}
    for key, value in document.items():
        choice = data.draw(st.sampled_from(["keep", "keep", "drop", "change", "recurse"]))
        if choice == "keep":
            copy[key] = value
        elif choice == "change":
            copy[key] = data.draw(json_values(SCALARS))
        elif choice == "recurse" and isinstance(value, dict):
            copy[key] = edited(value, data)
        elif choice == "recurse" and isinstance(value, list) and value:
            copy[key] = [*value[:-1], data.draw(json_values(SCALARS))]
    for key in data.draw(st.lists(KEYS, max_size=2)):
        copy.setdefault(key, data.draw(json_values(SCALARS)))
    return copy


@settings(max_examples=300, deadline=None)
@given(live=DEFAULTS, desired=DEFAULTS)
def test_independent_documents_differ_where_a_json_patch_says(
    live: JsonObject, desired: JsonObject
) -> None:
    assert difference_points(live, desired) == patch_points(live, desired)


@settings(max_examples=300, deadline=None)
@given(live=DEFAULTS, data=st.data())
def test_edited_documents_differ_where_a_json_patch_says(
    live: JsonObject, data: st.DataObject
) -> None:
    desired = edited(live, data)
    assert difference_points(live, desired) == patch_points(live, desired)


def test_values_equal_in_python_but_not_in_json_differ() -> None:
    live: JsonObject = {"a": 1, "b": [1], "c": {"d": True}, "e": "x", "f": [{"g": 1, "h": 2}]}
    desired: JsonObject = {"a": 1.0, "b": [True], "c": {"d": 1}, "e": "x", "f": [{"h": 2, "g": 1}]}
    assert difference_points(live, desired) == [("a",), ("b",), ("c", "d")]


def test_a_change_inside_a_list_is_a_change_of_the_list() -> None:
    live: JsonObject = {"ports": [{"port": 1}, {"port": 2}], "keep": {"x": [1, 2]}}
    desired: JsonObject = {"ports": [{"port": 1}, {"port": 3}], "keep": {"x": [1, 2]}, "new": {}}
    assert difference_points(live, desired) == [("new",), ("ports",)]


@settings(max_examples=300, deadline=None)
@given(left=json_values(SCALARS), right=json_values(SCALARS))
def test_json_equality_is_equality_of_the_canonical_texts(
    left: JsonValue, right: JsonValue
) -> None:
    assert json_equal(left, right) == (canonical_json(left) == canonical_json(right))
    assert json_equal(left, left)


def test_numbers_python_finds_equal_differ_as_json() -> None:
    assert not json_equal(0.0, -0.0)
    assert not json_equal(1, True)
    assert not json_equal(1, 1.0)
    assert json_equal(None, None)
    assert json_equal("é", "é")


@settings(max_examples=200, deadline=None)
@given(value=json_values(SCALARS))
def test_a_json_copy_is_equal_and_shares_no_object_or_list(value: JsonValue) -> None:
    copied = copy_json(value)
    assert canonical_json(copied) == canonical_json(value)
    assert not set(map(id, _containers(copied))) & set(map(id, _containers(value)))


def _containers(value: JsonValue) -> list[JsonValue]:
    if isinstance(value, dict):
        return [value, *(c for item in value.values() for c in _containers(item))]
    if isinstance(value, list):
        return [value, *(c for item in value for c in _containers(item))]
    return []
