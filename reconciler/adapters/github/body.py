"""Fitting a plan into GitHub's limits: the comment body and the commit status description.

GitHub rejects a comment body over 65,536 characters (422 "body is too long") and a status
description over 140. A large plan must still produce a comment, so the body is cut at a line
boundary keeping its head (the summary comes first), with the sticky marker kept and a note saying
that the plan was truncated and where the full plan is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reconciler.core.markers import split_lines
from reconciler.core.rendering import MAX_COMMENT_CHARS

# GitHub's limit is defined once, next to the renderer that fits plans into it.
COMMENT_LIMIT = MAX_COMMENT_CHARS
STATUS_DESCRIPTION_LIMIT = 140

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_DEFAULT_LOCATION = (
    "the Markdown file this comment was made from (keep it, e.g. as a workflow artifact)"
)


@dataclass(frozen=True)
class FittedBody:
    """A comment body within the limit; `omitted_lines` > 0 when it had to be truncated."""

    text: str
    omitted_lines: int = 0

    @property
    def truncated(self) -> bool:
        return self.omitted_lines > 0


def truncation_note(omitted: int, total: int, full_plan_location: str | None) -> str:
    """The note appended to a truncated plan (it starts with a line break)."""
    return (
        "\n---\n"
        f":warning: **This plan was truncated** to fit GitHub's limit of {COMMENT_LIMIT:,} "
        f"characters per comment: the last {omitted:,} of {total:,} lines are not shown. "
        f"Full plan: {full_plan_location or _DEFAULT_LOCATION}.\n"
    )


def _open_fence(lines: list[str]) -> str | None:
    """The fence (``` or ~~~) left open at the end of `lines`, if any."""
    opener: str | None = None
    for line in lines:
        match = _FENCE.match(line)
        if match is None:
            continue
        fence = match.group(1)
        if opener is None:
            opener = fence
        elif fence[0] == opener[0] and len(fence) >= len(opener):
            opener = None
    return opener


def _assemble(marker: str, head: list[str], omitted: int, total: int, location: str | None) -> str:
    text = marker + "\n" + "".join(head)
    if head and not text.endswith("\n"):
        text += "\n"
    fence = _open_fence(head)
    if fence is not None:
        # Close the block, or the note would render as code.
        text += fence + "\n"
    return text + truncation_note(omitted, total, location)


def fit_comment_body(
    body: str,
    marker: str,
    *,
    limit: int = COMMENT_LIMIT,
    full_plan_location: str | None = None,
) -> FittedBody:
    """`body` if it fits in `limit` characters; else its head, `marker` first, and a note.

    `marker` is the sticky marker line (without line ending); a truncated body starts with it
    wherever it was before, so the next run still finds the comment.
    """
    if len(body) <= limit:
        return FittedBody(body)
    lines = [line for line in split_lines(body) if line.strip() != marker]
    total = len(lines)
    # Budget with the longest possible note: the digits of `omitted` never exceed those of
    # `total`, and a closing fence is at most a few characters.
    reserve = len(marker) + 1 + len(truncation_note(total, total, full_plan_location)) + 16
    budget = limit - reserve
    head: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) > budget:
            break
        head.append(line)
        used += len(line)
    if not head and lines and budget > 0:
        # Not even the first line fits (a single enormous line): cut it rather than show nothing.
        head = [lines[0][:budget]]
    while head:
        text = _assemble(marker, head, total - len(head), total, full_plan_location)
        if len(text) <= limit:
            return FittedBody(text, omitted_lines=total - len(head))
        head.pop()  # an unusually long fence line overran the reserve
    text = _assemble(marker, [], total, total, full_plan_location)
    if len(text) > limit:
        raise ValueError(f"a comment limit of {limit} characters cannot even hold the note")
    return FittedBody(text, omitted_lines=total)


def _outside_fences(markdown: str) -> list[str]:
    """The non-blank lines of `markdown` that are not inside a fenced code block, stripped."""
    kept: list[str] = []
    inside = False
    for line in split_lines(markdown):
        if _FENCE.match(line):
            inside = not inside
        elif not inside and line.strip():
            kept.append(line.strip())
    return kept


def _is_prose(line: str) -> bool:
    return not (
        line.startswith(("#", "<!--", "|"))
        or set(line) <= set("-*_= ")  # horizontal rules and setext underlines
    )


def _plain(line: str) -> str:
    """`line` without Markdown decoration: heading hashes, quote/list marks, emphasis, code."""
    line = re.sub(r"^(#{1,6}|>|[-*+]|\d+\.)\s+", "", line)
    line = re.sub(r"(\*\*|__|`)", "", line)
    return " ".join(line.split())


def status_description(markdown: str, *, limit: int = STATUS_DESCRIPTION_LIMIT) -> str:
    """A commit status description (at most `limit` characters) summarising a plan.

    The first prose line of the Markdown, i.e. skipping headings, HTML comments (the marker),
    tables, fences and rules, since a plan's title says less than its summary line; failing
    that the first heading; failing that a generic text.
    """
    lines = _outside_fences(markdown)
    prose = [line for line in lines if _is_prose(line)]
    headings = [line for line in lines if line.startswith("#")]
    text = next((_plain(line) for line in prose + headings if _plain(line)), "Plan published")
    return shorten_description(text, limit=limit)


def shorten_description(text: str, *, limit: int = STATUS_DESCRIPTION_LIMIT) -> str:
    """`text` on one line, cut to `limit` characters with an ellipsis when it is longer."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"
