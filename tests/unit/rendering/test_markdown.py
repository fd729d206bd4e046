"""The plan as a pull-request comment: structure, and the 65,536-character limit GitHub sets."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.core.markers import marker_line
from reconciler.core.plan import TargetAction
from reconciler.core.rendering import MAX_COMMENT_CHARS, render_markdown
from reconciler.core.rendering.markdown import MIN_LIMIT
from tests.unit.planning.cases import plan_case
from tests.unit.rendering.plans import big_plan, mixed_plan, unchanged_plan


def fences_balanced(text: str) -> bool:
    """Every code fence that opens is closed, and none is open across a <details> boundary."""
    open_fence = False
    for line in text.split("\n"):
        if line.startswith("```"):
            open_fence = not open_fence
        elif line.strip() in ("<details>", "</details>") and open_fence:
            return False
    return not open_fence


def details_balanced(text: str) -> bool:
    depth = 0
    for line in text.split("\n"):
        if line == "<details>":
            depth += 1
            if depth > 1:
                return False
        elif line == "</details>":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def shown_groups(text: str) -> list[str]:
    return re.findall(r"<summary><b><code>(\S+)</code> \(", text)


def test_marker_line_comes_first() -> None:
    text = render_markdown(mixed_plan(), key="prod")
    assert text.split("\n", 1)[0] == marker_line("prod")


def test_summary_table_lists_every_changed_group_with_its_action() -> None:
    text = render_markdown(mixed_plan())
    assert "| Thing group | Action | Changes |" in text
    assert "| `NewGroup` | create | `com.example.Fresh` |" in text
    assert "| `Group00001` | update | `com.example.Big1` |" in text
    assert "| `OldGroup` | prune |" in text
    assert "`Quiet00002`" not in text  # unchanged groups are counted, not listed
    assert "1 unchanged" in text


def test_summary_table_does_not_call_a_prune_or_a_rename_a_policy_change() -> None:
    rows = {
        line.split("|")[1].strip(): line.split("|")[3].strip()
        for line in render_markdown(mixed_plan()).split("\n")
        if line.startswith("| `")
    }
    assert "policies" not in rows["`OldGroup`"]
    assert "deploymentName" in rows["`RenamedGroup`"]


def test_one_details_section_per_changed_group() -> None:
    plan = mixed_plan()
    text = render_markdown(plan)
    assert shown_groups(text) == [t.thing_group for t in plan.changed_targets]
    assert text.count("<details>") == len(plan.changed_targets)
    assert details_balanced(text)
    assert fences_balanced(text)


def test_versions_to_create_and_warnings_are_listed() -> None:
    text = render_markdown(mixed_plan())
    assert "- `com.example.Fresh` `1.0.0` (custom recipe, 1 artifact)" in text
    assert "> ⚠️ an account-wide warning" in text
    assert "> ⚠️ no spec targets this group any more" in text


def test_an_unchanged_plan_says_no_changes_and_nothing_else() -> None:
    text = render_markdown(unchanged_plan())
    assert text.split("\n", 1)[0] == marker_line()
    assert "No changes." in text
    assert "Nothing to apply." in text
    assert "<details>" not in text
    assert "| Thing group |" not in text


def test_three_thousand_big_groups_stay_under_githubs_limit() -> None:
    plan = big_plan(3000)
    assert plan.count(TargetAction.UPDATE) == 3000
    text = render_markdown(plan)
    assert len(text) <= MAX_COMMENT_CHARS
    # The totals are complete however much is cut.
    assert "thing groups 0 to create, 3000 to update, 0 unchanged" in text
    assert fences_balanced(text)
    assert details_balanced(text)
    shown = shown_groups(text)
    assert 0 < len(shown) < 3000
    note = re.search(r"\*(\d+) more thing groups with changes not shown here[^:]*: (.*)", text)
    assert note is not None, "the truncation note is missing"
    left_out = int(note.group(1))
    assert left_out + len(shown) == 3000 or (
        # a section cut short is shown (and marked) but counts as shown
        "this section was truncated" in text and left_out + len(shown) == 3000
    )
    named = re.findall(r"`(Group\d{5})`", note.group(2))
    assert named, "the left-out groups must be named"
    assert not set(named) & set(shown)
    assert named[0] == f"Group{len(shown):05d}"  # they are named in plan order


def test_limit_is_honoured_for_any_limit_and_size() -> None:
    @settings(max_examples=60, deadline=None)
    @given(
        groups=st.integers(min_value=1, max_value=60),
        keys=st.integers(min_value=1, max_value=40),
        warnings=st.integers(min_value=0, max_value=6),
        limit=st.integers(min_value=MIN_LIMIT, max_value=70_000),
    )
    def check(groups: int, keys: int, warnings: int, limit: int) -> None:
        # Warnings come after a section's diff: a cut must never leave its fence open.
        notes = tuple(f"warning {n}: " + "w" * 60 for n in range(warnings))
        text = render_markdown(big_plan(groups, keys=keys, warnings=notes), limit=limit)
        assert len(text) <= limit
        assert text.startswith(marker_line())
        assert f"{groups} to update" in text
        assert fences_balanced(text), text
        assert details_balanced(text), text
        shown = shown_groups(text)
        if len(shown) < groups:
            assert "not shown here" in text

    check()


def test_warnings_of_unchanged_groups_and_of_the_plan_are_never_hidden() -> None:
    failed = plan_case("cancelled-and-failed")
    assert "> ⚠️ `CameraB`: the latest revision 5 FAILED on devices" in render_markdown(failed)
    # A plan with nothing to do still carries the plan-wide warnings.
    quiet = replace(unchanged_plan(), warnings=("GroupX will also get the override",))
    text = render_markdown(quiet)
    assert "> ⚠️ GroupX will also get the override" in text
    assert "Nothing to apply." in text


def test_a_limit_too_small_for_the_summary_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 2,000 characters"):
        render_markdown(mixed_plan(), limit=MIN_LIMIT - 1)
