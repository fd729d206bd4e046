"""The plan as a pull-request comment: summary table first, one `<details>` per thing group.

GitHub rejects comments over 65,536 characters. The summary and totals are always complete;
sections are added while they fit, a section that does not fit is cut with a note, and the
thing groups left out are named (as far as space allows) at the end.
"""

from __future__ import annotations

from reconciler.core.markers import marker_line
from reconciler.core.plan import Plan, TargetPlan
from reconciler.core.rendering.changes import (
    Entry,
    Sign,
    summary_line,
    target_entries,
    target_heading,
    version_entry,
)

MAX_COMMENT_CHARS = 65_536
# Room kept for the truncation notes themselves and for the publisher's own footer.
_RESERVE = 1_500


def _diff_lines(entry: Entry) -> list[str]:
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


def _section(target: TargetPlan) -> list[str]:
    where = f" — `{target.spec_file}`" if target.spec_file else ""
    lines = [
        "<details>",
        f"<summary><b>{target_heading(target)}</b>{where}</summary>",
        "",
        "```diff",
    ]
    for entry in target_entries(target):
        lines.extend(_diff_lines(entry))
    lines.append("```")
    lines.extend(f"> ⚠️ {w}" for w in target.warnings)
    lines += ["", "</details>", ""]
    return lines


def _header(plan: Plan, key: str, title: str) -> list[str]:
    lines = [marker_line(key), f"### {title}", "", f"**{summary_line(plan)}**", ""]
    if plan.commit:
        lines += [f"Specs at commit `{plan.commit}`.", ""]
    if not plan.has_changes:
        return lines
    lines += ["| Thing group | Action | Components changed |", "|---|---|---|"]
    for target in plan.changed_targets:
        changed = ", ".join(f"`{c.name}`" for c in target.changed_components) or "policies"
        lines.append(f"| `{target.thing_group}` | {target.action.value} | {changed} |")
    lines.append("")
    if plan.versions_to_create:
        lines.append("**Component versions to create**")
        lines += [f"- {version_entry(v).label}" for v in plan.versions_to_create]
        lines.append("")
    lines += [f"> ⚠️ {w}" for w in plan.warnings]
    return lines


def render_markdown(
    plan: Plan,
    *,
    key: str = "default",
    title: str = "greengrass-reconciler plan",
    limit: int = MAX_COMMENT_CHARS,
) -> str:
    """The comment body; never longer than `limit` characters."""
    header = "\n".join(_header(plan, key, title)) + "\n"
    budget = limit - _RESERVE - len(header)
    body: list[str] = []
    left_out: list[TargetPlan] = []
    used = 0
    for target in plan.changed_targets:
        if left_out:
            left_out.append(target)
            continue
        section = "\n".join(_section(target)) + "\n"
        if used + len(section) <= budget:
            body.append(section)
            used += len(section)
            continue
        room = budget - used
        if room > 400:
            cut = section[: room - 200].rsplit("\n", 1)[0]
            body.append(
                cut + "\n```\n\n*… this section was truncated to fit GitHub's comment limit; "
                "run `reconciler plan` for the full plan.*\n\n</details>\n"
            )
            used = budget
        else:
            left_out.append(target)
    text = header + "".join(body)
    if left_out:
        names = ", ".join(f"`{t.thing_group}`" for t in left_out)
        note = (
            f"\n*{len(left_out)} more thing group{'s' if len(left_out) != 1 else ''} "
            f"with changes not shown here (comment size limit): {names}*\n"
        )
        room = limit - len(text) - 10
        if len(note) > room:
            note = note[: max(0, room - 2)] + "…*\n"
        text += note
    if not plan.has_changes:
        text += "\nNothing to apply.\n"
    return text[:limit]
