"""The hidden marker that makes a pull-request comment *sticky*.

Every plan comment carries one line `<!-- greengrass-reconciler:plan key=<key> -->`. GitHub renders
HTML comments as nothing, so readers never see it, but the publisher finds the comment it wrote
before by that line and edits it instead of adding another. The key lets one pull request carry
several plans side by side (one per account or environment, say).

Pure text functions: no I/O.
"""

from __future__ import annotations

import re

DEFAULT_KEY = "default"

_MARKER_NAME = "greengrass-reconciler:plan"

# Keys end up inside an HTML comment and in CLI arguments: letters, digits and a few separators
# keep them readable and can never close the comment early (`-->`) or split the line.
_KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@-]{0,99}")

# Tolerant on whitespace, because a human may have edited the comment by hand.
_MARKER_LINE = re.compile(r"<!--\s*" + re.escape(_MARKER_NAME) + r"\s+key=(?P<key>\S+?)\s*-->")


def split_lines(text: str) -> list[str]:
    """The lines of `text` with their endings, split at `\n` only, as Markdown and GitHub do.

    (`str.splitlines` also splits at form feeds, U+2028 and others, which Markdown does not.)
    """
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def validate_key(key: str) -> str:
    """Return `key` unchanged if it can be used in a marker; raise `ValueError` saying why not."""
    if not _KEY_PATTERN.fullmatch(key) or "--" in key:
        raise ValueError(
            f"invalid comment key {key!r}: use 1-100 letters, digits or . _ : / @ - "
            "(starting with a letter or digit, no '--'), e.g. 'prod' or 'eu-west-1'"
        )
    return key


def marker_line(key: str = DEFAULT_KEY) -> str:
    """The marker line for `key`, without a line ending."""
    return f"<!-- {_MARKER_NAME} key={validate_key(key)} -->"


def _line_key(line: str) -> str | None:
    match = _MARKER_LINE.fullmatch(line.strip())
    return match.group("key") if match else None


def marker_keys(body: str) -> list[str]:
    """The keys of every plan marker line in `body`, in order of appearance."""
    keys = (_line_key(line) for line in split_lines(body))
    return [key for key in keys if key is not None]


def has_marker(body: str, key: str = DEFAULT_KEY) -> bool:
    """Whether `body` carries the marker line of exactly `key` (not merely a key starting so)."""
    return key in marker_keys(body)


def with_marker(body: str, key: str = DEFAULT_KEY) -> str:
    """`body` carrying the marker of `key` exactly once, and no marker of any other key.

    A body that already carries the marker keeps it where it is. Otherwise the marker becomes
    the first line, where truncation never reaches it. Markers of other keys are removed: a
    comment that carried two keys would be claimed, and overwritten, by two different plans.
    """
    validate_key(key)
    kept: list[str] = []
    seen_own = False
    for line in split_lines(body):
        line_key = _line_key(line)
        if line_key is None:
            kept.append(line)
        elif line_key == key and not seen_own:
            kept.append(line)
            seen_own = True
    text = "".join(kept)
    return text if seen_own else f"{marker_line(key)}\n{text}"
