"""What a Greengrass core device does with a `configurationUpdate`, simulated.

The device keeps a component's configuration across deployment revisions and applies each
revision's update to it: first every `reset` pointer, against the recipe's DefaultConfiguration
of the component version being deployed, then the `merge` document.

- reset "" restores the whole default configuration;
- reset of a path with a default restores that default (creating the objects above it);
  of a path without one removes it; a path that does not exist stays absent;
- a reset pointer never leads into a list (lists are reset whole): `PointerIntoListError`;
- merge adds keys recursively into objects; any other value (a list, a scalar, an object
  arriving where a scalar was) replaces what was there. Lists are never appended to.

The planner predicts devices with these functions and the emulator plays a device with them.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

from reconciler.core.configuration.documents import JsonObject, JsonValue, json_object
from reconciler.core.configuration.errors import PointerIntoListError
from reconciler.core.configuration.model import ConfigurationUpdate
from reconciler.core.configuration.pointers import Path, find, format_pointer, parse_pointer


def deep_merge(base: Mapping[str, JsonValue], patch: Mapping[str, JsonValue]) -> JsonObject:
    """`base` with `patch` merged in the way Greengrass merges (see the module docstring)."""
    merged = json_object(base, what="the configuration")
    _merge_into(merged, json_object(patch, what="the merge document"))
    return merged


def _merge_into(target: JsonObject, patch: JsonObject) -> None:
    for key, value in patch.items():
        if isinstance(value, dict):
            existing = target.get(key)
            if not isinstance(existing, dict):
                # An object arriving where a scalar or a list was replaces it.
                existing = target[key] = {}
            _merge_into(existing, value)
        else:
            target[key] = copy.deepcopy(value)


def reset_paths(
    current: Mapping[str, JsonValue], pointers: tuple[str, ...], defaults: Mapping[str, JsonValue]
) -> JsonObject:
    """`current` with every pointer reset against `defaults` (see the module docstring)."""
    result = json_object(current, what="the configuration")
    default_config = json_object(defaults, what="the default configuration")
    for pointer in pointers:
        path = parse_pointer(pointer)
        _reject_list_entry(path, result, "the device's configuration")
        _reject_list_entry(path, default_config, "the default configuration")
        result = _reset_one(result, path, default_config)
    return result


def _reset_one(config: JsonObject, path: Path, defaults: JsonObject) -> JsonObject:
    if not path:
        return copy.deepcopy(defaults)
    has_default, default = find(defaults, path)
    if has_default:
        container = config
        for key in path[:-1]:
            child = container.get(key)
            if not isinstance(child, dict):
                # The default's shape is restored; a missing object above it is created.
                child = container[key] = {}
            container = child
        container[path[-1]] = copy.deepcopy(default)
    else:
        found, parent = find(config, path[:-1])
        if found and isinstance(parent, dict):
            parent.pop(path[-1], None)
    return config


def _reject_list_entry(path: Path, document: JsonObject, what: str) -> None:
    node: JsonValue = document
    for depth, key in enumerate(path):
        if isinstance(node, list):
            raise PointerIntoListError(
                f"the reset pointer {format_pointer(path)!r} leads into the list at "
                f"{format_pointer(path[:depth])!r} of {what}: reset the whole list instead"
            )
        if not isinstance(node, dict) or key not in node:
            return
        node = node[key]


def apply_configuration_update(
    current: Mapping[str, JsonValue],
    update: ConfigurationUpdate | None,
    defaults: Mapping[str, JsonValue],
) -> JsonObject:
    """The configuration a device holding `current` ends with after `update`, resetting
    against `defaults` (the DefaultConfiguration of the deployed component version).

    None of the arguments is modified.
    """
    if update is None:
        return json_object(current, what="the configuration")
    reset = reset_paths(current, update.reset, defaults)
    return deep_merge(reset, update.merge or {})


def effective_configuration(
    defaults: Mapping[str, JsonValue], update: ConfigurationUpdate | None
) -> JsonObject:
    """The configuration a device ends with when it installs the component fresh (it starts
    from `defaults`) and receives only `update`: what a plan previews."""
    return apply_configuration_update(defaults, update, defaults)
