"""`printable`: control, line-separator and bidirectional characters shown as escapes."""

from __future__ import annotations

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from reconciler.core.printable import printable, printable_json, printable_lines

HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def test_escapes_are_the_ones_python_and_json_readers_know() -> None:
    assert printable("a\nb\rc\td") == "a\\nb\\rc\\td"
    assert printable("\x1b[2K\x1b[1Aok") == "\\x1b[2K\\x1b[1Aok"
    assert printable("\x9b1A\x7f\x00") == "\\x9b1A\\x7f\\x00"
    assert printable("abc\u202edef\u2066\u2028") == "abc\\u202edef\\u2066\\u2028"


def test_everything_else_is_left_alone() -> None:
    text = "CameraFleetProd /credentials/token é 😀 \\n `x` <b> \u200d"
    assert printable(text) == text


@given(st.text())
def test_the_result_is_one_line_without_hidden_characters(text: str) -> None:
    shown = printable(text)
    assert not HIDDEN.search(shown)
    assert printable(shown) == shown  # nothing left to escape
    plain = HIDDEN.sub("", text)
    assert printable(plain) == plain  # every other character is kept as it is


@given(st.text())
def test_printable_lines_keeps_the_line_breaks_only(text: str) -> None:
    shown = printable_lines(text)
    assert shown.split("\n") == [printable(line) for line in text.split("\n")]


@given(st.recursive(st.text() | st.integers(), lambda inner: st.dictionaries(st.text(), inner)))
def test_printable_json_is_the_same_document_without_hidden_characters(document: object) -> None:
    for indent in (None, 2):
        text = printable_json(json.dumps(document, ensure_ascii=False, indent=indent))
        assert json.loads(text) == document
        assert not HIDDEN.search(text.replace("\n", ""))
