"""Where two configurations differ, in Greengrass terms, and a readable summary of it.

`jsonpatch.make_patch` finds the differences; its operations are translated into *difference
points*: the outermost paths whose values differ, where a change anywhere inside a list counts
as a change of the whole list (Greengrass can only replace or reset a list as a whole), and a
`move` or `copy` counts as the removal of its source and the addition of its target.
"""

from __future__ import annotations

from collections.abc import Iterator

import jsonpatch

from reconciler.core.configuration.documents import JsonObject, JsonValue, json_equal
from reconciler.core.configuration.model import ConfigurationChange
from reconciler.core.configuration.pointers import (
    ROOT,
    Path,
    find,
    format_pointer,
    lift_out_of_lists,
    outermost,
    parse_pointer,
)


def difference_points(live: JsonObject, desired: JsonObject) -> list[Path]:
    """The outermost paths at which `live` and `desired` hold different values (sorted)."""
    documents = (live, desired)
    points: list[Path] = []
    for operation in jsonpatch.make_patch(live, desired):
        kind = operation["op"]
        if kind == "test":
            continue
        if kind == "move":
            points.append(lift_out_of_lists(parse_pointer(operation["from"]), documents))
        points.append(lift_out_of_lists(parse_pointer(operation["path"]), documents))
    points.extend(_lists_differing_strictly(live, desired, ROOT))
    return outermost(points)


def _lists_differing_strictly(live: JsonValue, desired: JsonValue, path: Path) -> Iterator[Path]:
    """Lists at the same object path whose items differ as JSON (`1` against `true`).

    Older jsonpatch releases (1.33, which pyproject still admits) compare list items with `==`,
    which finds `[1]` and `[true]` equal; a list is one value for Greengrass, so this re-check
    keeps the diff exact whichever release is installed.
    """
    if isinstance(live, dict) and isinstance(desired, dict):
        for key in live.keys() & desired.keys():
            yield from _lists_differing_strictly(live[key], desired[key], (*path, key))
    elif isinstance(live, list) and isinstance(desired, list) and not json_equal(live, desired):
        yield path


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
