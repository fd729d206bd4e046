"""Check a value against its shape: required members, types, enums, lengths, ranges, patterns.

Used on every request (the service's `ValidationException` with `fields`) and, in strict mode, on
every response the emulator produces (a malformed response is a bug of the emulator). Messages
follow the wording AWS services use, e.g. ``Value '500' at 'maxResults' failed to satisfy
constraint: Member must have value less than or equal to 100``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from reconciler.emulator.protocol.shapes import ShapeSpec, describe_value


@dataclass(frozen=True)
class FieldProblem:
    """One value that does not satisfy its shape; `name` is the dotted path of the member."""

    name: str
    message: str


def validate(
    spec: ShapeSpec, value: Any, path: str = "", *, response: bool = False
) -> list[FieldProblem]:
    """Return every problem of `value` against `spec` (empty when the value is valid).

    With `response=True` empty lists and maps pass whatever their minimum: services answer
    `"tags": {}` although the shape's minimum (for requests) is one tag.
    """
    problems = _Problems()
    problems.response = response
    _check(spec, value, path, problems)
    return list(problems)


class _Problems(list[FieldProblem]):
    response = False


def summarize(problems: list[FieldProblem]) -> str:
    """The one-line message AWS puts at the top of a validation error."""
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    details = "; ".join(p.message for p in problems)
    return f"{count} validation {noun} detected: {details}"


def _fail(problems: list[FieldProblem], path: str, value: Any, constraint: str) -> None:
    shown = "null" if value is None else f"'{describe_value(value)}'"
    problems.append(
        FieldProblem(
            name=path,
            message=f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}",
        )
    )


def _check(spec: ShapeSpec, value: Any, path: str, problems: list[FieldProblem]) -> None:
    checker = _CHECKERS.get(spec.type_name)
    if checker is not None:
        checker(spec, value, path, problems)


def _check_structure(spec: ShapeSpec, value: Any, path: str, problems: list[FieldProblem]) -> None:
    if not isinstance(value, dict):
        _fail(problems, path or spec.name, value, "Member must be a structure")
        return
    for name in spec.required:
        if value.get(name) is None:
            _fail(problems, _join(path, name), None, "Member must not be null")
    for name, member in spec.members.items():
        member_value = value.get(name)
        if member_value is not None:
            _check(member.spec, member_value, _join(path, name), problems)


def _check_list(spec: ShapeSpec, value: Any, path: str, problems: list[FieldProblem]) -> None:
    if not isinstance(value, list):
        _fail(problems, path, value, "Member must be a list")
        return
    _check_collection_size(spec, value, path, problems)
    assert spec.member is not None
    for index, item in enumerate(value):
        _check(spec.member, item, f"{path}.{index + 1}.member", problems)


def _check_map(spec: ShapeSpec, value: Any, path: str, problems: list[FieldProblem]) -> None:
    if not isinstance(value, dict):
        _fail(problems, path, value, "Member must be a map")
        return
    _check_collection_size(spec, value, path, problems)
    assert spec.key is not None and spec.value is not None
    for key, item in value.items():
        _check(spec.key, key, f"{path}.key", problems)
        _check(spec.value, item, f"{path}.{key}", problems)


def _check_string(spec: ShapeSpec, value: Any, path: str, problems: list[FieldProblem]) -> None:
    if not isinstance(value, str):
        _fail(problems, path, value, "Member must be a string")
        return
    if spec.enum and value not in spec.enum:
        _fail(
            problems, path, value, f"Member must satisfy enum value set: [{', '.join(spec.enum)}]"
        )
        return
    _check_size(spec, value, len(value), path, problems)
    if spec.pattern is not None and spec.pattern.search(value) is None:
        _fail(
            problems,
            path,
            value,
            f"Member must satisfy regular expression pattern: {spec.pattern_text}",
        )


def _check_integer(spec: ShapeSpec, value: Any, path: str, problems: list[FieldProblem]) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(problems, path, value, "Member must be an integer")
        return
    _check_range(spec, value, path, problems)


def _check_float(spec: ShapeSpec, value: Any, path: str, problems: list[FieldProblem]) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        _fail(problems, path, value, "Member must be a number")
        return
    _check_range(spec, value, path, problems)


def _check_boolean(spec: ShapeSpec, value: Any, path: str, problems: list[FieldProblem]) -> None:
    if not isinstance(value, bool):
        _fail(problems, path, value, "Member must be a boolean")


def _check_blob(spec: ShapeSpec, value: Any, path: str, problems: list[FieldProblem]) -> None:
    if not isinstance(value, bytes | bytearray):
        _fail(problems, path, value, "Member must be binary data")
        return
    _check_size(spec, value, len(value), path, problems)


def _check_timestamp(spec: ShapeSpec, value: Any, path: str, problems: list[FieldProblem]) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float | dt.datetime):
        _fail(problems, path, value, "Member must be a timestamp")


def _check_size(
    spec: ShapeSpec, value: Any, size: int, path: str, problems: list[FieldProblem]
) -> None:
    if spec.min is not None and size < spec.min:
        _fail(problems, path, value, f"Member must have length greater than or equal to {spec.min}")
    if spec.max is not None and size > spec.max:
        _fail(problems, path, value, f"Member must have length less than or equal to {spec.max}")


def _check_collection_size(
    spec: ShapeSpec, value: list[Any] | dict[str, Any], path: str, problems: list[FieldProblem]
) -> None:
    if not value and getattr(problems, "response", False):
        return
    _check_size(spec, value, len(value), path, problems)


def _check_range(spec: ShapeSpec, value: float, path: str, problems: list[FieldProblem]) -> None:
    if spec.min is not None and value < spec.min:
        _fail(problems, path, value, f"Member must have value greater than or equal to {spec.min}")
    if spec.max is not None and value > spec.max:
        _fail(problems, path, value, f"Member must have value less than or equal to {spec.max}")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


_CHECKERS = {
    "structure": _check_structure,
    "list": _check_list,
    "map": _check_map,
    "string": _check_string,
    "integer": _check_integer,
    "long": _check_integer,
    "float": _check_float,
    "double": _check_float,
    "boolean": _check_boolean,
    "blob": _check_blob,
    "timestamp": _check_timestamp,
}
