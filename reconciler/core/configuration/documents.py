"""JSON documents: the value types, validated copies, and type-strict comparison.

Every function of the package copies its inputs through `json_object` first, so nothing it
returns shares structure with (or ever mutates) what the caller passed in.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import TypeAlias, cast

from jsonpointer import escape  # RFC 6901, the library's one escaping (as pointers.py)

from reconciler.core.configuration.errors import InvalidConfigurationError

JsonValue: TypeAlias = bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"] | None
"""Plain JSON data."""

JsonObject = dict[str, JsonValue]
"""A JSON object: what a component configuration always is."""


def json_object(value: object, *, what: str, allow_null: bool = True) -> JsonObject:
    """A validated deep copy of `value`, which must be a JSON object.

    `what` names the document in error messages. Tuples become lists; anything that JSON cannot
    carry (non-string keys, NaN, sets, objects) is rejected. `allow_null=False` rejects null,
    which the spec format reserves for deleting a key and so must never reach an overlay.
    """
    if not isinstance(value, Mapping):
        raise InvalidConfigurationError(
            f"{what} must be a JSON object (a mapping of keys to values), got {_kind(value)}"
        )
    if type(value) is dict:
        # Plain JSON (what nearly every caller passes) copies without tracking where each value
        # sits; anything else takes the checked copy below, which says where the problem is.
        plain = _plain_copy(value, allow_null)
        if plain is not None:
            return plain
    copied = _copy(value, what=what, path="", allow_null=allow_null)
    assert isinstance(copied, dict)
    return copied


class _NotPlainError(Exception):
    """A value `_plain_copy` leaves to the checked copy (which accepts or rejects it)."""


def _plain_copy(value: dict[object, object], allow_null: bool) -> JsonObject | None:
    """A deep copy of `value` if it holds only dicts with string keys, lists, strings, ints,
    bools, finite floats (and null where allowed); None otherwise."""
    try:
        return _plain_mapping(value, allow_null)
    except _NotPlainError:
        return None


def _plain_mapping(value: dict[object, object], allow_null: bool) -> JsonObject:
    copied: JsonObject = {}
    for key, item in value.items():
        if type(key) is not str:
            raise _NotPlainError
        copied[key] = _plain_value(item, allow_null)
    return copied


def _plain_value(value: object, allow_null: bool) -> JsonValue:
    kind = type(value)
    if kind is str or kind is int or kind is bool:
        return cast(JsonValue, value)
    if kind is dict:
        return _plain_mapping(cast(dict[object, object], value), allow_null)
    if kind is list:
        return [_plain_value(item, allow_null) for item in cast(list[object], value)]
    if kind is float and math.isfinite(cast(float, value)):
        return cast(JsonValue, value)
    if value is None and allow_null:
        return None
    raise _NotPlainError


def _copy(value: object, *, what: str, path: str, allow_null: bool) -> JsonValue:
    # The plain JSON types take the fast path: this copy runs for every value of every
    # configuration of every target a plan looks at.
    kind = type(value)
    if kind is str or kind is int or kind is bool:
        return cast(JsonValue, value)
    if kind is dict:
        return _copy_mapping(
            cast(dict[object, object], value), what=what, path=path, allow_null=allow_null
        )
    if kind is list:
        items = cast(list[object], value)
        return [
            _copy(item, what=what, path=f"{path}/{index}", allow_null=allow_null)
            for index, item in enumerate(items)
        ]
    where = path or "the top level"
    if value is None:
        if not allow_null:
            raise InvalidConfigurationError(
                f"{what} holds null at {where}: null means 'delete this key' in the spec "
                "format; delete it with an explicit reset instead of passing null here"
            )
        return None
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidConfigurationError(f"{what} holds {value} at {where}: not valid JSON")
        return value
    if isinstance(value, Mapping):
        return _copy_mapping(value, what=what, path=path, allow_null=allow_null)
    if isinstance(value, list | tuple):
        return [
            _copy(item, what=what, path=f"{path}/{index}", allow_null=allow_null)
            for index, item in enumerate(value)
        ]
    raise InvalidConfigurationError(f"{what} holds {_kind(value)} at {where}: not a JSON value")


def _copy_mapping(
    value: Mapping[object, object], *, what: str, path: str, allow_null: bool
) -> JsonObject:
    copied: JsonObject = {}
    for key, item in value.items():
        if not isinstance(key, str):
            raise InvalidConfigurationError(
                f"{what} has the key {key!r} at {path or 'the top level'}: JSON object keys "
                "must be strings"
            )
        copied[key] = _copy(item, what=what, path=f"{path}/{escape(key)}", allow_null=allow_null)
    return copied


def _kind(value: object) -> str:
    return "null" if value is None else f"a {type(value).__name__}"


def canonical_json(value: JsonValue) -> str:
    """The canonical text of `value`: sorted keys, compact separators, unicode kept as is.

    Equal documents give equal strings, so a deployment's merge document compares (and hashes)
    by its text, and a revision is only created when something really changed.
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def json_equal(left: JsonValue, right: JsonValue) -> bool:
    """Equality as JSON sees it: `1`, `1.0` and `true` differ (Python's `==` says they agree)."""
    return canonical_json(left) == canonical_json(right)
