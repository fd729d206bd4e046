"""The `configurationUpdate` of a component's next deployment revision.

Inputs: the live revision's update for the component (`None` when the component is new to the
thing group) with the DefaultConfiguration of the live component version, and the desired
version's DefaultConfiguration with the spec's overlay (plus explicit resets).

- L, the live configuration, is what a device that received only the live revision holds.
- D, the desired configuration, is the desired defaults with the overlay merged in.

The update always merges the *whole* overlay: devices that were offline, or join the group
later, receive only the latest revision, so it must carry everything. Its reset set is:

1. every difference between L and D that merging the overlay cannot produce by itself: values
   that return to their (possibly new) default or disappear, and type changes between an object
   and a non-object (reset, then merge);
2. every key the live merge wrote that the new overlay no longer writes the same way (a value
   it no longer sets, an object it no longer makes): a device that skipped the live revision
   may hold anything there, so it returns to the default like the others;
3. the live reset pointers, carried forward, so that a device that missed the revision which
   removed a key still loses it; only those that lie below a non-object value of the overlay
   are dropped (the merge replaces everything there);
4. the explicit resets.

Pointers below another pointer of the set are dropped (the ancestor resets them already). The
result is a fixpoint: planning again from it (after it is applied) gives it back unchanged,
because rules 1 and 2 then find nothing and rules 3 and 4 keep exactly what they kept.

`policy="replace"` resets the whole configuration ("") before merging the overlay: every device
ends with exactly D whatever it held, at the cost of any state the component kept there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from reconciler.core.configuration.device import (
    deep_merge,
    effective_configuration,
    shared_device_defaults,
)
from reconciler.core.configuration.diffing import difference_points, summarize_change
from reconciler.core.configuration.documents import JsonObject, JsonValue, json_equal, json_object
from reconciler.core.configuration.errors import (
    ConfigurationError,
    ConflictingResetError,
    IndexSegmentResetError,
    InvalidConfigurationError,
    PointerIntoListError,
)
from reconciler.core.configuration.keys import (
    index_segment_problem,
    key_problems,
    resettable,
    resettable_depth,
)
from reconciler.core.configuration.model import ConfigurationChange, ConfigurationUpdate
from reconciler.core.configuration.pointers import (
    Path,
    find,
    format_pointer,
    leaf_depth,
    nodes,
    outermost,
    parse_pointer,
)
from reconciler.core.configuration.redaction import REDACTED, redact, redact_change, redact_update

ResetPolicy = Literal["minimal", "replace"]
RESET_POLICIES: tuple[str, ...] = get_args(ResetPolicy)


@dataclass(frozen=True)
class ConfigurationPreview:
    """Everything a plan shows about one component's configuration: the update to send, the
    change it makes, and the live (L) and desired (D) configurations it goes between."""

    update: ConfigurationUpdate
    change: ConfigurationChange
    live: JsonObject
    desired: JsonObject

    def redacted(
        self, secret_paths: Iterable[str], placeholder: str = REDACTED
    ) -> ConfigurationPreview:
        """A copy safe to print: the values at `secret_paths` replaced by `placeholder`, and the
        names below them too."""
        paths = tuple(secret_paths)
        return ConfigurationPreview(
            update=redact_update(self.update, paths, placeholder),
            change=redact_change(self.change, paths, placeholder),
            live=redact(self.live, paths, placeholder),
            desired=redact(self.desired, paths, placeholder),
        )


def plan_configuration_update(
    *,
    live_defaults: Mapping[str, JsonValue] | None,
    live_update: ConfigurationUpdate | None,
    desired_defaults: Mapping[str, JsonValue],
    overlay: Mapping[str, JsonValue],
    explicit_reset: Sequence[str] = (),
    policy: ResetPolicy = "minimal",
) -> ConfigurationUpdate:
    """The `configurationUpdate` of the next revision (see the module docstring).

    `live_update` is `None` when the component is new to the group (then `live_defaults` is not
    used); pass `ConfigurationUpdate()` for a live revision without a configuration update.
    Raises a `ConfigurationError` for invalid input.
    """
    return preview_configuration_update(
        live_defaults=live_defaults,
        live_update=live_update,
        desired_defaults=desired_defaults,
        overlay=overlay,
        explicit_reset=explicit_reset,
        policy=policy,
    ).update


def preview_configuration_update(
    *,
    live_defaults: Mapping[str, JsonValue] | None,
    live_update: ConfigurationUpdate | None,
    desired_defaults: Mapping[str, JsonValue],
    overlay: Mapping[str, JsonValue],
    explicit_reset: Sequence[str] = (),
    policy: ResetPolicy = "minimal",
) -> ConfigurationPreview:
    """`plan_configuration_update`, with the change and both configurations for a preview."""
    if policy not in RESET_POLICIES:
        raise ConfigurationError(
            f"unknown configuration policy {policy!r}: use one of {', '.join(RESET_POLICIES)}"
        )
    if isinstance(explicit_reset, str):
        raise ConfigurationError(
            f"explicit_reset must be a sequence of JSON pointers, not the string {explicit_reset!r}"
        )
    # Read-only from here on (shared with every preview of the version): no copy of it is made.
    defaults = shared_device_defaults(
        desired_defaults, what="the desired version's DefaultConfiguration"
    )
    overlay_doc = json_object(overlay, what="the configuration overlay", allow_null=False)
    _check_overlay_keys(overlay_doc)
    live, live_config = _live_configuration(live_defaults, live_update, defaults)
    # Explicit resets applied to a fresh default configuration change nothing: D is the merge
    # (`desired_configuration`, with this call's validated overlay rather than another copy).
    desired = effective_configuration(
        defaults, ConfigurationUpdate(merge=overlay_doc, validated=True)
    )
    explicit = [parse_pointer(pointer) for pointer in explicit_reset]
    _check_explicit_resets(explicit, overlay_doc, (live_config, desired, defaults))

    points = difference_points(live_config, desired)
    change = summarize_change(points, live_config, desired, overlay_doc)
    if policy == "replace":
        reset: tuple[str, ...] = ("",)
    else:
        reset = _minimal_reset(points, live, live_config, desired, defaults, overlay_doc, explicit)
    # overlay_doc is this call's own validated copy, only read from here on: the update keeps it.
    update = ConfigurationUpdate(merge=overlay_doc, reset=reset, validated=True)
    update.check_api_limits()
    return ConfigurationPreview(update=update, change=change, live=live_config, desired=desired)


def _check_overlay_keys(overlay: JsonObject) -> None:
    problems = key_problems(overlay)
    if problems:
        raise InvalidConfigurationError(
            f"the configuration overlay has a key a device cannot hold at "
            f"{format_pointer(problems[0].path)!r}: {problems[0].message}"
        )


def _live_configuration(
    live_defaults: Mapping[str, JsonValue] | None,
    live_update: ConfigurationUpdate | None,
    desired_defaults: JsonObject,
) -> tuple[ConfigurationUpdate, JsonObject]:
    """The live update and L, the configuration a device that received only it holds."""
    if live_update is None:
        # New to the group: devices install the desired version and start from its defaults.
        return ConfigurationUpdate(), effective_configuration(desired_defaults, None)
    if live_defaults is None:
        raise ConfigurationError(
            "live_defaults (the DefaultConfiguration of the live component version) is "
            "required when the component has a live configuration update"
        )
    # As a device holds them (collapsing again changes nothing), shared: read-only.
    defaults = shared_device_defaults(live_defaults, what="the live version's DefaultConfiguration")
    # As devices apply it: a hand-made pointer into a list, or with a segment that reads as an
    # index, does nothing there (rule 3 below carries it lifted to what a device can reset).
    return live_update, effective_configuration(defaults, live_update)


def _check_explicit_resets(
    explicit: list[Path], overlay: JsonObject, documents: tuple[JsonObject, ...]
) -> None:
    for path in explicit:
        problem = index_segment_problem(path)
        if problem is not None:
            raise IndexSegmentResetError(f"the explicit reset {problem}")
        cut = resettable_depth(path, documents)
        if cut < len(path):
            raise PointerIntoListError(
                f"the explicit reset {format_pointer(path)!r} leads into the list at "
                f"{format_pointer(path[:cut])!r}: Greengrass resets lists only as a whole, "
                f"so reset {format_pointer(path[:cut])!r} instead"
            )
        depth = leaf_depth(overlay, path)
        if depth is not None and depth < len(path):
            raise ConflictingResetError(
                f"the explicit reset {format_pointer(path)!r} lies below "
                f"{format_pointer(path[:depth])!r}, which the overlay sets to a non-object value "
                "(replacing everything below it): drop the reset or the overlay value"
            )


def _minimal_reset(
    points: list[Path],
    live_update: ConfigurationUpdate,
    live: JsonObject,
    desired: JsonObject,
    defaults: JsonObject,
    overlay: JsonObject,
    explicit: list[Path],
) -> tuple[str, ...]:
    documents = (live, desired, defaults)
    # 1. Differences that merging the overlay does not produce by itself.
    candidates = [path for path in points if _needs_reset(path, live, desired, overlay)]
    # 2. What the live merge wrote and the overlay no longer writes: a device that holds
    #    something else there (it skipped the live revision) must return to the default too.
    candidates.extend(
        path
        for path, value in nodes(live_update.merge_shared)
        if not _overlay_rewrites(overlay, path, isinstance(value, dict))
    )
    # 3. Carried resets, except where the merge replaces a whole value above them.
    for pointer in live_update.reset:
        path = resettable(parse_pointer(pointer), documents)
        depth = leaf_depth(overlay, path)
        if depth is None or depth == len(path):
            candidates.append(path)
    # 4. Explicit resets.
    candidates.extend(explicit)
    # A path into a list of any configuration involved, the defaults included (a device resets
    # against them), becomes the list's own path: lists are reset whole. A path with a segment
    # that reads as an index (`/portMap/8443`) becomes its nearest ancestor without one, which
    # the nucleus does reset: the defaults and the whole overlay then restore everything D holds
    # below it.
    lifted = (resettable(path, documents) for path in candidates)
    return tuple(format_pointer(path) for path in outermost(lifted))


def _needs_reset(path: Path, live: JsonObject, desired: JsonObject, overlay: JsonObject) -> bool:
    in_live, live_value = find(live, path)
    _, desired_value = find(desired, path)
    in_overlay, overlay_value = find(overlay, path)
    if not in_overlay:
        # The desired value comes from the defaults (or is absent): only a reset brings it.
        return True
    live_is_object = in_live and isinstance(live_value, dict)
    if not isinstance(overlay_value, dict):
        # The merge writes this value; an object there is reset first (a type change).
        return live_is_object
    if in_live and not live_is_object:
        return True  # A value becomes an object: reset, then merge.
    merged = deep_merge(live_value if isinstance(live_value, dict) else {}, overlay_value)
    return not json_equal(merged, desired_value)


def _overlay_rewrites(overlay: JsonObject, path: Path, was_object: bool) -> bool:
    """Whether merging `overlay` has the effect at `path` that a merge which held a value
    there (an object when `was_object`) had: the same key written, or the same object made."""
    if leaf_depth(overlay, path) is not None:
        return True  # A value at or above the path overwrites whatever a device holds there.
    found, value = find(overlay, path)
    return found and was_object and isinstance(value, dict)
