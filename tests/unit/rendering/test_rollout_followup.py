"""The rollout follow-up section of the plan comment (pure text)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from reconciler.core.rendering.rollout_followup import (
    MAX_ROWS,
    SECTION_END,
    SECTION_START,
    RolloutRow,
    render_section,
    section_rows,
    with_section,
)

COMMIT = "0123456789abcdef0123456789abcdef01234567"
PLAN = "<!-- greengrass-reconciler:plan key=default -->\n## Plan\n\nCameraFleetProd: update\n"


def test_the_section_is_appended_then_replaced_in_place() -> None:
    first = with_section(PLAN, render_section(COMMIT, {"A": RolloutRow("A", "Applied")}))
    assert first.startswith(PLAN) and first.count(SECTION_START) == 1
    rows = section_rows(first)
    rows["A"] = RolloutRow("A", "Succeeded", "4", "d-1", 3, 0, 3)
    second = with_section(first, render_section(COMMIT, rows))
    assert second.startswith(PLAN)
    assert second.count(SECTION_START) == 1 and second.count(SECTION_END) == 1
    assert "| A | :white_check_mark: Succeeded | 4 | 3/3 | — |" in second
    assert section_rows(second) == {"A": RolloutRow("A", "Succeeded", "4", "d-1", 3, 0, 3)}


def test_failures_come_first_and_rows_are_capped() -> None:
    rows = {
        f"G{n:04}": RolloutRow(f"G{n:04}", "Succeeded", total=1, succeeded=1) for n in range(150)
    }
    rows["Z"] = RolloutRow("Z", "Failed", total=10, succeeded=7, failed=3, top_errors="NETWORK")
    section = render_section(COMMIT, rows)
    table = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    assert table[1].startswith("| Z | :x: Failed |") and "7/10, 3 failed | NETWORK |" in table[1]
    assert len(table) == 1 + MAX_ROWS
    assert f"and {151 - MAX_ROWS} more group(s)" in section


def test_text_from_devices_cannot_break_the_table_or_the_comment() -> None:
    hostile = "a|b <!-- x --> <img src=x>\nnext"
    row = RolloutRow("G", "Failed", top_errors=hostile)
    body = with_section(PLAN, render_section(COMMIT, {"G": row}))
    line = next(line for line in body.splitlines() if line.startswith("| G |"))
    assert line.count(" | ") == 4  # five cells, the pipe escaped
    # Every `<` of the text is escaped, in the table and in the hidden data.
    assert re.search(r"(?<!\\)<", line) is None
    assert "<img" not in body.replace("\\<img", "") and "<!-- x" not in body
    assert section_rows(body) == {"G": row}


@given(st.text(max_size=40), st.sampled_from(["Failed", "Succeeded", "Progressing"]))
def test_rows_survive_the_round_trip(text: str, state: str) -> None:
    row = RolloutRow("G", state, revision_id=text or None, top_errors=text)
    assert section_rows(with_section(PLAN, render_section(COMMIT, {"G": row}))) == {"G": row}


def test_a_body_without_a_section_has_no_rows() -> None:
    assert section_rows(PLAN) == {}
    assert section_rows(PLAN + SECTION_START + "\nbroken") == {}
