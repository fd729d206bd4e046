"""Hiding secret configuration values before anything is printed (plans, comments, logs).

A secret path is a JSON pointer. Everything at and below it is replaced by a placeholder; when
the path passes through a non-object value (a string holding JSON, a list) that whole value is
replaced, since the secret may be inside it. Keys match case-insensitively, as on the device
(`/Password` hides `password`). Redaction errs on the side of hiding too much.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from reconciler.core.configuration.documents import JsonObject, JsonValue, json_object
from reconciler.core.configuration.keys import folded
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
        _redact_path(redacted, path, placeholder)
    return redacted


def _redact_path(node: JsonObject, path: tuple[str, ...], placeholder: str) -> None:
    """Hide the values at `path` in `node`: every spelling of each key (a document that is not
    a device's may hold several), and a whole non-object value the path passes through."""
    key, rest = path[0], path[1:]
    for spelling in [existing for existing in node if folded(existing) == folded(key)]:
        child = node[spelling]
        if not rest or not isinstance(child, dict):
            node[spelling] = placeholder
        else:
            _redact_path(child, rest, placeholder)


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
