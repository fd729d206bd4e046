"""Hiding secret configuration values before anything is printed (plans, comments, logs).

A secret path is a JSON pointer. Everything at and below it is replaced by a placeholder; when
the path passes through a non-object value (a string holding JSON, a list) that whole value is
replaced, since the secret may be inside it. Redaction errs on the side of hiding too much.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from reconciler.core.configuration.documents import JsonObject, JsonValue, json_object
from reconciler.core.configuration.model import ConfigurationUpdate
from reconciler.core.configuration.pointers import parse_pointer

REDACTED = "<redacted>"


def redact(
    config: Mapping[str, JsonValue], secret_paths: Iterable[str], placeholder: str = REDACTED
) -> JsonObject:
    """A copy of `config` with the values at `secret_paths` (and below) replaced.

    The pointer "" hides every top-level value (the keys stay visible).
    """
    redacted = json_object(config, what="the configuration to redact")
    for pointer in secret_paths:
        path = parse_pointer(pointer)
        if not path:
            redacted = {key: placeholder for key in redacted}
            continue
        node = redacted
        for depth, key in enumerate(path):
            if key not in node:
                break
            child = node[key]
            if depth == len(path) - 1 or not isinstance(child, dict):
                node[key] = placeholder
                break
            node = child
    return redacted


def redact_update(
    update: ConfigurationUpdate, secret_paths: Iterable[str], placeholder: str = REDACTED
) -> ConfigurationUpdate:
    """A copy of `update` fit for printing: its merge redacted (reset pointers hold no values).

    Never send the result to Greengrass: it would write the placeholder onto devices.
    """
    if update.merge is None:
        return update
    return ConfigurationUpdate(
        merge=redact(update.merge, secret_paths, placeholder), reset=update.reset
    )
