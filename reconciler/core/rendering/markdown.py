"""The plan as a pull-request comment: summary table first, one `<details>` per thing group.

GitHub rejects comments over 65,536 characters. The summary and totals are always complete;
sections are added while they fit, a section that does not fit is cut with a note, and the
thing groups left out are named (as far as space allows) at the end.

Names, keys, file names and warnings come from the specs (a pull request's author chooses
them): each is escaped for where it stands (`markdown_text`), so no string can leave its diff
line, table cell or summary and add Markdown of its own.
"""

from __future__ import annotations

from collections.abc import Callable

from reconciler.core.markers import marker_line
from reconciler.core.plan import Plan, TargetAction, TargetPlan
from reconciler.core.printable import printable
from reconciler.core.rendering.changes import (
    Entry,
    Sign,
    prune_note,
    summary_line,
    target_action_note,
    target_entries,
    version_note,
)
from reconciler.core.rendering.markdown_text import code_span, html_text, inline_text
from reconciler.core.rendering.schedule import gate_terms, schedule_course
from reconciler.core.schedule import RolloutSchedule, ScheduledWave

# GitHub rejects a comment body longer than this (422 "body is too long"); the one definition.
MAX_COMMENT_CHARS = 65_536
# Room kept for the notes on what was left out, and for a publisher's own footer.
_RESERVE = 1_500
MIN_LIMIT = 2_000
# The summary table, the versions and the warnings may take at most this share of the room, so
# that a plan with thousands of changed groups still shows some of them in full.
_HEADER_SHARE = 0.4
# A wave of a Rollout names at most this many groups in its row, and its gate this many
# characters: one wave of hundreds of groups must not take the room of the whole schedule.
_WAVE_GROUPS_SHOWN = 10
_GATE_CHARS = 300
_SECTION_CUT_NOTE = (
    "*… this section was truncated to fit GitHub's comment limit; "
    "run `reconciler plan` for the full plan.*"
)


def _diff_lines(entry: Entry) -> list[str]:
    """The lines of `entry` in a fenced diff block: each one line, whatever its label holds."""
    return [printable(line) for line in _raw_diff_lines(entry)]


def _raw_diff_lines(entry: Entry) -> list[str]:
    indent = "  " * entry.depth
    if entry.sign is Sign.ADD:
        value = f": {entry.after}" if entry.after is not None else ""
        return [f"+ {indent}{entry.label}{value}"]
    if entry.sign is Sign.REMOVE:
        value = f": {entry.before}" if entry.before is not None else ""
        return [f"- {indent}{entry.label}{value}"]
    if entry.before is None and entry.after is None:
        return [f"! {indent}{entry.label}"]
    if entry.before is None:
        return [f"+ {indent}{entry.label}: {entry.after}"]
    if entry.after is None:
        return [f"- {indent}{entry.label}: {entry.before}"]
    note = "  (back to default)" if entry.sign is Sign.RESET else ""
    return [
        f"- {indent}{entry.label}: {entry.before}",
        f"+ {indent}{entry.label}: {entry.after}{note}",
    ]


def _section_parts(target: TargetPlan) -> tuple[list[str], list[str], list[str]]:
    """(opening lines, diff lines, closing lines) of a thing group's `<details>` section."""
    where = f" — <code>{html_text(target.spec_file)}</code>" if target.spec_file else ""
    heading = (
        f"<code>{html_text(target.thing_group)}</code> {html_text(target_action_note(target))}"
    )
    summary = f"<summary><b>{heading}</b>{where}</summary>"
    head = ["<details>", summary, "", "```diff"]
    diff = [line for entry in target_entries(target) for line in _diff_lines(entry)]
    tail = ["```", *(f"> ⚠️ {inline_text(w)}" for w in target.warnings), "", "</details>", ""]
    return head, diff, tail


def target_diff_text(target: TargetPlan) -> str:
    """The lines of a thing group's diff block in the PR comment (values redacted as there),
    then its warnings: what the dashboard shows as the group's plan."""
    diff = [line for entry in target_entries(target) for line in _diff_lines(entry)]
    return _join(diff + [f"warning: {printable(w)}" for w in target.warnings])


