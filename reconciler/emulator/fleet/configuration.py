"""How a Greengrass nucleus computes a component's configuration when a deployment reaches it.

Written from aws-greengrass-nucleus (KernelConfigResolver.resolveConfigurationToApply, Topics,
Configuration), independently of the planner's own model in reconciler/core, so that the
emulator's devices can check the planner's previews:

1. Start from the component's running configuration (nothing for a new component).
2. Apply `configurationUpdate.reset`: `""` empties the whole configuration and ends the resets;
   a pointer with a segment that reads as an array index (`/portMap/8443`, Jackson's
   `JsonPointer.mayMatchElement`) is skipped; any other pointer removes what it names.
3. Merge the recipe's `DefaultConfiguration` of the version being deployed with timestamp 1:
   it fills what is missing and never overwrites a value that is there (a default whose kind
   differs, a mapping where a value is or a value where a mapping is, replaces it).
4. Merge `configurationUpdate.merge` with the deployment's (newer) timestamp: values and lists
   replace what is there, mappings merge key by key.

Keys are case-insensitive (`CaseInsensitiveString`): a key keeps the spelling it was first
written with, unless a value of the other kind replaces it (a mapping where a value was, or the
reverse): `Topics.updateChild` removes the old node and creates the new one with the spelling of
the document being merged. Keys beginning with `_` are dropped when the configuration is read back
(`Topics.toPOJO`), and the result is ordered case-insensitively like its TreeMap.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

_ARRAY_INDEX = re.compile(r"^(0|[1-9][0-9]{0,9})$")
_INT_MAX = 2**31 - 1


def resolve_configuration(
    running: Mapping[str, Any] | None,
    defaults: Mapping[str, Any] | None,
    reset: list[str] | None = None,
    merge: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The configuration a component runs with after a deployment (see the module docstring)."""
    config: dict[str, Any] = copy.deepcopy(dict(running or {}))
    for pointer in reset or []:
        if pointer == "":
            config = {}
            break
        segments = pointer_segments(pointer)
        if segments is None or any(is_array_index(s) for s in segments):
            continue
        _remove(config, segments)
    _merge(config, defaults or {}, overwrite=False)
    _merge(config, merge or {}, overwrite=True)
    return to_pojo(config)


def pointer_segments(pointer: str) -> list[str] | None:
    """The unescaped segments of a JSON pointer (None if it is not one)."""
    if not pointer.startswith("/"):
        return None
    return [s.replace("~1", "/").replace("~0", "~") for s in pointer[1:].split("/")]


def is_array_index(segment: str) -> bool:
    """Whether Jackson's JsonPointer would read the segment as an array index."""
    return bool(_ARRAY_INDEX.match(segment)) and int(segment) <= _INT_MAX


def find_key(mapping: Mapping[str, Any], key: str) -> str | None:
    """The spelling under which `key` is stored in `mapping`, compared case-insensitively."""
    if key in mapping:
        return key
    lowered = key.lower()
    return next((k for k in mapping if k.lower() == lowered), None)


def to_pojo(config: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration as the nucleus reads it back: no `_` keys, case-insensitive order."""
    result: dict[str, Any] = {}
    for key in sorted(config, key=str.lower):
        if key.startswith("_"):
            continue
        value = config[key]
        result[key] = to_pojo(value) if isinstance(value, Mapping) else value
    return result


def _remove(config: dict[str, Any], segments: list[str]) -> None:
    node: Any = config
    for segment in segments[:-1]:
        found = find_key(node, segment) if isinstance(node, dict) else None
        if found is None:
            return
        node = node[found]
    if isinstance(node, dict):
        found = find_key(node, segments[-1])
        if found is not None:
            del node[found]


def _merge(target: dict[str, Any], source: Mapping[str, Any], *, overwrite: bool) -> None:
    """Topics.updateFromMap/updateChild: a node of the same kind is updated in place and keeps
    its spelling (`computeIfAbsent`); a node of the other kind (a mapping meeting a value, or
    the reverse) is removed and created anew, spelled as `source` spells the key."""
    for key, value in source.items():
        existing_key = find_key(target, key)
        existing = target[existing_key] if existing_key is not None else None
        if existing_key is not None and isinstance(value, Mapping) != isinstance(existing, dict):
            del target[existing_key]
            existing_key = None
        name = existing_key if existing_key is not None else key
        if isinstance(value, Mapping):
            if existing_key is None:
                target[name] = {}
            _merge(target[name], value, overwrite=overwrite)
        elif existing_key is None or overwrite:
            target[name] = copy.deepcopy(value)
