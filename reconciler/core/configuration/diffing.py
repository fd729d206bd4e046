"""Where two configurations differ, in Greengrass terms, and a readable summary of it.

*Difference points* are the outermost paths whose values differ: a key one side has and the
other lacks, a value replaced by another (compared as JSON: `1`, `1.0` and `true` differ), and a
list that differs anywhere inside counts as a change of the whole list (Greengrass can only
replace or reset a list as a whole). Objects are walked key by key; nothing else is entered.
"""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.core.configuration.documents import JsonObject, json_equal
from reconciler.core.configuration.model import ConfigurationChange
from reconciler.core.configuration.pointers import ROOT, Path, find, format_pointer, outermost


def difference_points(live: JsonObject, desired: JsonObject) -> list[Path]:
    """The outermost paths at which `live` and `desired` hold different values (sorted)."""
    # A direct walk: what a JSON Patch between the two documents would touch, lifted out of
    # lists, without building the patch (which matched list items up with difflib: a third of
    # a configuration preview's time, for paths that are then cut at the list anyway).
    return outermost(_differing_paths(live, desired, ROOT))


def _differing_paths(live: JsonObject, desired: JsonObject, path: Path) -> Iterator[Path]:
    for key, live_value in live.items():
        if key not in desired:
            yield (*path, key)  # removed
            continue
        desired_value = desired[key]
        if isinstance(live_value, dict) and isinstance(desired_value, dict):
            yield from _differing_paths(live_value, desired_value, (*path, key))
        elif not json_equal(live_value, desired_value):
            yield (*path, key)  # replaced, or a list that differs anywhere inside
    for key in desired:
        if key not in live:
            yield (*path, key)  # added


def summarize_change(
    points: list[Path], live: JsonObject, desired: JsonObject, overlay: JsonObject
) -> ConfigurationChange:
    """Sort the difference points into added / changed / removed / reset-to-default."""
    added: list[str] = []
    changed: list[str] = []
    removed: list[str] = []
    reset_to_default: list[str] = []
    for path in points:
        pointer = format_pointer(path)
        in_live, _ = find(live, path)
        in_desired, _ = find(desired, path)
        set_by_overlay, _ = find(overlay, path)
        if not in_live:
            added.append(pointer)
        elif not in_desired:
            removed.append(pointer)
        elif set_by_overlay:
            changed.append(pointer)
        else:
            # Nothing in the overlay reaches this path, so the desired value is the default.
            reset_to_default.append(pointer)
    return ConfigurationChange(
        added=tuple(added),
        changed=tuple(changed),
        removed=tuple(removed),
        reset_to_default=tuple(reset_to_default),
    )
