"""Configuration keys as the Greengrass nucleus reads them (docs/configuration-updates.md).

Three rules of aws-greengrass-nucleus that a plain JSON view of a configuration misses:

- keys are case-insensitive: `Topics` holds its children by `CaseInsensitiveString`, so `Port`
  and `port` are one key; a key keeps the spelling it was created with;
- keys beginning with `_` are dropped: `Topics.toPOJO` skips them, and the configuration a
  deployment resolves (`KernelConfigResolver.resolveConfigurationToApply`) is that POJO;
- a reset pointer with a segment that reads as an array index is skipped:
  `KernelConfigResolver.removeKeysFromConfigWhichAreReset` skips every pointer for which Jackson's
  `JsonPointer.mayMatchElement()` holds on any segment (`_parseIndex`: "0", or 1-10 ASCII digits
  without a leading zero and at most 2147483647).

Lists are values: keys inside a list's items are never looked at, by the nucleus or here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from reconciler.core.configuration.documents import JsonValue
from reconciler.core.configuration.pointers import Path, format_pointer

# Jackson's JsonPointer._parseIndex (jackson-core 2.16, which the nucleus uses): ASCII digits only.
_INDEX_SEGMENT = re.compile(r"0|[1-9][0-9]{0,9}")
_MAX_INDEX = 2_147_483_647

DROPPED_PREFIX = "_"


def reads_as_index(segment: str) -> bool:
    """Whether the nucleus takes this pointer segment for an array index (`"8443"`, not `"08"`)."""
    return _INDEX_SEGMENT.fullmatch(segment) is not None and int(segment) <= _MAX_INDEX


def first_index_segment(path: Path) -> int | None:
    """The position of the first segment of `path` that reads as an index, if any."""
    return next((depth for depth, key in enumerate(path) if reads_as_index(key)), None)


def index_segment_problem(path: Path) -> str | None:
    """Why a device would not reset `path` (it has a segment that reads as an index), or None."""
    position = first_index_segment(path)
    if position is None:
        return None
    return (
        f"{format_pointer(path)!r} has the segment {path[position]!r}, which reads as a number: "
        "the nucleus takes it for an array index and skips the whole pointer "
        "(KernelConfigResolver), so no device would reset it; reset "
        f"{format_pointer(path[:position])!r} instead (which also resets the rest below it)"
    )


def folded(key: str) -> str:
    """The form two keys are compared in (Java's `String.toLowerCase`, as `str.lower`)."""
    return key.lower()


def spelling_in(document: Mapping[str, JsonValue], key: str) -> str | None:
    """The spelling under which `document` holds `key`, matched case-insensitively, or None."""
    if key in document:
        return key
    wanted = folded(key)
    return next((existing for existing in document if folded(existing) == wanted), None)


def child(document: JsonValue, key: str) -> tuple[bool, JsonValue]:
    """`(True, value)` of `key` in `document` matched case-insensitively; `(False, None)` when
    `document` is not an object or has no such key."""
    if not isinstance(document, dict):
        return False, None
    spelling = spelling_in(document, key)
    return (False, None) if spelling is None else (True, document[spelling])


def resettable_depth(path: Path, documents: tuple[JsonValue, ...]) -> int:
    """The length of the longest prefix of `path` that a device can reset: cut before the first
    segment that reads as an index, and at the first list the path enters in any of
    `documents` (walking objects case-insensitively, as the device does)."""
    depth = first_index_segment(path)
    limit = len(path) if depth is None else depth
    for document in documents:
        node = document
        for position, key in enumerate(path[:limit]):
            if isinstance(node, list):
                limit = position
                break
            found, node = child(node, key)
            if not found:
                break
    return limit


def resettable(path: Path, documents: tuple[JsonValue, ...]) -> Path:
    """`path` cut to the nearest ancestor (or itself) a device can reset (`resettable_depth`)."""
    return path[: resettable_depth(path, documents)]


@dataclass(frozen=True, slots=True)
class KeyProblem:
    """A key of a configuration a device cannot hold as written: where it is, and why."""

    path: Path
    message: str


def key_problems(document: Mapping[str, JsonValue]) -> list[KeyProblem]:
    """Keys that begin with `_`, and keys that differ from an earlier key of the same object
    only by case, walking objects (not the items of lists), in document order."""
    return list(_key_problems(document, ()))


def _key_problems(document: Mapping[str, JsonValue], prefix: Path) -> Iterator[KeyProblem]:
    seen: dict[str, str] = {}
    for key, value in document.items():
        # The path is built only for a problem or an object to walk: every key of every
        # Deployment passes here, and most are neither.
        if key.startswith(DROPPED_PREFIX):
            yield KeyProblem(
                (*prefix, key),
                f"the configuration key {key!r} begins with '_': the nucleus drops such keys "
                "(Topics.toPOJO), so no device would ever hold it; rename it",
            )
            continue
        first = seen.setdefault(folded(key), key)
        if first != key:
            yield KeyProblem(
                (*prefix, key),
                f"the configuration key {key!r} differs from {first!r} only by case: the nucleus "
                "reads keys case-insensitively (CaseInsensitiveString), so a device would hold "
                "one key for both; keep one spelling",
            )
            continue
        if isinstance(value, dict):
            yield from _key_problems(value, (*prefix, key))
