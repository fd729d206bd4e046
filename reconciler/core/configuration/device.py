"""What a Greengrass core device does with a `configurationUpdate`, simulated.

The device keeps a component's configuration across deployment revisions. For each revision,
aws-greengrass-nucleus (`KernelConfigResolver.resolveConfigurationToApply`) builds the new
configuration from the one it holds, in this order:

1. **reset**: every pointer of `reset` removes the value it names
   (`removeKeysFromConfigWhichAreReset`); `""` empties the whole configuration. A pointer with a
   segment that reads as an array index (`/portMap/8443`) is skipped, and a pointer that passes
   through a non-object (a list, a string) finds nothing and does nothing;
2. **defaults**: the DefaultConfiguration of the component version being deployed is merged
   *under* what is left (`mergeMap` with timestamp 1): a missing key gets its default, an
   existing value keeps its value, and only where one side is an object and the other is not
   does the default replace what was there (`Topics.updateChild`). So a reset key returns to
   its default, and a key without a default disappears;
3. **merge**: the `merge` document is merged *over* it: objects key by key, recursively; any
   other value (a list, a scalar, an object arriving where a scalar was) replaces what was
   there. Lists are never appended to;
4. the result is read back as JSON (`Topics.toPOJO`), which drops every key beginning with `_`.

Keys match case-insensitively at every step (`CaseInsensitiveString`); a key keeps the spelling
it was created with, so merging `{"port": 2}` into `{"Port": 1}` gives `{"Port": 2}`.

The planner predicts devices with these functions; `desired_configuration` is what a plan says
every device of the group holds once the revision is applied.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import cast

from reconciler.core.configuration.documents import (
    JsonObject,
    JsonValue,
    canonical_json,
    copy_json,
    json_object,
)
from reconciler.core.configuration.keys import DROPPED_PREFIX, reads_as_index, spelling_in
from reconciler.core.configuration.model import ConfigurationUpdate
from reconciler.core.configuration.pointers import Path, parse_pointer


def deep_merge(base: Mapping[str, JsonValue], patch: Mapping[str, JsonValue]) -> JsonObject:
    """`base` with `patch` merged over it the way the device merges a `merge` document (step 3
    of the module docstring: case-insensitive keys, existing spellings kept)."""
    merged = json_object(base, what="the configuration")
    _merge_over(merged, json_object(patch, what="the merge document"))
    return merged


def _merge_over(target: JsonObject, patch: Mapping[str, JsonValue]) -> None:
    # Copies what it takes from `patch` (new objects, deep-copied values): `patch` may be shared.
    for key, value in patch.items():
        spelling = spelling_in(target, key)
        existing = None if spelling is None else target[spelling]
        if isinstance(value, dict) and isinstance(existing, dict):
            _merge_over(existing, value)  # the object stays, with its spelling
        elif (
            spelling is not None and not isinstance(value, dict) and not isinstance(existing, dict)
        ):
            target[spelling] = copy_json(value)  # a value replaces a value, spelling kept
        else:
            # Absent, or an object meets a non-object: a new node, spelled as the merge spells it.
            if spelling is not None:
                del target[spelling]
            merged: JsonObject = {}
            if isinstance(value, dict):
                _merge_over(merged, value)
                target[key] = merged
            else:
                target[key] = copy_json(value)


def _merge_under(target: JsonObject, defaults: JsonObject) -> None:
    """Merge `defaults` under `target`: step 2 of the module docstring."""
    for key, value in defaults.items():
        spelling = spelling_in(target, key)
        if spelling is None:
            target[key] = copy_json(value)
            continue
        existing = target[spelling]
        if isinstance(value, dict) and isinstance(existing, dict):
            _merge_under(existing, value)
        elif isinstance(value, dict) or isinstance(existing, dict):
            del target[spelling]
            target[key] = copy_json(value)
        # Two non-objects: the device's value is newer than the default's timestamp 1; it stays.


def _without_dropped_keys(document: JsonObject) -> JsonObject:
    return {
        key: _without_dropped_keys(value) if isinstance(value, dict) else value
        for key, value in document.items()
        if not key.startswith(DROPPED_PREFIX)
    }


def _remove(config: JsonObject, path: Path) -> None:
    """Remove the value at `path`, walking objects case-insensitively; nothing if none."""
    node = config
    for key in path[:-1]:
        spelling = spelling_in(node, key)
        child = None if spelling is None else node[spelling]
        if not isinstance(child, dict):
            return
        node = child
    spelling = spelling_in(node, path[-1])
    if spelling is not None:
        del node[spelling]


def device_defaults(defaults: Mapping[str, JsonValue]) -> JsonObject:
    """The DefaultConfiguration as a device holds it: keys that differ only by case collapsed
    (the later value wins, the first spelling stays) and keys beginning with `_` dropped."""
    return json_object(shared_device_defaults(defaults), what="the default configuration")


_DEFAULTS_MEMO_SIZE = 512
# canonical text -> (the validated DefaultConfiguration, what a device holds of it). A plan
# computes every group's configuration from the same few component versions' defaults, so
# collapsing them once per version instead of once per group and component saves a fifth of
# planning (bench/analysis.md). Values are shared: only read them (see shared_device_defaults).
_defaults_memo: dict[str, tuple[JsonObject, JsonObject]] = {}


def shared_device_defaults(
    defaults: Mapping[str, JsonValue], *, what: str = "the default configuration"
) -> JsonObject:
    """`device_defaults` without the copy: the result is shared between callers and must not
    be modified (this package's readers only read it, or copy what they keep). Keyed by the
    canonical text *and* checked for equality with the validated copy, so that inputs JSON
    text cannot tell apart (an integer key and its string, a tuple and a list, NaN) are
    validated again rather than served another input's result. `what` names the document in
    the error an invalid one raises. Collapsing is idempotent: passing a result back in gives
    an equal result."""
    try:
        text = canonical_json(cast(JsonValue, defaults))
    except (TypeError, ValueError):
        text = None  # not JSON: json_object below says why
    if text is not None:
        known = _defaults_memo.get(text)
        if known is not None and known[0] == defaults:
            return known[1]
    validated = json_object(defaults, what=what)
    collapsed: JsonObject = {}
    _merge_over(collapsed, validated)  # copies what it takes: `validated` stays as is
    result = _without_dropped_keys(collapsed)
    if text is not None:
        if len(_defaults_memo) >= _DEFAULTS_MEMO_SIZE:
            _defaults_memo.clear()  # bounded; a plan uses a few versions, so rarely reached
        _defaults_memo[text] = (validated, result)
    return result


def apply_configuration_update(
    current: Mapping[str, JsonValue],
    update: ConfigurationUpdate | None,
    defaults: Mapping[str, JsonValue],
) -> JsonObject:
    """The configuration a device holding `current` ends with after a revision that deploys the
    component version whose DefaultConfiguration is `defaults` with `update` (None: the revision
    has no configuration update; the defaults are still merged under what the device holds).

    None of the arguments is modified.
    """
    config = json_object(current, what="the configuration")
    update = update or ConfigurationUpdate()
    for pointer in update.reset:
        path = parse_pointer(pointer)
        if not path:
            config = {}
            continue
        if any(reads_as_index(key) for key in path):
            continue  # the nucleus logs an error and skips the pointer
        _remove(config, path)
    _merge_under(config, shared_device_defaults(defaults))
    _merge_over(config, update.merge_shared)
    return _without_dropped_keys(config)


def effective_configuration(
    defaults: Mapping[str, JsonValue], update: ConfigurationUpdate | None
) -> JsonObject:
    """The configuration a device ends with when it installs the component fresh and receives
    only `update`."""
    return apply_configuration_update({}, update, defaults)


def kind_changes(defaults: Mapping[str, JsonValue], desired: Mapping[str, JsonValue]) -> list[Path]:
    """Paths where `desired` holds a value of the other kind than `defaults` do (an object where
    the default is not one, or the reverse), matched case-insensitively.

    Such a value does not last on a device that also receives deployments from another target
    (another thing group, its own thing): the nucleus resolves *every* component of the device
    at each deployment (`KernelConfigResolver.resolve`), merging its DefaultConfiguration with
    no update for the components that deployment does not configure, and `Topics.updateChild`
    replaces a node of the other kind whatever its timestamp. The value comes back with the
    next revision of its own group, which merges the whole overlay again.
    """
    return list(_kind_changes(shared_device_defaults(defaults), json_object(desired, what="D"), ()))


def _kind_changes(defaults: JsonObject, desired: JsonObject, prefix: Path) -> Iterator[Path]:
    for key, default in defaults.items():
        spelling = spelling_in(desired, key)
        if spelling is None:
            continue
        value = desired[spelling]
        if isinstance(default, dict) and isinstance(value, dict):
            yield from _kind_changes(default, value, (*prefix, spelling))
        elif isinstance(default, dict) or isinstance(value, dict):
            yield (*prefix, spelling)


def desired_configuration(
    defaults: Mapping[str, JsonValue], overlay: Mapping[str, JsonValue]
) -> JsonObject:
    """What a plan says every device of the group holds once its revision is applied: the
    DefaultConfiguration of the desired version with the spec's overlay merged over it, as a
    device merges them (the desired configuration D of docs/configuration-updates.md).

    The planner's update brings any device there, whatever earlier revisions it applied or
    missed; `ConfigurationPreview.desired` is this value.
    """
    return effective_configuration(defaults, ConfigurationUpdate(merge=overlay))
