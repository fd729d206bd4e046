"""Hypothesis strategies: byte- and text-level damage to the sample's spec files and recipe.

Each strategy draws a `Mutation`: what to do to a copy of the sample, and the file whose name
the error must carry. Every mutation here makes the spec tree invalid (a document that is
not YAML, not UTF-8, too large, too deep, an alias bomb, a name no AWS API accepts); the
structural ones (types, pointers, artifact paths, recipes) are in `hostile_tree.py`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from tests.reliability.conftest import SAMPLE

RECIPE = "components/com.acme.ImageUploader/recipe.yaml"
DOCUMENTS = (
    "reconciler.yaml",
    "bases/camera-fleet.yaml",
    "groups/camera-prod.yaml",
    "groups/camera-staging.yaml",
    "overrides/dlr-model-store.yaml",
    "components/com.acme.ImageUploader/component.yaml",
)
ORIGINALS = {name: (SAMPLE / name).read_text(encoding="utf-8") for name in (*DOCUMENTS, RECIPE)}


@dataclass(frozen=True)
class Mutation:
    kind: str  # a short category, for hypothesis' statistics
    file: str  # the file the error must name, relative to the specs root
    detail: str  # what was done, shown when an example fails
    write: Callable[[Path], None]  # applies the damage to a copy of the sample
    # False when the file is only wrong next to another one left intact (a second Deployment
    # of the same group): with that other file damaged too, it may well be valid.
    standalone: bool = True


def write_text(file: str, text: str) -> Callable[[Path], None]:
    return write_bytes(file, text.encode("utf-8"))


def write_bytes(file: str, data: bytes) -> Callable[[Path], None]:
    def write(root: Path) -> None:
        (root / file).parent.mkdir(parents=True, exist_ok=True)
        (root / file).write_bytes(data)

    return write


# ------------------------------------------------------------------ YAML syntax
_JUNK_LINES = (
    "[unclosed, flow",
    "{unclosed: flow",
    "*undefined_alias",
    "key: 'unterminated",
    "\tindented: with a tab",
    "- a list item in a mapping",
    "key: value: another",
    "? complex key\n: value",
    "%YAML 1.1",
    "@reserved: indicator",
)


@st.composite
def yaml_syntax(draw: st.DrawFn) -> Mutation:
    file = draw(st.sampled_from(DOCUMENTS))  # the recipe has a block scalar lines could join
    lines = ORIGINALS[file].splitlines()
    at = draw(st.integers(1, len(lines)))
    junk = draw(st.sampled_from(_JUNK_LINES))
    text = "\n".join([*lines[:at], junk, *lines[at:]]) + "\n"
    return Mutation(
        "yaml-syntax", file, f"{file}: line {at + 1} is {junk!r}", write_text(file, text)
    )


# ------------------------------------------------------------------ characters and encodings
# Characters YAML refuses anywhere, even in comments: C0 controls but tab/LF/CR, DEL, C1, and
# the non-characters U+FFFE/U+FFFF.
_UNPRINTABLE = [chr(c) for c in (*range(0, 9), 11, 12, *range(14, 32), 127, 0x80, 0x9F)]
_UNPRINTABLE += ["\ufffe", "\uffff"]
_INVALID_UTF8 = (b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xe2\x82", b"\xf8\x88\x80\x80\x80")


@st.composite
def control_characters(draw: st.DrawFn) -> Mutation:
    file = draw(st.sampled_from((*DOCUMENTS, RECIPE)))
    text = ORIGINALS[file]
    at = draw(st.integers(0, len(text)))
    char = draw(st.sampled_from(_UNPRINTABLE))
    damaged = text[:at] + char + text[at:]
    return Mutation(
        "control-char", file, f"{file}: U+{ord(char):04X} at {at}", write_text(file, damaged)
    )


@st.composite
def invalid_utf8(draw: st.DrawFn) -> Mutation:
    file = draw(st.sampled_from((*DOCUMENTS, RECIPE)))
    data = ORIGINALS[file].encode("utf-8")
    at = draw(st.integers(0, len(data)))
    while at < len(data) and (data[at] & 0xC0) == 0x80:
        at += 1  # at a character boundary: the damage is the inserted bytes, nothing else
    junk = draw(st.sampled_from(_INVALID_UTF8))
    return Mutation(
        "invalid-utf8",
        file,
        f"{file}: {junk!r} at byte {at}",
        write_bytes(file, data[:at] + junk + data[at:]),
    )


def _structural_keys(text: str) -> list[tuple[int, int, int]]:
    """(line, start column, end column) of the keys at indentation 0 or 2: the envelope and the
    fields of metadata/spec in a document, the top-level fields of a recipe."""
    found = []
    for number, line in enumerate(text.splitlines()):
        key = line.lstrip(" ").split(":", 1)[0]
        indent = len(line) - len(line.lstrip(" "))
        if indent in (0, 2) and ":" in line and key and not key.startswith("#"):
            found.append((number, indent, indent + len(key)))
    return found


@st.composite
def byte_order_marks(draw: st.DrawFn) -> Mutation:
    file = draw(st.sampled_from((*DOCUMENTS, RECIPE)))
    text = ORIGINALS[file]
    how = draw(st.sampled_from(("utf-16", "utf-16-be-bom", "utf-32", "bom-in-key")))
    if how == "bom-in-key":
        # U+FEFF inside a key: invisible in review, a different key to the loader. (At column
        # 0 of a line libyaml skips it, as YAML allows a BOM there: no meaning, no damage.)
        number, start, end = draw(st.sampled_from(_structural_keys(text)))
        at = draw(st.integers(max(start, 1), end - 1))
        lines = text.splitlines()
        lines[number] = lines[number][:at] + "\ufeff" + lines[number][at:]
        data = ("\n".join(lines) + "\n").encode()
    elif how == "utf-16-be-bom":
        data = b"\xfe\xff" + text.encode("utf-16-be")
    else:
        data = text.encode(how)  # with the encoding's BOM
    return Mutation("bom", file, f"{file}: {how}", write_bytes(file, data))


# ------------------------------------------------------------------ names no API accepts
# (file, the line as the sample writes it, its value) of names with a restricted alphabet.
_NAMES = (
    ("groups/camera-prod.yaml", "thingGroup: CameraFleetProd", "CameraFleetProd"),
    ("groups/camera-prod.yaml", "  name: camera-prod", "camera-prod"),
    ("groups/camera-staging.yaml", "thingGroup: CameraFleetStaging", "CameraFleetStaging"),
    ("reconciler.yaml", "region: us-east-1", "us-east-1"),
    ("reconciler.yaml", 'accountId: "123456789012"', "123456789012"),
    ("reconciler.yaml", "bucket: acme-greengrass-artifacts", "acme-greengrass-artifacts"),
    ("bases/camera-fleet.yaml", "version: 2.1.10", "2.1.10"),
    ("overrides/dlr-model-store.yaml", "baseVersion: 2.1.9", "2.1.9"),
    ("components/com.acme.ImageUploader/component.yaml", "version: 1.0.0", "1.0.0"),
    (RECIPE, "ComponentName: com.acme.ImageUploader", "com.acme.ImageUploader"),
)
_LOOKALIKES = (
    "\u202e",  # right-to-left override
    "\u200b",  # zero-width space
    "\u200d",  # zero-width joiner
    "\u0301",  # combining acute accent
    "\u00a0",  # no-break space
    "\uff21",  # fullwidth A
    "\u0430",  # Cyrillic a
    "\u0131",  # dotless i
    "\u00df",  # sharp s (upper-cases to SS)
    "\U0001f4f7",  # camera emoji
    "\u2028",  # line separator
    "\u0085",  # next line
    "\ufeff",  # BOM as a character
)


@st.composite
def unicode_names(draw: st.DrawFn) -> Mutation:
    file, line, value = draw(st.sampled_from(_NAMES))
    at = draw(st.integers(0, len(value)))
    char = draw(st.sampled_from(_LOOKALIKES))
    weird = value[:at] + char + value[at:]
    # Raw in a double-quoted scalar, or as a \u escape that YAML decodes: both reach the model.
    quoted = json.dumps(weird, ensure_ascii=draw(st.booleans()))
    key = line.split(":", 1)[0]
    text = ORIGINALS[file].replace(line, f"{key}: {quoted}", 1)
    assert text != ORIGINALS[file]
    return Mutation("unicode-name", file, f"{file}: {key} = {weird!r}", write_text(file, text))


# ------------------------------------------------------------------ size, depth, alias bombs
_DEPLOYMENT = (
    "apiVersion: greengrass-reconciler/v1\nkind: Deployment\nmetadata: {{name: {name}}}\n"
    "spec:\n  thingGroup: {name}\n  components:\n    aws.greengrass.DLRImageClassification:\n"
    "      version: 2.1.10\n      configuration:\n{configuration}"
)


def _deployment(name: str, configuration_lines: list[str]) -> str:
    body = "".join(f"        {line}\n" for line in configuration_lines)
    return _DEPLOYMENT.format(name=name, configuration=body)


@st.composite
def alias_bombs(draw: st.DrawFn) -> Mutation:
    width = draw(st.integers(3, 12))
    depth = 1
    while width**depth <= 100_000:
        depth += 1
    depth += draw(st.integers(0, 3))
    as_mappings = draw(st.booleans())
    lines = []
    for level in range(depth):
        if level == 0:
            items = ", ".join(["lol"] * width)
        else:
            items = ", ".join(f"*l{level - 1}" for _ in range(width))
        if as_mappings and level > 0:
            items = ", ".join(f"k{i}: *l{level - 1}" for i in range(width))
            lines.append(f"l{level}: &l{level} {{{items}}}")
        else:
            lines.append(f"l{level}: &l{level} [{items}]")
    file = "groups/bomb.yaml"
    text = _deployment("bomb", lines)
    return Mutation("alias-bomb", file, f"{width}^{depth} aliases", write_text(file, text))


@st.composite
def deep_nesting(draw: st.DrawFn) -> Mutation:
    depth = draw(st.integers(101, 5000))
    style = draw(st.sampled_from(("list", "map", "block")))
    if style == "list":
        value = "[" * depth + "]" * depth
    elif style == "map":
        value = "{a: " * depth + "1" + "}" * depth
    else:
        depth = min(depth, 400)  # block style grows quadratically; 400 levels is 160 KB
        levels = "".join("  " * (5 + i) + "a:\n" for i in range(depth))
        value = "\n" + levels + "  " * (5 + depth) + "b: 1"
    file = "groups/camera-prod.yaml"
    text = ORIGINALS[file].replace(
        "InferenceInterval: 300", f"InferenceInterval: 300\n        Deep: {value}", 1
    )
    return Mutation("deep-nesting", file, f"{depth} levels, {style} style", write_text(file, text))


@st.composite
def huge_files(draw: st.DrawFn) -> Mutation:
    how = draw(st.sampled_from(("comment", "string", "values")))
    file = draw(st.sampled_from((*DOCUMENTS, RECIPE)))
    if how == "values":
        # Small in bytes, too many values: 100,001+ list items in a free-form configuration.
        count = draw(st.integers(100_001, 200_000))
        file = "groups/many-values.yaml"
        text = _deployment("many-values", [f"Values: [{', '.join(['0'] * count)}]"])
        return Mutation("huge", file, f"{count} values", write_text(file, text))
    size = draw(st.integers(1024 * 1024 + 1, 3 * 1024 * 1024))
    if how == "comment":
        text = ORIGINALS[file] + "# " + "x" * size + "\n"
    else:
        text = ORIGINALS[file] + f"# padded\nPadding: {'y' * size}\n"
    return Mutation("huge", file, f"{file}: {how} of {size} bytes", write_text(file, text))


TEXT_MUTATIONS = st.one_of(
    yaml_syntax(),
    control_characters(),
    invalid_utf8(),
    byte_order_marks(),
    unicode_names(),
    alias_bombs(),
    deep_nesting(),
    huge_files(),
)
