"""The pure text rules behind the comment: markers, truncation, status description."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.adapters.github.body import fit_comment_body, status_description
from reconciler.core.markers import has_marker, marker_keys, marker_line, with_marker

MARKER = marker_line("default")

_text_lines = st.lists(
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=300).map(
        lambda text: text.replace("\n", "") + "\n"
    ),
    max_size=60,
)


def test_marker_line_is_a_hidden_html_comment() -> None:
    assert marker_line("prod") == "<!-- greengrass-reconciler:plan key=prod -->"


def test_has_marker_matches_the_exact_key_only() -> None:
    body = "plan\n<!--greengrass-reconciler:plan   key=prod-eu  -->\n"
    assert has_marker(body, "prod-eu")
    assert not has_marker(body, "prod")
    assert not has_marker("mentions <!-- greengrass-reconciler:plan key=prod --> inline", "prod")


@pytest.mark.parametrize("key", ["", "a b", "x-->", "a--b", "-lead", "k" * 101, "é"])
def test_keys_that_could_break_the_marker_are_refused(key: str) -> None:
    with pytest.raises(ValueError, match="invalid comment key"):
        marker_line(key)


def test_with_marker_adds_it_first_and_drops_other_keys() -> None:
    body = "# Plan\n<!-- greengrass-reconciler:plan key=default -->\nbody\n"

    assert with_marker(body, "prod") == f"{marker_line('prod')}\n# Plan\nbody\n"
    assert with_marker(body, "default") == body  # already there: left where it is


@given(_text_lines, st.sampled_from(["default", "prod", "eu-west-1"]))
def test_with_marker_leaves_exactly_one_marker_and_is_idempotent(
    lines: list[str], key: str
) -> None:
    marked = with_marker("".join(lines), key)

    assert marker_keys(marked) == [key]
    assert with_marker(marked, key) == marked


@settings(max_examples=200)
@given(_text_lines, st.integers(min_value=600, max_value=6000))
def test_fitted_body_never_exceeds_the_limit_and_keeps_marker_and_head(
    lines: list[str], limit: int
) -> None:
    body = with_marker("".join(lines))

    fitted = fit_comment_body(body, MARKER, limit=limit)

    assert len(fitted.text) <= limit
    assert MARKER in fitted.text.splitlines()
    if len(body) <= limit:
        assert fitted.text == body and not fitted.truncated
    else:
        assert fitted.truncated
        assert fitted.text.startswith(MARKER + "\n")
        assert "This plan was truncated" in fitted.text
        head = fitted.text[len(MARKER) + 1 : fitted.text.index("\n---\n:warning:")]
        content = [line for line in lines if line.strip() != MARKER]
        kept = content[: len(content) - fitted.omitted_lines]
        assert head.startswith("".join(kept) if kept else "")


def test_a_cut_inside_a_code_block_closes_the_block_before_the_note() -> None:
    body = MARKER + "\n**Plan**\n```diff\n" + "".join(f"+ line {i}\n" for i in range(500))

    fitted = fit_comment_body(body, MARKER, limit=2000)

    before_note = fitted.text[: fitted.text.index("\n---\n:warning:")]
    assert before_note.endswith("\n```\n")
    assert before_note.count("```") == 2


def test_a_single_enormous_line_is_cut_rather_than_dropped() -> None:
    body = MARKER + "\n" + "x" * 10_000 + "\n"

    fitted = fit_comment_body(body, MARKER, limit=1000)

    assert len(fitted.text) <= 1000
    assert fitted.text.startswith(MARKER + "\nxxxx")


def test_status_description_takes_the_first_summary_line() -> None:
    markdown = (
        f"{MARKER}\n## Greengrass plan\n\n| a | b |\n```\ncode\n```\n"
        "**Plan:** 2 to create, `1` to update\nmore\n"
    )
    assert status_description(markdown) == "Plan: 2 to create, 1 to update"


def test_status_description_falls_back_to_the_heading_and_fits_140() -> None:
    assert status_description("# Only a title\n") == "Only a title"
    assert status_description(MARKER + "\n") == "Plan published"
    long = status_description("word " * 100)
    assert len(long) == 140 and long.endswith("\u2026")
