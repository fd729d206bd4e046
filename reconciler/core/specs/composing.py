"""Compose located `Node`s from PyYAML's event stream, with limits.

PyYAML's own composer recurses once per nesting level and expands nothing itself, so hostile
input (10^5 nested brackets, "billion laughs" aliases) would crash or exhaust whatever walks the
result. This composer keeps a stack of its own, caps the nesting depth, the number of values and
the characters of keys and strings (counting every expansion of an alias, before anything is
expanded), charges what aliases add to the load's `ExpansionBudget`, and keeps the line of every
key and value. Every key and string must be sendable: no lone surrogates, no control characters
(`scalars.unsendable_character`).

It builds located `Node`s, or (`located=False`) plain values, the same checks made with the same
messages: a Deployment is held as plain values (see deployments.py), and building a `Node`, a
location and a field path for every value of every file was most of a load's CPU. A plain
composition also keeps the line of the root and of the keys of the first three levels
(`PlainComposition`), the few locations a resolved Deployment carries.

Only JSON-compatible data comes out: mapping keys must be strings, tags other than the standard
ones are rejected, timestamps stay strings, floats must be finite. Duplicate keys are errors
(silently keeping the last one hides mistakes in review).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, NoReturn

import yaml
from yaml import events

from reconciler.core.specs.budget import ExpansionBudget, ExpansionLimitError
from reconciler.core.specs.located import FieldPath, JsonValue, Node, SourceLocation
from reconciler.core.specs.problems import InvalidSpecsError, SpecProblem, quoted
from reconciler.core.specs.scalars import (
    MERGE_TAG,
    YAML_TAG,
    Scalar,
    UnreadableScalarError,
    resolved_tag,
    scalar_value,
    unsendable_character,
)
from reconciler.core.specs.tree import SpecLimits

_YAML = YAML_TAG
_PLAIN_MAPPING_TAGS = {None, "!", f"{_YAML}map"}
_PLAIN_SEQUENCE_TAGS = {None, "!", f"{_YAML}seq"}
_MERGE_TAG = MERGE_TAG
_TYPE_NAMES = {bool: "a boolean", int: "an integer", float: "a number", type(None): "null"}


def _line(event: events.Event) -> int:
    return event.start_mark.line + 1 if event.start_mark is not None else 1


def too_deep(file: str, line: int, limits: SpecLimits) -> SpecProblem:
    return SpecProblem(file, line, "", f"nested more than {limits.max_depth} levels deep")


@dataclass
class _Frame:
    """A mapping or list being composed."""

    start: events.CollectionStartEvent
    path: FieldPath
    is_mapping: bool
    first_node: int
    first_character: int
    # `Node`s, or plain values in a plain composition.
    items: list[Any] = field(default_factory=list)
    entries: dict[str, Any] = field(default_factory=dict)
    merged: list[Any] = field(default_factory=list)
    key_lines: dict[str, int] = field(default_factory=dict)  # of `entries`, if plain
    key: tuple[str, int, str] | None = (
        None  # (key, line, "entry" | "merge" | "skip") awaiting a value
    )
    height: int = 0

    def next_path(self) -> FieldPath:
        if self.is_mapping:
            assert self.key is not None
            return (*self.path, self.key[0])
        return (*self.path, len(self.items))


@dataclass(frozen=True)
class _Anchor:
    node: Any  # a `Node` or a plain value; not `ready` while the collection is being composed
    size: int
    height: int
    characters: int  # of its keys and strings, every alias in it expanded
    ready: bool = True


@dataclass(frozen=True)
class PlainComposition:
    """A document composed as plain values, with the lines a resolved Deployment needs.

    `key_lines` has the line of each key of the first three levels (`("spec", "components",
    NAME)`, `("metadata", "name")`...), written in this document: `exact_lines` is False when
    YAML aliases or merge keys brought values from elsewhere (then only a located composition
    knows where each was written).
    """

    value: JsonValue
    root_line: int
    key_lines: dict[FieldPath, int]
    exact_lines: bool


KEY_LINE_DEPTH = 3


class Composer:
    """Builds one document's `Node` tree from YAML events (see the module docstring)."""

    def __init__(
        self,
        file: str,
        text: str,
        limits: SpecLimits,
        loader_class: type[yaml.SafeLoader],
        *,
        json_scalars: bool,
        budget: ExpansionBudget | None = None,
        located: bool = True,
    ) -> None:
        """`budget` is charged with what aliases add (None: a file parsed again, charged once);
        `located=False` builds plain values (`compose_plain`)."""
        self.file = file
        self.loader_class = loader_class
        self.text = text
        self.limits = limits
        self.json_scalars = json_scalars
        self.loader: yaml.SafeLoader | None = None
        self.stack: list[_Frame] = []
        self.anchors: dict[str, _Anchor] = {}
        self.nodes = 0
        self.characters = 0
        self.budget = budget
        self.located = located
        self.root: Any = None
        self.has_root = False
        self.root_line = 1
        self.key_lines: dict[FieldPath, int] = {}
        self.exact_lines = True
        self.documents = 0
        self.problems: list[SpecProblem] = []
        self.unreadable_as_yaml = False

    def compose(self) -> Node | None:
        """The document's located values (None for an empty file); raises `InvalidSpecsError`."""
        assert self.located
        self._compose()
        root: Node | None = self.root
        return root

    def compose_plain(self) -> PlainComposition | None:
        """The document's plain values (None for an empty file); raises `InvalidSpecsError`."""
        assert not self.located
        self._compose()
        if not self.has_root:
            return None
        return PlainComposition(self.root, self.root_line, self.key_lines, self.exact_lines)

    def _compose(self) -> None:
        try:
            # The reader checks the characters as soon as it is created, so create it in here.
            self.loader = loader = self.loader_class(self.text)
            while loader.check_event():
                self._handle(loader.get_event())  # type: ignore[no-untyped-call]  # PyYAML
        except yaml.MarkedYAMLError as error:
            self.unreadable_as_yaml = True
            raise InvalidSpecsError([self._syntax_problem(error)]) from None
        except yaml.YAMLError as error:  # a ReaderError: a character YAML does not allow
            self.unreadable_as_yaml = True
            position = getattr(error, "position", 0)
            line = self.text[:position].count("\n") + 1
            character = getattr(error, "character", None)
            what = f"character U+{character:04X}" if isinstance(character, int) else "a character"
            message = f"invalid YAML: {what} is not allowed in YAML (only printable Unicode)"
            raise InvalidSpecsError([SpecProblem(self.file, line, "", message)]) from None
        finally:
            if self.loader is not None:
                self.loader.dispose()
        if self.problems:
            raise InvalidSpecsError(self.problems)

    def _syntax_problem(self, error: yaml.MarkedYAMLError) -> SpecProblem:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        if "maximum nesting depth" in str(error.problem):  # libyaml's own cap (1000) came first
            return too_deep(self.file, line, self.limits)
        what = "JSON" if self.json_scalars else "YAML"
        problem = error.problem or "syntax error"
        context = f" ({error.context})" if error.context else ""
        return SpecProblem(self.file, line, "", f"invalid {what}: {problem}{context}")

    def _fail(self, line: int, message: str) -> NoReturn:
        raise InvalidSpecsError([*self.problems, SpecProblem(self.file, line, "", message)])

    def _handle(self, event: events.Event) -> None:
        # The commonest events first: this runs for every event of every file of a load.
        if isinstance(event, events.ScalarEvent):
            self._scalar(event, _line(event))
        elif isinstance(event, events.MappingEndEvent | events.SequenceEndEvent):
            self._end_collection()
        elif isinstance(event, events.MappingStartEvent | events.SequenceStartEvent):
            self._start_collection(event, _line(event))
        elif isinstance(event, events.AliasEvent):
            self._alias(event, _line(event))
        elif isinstance(event, events.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                self._fail(
                    _line(event),
                    "a second YAML document starts here ('---'): put each spec document in a file "
                    "of its own",
                )

    def _start_collection(self, event: events.CollectionStartEvent, line: int) -> None:
        is_mapping = isinstance(event, events.MappingStartEvent)
        allowed = _PLAIN_MAPPING_TAGS if is_mapping else _PLAIN_SEQUENCE_TAGS
        if event.tag not in allowed:
            self._fail(
                line,
                f"unsupported YAML tag {event.tag!r} (only plain mappings, lists and scalars "
                "are allowed)",
            )
        if self.stack and self.stack[-1].is_mapping and self.stack[-1].key is None:
            self._fail(line, "a mapping key must be a string, not a mapping or a list")
        if len(self.stack) >= self.limits.max_depth:
            raise InvalidSpecsError([*self.problems, too_deep(self.file, line, self.limits)])
        if event.anchor is not None:
            self.anchors[event.anchor] = _Anchor(None, 0, 0, 0, ready=False)
        path = self.stack[-1].next_path() if self.stack else ()
        self._count(1, 0, line)
        self.stack.append(_Frame(event, path, is_mapping, self.nodes, self.characters))

    def _end_collection(self) -> None:
        frame = self.stack.pop()
        start_line = _line(frame.start)
        value = self._with_merged_entries(frame) if frame.is_mapping else frame.items
        if not self.stack:
            self.root_line = start_line
        node = (
            Node(value, self._location_in_parent(start_line), frame.path) if self.located else value
        )
        if frame.start.anchor is not None:
            size = self.nodes - frame.first_node + 1
            characters = self.characters - frame.first_character
            self.anchors[frame.start.anchor] = _Anchor(node, size, frame.height + 1, characters)
        self._attach(node, frame.height + 1)

    def _with_merged_entries(self, frame: _Frame) -> dict[str, Any]:
        """Apply YAML merge keys (`<<: *base`): explicit keys win, then earlier merged mappings."""
        if not frame.merged:
            return frame.entries
        combined: dict[str, Any] = {}
        for source in frame.merged:
            for key, item in (self._entries(source) or {}).items():
                combined.setdefault(key, item)
        combined.update(frame.entries)
        return combined

    def _entries(self, value: Any) -> dict[str, Any] | None:
        """The entries of a composed mapping (a `Node` or a plain dict), else None."""
        if self.located:
            entries: dict[str, Any] | None = value.mapping()
            return entries
        return value if isinstance(value, dict) else None

    def _location_in_parent(self, line: int) -> SourceLocation:
        # An entry of a mapping is located at its key: that is where a reader looks for it.
        if self.stack and self.stack[-1].is_mapping and self.stack[-1].key is not None:
            return SourceLocation(self.file, self.stack[-1].key[1])
        return SourceLocation(self.file, line)

    def _attach(self, node: Any, height: int) -> None:
        if not self.stack:
            self.root = node
            self.has_root = True
            return
        parent = self.stack[-1]
        parent.height = max(parent.height, height)
        if not parent.is_mapping:
            parent.items.append(node)
            return
        assert parent.key is not None
        key, key_line, role = parent.key
        parent.key = None
        if role == "merge":
            self._merge_source(parent, node, key_line)
        elif role == "skip":
            return
        elif key in parent.entries:
            first = parent.entries[key].location.line if self.located else parent.key_lines[key]
            self.problems.append(
                SpecProblem.at(
                    SourceLocation(self.file, key_line),
                    (*parent.path, key),
                    f"duplicate key {key!r} (first defined at line {first}); remove one of them",
                )
            )
        else:
            parent.entries[key] = node
            if not self.located:
                parent.key_lines[key] = key_line
                if len(parent.path) < KEY_LINE_DEPTH:
                    self.key_lines[(*parent.path, key)] = key_line

    def _merge_source(self, frame: _Frame, node: Any, line: int) -> None:
        self.exact_lines = False
        items = node.value if self.located else node
        sources = items if isinstance(items, list) else [node]
        for source in sources:
            if self._entries(source) is None:
                self._fail(line, "the YAML merge key '<<' takes a mapping or a list of mappings")
            frame.merged.append(source)

    def _scalar(self, event: events.ScalarEvent, line: int) -> None:
        parent = self.stack[-1] if self.stack else None
        if parent is not None and parent.is_mapping and parent.key is None:
            self._key(parent, event, line)
            return
        characters = len(event.value)
        self._count(1, characters, line)
        if not self.stack:
            self.root_line = line
        if self.located:
            path = parent.next_path() if parent is not None else ()
            location = self._location_in_parent(line)
            value = self._scalar_value(event, location, path)
            if isinstance(value, str):
                self._check_text(value, location, path)
            node: Any = Node(value, location, path, raw=event.value)
        else:
            # The location and path are made only for a problem: most values have none.
            assert self.loader is not None
            try:
                node = scalar_value(self.loader, event, json_scalars=self.json_scalars)
            except UnreadableScalarError as error:
                self.problems.append(self._problem_here(line, parent, str(error)))
                node = event.value
            if isinstance(node, str):
                problem = unsendable_character(node)
                if problem is not None:
                    self.problems.append(self._problem_here(line, parent, problem))
        if event.anchor is not None:
            self.anchors[event.anchor] = _Anchor(node, 1, 0, characters)
        self._attach(node, 0)

    def _problem_here(self, line: int, parent: _Frame | None, message: str) -> SpecProblem:
        """A problem with the scalar value being composed at `line`."""
        path = parent.next_path() if parent is not None else ()
        return SpecProblem.at(self._location_in_parent(line), path, message)

    def _key(self, frame: _Frame, event: events.ScalarEvent, line: int) -> None:
        tag = self._resolved_tag(event)
        if tag == _MERGE_TAG and not self.json_scalars:
            frame.key = ("<<", line, "merge")
            return
        location = SourceLocation(self.file, line)
        value = self._scalar_value(event, location, frame.path, tag)
        if isinstance(value, str):
            self._count(0, len(value), line)
            self._check_text(value, location, frame.path, prefix="the key ")
            # Keys repeat in every document of a fleet (`configuration`, `version`, ...): one
            # string each, not one per file, in the parsed trees and in the resolved specs.
            frame.key = (sys.intern(value), line, "entry")
            return
        kind = _TYPE_NAMES.get(type(value), "not a string")
        self.problems.append(
            SpecProblem.at(
                location,
                frame.path,
                f"the key {quoted(event.value)} is read as {kind}, but keys must be strings: "
                f'quote it ("{event.value[:60]}")',
            )
        )
        frame.key = ("", line, "skip")

    def _alias(self, event: events.AliasEvent, line: int) -> None:
        anchor = self.anchors.get(event.anchor or "")
        if anchor is None:
            self._fail(line, f"alias *{event.anchor} refers to no anchor defined before it")
        if not anchor.ready:
            self._fail(
                line, f"alias *{event.anchor} refers to the mapping or list that contains it"
            )
        parent = self.stack[-1] if self.stack else None
        if parent is not None and parent.is_mapping and parent.key is None:
            self._fail(line, "a mapping key must be a string, not an alias")
        if len(self.stack) + anchor.height > self.limits.max_depth:
            raise InvalidSpecsError([*self.problems, too_deep(self.file, line, self.limits)])
        self._count(anchor.size, anchor.characters, line)
        self.exact_lines = False
        if self.budget is not None:
            try:
                self.budget.charge_alias(anchor.size, anchor.characters)
            except ExpansionLimitError as error:
                self._fail(line, str(error))
        self._attach(anchor.node, anchor.height)

    def _count(self, nodes: int, characters: int, line: int) -> None:
        """Count values and characters as they would be expanded, before expanding anything."""
        self.nodes += nodes
        self.characters += characters
        if self.nodes > self.limits.max_nodes:
            message = (
                f"more than {self.limits.max_nodes} values (counting every expansion of YAML "
                "aliases): the file is too large or an alias bomb"
            )
            raise InvalidSpecsError([*self.problems, SpecProblem(self.file, line, "", message)])
        if self.characters > self.limits.max_characters:
            message = (
                f"more than {self.limits.max_characters:,} characters of keys and strings "
                "(counting every expansion of YAML aliases): the file is an alias bomb or holds "
                "data that belongs in an artifact"
            )
            raise InvalidSpecsError([*self.problems, SpecProblem(self.file, line, "", message)])

    def _check_text(
        self, text: str, location: SourceLocation, path: FieldPath, prefix: str = ""
    ) -> None:
        problem = unsendable_character(text)
        if problem is not None:
            self.problems.append(SpecProblem.at(location, path, prefix + problem))

    def _resolved_tag(self, event: events.ScalarEvent) -> str:
        assert self.loader is not None
        return resolved_tag(self.loader, event)

    def _scalar_value(
        self,
        event: events.ScalarEvent,
        location: SourceLocation,
        path: FieldPath,
        tag: str | None = None,
    ) -> Scalar:
        assert self.loader is not None
        try:
            return scalar_value(self.loader, event, json_scalars=self.json_scalars, tag=tag)
        except UnreadableScalarError as error:
            self.problems.append(SpecProblem.at(location, path, str(error)))
            return event.value
