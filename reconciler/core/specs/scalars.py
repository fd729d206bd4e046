"""The value of one YAML scalar, restricted to what JSON can hold."""

from __future__ import annotations

import json
import math

import yaml
from yaml import events

from reconciler.core.specs.problems import quoted

Scalar = bool | int | float | str | None
YAML_TAG = "tag:yaml.org,2002:"
MERGE_TAG = f"{YAML_TAG}merge"
# Dates stay the text that was written (JSON has no date type); "=" and "<<" as values are text.
_TEXT_TAGS = {f"{YAML_TAG}{name}" for name in ("str", "timestamp", "value", "merge")}


class UnreadableScalarError(ValueError):
    """The scalar cannot become a JSON value; the message says why."""


def resolved_tag(loader: yaml.SafeLoader, event: events.ScalarEvent) -> str:
    """The scalar's tag: the explicit one, or what YAML's implicit rules make of its text."""
    if event.tag is None or event.tag == "!":
        resolved: str = loader.resolve(  # type: ignore[no-untyped-call]  # untyped in PyYAML
            yaml.ScalarNode, event.value, event.implicit
        )
        return resolved
    return event.tag


def scalar_value(
    loader: yaml.SafeLoader, event: events.ScalarEvent, *, json_scalars: bool
) -> Scalar:
    """The JSON value of `event`; raises `UnreadableScalarError` for tags and numbers JSON lacks."""
    if json_scalars:
        # The file already passed json.loads: quoted scalars are strings, plain ones literals.
        literal: Scalar = event.value if event.style else json.loads(event.value)
        return literal
    tag = resolved_tag(loader, event)
    node = yaml.ScalarNode(tag, event.value)
    try:
        if tag in _TEXT_TAGS:
            return event.value
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
    if not math.isfinite(number):
        raise UnreadableScalarError(
            f"{quoted(event.value)} is not a finite number (JSON has no NaN or infinity)"
        )
    return number
