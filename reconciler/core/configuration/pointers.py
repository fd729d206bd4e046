"""RFC 6901 JSON pointers as Greengrass uses them in `configurationUpdate.reset`.

Pointers are handled as tuples of unescaped keys (`Path`) inside the package and formatted back
to strings only at its edges, so keys holding "~" or "/" never get confused with separators.
Greengrass walks objects only: a list is a value, reset as a whole, never entered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from jsonpointer import JsonPointer, JsonPointerException, escape

from reconciler.core.configuration.documents import JsonValue
from reconciler.core.configuration.errors import InvalidPointerError

Path = tuple[str, ...]
"""The unescaped keys of a pointer; `()` is the whole document (pointer "")."""

ROOT: Path = ()


def parse_pointer(pointer: str) -> Path:
    """The keys of `pointer`, unescaped ("~1" is "/", "~0" is "~")."""
    if not isinstance(pointer, str):
        raise InvalidPointerError(f"a JSON pointer must be a string, got {type(pointer).__name__}")
    try:
        parts = JsonPointer(pointer).parts
    except JsonPointerException as error:
        raise InvalidPointerError(
            f'{pointer!r} is not a JSON pointer ({error}): use "" for the whole configuration, '
            'or "/key/subkey", writing "~0" for "~" and "~1" for "/" inside keys'
        ) from error
    return tuple(parts)


def format_pointer(path: Iterable[str]) -> str:
    """The RFC 6901 string of `path`, escaping "~" and "/" inside keys."""
    return "".join("/" + escape(key) for key in path)


def is_within(path: Path, ancestor: Path) -> bool:
    """Whether `path` is `ancestor` itself or lies below it."""
    return path[: len(ancestor)] == ancestor


def outermost(paths: Iterable[Path]) -> list[Path]:
    """The paths that lie below no other path of the set, without duplicates, in sorted order.

    Resetting a path resets everything below it, so a descendant next to its ancestor is
    redundant; dropping it keeps the reset set an antichain.
    """
    kept: list[Path] = []
    # Sorted tuples put every ancestor right before its descendants.
    for path in sorted(set(paths)):
        if kept and is_within(path, kept[-1]):
            continue
        kept.append(path)
    return kept


def find(document: JsonValue, path: Path) -> tuple[bool, JsonValue]:
    """`(True, value)` at `path`, walking objects only; `(False, None)` when there is none."""
    node = document
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return False, None
        node = node[key]
    return True, node


def list_depth(path: Path, documents: Iterable[JsonValue]) -> int | None:
    """The length of the shortest prefix of `path` that holds a list in any of `documents`,
    when that prefix is shorter than `path` (the path leads into the list); else None."""
    shortest: int | None = None
    for document in documents:
        node = document
        for depth, key in enumerate(path):
            if isinstance(node, list):
                shortest = depth if shortest is None else min(shortest, depth)
                break
            if not isinstance(node, dict) or key not in node:
                break
            node = node[key]
    return shortest


def lift_out_of_lists(path: Path, documents: Iterable[JsonValue]) -> Path:
    """`path`, cut at the first list it enters in any of `documents` (lists are values)."""
    depth = list_depth(path, documents)
    return path if depth is None else path[:depth]


def leaf_depth(document: JsonValue, path: Path) -> int | None:
    """The length of the prefix of `path` (possibly all of it) at which `document` holds a
    non-object value, which a merge of `document` writes over whatever the device had."""
    node = document
    for depth in range(len(path) + 1):
        if not isinstance(node, dict):
            return depth
        if depth == len(path) or path[depth] not in node:
            return None
        node = node[path[depth]]
    return None  # pragma: no cover - the loop always returns


def nodes(document: Mapping[str, JsonValue]) -> list[tuple[Path, JsonValue]]:
    """Every key of `document` with its path and value, walking objects (lists are values)."""
    found: list[tuple[Path, JsonValue]] = []
    _walk(document, ROOT, found)
    return found


def _walk(node: Mapping[str, JsonValue], prefix: Path, found: list[tuple[Path, JsonValue]]) -> None:
    # A function of the module, not a closure that calls itself: such a closure is a reference
    # cycle, which kept every result of a plan's thousands of calls until the cyclic collector ran.
    for key, value in node.items():
        found.append(((*prefix, key), value))
        if isinstance(value, dict):
            _walk(value, (*prefix, key), found)
