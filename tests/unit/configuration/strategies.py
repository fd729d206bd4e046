"""Hypothesis strategies for component configurations, and helpers the tests share.

Keys come from a small pool so that independently drawn documents share paths (otherwise
their diffs would be trivial), and include "~", "/", "" and non-ASCII characters to exercise
RFC 6901 escaping, keys that differ only by case ("a" and "A", "é" and "É": the nucleus reads
keys case-insensitively), keys that read as array indexes ("0", "8443": the nucleus skips reset
pointers through them) or nearly ("007"), and a key beginning with "_" (the nucleus drops it).
Scalars include values Python finds equal but JSON does not (1, 1.0, true).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from jsonpointer import JsonPointer

from reconciler.core.configuration import ConfigurationUpdate, JsonObject, JsonValue, canonical_json

KEYS = st.sampled_from(
    ["a", "A", "b", "c", "a/b", "~", "~1", "é", "É", "日本", "", "0", "8443", "007", "_x"]
)

SCALARS_WITHOUT_NULL = st.one_of(
    st.booleans(),
    st.sampled_from([0, 1, 2, -7]),
    st.sampled_from([0.0, 1.0, 2.5]),
    st.sampled_from(["", "x", "1", "true", "ü"]),
)
SCALARS = st.one_of(st.none(), SCALARS_WITHOUT_NULL)


def json_values(scalars: st.SearchStrategy[JsonValue]) -> st.SearchStrategy[JsonValue]:
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(KEYS, children, max_size=3),
        ),
        max_leaves=6,
    )


def objects(*, allow_null: bool = True) -> st.SearchStrategy[JsonObject]:
    values = json_values(SCALARS if allow_null else SCALARS_WITHOUT_NULL)
    return st.dictionaries(KEYS, values, max_size=4)


DEFAULTS = objects()
"""A recipe's DefaultConfiguration (may hold null: recipes can)."""


def holdable(document: JsonObject) -> JsonObject:
    """`document` without the keys spec validation rejects: those beginning with "_", and those
    that differ only by case from an earlier key of the same object (lists are not entered)."""
    kept: JsonObject = {}
    for key, value in document.items():
        if key.startswith("_") or any(key.lower() == other.lower() for other in kept):
            continue
        kept[key] = holdable(value) if isinstance(value, dict) else value
    return kept


OVERLAYS = objects(allow_null=False).map(holdable)
"""A spec overlay: no null, since the spec format uses null for deletion, and only keys spec
validation accepts."""

POINTERS = st.lists(KEYS, max_size=3).map(lambda keys: JsonPointer.from_parts(keys).path)
"""Random JSON pointers over the key pool (including "", the whole configuration)."""

LIVE_UPDATES = st.builds(
    ConfigurationUpdate,
    merge=st.one_of(st.none(), objects()),
    reset=st.lists(POINTERS, max_size=3).map(tuple),
)
"""A live revision's update as anyone could have written it (not necessarily ours)."""


def same_json(left: Any, right: Any) -> bool:
    """JSON equality: `1`, `1.0` and `true` differ."""
    return canonical_json(left) == canonical_json(right)


def parts(pointer: str) -> tuple[str, ...]:
    return tuple(JsonPointer(pointer).parts)


def is_antichain(pointers: tuple[str, ...]) -> bool:
    """No pointer lies at or below another one of the set."""
    paths = [parts(pointer) for pointer in pointers]
    return not any(
        i != j and other[: len(path)] == path
        for i, path in enumerate(paths)
        for j, other in enumerate(paths)
    )


def object_paths(document: JsonValue, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every path of a key in `document`, walking objects (lists are values)."""
    found: set[tuple[str, ...]] = set()
    if isinstance(document, dict):
        for key, value in document.items():
            found.add((*prefix, key))
            found |= object_paths(value, (*prefix, key))
    return found
