"""The rollout follow-up section of a pull request's sticky plan comment.

Once the controller applies a pull request's merge commit, the plan comment gains a section
saying, per thing group, how the rollout went: state, revision, devices that took it. The
section sits between two hidden markers at the end of the comment and is rewritten in place;
the plan above it is left as it was. The rows also travel in the section as hidden JSON, so a
restarted controller extends the table instead of starting it over.

Pure text functions: no I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from reconciler.core.configuration import JsonValue
from reconciler.core.rendering.markdown_text import inline_text

SECTION_START = "<!-- greengrass-reconciler:rollout-follow-up -->"
SECTION_END = "<!-- /greengrass-reconciler:rollout-follow-up -->"
MAX_ROWS = 100  # a fleet of 10,000 groups must still fit in a comment: failures first
_DATA = re.compile(r"<!-- rollout-data (?P<json>\{.*?\}) -->", re.DOTALL)
_STATE_MARKS = {
    "Succeeded": ":white_check_mark:",
    "Failed": ":x:",
    "Degraded": ":warning:",
    "Canceled": ":no_entry_sign:",
    "Superseded": ":fast_forward:",
}
_RANK = {"Failed": 0, "Degraded": 1, "Canceled": 2}


@dataclass(frozen=True)
class RolloutRow:
    """One thing group's line in the follow-up."""

    thing_group: str
    state: str  # Applied, Progressing, Succeeded, Degraded, Failed, Superseded, Canceled
    revision_id: str | None = None
    deployment_id: str | None = None
    succeeded: int | None = None
    failed: int | None = None
    total: int | None = None
    top_errors: str = ""

    @classmethod
    def from_json(cls, value: Mapping[str, JsonValue]) -> RolloutRow | None:
        def number(name: str) -> int | None:
            item = value.get(name)
            return item if isinstance(item, int) and not isinstance(item, bool) else None

        def text(name: str) -> str | None:
            item = value.get(name)
            return item if isinstance(item, str) else None

        group, state = text("thing_group"), text("state")
        if not group or not state:
            return None
        return cls(
            thing_group=group,
            state=state,
            revision_id=text("revision_id"),
            deployment_id=text("deployment_id"),
            succeeded=number("succeeded"),
            failed=number("failed"),
            total=number("total"),
            top_errors=text("top_errors") or "",
        )


def _cell(text: str) -> str:
    """`text` (from devices, or names the specs chose) safe in a table cell: one line, no
    Markdown, HTML or @mention of its own (`markdown_text.inline_text`)."""
    return inline_text(" ".join(text.split()))


def _devices(row: RolloutRow) -> str:
    if row.total is None:
        return "—"
    failed = f", {row.failed} failed" if row.failed else ""
    return f"{row.succeeded or 0}/{row.total}{failed}"


def _shown(rows: Mapping[str, RolloutRow]) -> list[RolloutRow]:
    ordered = sorted(rows.values(), key=lambda r: (_RANK.get(r.state, 3), r.thing_group))
    return ordered[:MAX_ROWS]


def render_section(commit: str, rows: Mapping[str, RolloutRow]) -> str:
    """The section, markers included, for the rollouts of `commit`."""
    shown = _shown(rows)
    lines = [
        SECTION_START,
        "",
        f"### Rollout of `{commit[:12]}`",
        "",
        "| thing group | state | revision | devices | top errors |",
        "|---|---|---|---|---|",
    ]
    for row in shown:
        mark = _STATE_MARKS.get(row.state, ":hourglass_flowing_sand:")
        lines.append(
            f"| {_cell(row.thing_group)} | {mark} {_cell(row.state)} | "
            f"{_cell(row.revision_id or '—')} | {_devices(row)} | {_cell(row.top_errors) or '—'} |"
        )
    if len(rows) > len(shown):
        lines.append("")
        lines.append(f"… and {len(rows) - len(shown)} more group(s); see `reconciler status`.")
    data = {row.thing_group: asdict(row) for row in shown}
    # `<` and `>` escaped: no value can close the HTML comment early or open markup.
    encoded = (
        json.dumps(data, sort_keys=True, separators=(",", ":"))
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
    )
    lines += ["", f"<!-- rollout-data {encoded} -->", SECTION_END]
    return "\n".join(lines) + "\n"


def section_rows(body: str) -> dict[str, RolloutRow]:
    """The rows a comment's follow-up section holds (none when it has no section)."""
    section = _section_span(body)
    if section is None:
        return {}
    match = _DATA.search(body, section[0], section[1])
    if match is None:
        return {}
    try:
        data = json.loads(match.group("json"))
    except ValueError:
        return {}
    rows: dict[str, RolloutRow] = {}
    if isinstance(data, dict):
        for value in data.values():
            row = RolloutRow.from_json(value) if isinstance(value, dict) else None
            if row is not None:
                rows[row.thing_group] = row
    return rows


def _section_span(body: str) -> tuple[int, int] | None:
    start = body.find(SECTION_START)
    if start < 0:
        return None
    end = body.find(SECTION_END, start)
    return (start, len(body) if end < 0 else end + len(SECTION_END))


def with_section(body: str, section: str) -> str:
    """`body` with its follow-up section replaced by `section`, or `section` appended."""
    span = _section_span(body)
    if span is None:
        return body.rstrip("\n") + "\n\n" + section
    start, end = span
    return body[:start] + section.rstrip("\n") + body[end:]
