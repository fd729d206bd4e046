"""Parse the bytes of one YAML or JSON file into located `Node`s, safely.

YAML goes through `Composer` (composing.py), which builds the tree from the parser's events with
limits on depth and size. JSON is parsed strictly by the json module, and its lines are taken from
the same event stream (JSON is YAML as far as lines go).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import yaml

from reconciler.core.specs.budget import ExpansionBudget
from reconciler.core.specs.composing import (
    KEY_LINE_DEPTH,
    Composer,
    PlainComposition,
    too_deep,
)
from reconciler.core.specs.located import (
    FieldPath,
    JsonValue,
    Node,
    SourceLocation,
    node_from_plain,
)
from reconciler.core.specs.problems import InvalidSpecsError, SpecProblem
from reconciler.core.specs.scalars import UnreadableScalarError, check_finite, unsendable_character
from reconciler.core.specs.tree import SpecLimits

# libyaml's parser emits the same events ~40 times faster (0.2 s instead of 10 s for 1 MiB);
# PyYAML without libyaml falls back to its pure-Python parser.
FASTEST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Backslash escapes of a JSON text, in order (a valid JSON text has backslashes only in strings).
_JSON_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|.)", re.DOTALL)


def parse_file(
    file: str,
    data: bytes,
    limits: SpecLimits,
    *,
    loader: type[yaml.SafeLoader] = FASTEST_LOADER,
    budget: ExpansionBudget | None = None,
) -> Node | None:
    """Parse `data` (the content of `file`) as JSON when `file` ends in `.json`, else as YAML.

    Returns None for an empty file (no document at all). Raises `InvalidSpecsError` with the
    problems found (syntax errors name their line). `budget` is charged with what YAML aliases
    add (see `ExpansionBudget`).
    """
    text = _decode(file, data)
    if file.lower().endswith(".json"):
        return _parse_json(file, text, limits, loader)
    return Composer(file, text, limits, loader, json_scalars=False, budget=budget).compose()


def parse_values(
    file: str,
    data: bytes,
    limits: SpecLimits,
    *,
    budget: ExpansionBudget | None = None,
    loader: type[yaml.SafeLoader] = FASTEST_LOADER,
) -> PlainComposition | None:
    """`parse_file`, keeping plain values and the lines of the first levels' keys: the same
    checks, the same problems, the budget charged the same, at a fraction of the CPU (no `Node`
    per value). How the loader reads every spec document; the located `parse_file` is for the
    documents a message needs to point into."""
    if file.lower().endswith(".json"):
        # JSON documents are few; their lines come from the located reading.
        root = parse_file(file, data, limits, loader=loader, budget=budget)
        if root is None:
            return None
        return PlainComposition(root.plain(), root.location.line, located_key_lines(root), True)
    text = _decode(file, data)
    composer = Composer(
        file, text, limits, loader, json_scalars=False, budget=budget, located=False
    )
    return composer.compose_plain()


def located_key_lines(root: Node) -> dict[FieldPath, int]:
    """`PlainComposition.key_lines` of a located document (the lines the plain composer
    keeps, read from the located values: its reference in tests)."""
    lines: dict[FieldPath, int] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if len(node.path) >= KEY_LINE_DEPTH:
            continue
        if isinstance(node.value, list):
            stack.extend(node.value)
        for key, item in (node.mapping() or {}).items():
            lines[(*node.path, key)] = item.location.line
            stack.append(item)
    return lines


def _decode(file: str, data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InvalidSpecsError(
            [
                SpecProblem(
                    file, line, "", f"not valid UTF-8 (byte {error.start}); save the file as UTF-8"
                )
            ]
        ) from None
    return text.removeprefix("\ufeff")


def _parse_json(
    file: str, text: str, limits: SpecLimits, loader: type[yaml.SafeLoader]
) -> Node | None:
    """Parse strictly as JSON (json module) and take line numbers from the YAML event stream.

    JSON is YAML as far as lines go; YAML only rejects tabs between tokens, which valid JSON can
    hold only as whitespace (a tab inside a string must be escaped), so they become spaces. If the
    two readings still disagree (exotic escapes), every value gets the file's first line.
    """
    if not text.strip():
        return None
    try:
        value: JsonValue = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise InvalidSpecsError(
            [SpecProblem(file, error.lineno, "", f"invalid JSON: {error.msg}")]
        ) from None
    except RecursionError:
        raise InvalidSpecsError([too_deep(file, 1, limits)]) from None
    except ValueError as error:  # NaN/Infinity, integers beyond Python's digit limit
        raise InvalidSpecsError([SpecProblem(file, 1, "", f"invalid JSON: {error}")]) from None
    # libyaml refuses surrogate escapes, even pairs: reported here with their line when lone,
    # written as the character they stand for when paired (lines are unchanged either way).
    text = _surrogate_pairs_decoded(file, text)
    composer = Composer(file, text.replace("\t", " "), limits, loader, json_scalars=True)
    try:
        located = composer.compose()
    except InvalidSpecsError:
        if not composer.unreadable_as_yaml:
            raise  # duplicate keys, too deep, too many values: real problems of the file
        located = None
    if located is not None and located.plain() == value:
        return located
    if _count_values(value) > limits.max_nodes:
        raise InvalidSpecsError([SpecProblem(file, 1, "", f"more than {limits.max_nodes} values")])
    # The checks the composer makes on every scalar, on values that only have the first line.
    problems = [SpecProblem.at(SourceLocation(file, 1), path, m) for path, m in _unsendable(value)]
    if problems:
        raise InvalidSpecsError(problems)
    return node_from_plain(value, SourceLocation(file, 1))


def _surrogate_pairs_decoded(file: str, text: str) -> str:
    """`text` with each escaped surrogate pair replaced by its character; raises
    `InvalidSpecsError` naming the line of each escaped surrogate that is not part of a pair."""
    pieces: list[str] = []
    problems: list[SpecProblem] = []
    done = 0
    high: re.Match[str] | None = None  # an escaped high surrogate waiting for its low half
    for escape in _JSON_ESCAPE.finditer(text):
        code = int(escape.group(1), 16) if escape.group(1) else None
        if high is not None:
            if code is not None and 0xDC00 <= code <= 0xDFFF and escape.start() == high.end():
                pair = 0x10000 + ((int(high.group(1), 16) - 0xD800) << 10) + (code - 0xDC00)
                pieces += [
                    text[done : high.start()],
                    json.dumps(chr(pair), ensure_ascii=False)[1:-1],
                ]
                done = escape.end()
                high = None
                continue
            problems.append(_lone_surrogate(file, text, high))
            high = None
        if code is not None and 0xD800 <= code <= 0xDBFF:
            high = escape
        elif code is not None and 0xDC00 <= code <= 0xDFFF:
            problems.append(_lone_surrogate(file, text, escape))
    if high is not None:
        problems.append(_lone_surrogate(file, text, high))
    if problems:
        raise InvalidSpecsError(problems)
    return "".join(pieces) + text[done:]


def _lone_surrogate(file: str, text: str, escape: re.Match[str]) -> SpecProblem:
    line = text.count("\n", 0, escape.start()) + 1
    return SpecProblem(
        file,
        line,
        "",
        f"{escape.group()!r} is half of a UTF-16 surrogate pair, not a character: it cannot be "
        "encoded as UTF-8 or sent to AWS",
    )


def _unsendable(value: JsonValue, path: FieldPath = ()) -> Iterator[tuple[FieldPath, str]]:
    """(field path, message) of every key, string or number JSON allowed but AWS cannot take."""
    stack: list[tuple[JsonValue, FieldPath]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                problem = unsendable_character(key)
                if problem is not None:
                    yield where, f"the key {problem}"
                stack.append((child, (*where, key)))
        elif isinstance(item, list):
            stack.extend((child, (*where, index)) for index, child in enumerate(item))
        elif isinstance(item, str):
            problem = unsendable_character(item)
            if problem is not None:
                yield where, problem
        elif isinstance(item, float):
            try:
                check_finite(item, repr(item))
            except UnreadableScalarError as error:
                yield where, str(error)


def _count_values(value: JsonValue) -> int:
    if isinstance(value, dict):
        return 1 + sum(_count_values(item) for item in value.values())
    if isinstance(value, list):
        return 1 + sum(_count_values(item) for item in value)
    return 1


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")
