"""Validate located spec values against the pydantic models, and word pydantic's findings the way
the rest of the loader does: file, line, field path, what is wrong and what was expected.

pydantic reports a location as a tuple of keys (`loc`); following it through the `Node` tree
finds the file and line the offending value was written at, even after `extends` merged values
from several files.
"""

from __future__ import annotations

import difflib
import re
import types
from inspect import isclass
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from reconciler.core.specs.located import FieldPath, Node, PathPart
from reconciler.core.specs.problems import SpecProblem, quoted

M = TypeVar("M", bound=BaseModel)

_NUMBER_LIMITS = {
    "greater_than": ">",
    "greater_than_equal": ">=",
    "less_than": "<",
    "less_than_equal": "<=",
}


def validate_node(model: type[M], node: Node) -> tuple[M | None, list[SpecProblem]]:
    """Validate `node` (without locations) against `model`; problems point into `node`."""
    try:
        return model.model_validate(node.plain()), []
    except ValidationError as error:
        return None, [describe_error(details, node, model) for details in error.errors()]


def describe_error(details: ErrorDetails, root: Node, model: type[BaseModel]) -> SpecProblem:
    """Turn one pydantic error about `root` (validated as `model`) into a located problem."""
    loc = tuple(details["loc"])
    is_key = bool(loc) and loc[-1] == "[key]"
    if is_key:
        loc = loc[:-1]
    node, rest = _follow(root, loc)
    if details["type"] == "missing":
        name = next((part for part in reversed(rest) if isinstance(part, str)), "?")
        return SpecProblem.on(node, "required field is missing", name)
    if details["type"] == "extra_forbidden":
        key = str(loc[-1])
        return SpecProblem.on(node, _unknown_field(key, _model_at(model, loc[:-1])))
    message = _message(details, node)
    if is_key:
        message = f"invalid key: {message}"
    return SpecProblem.on(node, message)


def _follow(root: Node, loc: tuple[PathPart, ...]) -> tuple[Node, FieldPath]:
    """The deepest node `loc` leads to, and the part of `loc` that leads past the data.

    Parts that match no data are either a missing field's name or pydantic's own labels
    (e.g. union members); the caller decides.
    """
    node = root
    for index, part in enumerate(loc):
        child = node.child(part)
        if child is None:
            return node, loc[index:]
        node = child
    return node, ()


def _unknown_field(key: str, model: type[BaseModel] | None) -> str:
    if model is None:
        return f"unknown field {quoted(key)}"
    hint = getattr(model, "misplaced_fields", {}).get(key)
    if hint:
        return f"{quoted(key)} is not allowed here: {hint}"
    allowed = [field.alias or name for name, field in model.model_fields.items()]
    lowered = {name.lower(): name for name in allowed}
    close = difflib.get_close_matches(key.lower(), list(lowered), n=1, cutoff=0.6)
    if close:
        return f"unknown field {quoted(key)}, did you mean {lowered[close[0]]!r}?"
    return f"unknown field {quoted(key)} (expected one of: {', '.join(allowed)})"


def _model_at(model: type[BaseModel], loc: tuple[PathPart, ...]) -> type[BaseModel] | None:
    """The model that validates the mapping at `loc`, found through the field annotations."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isclass(current) and issubclass(current, BaseModel):
            fields = {field.alias or name: field for name, field in current.model_fields.items()}
            if not isinstance(part, str) or part not in fields:
                return None
            current = fields[part].annotation
        elif get_origin(current) in (dict, list):
            current = get_args(current)[-1]
        else:
            return None
    current = _unwrap(current)
    return current if isclass(current) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """Strip `Annotated[...]` and `X | None` down to the one type that matters."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def describe_value(node: Node) -> str:
    """How YAML read a value: `the number 2.1`, `a mapping`, `'abc'`."""
    value = node.value
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {node.raw or str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {node.raw or value}"
    return quoted(value)


def _message(details: ErrorDetails, node: Node) -> str:
    kind = details["type"]
    got = describe_value(node)
    expected = {
        "string_type": "a string",
        "int_type": "an integer",
        "int_from_float": "an integer",
        "float_type": "a number",
        "bool_type": "true or false",
        "dict_type": "a mapping",
        "model_type": "a mapping",
        "model_attributes_type": "a mapping",
        "list_type": "a list",
    }.get(kind)
    if expected is not None:
        hint = ""
        if kind == "string_type" and isinstance(node.value, int | float | bool):
            hint = f'; quote it: "{node.raw}"' if node.raw else "; quote it"
        return f"expected {expected}, got {got}{hint}"
    if kind in ("literal_error", "enum"):
        return _choice_message(details, node)
    if kind in ("too_short", "too_long", "string_too_short", "string_too_long"):
        context = details.get("ctx") or {}
        unit = "character" if kind.startswith("string") else "item"
        if kind.endswith("short"):
            limit, bound = context.get("min_length", "?"), "at least"
        else:
            limit, bound = context.get("max_length", "?"), "at most"
        actual = len(node.value) if isinstance(node.value, list | str | dict) else got
        return f"expected {bound} {limit} {unit}{'' if limit == 1 else 's'}, got {actual}"
    if kind in _NUMBER_LIMITS:
        limit = next(iter((details.get("ctx") or {}).values()), "?")
        if isinstance(limit, float) and limit.is_integer():
            limit = int(limit)  # "<= 5", as botocore's model says, not "<= 5.0"
        return f"{got} is out of range (expected {_NUMBER_LIMITS[kind]} {limit})"
    if kind in ("value_error", "assertion_error"):
        return str(details["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    text = str(details["msg"])
    return f"{got}: {text[0].lower()}{text[1:]}" if text.startswith("Input should") else text


def _choice_message(details: ErrorDetails, node: Node) -> str:
    expected = str((details.get("ctx") or {}).get("expected", ""))
    choices = re.findall(r"'([^']*)'", expected)
    message = f"{describe_value(node)} is not allowed (expected {' or '.join(choices) or expected})"
    if isinstance(node.value, str):
        by_case = {choice.lower(): choice for choice in choices}
        close = difflib.get_close_matches(node.value.lower(), list(by_case), n=1, cutoff=0.6)
        if close:
            message += f"; did you mean {by_case[close[0]]!r}?"
    return message
