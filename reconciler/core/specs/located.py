"""Values read from spec files, each remembering the file, line and field path it was written at.

Every error the loader reports names where the offending value was written, also after `extends`
merged documents together: the merge moves `Node`s around without losing their location.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TypeAlias, Union

# A recursive alias needs the string form: `|` cannot combine forward references at run time.
JsonValue: TypeAlias = Union[  # noqa: UP007
    bool, int, float, str, list["JsonValue"], dict[str, "JsonValue"], None
]
"""Plain JSON data: what a spec document holds once its locations are dropped."""

PathPart: TypeAlias = str | int
FieldPath = tuple[PathPart, ...]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True, order=True)
class SourceLocation:
    """A place in the specs: a file relative to the specs root and a 1-based line.

    Line 0 means the file as a whole; an empty file means the specs root as a whole.
    """

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True, slots=True)
class Node:
    """A value with its location. Mappings hold `Node` values, lists hold `Node` items.

    For an entry of a mapping, `location` is the line of its key. `path` is the field path in the
    document the value was written in. `raw` keeps a scalar's source text, for messages such as
    "quote it". Nodes are never mutated once built (aliases share them).
    """

    value: bool | int | float | str | dict[str, Node] | list[Node] | None
    location: SourceLocation
    path: FieldPath
    raw: str | None = None

    def child(self, part: PathPart) -> Node | None:
        """The entry `part` of a mapping or item `part` of a list, if there is one."""
        if isinstance(self.value, dict) and isinstance(part, str):
            return self.value.get(part)
        if isinstance(self.value, list) and isinstance(part, int) and not isinstance(part, bool):
            return self.value[part] if 0 <= part < len(self.value) else None
        return None

    def mapping(self) -> dict[str, Node] | None:
        """The entries when this is a mapping, else None."""
        return self.value if isinstance(self.value, dict) else None

    def plain(self) -> JsonValue:
        """The value without locations (shared alias nodes are expanded)."""
        if isinstance(self.value, dict):
            return {key: item.plain() for key, item in self.value.items()}
        if isinstance(self.value, list):
            return [item.plain() for item in self.value]
        return self.value

    def without(self, key: str) -> Node:
        """This mapping minus one entry (a new node; this one is left as it is)."""
        entries = self.mapping()
        if entries is None or key not in entries:
            return self
        kept = {name: item for name, item in entries.items() if name != key}
        return Node(kept, self.location, self.path, self.raw)


def node_from_plain(value: JsonValue, location: SourceLocation, path: FieldPath = ()) -> Node:
    """Wrap plain data in nodes that all carry one location (when no finer one is known)."""
    if isinstance(value, dict):
        entries = {k: node_from_plain(v, location, (*path, k)) for k, v in value.items()}
        return Node(entries, location, path)
    if isinstance(value, list):
        items = [node_from_plain(v, location, (*path, i)) for i, v in enumerate(value)]
        return Node(items, location, path)
    return Node(value, location, path)


def render_field_path(path: FieldPath) -> str:
    """Render a field path readably and unambiguously, the way jq does.

    Identifier-like keys follow a dot, other keys (component names contain dots) go in brackets
    as JSON strings, list indexes in brackets: `spec.components["aws.greengrass.Nucleus"].version`,
    `spec.iotJobConfiguration.abortConfig.criteriaList[0]`.
    """
    rendered = ""
    for part in path:
        if isinstance(part, int):
            rendered += f"[{part}]"
        elif _IDENTIFIER.fullmatch(part):
            rendered += f".{part}" if rendered else part
        else:
            # Escaped when it holds what a terminal cannot show (a message must print).
            rendered += f"[{json.dumps(part, ensure_ascii=not part.isprintable())}]"
    return rendered
