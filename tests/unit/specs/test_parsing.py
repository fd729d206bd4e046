"""Reading YAML and JSON files into located values: lines, limits, hostile and odd input."""

from __future__ import annotations

import pytest
import yaml

from reconciler.core.specs import InvalidSpecsError, SpecLimits, SpecProblem
from reconciler.core.specs.located import Node
from reconciler.core.specs.parsing import FASTEST_LOADER, parse_file

LIMITS = SpecLimits()
# Every test runs with libyaml's parser (when PyYAML has it) and with the pure-Python fallback.
LOADERS = sorted({FASTEST_LOADER, yaml.SafeLoader}, key=lambda loader: loader.__name__)
_loader: list[type[yaml.SafeLoader]] = [FASTEST_LOADER]


@pytest.fixture(autouse=True, params=LOADERS, ids=[loader.__name__ for loader in LOADERS])
def yaml_loader(request: pytest.FixtureRequest) -> None:
    _loader[0] = request.param


def parse(text: str | bytes, file: str = "doc.yaml", limits: SpecLimits = LIMITS) -> Node:
    data = text.encode() if isinstance(text, str) else text
    node = parse_file(file, data, limits, loader=_loader[0])
    assert node is not None
    return node


def failure(
    text: str | bytes, file: str = "doc.yaml", limits: SpecLimits = LIMITS
) -> list[SpecProblem]:
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(InvalidSpecsError) as raised:
        parse_file(file, data, limits, loader=_loader[0])
    return list(raised.value.problems)


def at(node: Node, *path: str | int) -> Node:
    for part in path:
        child = node.child(part)
        assert child is not None, f"no {part!r} in {node.path}"
        node = child
    return node


def test_every_value_knows_its_file_line_and_path() -> None:
    node = parse("spec:\n  components:\n    a.b:\n      reset: ['/x', '/y']\n")
    item = at(node, "spec", "components", "a.b", "reset", 1)
    assert (item.location.file, item.location.line, item.path) == (
        "doc.yaml",
        4,
        ("spec", "components", "a.b", "reset", 1),
    )
    assert at(node, "spec", "components").location.line == 2  # a mapping entry: its key's line


def test_values_are_json_compatible() -> None:
    node = parse(
        "when: 2020-01-25\nyes_no: yes\nhex: 0x1F\nfloat: 1.5\nnothing: ~\nforced: !!str 12\n"
    )
    assert node.plain() == {
        "when": "2020-01-25",  # YAML timestamps stay text: JSON has no dates
        "yes_no": True,
        "hex": 31,
        "float": 1.5,
        "nothing": None,
        "forced": "12",
    }


def test_anchors_aliases_and_merge_keys_are_expanded() -> None:
    node = parse("base: &b {a: 1, b: 2}\ncopy: *b\nmerged:\n  <<: *b\n  b: 3\n")
    assert node.plain() == {
        "base": {"a": 1, "b": 2},
        "copy": {"a": 1, "b": 2},
        "merged": {"a": 1, "b": 3},  # explicit keys win over merged ones
    }


def test_json_files_are_parsed_strictly_with_lines() -> None:
    node = parse('{\n\t"a": 1,\n\t"b": {"c": [true, null, 1e3]}\n}\n', file="doc.json")
    assert node.plain() == {"a": 1, "b": {"c": [True, None, 1000.0]}}
    assert at(node, "b", "c").location.line == 3


def test_json_escapes_yaml_cannot_mirror_still_parse() -> None:
    node = parse('{"emoji": "\\ud83d\\ude00"}', file="doc.json")
    assert node.plain() == {"emoji": "\U0001f600"}


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("a: [1,\n", 2, "invalid YAML"),
        ("a: 1\n---\nb: 2\n", 2, "second YAML document"),
        ("a: 1\na: 2\n", 2, "duplicate key 'a' (first defined at line 1)"),
        ("1: x\n", 1, "keys must be strings: quote it"),
        ("? [a]\n: 1\n", 1, "key must be a string"),
        ("a: !Ref x\n", 1, "unsupported YAML tag '!Ref'"),
        ("a: !!binary aGVsbG8=\n", 1, "unsupported YAML tag"),
        ("a: !!set {x}\n", 1, "unsupported YAML tag"),
        ("a: .inf\n", 1, "not a finite number"),
        ("a: *nowhere\n", 1, "refers to no anchor"),
        ("a: &x [*x]\n", 1, "contains it"),
        ("a: \x00\n", 1, "U+0000 is not allowed"),
        ("a: 1" + "0" * 5000 + "\n", 1, "cannot read"),
    ],
)
def test_yaml_problems_name_their_line(text: str, line: int, words: str) -> None:
    found = failure(text)
    assert any(p.line == line and words in p.message for p in found), found


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"a": 1,}', "invalid JSON"),
        ('{"a": NaN}', "NaN is not a JSON number"),
        ('{"a": 1, "a": 2}', "duplicate key"),
        ("a: 1", "invalid JSON"),
    ],
)
def test_json_problems(text: str, words: str) -> None:
    assert any(words in p.message for p in failure(text, file="doc.json"))


def test_non_utf8_names_the_line_of_the_bad_byte() -> None:
    [problem] = failure(b"a: 1\nb: caf\xe9\n")
    assert (problem.line, problem.message) == (
        2,
        "not valid UTF-8 (byte 11); save the file as UTF-8",
    )


def test_a_byte_order_mark_is_accepted() -> None:
    assert parse(b"\xef\xbb\xbfa: 1\n").plain() == {"a": 1}


def test_empty_files_have_no_document() -> None:
    assert parse_file("doc.yaml", b"# just a comment\n", LIMITS, loader=_loader[0]) is None
    assert parse_file("doc.json", b"  \n", LIMITS, loader=_loader[0]) is None


def test_nesting_depth_is_capped() -> None:
    limits = SpecLimits(max_depth=10)
    assert parse("a: " + "[" * 9 + "]" * 9, limits=limits).plain() == {"a": [[[[[[[[[]]]]]]]]]}
    [problem] = failure("a: " + "[" * 10 + "]" * 10, limits=limits)
    assert problem.message == "nested more than 10 levels deep"


def test_deep_nesting_cannot_exhaust_the_stack() -> None:
    for text in ("[" * 200_000, "{a: " * 50_000):
        [problem] = failure(text)
        assert "nested more than 100 levels" in problem.message
    [problem] = failure("[" * 200_000 + "]" * 200_000, file="doc.json")
    assert "nested more than 100 levels" in problem.message


def test_aliases_that_nest_too_deep_are_caught() -> None:
    limits = SpecLimits(max_depth=5)
    [problem] = failure("a: &a [[[1]]]\nb: [[[*a]]]\n", limits=limits)
    assert problem.line == 2 and "nested more than 5" in problem.message


def test_alias_bombs_are_stopped_by_counting_expansions() -> None:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    [problem] = failure("\n".join(lines) + "\n")
    assert "more than 100000 values" in problem.message and "alias bomb" in problem.message
    assert problem.line == 5  # e: 1 + 10 * 11111 values, the first to cross 10^5


def test_the_value_count_limit_applies_without_aliases_too() -> None:
    [problem] = failure("[" + ", ".join(["1"] * 50) + "]", limits=SpecLimits(max_nodes=40))
    assert "more than 40 values" in problem.message


def test_all_problems_of_a_file_are_reported_together() -> None:
    found = failure("a: 1\na: 2\nb: .nan\n3: x\n")
    assert [p.line for p in found] == [2, 3, 4]
