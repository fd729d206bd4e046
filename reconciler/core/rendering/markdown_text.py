"""Strings from the specs, escaped for the place they take in a Markdown comment.

A pull request chooses its configuration keys, file names and component names, and the plan
comment shows them to the reviewers. Pasted raw, a newline in a key would close the diff block
and the `<details>` around it and go on as Markdown of the author's choosing: @mentions,
tracking images, a fake "No changes" line. Each context has its own rule:

- `code_span`: inline code (names in the summary table and notes). The fence is longer than any
  run of backticks inside, and in a table cell `|` is escaped, as GFM requires even in code.
- `html_text`: text inside the raw HTML of a `<details>` summary, which Markdown does not parse
  but GitHub does for HTML and @mentions.
- `inline_text`: running text (warnings, notes), with every character that could start Markdown
  inline syntax backslash-escaped, and trailing spaces (a hard line break) as entities.
- fenced code blocks take lines through `printable` only: a fence can only be closed by a line
  of its own, and no line can be split any more.

All of them write control characters visibly (`printable`), so no string can add a line, and
break @mentions outside code (GitHub notifies those users and teams, even from escaped text)
with an invisible word joiner after the `@`.

Pure text functions: no I/O.
"""

from __future__ import annotations

import html
import re

from reconciler.core.printable import printable

_BACKTICK_RUNS = re.compile(r"`+")
_MENTION = re.compile(r"@(?=[A-Za-z0-9_])")
_WORD_JOINER = "\u2060"
# Characters that can start inline Markdown (code, emphasis, links, images, HTML, entities,
# GFM tables, strikethrough and math) wherever they stand in a line.
_INLINE_SYNTAX = re.compile(r"[\\`*_\[\]<>&!|~$]")


def _no_mentions(text: str) -> str:
    return _MENTION.sub("@" + _WORD_JOINER, text)


def code_span(text: str, *, in_table: bool = False) -> str:
    """`text` as inline code that shows it exactly (control characters as escapes)."""
    shown = printable(text)
    if in_table:
        shown = shown.replace("|", "\\|")
    longest = max((len(run) for run in _BACKTICK_RUNS.findall(shown)), default=0)
    fence = "`" * (longest + 1)
    # CommonMark strips one space on each side when both are there (unless the content is all
    # spaces): pad whenever the content touches a backtick or a space, so that what is shown is
    # the content itself.
    edge = not shown or (shown.strip(" ") != "" and (shown[0] in "` " or shown[-1] in "` "))
    pad = " " if edge else ""
    return f"{fence}{pad}{shown}{pad}{fence}"


def html_text(text: str) -> str:
    """`text` as the content of an HTML element (in a `<summary>`, say)."""
    return _no_mentions(html.escape(printable(text), quote=True))


def inline_text(text: str) -> str:
    """`text` as running Markdown text that renders as exactly these characters."""
    escaped = _no_mentions(_INLINE_SYNTAX.sub(r"\\\g<0>", printable(text)))
    # Two spaces at the end of a line make a hard line break: trailing spaces as entities.
    body = escaped.rstrip(" ")
    return body + "&#32;" * (len(escaped) - len(body))