def _join(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def _section(target: TargetPlan) -> str:
    head, diff, tail = _section_parts(target)
    return _join(head + diff + tail)


def _cut_section(target: TargetPlan, room: int) -> str | None:
    """The section with as many diff lines as fit in `room` and a note saying it was cut;
    None when not even one diff line fits. The fence is always closed, the warnings kept."""
    head, diff, tail = _section_parts(target)
    tail = [tail[0], *tail[1:-3], "", _SECTION_CUT_NOTE, *tail[-3:]]
    used = len(_join(head + tail))
    kept: list[str] = []
    for line in diff:
        if used + len(line) + 1 > room:
            break
        kept.append(line)
        used += len(line) + 1
    return _join(head + kept + tail) if kept else None


def _changes_cell(target: TargetPlan) -> str:
    if target.action is TargetAction.PRUNE:
        return inline_text(f"the deployment: {prune_note(target)}")
    names = [code_span(c.name, in_table=True) for c in target.changed_components]
    names += [code_span(c.field, in_table=True) for c in target.field_changes]
    return ", ".join(names) or "redeploy"


def _bounded(lines: list[str], room: int, more: Callable[[int], str]) -> list[str]:
    """The first of `lines` that fit in `room` characters, then `more(number left out)`."""
    kept: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        rest = len(lines) - index
        # Keep room for the "more" line unless this is the last line and it fits.
        needed = len(line) + 1 + (0 if rest == 1 else len(more(rest)) + 1)
        if used + needed > room:
            return [*kept, more(rest)]
        kept.append(line)
        used += len(line) + 1
    return kept


def _wave_groups_cell(wave: ScheduledWave) -> str:
    cells = []
    for group in wave.groups[:_WAVE_GROUPS_SHOWN]:
        cell = code_span(group.thing_group, in_table=True)
        if group.parent is not None:
            cell += f" ← {code_span(group.parent, in_table=True)} (subdeployment)"
        if not group.changes:
            cell += " *(no change)*"
        cells.append(cell)
    hidden = len(wave.groups) - _WAVE_GROUPS_SHOWN
    if hidden > 0:
        cells.append(f"*… {hidden} more*")
    return ", ".join(cells)


def _gate_cell(wave: ScheduledWave) -> str:
    text = ", ".join(gate_terms(wave.gate))
    if len(text) > _GATE_CHARS:
        text = text[: _GATE_CHARS - 1] + "…"
    return inline_text(text)


def _schedule_lines(schedule: RolloutSchedule) -> list[str]:
    """A Rollout's waves as a table: what a reviewer must see before merging."""
    course = inline_text(schedule_course(schedule))
    lines = [f"**Rollout {code_span(schedule.rollout)}**: {course}.", ""]
    lines += ["| Wave | Thing groups | Devices | Gate |", "|---|---|---:|---|"]
    for index, wave in enumerate(schedule.waves, start=1):
        devices = "not counted" if wave.devices is None else str(wave.devices)
        lines.append(
            f"| {index}. {code_span(wave.name, in_table=True)} | {_wave_groups_cell(wave)} "
            f"| {devices} | {_gate_cell(wave)} |"
        )
    return [*lines, ""]


def _header(plan: Plan, key: str, title: str, room: int) -> list[str]:
    lines = [marker_line(key), f"### {title}", "", f"**{summary_line(plan)}**", ""]
    if plan.commit:
        lines += [f"Specs at commit {code_span(plan.commit)}.", ""]
    room -= len(_join(lines))
    table: list[str] = []
    if plan.has_changes:
        rows = [
            f"| {code_span(t.thing_group, in_table=True)} | {t.action.value} | {_changes_cell(t)} |"
            for t in plan.changed_targets
        ]
        table = ["| Thing group | Action | Changes |", "|---|---|---|"]
        table += _bounded(rows, room // 2, lambda n: f"| *… {n} more* | | |")
        table.append("")
        room -= len(_join(table))
    # The waves a change inside a Rollout goes through: the blast radius of each step.
    schedule = [line for each in plan.schedules for line in _schedule_lines(each)]
    if schedule:
        schedule = _bounded(
            schedule, room // 2, lambda n: f"\n*… {n} more lines of the rollout schedule*\n"
        )
        room -= len(_join(schedule))
    rest: list[str] = []
    if plan.versions_to_create:
        rest.append("**Component versions to create**")
        rest += [
            f"- {code_span(v.name)} {code_span(v.version)} {inline_text(version_note(v))}"
            for v in plan.versions_to_create
        ]
        rest.append("")
    # Unchanged groups get no section, but what they warn about (a FAILED latest revision)
    # is exactly what a reviewer must not miss.
    warnings = [
        *(inline_text(w) for w in plan.warnings),
        *(
            f"{code_span(t.thing_group)}: {inline_text(w)}"
            for t in plan.targets
            if not t.has_changes
            for w in t.warnings
        ),
    ]
    if warnings:
        rest += [*(f"> ⚠️ {w}" for w in warnings), ""]
    return (
        lines + table + schedule + _bounded(rest, room, lambda n: f"*… {n} more lines not shown*")
    )


def _left_out_note(left_out: list[TargetPlan], room: int) -> str:
    """Names as many of the groups left out as fit in `room` characters."""
    count = len(left_out)
    start = (
        f"\n*{count} more thing group{'s' if count != 1 else ''} "
        "with changes not shown here (comment size limit): "
    )
    names: list[str] = []
    for index, target in enumerate(left_out):
        others = count - index
        name = code_span(target.thing_group)
        ending = "*\n" if others == 1 else f" and {others - 1} more*\n"
        if len(start) + len(", ".join([*names, name])) + len(ending) > room:
            return start + ", ".join(names) + f" and {others} more*\n"
        names.append(name)
    return start + ", ".join(names) + "*\n"


def render_markdown(
    plan: Plan,
    *,
    key: str = "default",
    title: str = "greengrass-reconciler plan",
    limit: int = MAX_COMMENT_CHARS,
) -> str:
    """The comment body; never longer than `limit` characters, its code fences always closed.

    `limit` must leave room for the summary and the notes on what was left out: at least
    `MIN_LIMIT` characters.
    """
    if limit < MIN_LIMIT:
        raise ValueError(f"a plan comment needs a limit of at least {MIN_LIMIT:,} characters")
    room = limit - _RESERVE
    header = _join(_header(plan, key, title, int(room * _HEADER_SHARE)))
    budget = room - len(header)
    body: list[str] = []
    left_out: list[TargetPlan] = []
    used = 0
    for target in plan.changed_targets:
        if left_out:
            left_out.append(target)
            continue
        section = _section(target)
        if used + len(section) > budget:
            cut = _cut_section(target, budget - used)
            if cut is None:
                left_out.append(target)
                continue
            section = cut
            budget = used  # nothing after a cut section: the reader would not expect it
        body.append(section)
        used += len(section)
    text = header + "".join(body)
    if left_out:
        text += _left_out_note(left_out, limit - len(text))
    if not plan.has_changes:
        text += "\nNothing to apply.\n"
    return text
