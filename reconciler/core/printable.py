"""Characters that act on a terminal or a reader instead of showing, rendered visibly.

A configuration key, a file name or a component name comes from a pull request. Printed raw,
`\\x1b[1A\\x1b[2K` erases the line above, `\\r` overwrites the start of a line, U+202E reverses
what follows, a newline starts a line that looks like the tool's own: a reviewer reading `plan`
or `validate` output could be shown something other than what the specs say. Every renderer
meant for people passes such strings through `printable`, which writes those characters as the
escapes a Python or JSON reader knows (`\\n`, `\\x1b`, `\\u202e`); every other character, accents
and emoji included, is left alone. `printable_json` does the same to JSON text, which escapes
the C0 controls itself but not C1 controls, line separators or bidirectional overrides.

Pure text functions: no I/O.
"""

from __future__ import annotations

import re

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

# C0 and C1 control characters and DEL (a terminal acts on all of them: ESC starts a sequence,
# U+009B is a one-character CSI), the Unicode line and paragraph separators, and the
# bidirectional marks, embeddings, overrides and isolates ("Trojan Source", CVE-2021-42574).
_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every control, line-separator and bidirectional character written as an
    escape (`\\n`, `\\x1b`, `\\u202e`): one line, shown exactly as the characters are."""
    return _HIDDEN.sub(_escape, text)


def printable_lines(text: str) -> str:
    """`text` whose lines are each `printable`: for messages that are several lines on purpose
    (an error listing every problem), built from parts that were made printable already."""
    return "\n".join(printable(line) for line in text.split("\n"))


_HIDDEN_IN_JSON = re.compile("[\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def printable_json(text: str) -> str:
    """JSON text (as `json.dumps` writes it) with the same characters as `\\uXXXX` escapes.

    Outside strings JSON has only ASCII punctuation, letters and whitespace, so every such
    character is inside a string, where the escape means the same character: the document
    parses to the same value.
    """
    return _HIDDEN_IN_JSON.sub(_json_escape, text)
