"""Strings a pull request chooses cannot change the structure of what the renderers print.

The Markdown comment is parsed back with a CommonMark parser (markdown-it-py, with GFM tables)
and compared with the comment of a plan of the same shape whose strings are plain: same blocks,
same inline structure, no image, link, raw HTML or mention of the author's making, and every
hostile string shown exactly (control characters as escapes). The terminal renderer gives the
same number of lines and not one control character but its own colours.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from reconciler.core.printable import printable
from reconciler.core.rendering import render_markdown, render_text
from reconciler.core.rendering.markdown import MIN_LIMIT
from reconciler.core.rendering.markdown_text import code_span, html_text, inline_text
from tests.unit.rendering.hostile import WORST, hostile_plan, hostile_strings, pointer

PARSER = MarkdownIt("commonmark").enable("table")
BENIGN = "x"
MENTION = re.compile(r"(?:^|[^\w`])@[A-Za-z0-9_]")
COLOURS = re.compile(r"\x1b\[[0-9;]*m")
# Anything a terminal acts on (what `printable` escapes), except the line breaks between lines.
CONTROL = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
SECTION_OPEN = re.compile(
    r"<details>\n<summary><b><code>[^<>\n]*</code> [^<>\n]*</b>"
    r"(?: — <code>[^<>\n]*</code>)?</summary>\n"
)


def _flatten(tokens: list[Token]) -> list[Token]:
    flat: list[Token] = []
    for token in tokens:
        flat.append(token)
        flat.extend(_flatten(token.children or []))
    return flat


def _shape(tokens: list[Token]) -> list[Any]:
    """Token types and nesting, adjacent text tokens taken as one (escapes split text)."""
    shape: list[Any] = []
    for token in _flatten(tokens):
        kind = "text" if token.type in ("text", "text_special") else token.type
        if kind == "text" and shape and shape[-1] == ("text", token.level):
            continue
        shape.append((kind, token.level))
    return shape


def _assert_only_own_markup(flat: list[Token], sections: int) -> None:
    """No image, link or inline HTML; raw HTML only where the renderer puts it (the marker,
    each section's opening and closing); `sections` diff blocks of diff lines only; no mention
    outside code."""
    kinds = {t.type for t in flat}
    assert not kinds & {"image", "link_open", "html_inline"}, kinds
    blocks = [t.content for t in flat if t.type == "html_block"]
    assert blocks[0].startswith("<!-- greengrass-reconciler:plan")
    assert len(blocks) == 1 + 2 * sections
    for opening, closing in zip(blocks[1::2], blocks[2::2], strict=True):
        assert SECTION_OPEN.fullmatch(opening), opening
        assert closing == "</details>\n"
        assert not MENTION.search(opening)
    fences = [t for t in flat if t.type == "fence"]
    assert [f.info for f in fences] == ["diff"] * sections
    for fence in fences:
        assert all(line[:2] in ("+ ", "- ", "! ") for line in fence.content.splitlines())
    for token in flat:
        if token.type == "text":
            assert not MENTION.search(token.content), token.content


def _assert_structure_intact(h: str) -> None:
    plan = hostile_plan(h)
    text = render_markdown(plan)
    tokens = PARSER.parse(text)
    benign = PARSER.parse(render_markdown(hostile_plan(BENIGN)))
    assert _shape(tokens) == _shape(benign)

    flat = _flatten(tokens)
    changed = plan.changed_targets
    _assert_only_own_markup(flat, len(changed))
    assert [t.content for t in flat if t.type == "heading_open"] == [""]
    fences = [t for t in flat if t.type == "fence"]
    # The summary table: one row per changed group, three cells each, the group shown exactly.
    rows = [t for t in flat if t.type == "tr_open"]
    assert len(rows) == 1 + len(changed)
    cells = [flat[i + 1].children or [] for i, t in enumerate(flat) if t.type == "td_open"]
    assert len(cells) == 3 * len(changed)
    assert [cell[0].content for cell in cells[::3]] == [printable(t.thing_group) for t in changed]
    assert not CONTROL.search(text)
    # The hostile strings are shown, not lost: the diff lists the key exactly.
    key_line = re.compile(r"-   " + re.escape(printable(pointer(f"Key{h}"))) + r': "old"')
    assert any(key_line.fullmatch(line) for line in fences[0].content.splitlines())


@settings(max_examples=150, deadline=None)
@given(hostile_strings())
def test_hostile_strings_cannot_change_the_comment_structure(h: str) -> None:
    _assert_structure_intact(h)


def test_every_hostile_fragment_at_once() -> None:
    _assert_structure_intact(WORST)


@settings(max_examples=40, deadline=None)
@given(hostile_strings(), st.integers(MIN_LIMIT, 12_000))
def test_a_comment_cut_to_its_limit_keeps_only_its_own_markup(h: str, limit: int) -> None:
    # Forty groups do not fit: sections are cut, groups left out are named in a note.
    base = hostile_plan(h)
    targets = tuple(
        replace(target, thing_group=f"{target.thing_group}{index}")
        for index in range(20)
        for target in base.targets
    )
    text = render_markdown(replace(base, targets=targets), limit=limit)
    assert len(text) <= limit
    flat = _flatten(PARSER.parse(text))
    _assert_only_own_markup(flat, sum(t.type == "fence" for t in flat))
    assert not CONTROL.search(text)


@settings(max_examples=150, deadline=None)
@given(hostile_strings())
def test_hostile_strings_cannot_add_lines_or_control_characters_to_the_terminal(h: str) -> None:
    for color in (False, True):
        text = render_text(hostile_plan(h), color=color, show_unchanged=True)
        benign = render_text(hostile_plan(BENIGN), color=color, show_unchanged=True)
        assert text.count("\n") == benign.count("\n")
        assert not CONTROL.search(COLOURS.sub("", text))
        assert printable(f"Group{h}") in text
        if not color:
            assert "\x1b" not in text


def _inline(markdown: str) -> list[Token]:
    (paragraph,) = [t for t in PARSER.parse(markdown) if t.type == "inline"]
    return paragraph.children or []


@settings(max_examples=200, deadline=None)
@given(hostile_strings())
@example("   ")  # a code span of spaces only is not stripped
@example("` a `")
def test_each_escape_renders_exactly_the_printable_text(h: str) -> None:
    # Inline code: one code span holding the text itself.
    (code,) = _inline("a " + code_span(h) + " b")[1:2]
    assert code.type == "code_inline" and code.content == printable(h)
    # Running text: nothing but text, reading as the text itself (mentions aside).
    children = _inline("a " + inline_text(h))
    assert {c.type for c in children} <= {"text", "text_special", "softbreak"}
    unmentioned = re.sub(r"@(?=[A-Za-z0-9_])", "@\u2060", printable(h))
    assert "".join(c.content for c in children) == "a " + unmentioned
    # HTML text: no tag, and the entities decode to the text itself.
    assert "<" not in html_text(h) and ">" not in html_text(h)


def test_a_pipe_in_a_table_cell_stays_in_its_cell() -> None:
    content = "x|y\\|z`"
    table = f"| a | b |\n|---|---|\n| {code_span(content, in_table=True)} | c |\n"
    cells = [t for t in _flatten(PARSER.parse(table)) if t.type == "code_inline"]
    assert [c.content for c in cells] == [content]
