"""The Sprig and Go template functions our chart uses, with Helm's semantics.

Only these exist: a template calling anything else fails to render, which keeps the chart within
what this renderer can check. `include`, `and` and `or` need the evaluator and live there.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import yaml


class TemplateRenderError(Exception):
    """Rendering failed: a `required` value is missing, `fail` was called, or a type is wrong."""


def go_string(value: Any) -> str:
    """A value as Go's fmt %v prints it (the way `{{ .x }}` and `toString` show scalars)."""
    if value is None:
        return ""  # Helm replaces "<no value>" with nothing
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)
    if isinstance(value, int | str):
        return str(value)
    raise TemplateRenderError(
        f"cannot print a {type(value).__name__} ({value!r:.60}): use toYaml or a field"
    )


def is_empty(value: Any) -> bool:
    """Sprig's `empty` and Go's truth: nil, false, 0, "" and empty collections are empty."""
    if value is None or value is False:
        return True
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value == 0
    if isinstance(value, str | list | tuple | dict):
        return len(value) == 0
    return False


def _quote(*values: Any) -> str:
    return " ".join(json.dumps(go_string(v), ensure_ascii=False) for v in values if v is not None)


def _to_yaml(value: Any) -> str:
    if value is None:
        return "null"
    text = yaml.safe_dump(value, default_flow_style=False, sort_keys=True, allow_unicode=True)
    return text.removesuffix("\n").removesuffix("...").removesuffix("\n")


def _indent(spaces: int, text: str) -> str:
    pad = " " * spaces
    return pad + text.replace("\n", "\n" + pad)


def _trunc(length: int, text: str) -> str:
    return text[:length] if length >= 0 else text[length:]


def _printf(template: str, *args: Any) -> str:
    values = iter(args)

    def substitute(match: re.Match[str]) -> str:
        verb = match.group(1)
        if verb == "%":
            return "%"
        value = next(values)
        if verb == "q":
            return json.dumps(go_string(value))
        if verb == "d" and not isinstance(value, int):
            raise TemplateRenderError(f"printf %d of a non-integer {value!r}")
        return go_string(value)

    return re.sub(r"%([sdvq%])", substitute, template)


def _required(message: str, value: Any) -> Any:
    if value is None or value == "":
        raise TemplateRenderError(message)
    return value


def _fail(message: str) -> Any:
    raise TemplateRenderError(message)


def _to_int(value: Any) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return int(value)
    try:
        return int(float(str(value)))
    except ValueError:
        return 0


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    """Go refuses to compare different kinds (an int with a string, a bool with an int)."""

    def kind(value: Any) -> str:
        if isinstance(value, bool):
            return "bool"
        if isinstance(value, int):
            return "int"
        if isinstance(value, float):
            return "float"
        if isinstance(value, str):
            return "string"
        if value is None:
            return "nil"
        return type(value).__name__

    if kind(left) != kind(right):
        raise TemplateRenderError(
            f"incompatible types for comparison: {kind(left)} {left!r} and {kind(right)} {right!r}"
        )
    return left, right


def _eq(first: Any, *others: Any) -> bool:
    return any(operator_eq(first, other) for other in others)


def operator_eq(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is right
    a, b = _comparable(left, right)
    return bool(a == b)


def _ordered(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def check(left: Any, right: Any) -> bool:
        a, b = _comparable(left, right)
        if isinstance(a, bool) or a is None:
            raise TemplateRenderError(f"cannot order {a!r}")
        return compare(a, b)

    return check


def _has_key(mapping: Mapping[str, Any], key: str) -> bool:
    return key in mapping


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "default": lambda fallback, value=None: fallback if is_empty(value) else value,
    "empty": is_empty,
    "required": _required,
    "fail": _fail,
    "quote": _quote,
    "toString": go_string,
    "toYaml": _to_yaml,
    "indent": _indent,
    "nindent": lambda spaces, text: "\n" + _indent(spaces, text),
    "trunc": _trunc,
    "trimSuffix": lambda suffix, text: text.removesuffix(suffix),
    "replace": lambda old, new, text: text.replace(old, new),
    "contains": lambda needle, text: needle in text,
    "lower": lambda text: text.lower(),
    "printf": _printf,
    "print": lambda *values: "".join(go_string(v) for v in values),
    "int": _to_int,
    "sha256sum": lambda text: hashlib.sha256(text.encode("utf-8")).hexdigest(),
    "hasKey": _has_key,
    "not": is_empty,
    "eq": _eq,
    "ne": lambda left, right: not operator_eq(left, right),
    "lt": _ordered(lambda a, b: a < b),
    "le": _ordered(lambda a, b: a <= b),
    "gt": _ordered(lambda a, b: a > b),
    "ge": _ordered(lambda a, b: a >= b),
}
