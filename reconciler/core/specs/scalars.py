"""The value of one YAML scalar, restricted to what JSON can hold."""

from __future__ import annotations

import json
import math
import re

import yaml
from yaml import events

from reconciler.core.specs.problems import quoted

Scalar = bool | int | float | str | None
YAML_TAG = "tag:yaml.org,2002:"
MERGE_TAG = f"{YAML_TAG}merge"
# Dates stay the text that was written (JSON has no date type); "=" and "<<" as values are text.
_TEXT_TAGS = {f"{YAML_TAG}{name}" for name in ("str", "timestamp", "value", "merge")}


# What YAML allows as text in a file ("printable" in YAML 1.2): escapes in quoted scalars (and
# JSON's \u escapes) can still produce the rest, which cannot be sent anywhere: a lone UTF-16
# surrogate cannot even be encoded as UTF-8, and control characters are refused or mangled by
# the APIs and devices that would receive them.
_NOT_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class UnreadableScalarError(ValueError):
    """The scalar cannot become a JSON value; the message says why."""


def unsendable_character(text: str) -> str | None:
    """Why `text` cannot be sent (a problem message), or None when every character can."""
    found = _NOT_PRINTABLE.search(text)
    if found is None:
        return None
    code = ord(found.group())
    if 0xD800 <= code <= 0xDFFF:
        what = "half of a UTF-16 surrogate pair, not a character: it cannot be encoded as UTF-8"
    elif code in (0xFFFE, 0xFFFF):
        what = "a Unicode non-character"
    else:
        what = "a control character (only tab and line breaks are allowed)"
    return (
        f"{quoted(text)} holds U+{code:04X} at position {found.start()}, {what}; nothing "
        "could send it to AWS"
    )


def check_finite(number: float, text: str) -> float:
    """`number` if it is finite (JSON has no NaN or infinity); else `UnreadableScalarError`."""
    if not math.isfinite(number):
        raise UnreadableScalarError(
            f"{quoted(text)} is not a finite number (JSON has no NaN or infinity, and a number "
            "this large becomes infinity)"
        )
    return number


def resolved_tag(loader: yaml.SafeLoader, event: events.ScalarEvent) -> str:
    """The scalar's tag: the explicit one, or what YAML's implicit rules make of its text."""
    if event.tag is None or event.tag == "!":
        resolved: str = loader.resolve(  # type: ignore[no-untyped-call]  # untyped in PyYAML
            yaml.ScalarNode, event.value, event.implicit
        )
        return resolved
    return event.tag


def scalar_value(
    loader: yaml.SafeLoader,
    event: events.ScalarEvent,
    *,
    json_scalars: bool,
    tag: str | None = None,
) -> Scalar:
    """The JSON value of `event`; raises `UnreadableScalarError` for tags and numbers JSON lacks.
    `tag`: `resolved_tag(loader, event)` when the caller has it already."""
    if json_scalars:
        # The file already passed json.loads: quoted scalars are strings, plain ones literals.
        literal: Scalar = event.value if event.style else json.loads(event.value)
        if isinstance(literal, float):
            check_finite(literal, event.value)  # 1e999 reads as infinity
        return literal
    if tag is None:
        tag = resolved_tag(loader, event)
    if tag in _TEXT_TAGS:
        return event.value
    node = yaml.ScalarNode(tag, event.value)
    try:
        if tag == f"{YAML_TAG}null":
            return None
        if tag == f"{YAML_TAG}bool":
            return bool(loader.construct_yaml_bool(node))
        if tag == f"{YAML_TAG}int":
            return int(loader.construct_yaml_int(node))
        if tag == f"{YAML_TAG}float":
            number = float(loader.construct_yaml_float(node))
        else:
            raise UnreadableScalarError(
                f"unsupported YAML tag {tag!r} (only plain mappings, lists and scalars are allowed)"
            )
    except (ValueError, OverflowError, yaml.YAMLError) as error:
        if isinstance(error, UnreadableScalarError):
            raise
        # e.g. an integer of more digits than Python converts (sys.get_int_max_str_digits)
        raise UnreadableScalarError(
            f"cannot read {quoted(event.value)}: {str(error).split(';')[0]}"
        ) from None
    return check_finite(number, event.value)
