"""Hiding secret configuration values before anything is printed (plans, comments, logs).

A secret path is a JSON pointer. Everything at and below it is replaced by a placeholder; when
the path passes through a non-object value (a string holding JSON, a list) that whole value is
replaced, since the secret may be inside it. Keys match case-insensitively, as on the device
(`/Password` hides `password`). Below a secret path the *names* are secret too (a
map of credentials keyed by user or device names): a pointer that goes below one is shown
as the secret path followed by the placeholder, in change listings and reset lists alike.
Redaction errs on the side of hiding too much.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from reconciler.core.configuration.documents import JsonObject, JsonValue, json_object
from reconciler.core.configuration.keys import folded
from reconciler.core.configuration.model import ConfigurationChange, ConfigurationUpdate
from reconciler.core.configuration.pointers import format_pointer, is_within, parse_pointer

REDACTED = "<redacted>"


def redact(
    config: Mapping[str, JsonValue], secret_paths: Iterable[str], placeholder: str = REDACTED
) -> JsonObject:
    """A copy of `config` with the values at `secret_paths` (and below) replaced.

    The pointer "" hides the whole configuration, its keys included: `{placeholder: placeholder}`
    (a configuration stays an object).
    """
    redacted = json_object(config, what="the configuration to redact")
    for pointer in secret_paths:
        path = parse_pointer(pointer)
        if not path:
            return {placeholder: placeholder} if redacted else {}
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
    """A copy of `update` fit for printing: its merge redacted, and its reset pointers that go
    below a secret path cut there (`redact_pointers`).

    Never send the result to Greengrass: it would write the placeholder onto devices.
    """
    paths = tuple(secret_paths)
    return ConfigurationUpdate(
        merge=redact(update.merge, paths, placeholder) if update.merge is not None else None,
        reset=redact_pointers(update.reset, paths, placeholder),
    )


def redact_pointer(pointer: str, secret_paths: Iterable[str], placeholder: str = REDACTED) -> str:
    """`pointer`, or, when it goes below a secret path, that path and the placeholder: the
    names below a secret path are not shown (`/credentials/alice` -> `/credentials/<redacted>`).
    """
    path = parse_pointer(pointer)
    folded_path = tuple(folded(key) for key in path)
    secrets = [parse_pointer(secret) for secret in secret_paths]
    # The outermost secret path wins: nothing below it is shown, another secret path included.
    for secret in sorted(secrets, key=len):
        if len(path) > len(secret) and is_within(folded_path, tuple(folded(k) for k in secret)):
            return format_pointer((*secret, placeholder))
    return pointer


def redact_pointers(
    pointers: Iterable[str], secret_paths: Iterable[str], placeholder: str = REDACTED
) -> tuple[str, ...]:
    """`redact_pointer` of each, sorted, without duplicates (several names become one)."""
    paths = tuple(secret_paths)
    return tuple(sorted({redact_pointer(pointer, paths, placeholder) for pointer in pointers}))


def redact_change(
    change: ConfigurationChange, secret_paths: Iterable[str], placeholder: str = REDACTED
) -> ConfigurationChange:
    """`change` with its pointers redacted: it still says that something below a secret path
    was added, changed, removed or reset, but not the names."""
    paths = tuple(secret_paths)
    return ConfigurationChange(
        added=redact_pointers(change.added, paths, placeholder),
        changed=redact_pointers(change.changed, paths, placeholder),
        removed=redact_pointers(change.removed, paths, placeholder),
        reset_to_default=redact_pointers(change.reset_to_default, paths, placeholder),
    )
