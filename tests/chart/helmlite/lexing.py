"""Split a Go template into text and actions, and an action into tokens.

Go's text/template syntax, the part our chart uses: `{{ ... }}` actions with the `{{-` / `-}}`
trim markers (which need a space next to the dash, as in Go: `{{-3}}` is the number -3),
`{{/* comments */}}`, double-quoted and raw (backquoted) strings, numbers, booleans, `nil`,
fields (`.Values.x`), variables (`$`, `$name`, `$name.field`), identifiers (functions and
keywords), parentheses, `|`, `:=`, `=` and `,`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal

TokenKind = Literal[
    "string", "number", "bool", "nil", "field", "var", "ident", "(", ")", "|", ":=", "=", ","
]


class TemplateSyntaxError(Exception):
    """The template is not valid Go template syntax, or uses something this subset lacks."""


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    text: str


@dataclass(frozen=True)
class TextPiece:
    text: str


@dataclass(frozen=True)
class ActionPiece:
    tokens: tuple[Token, ...]
    line: int


Piece = TextPiece | ActionPiece

_WHITESPACE = " \t\r\n"
_WHITESPACE_CHARS = tuple(_WHITESPACE)
_TOKEN = re.compile(
    r"""
    (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<var>\$[A-Za-z_0-9]*(?:\.[A-Za-z_][A-Za-z_0-9]*)*)
  | (?P<field>(?:\.[A-Za-z_][A-Za-z_0-9]*)+|\.)
  | (?P<ident>[A-Za-z_][A-Za-z_0-9]*)
  | (?P<declare>:=)
  | (?P<punct>[()|=,])
    """,
    re.VERBOSE,
)


def split_template(source: str, name: str) -> list[Piece]:
    """Text and action pieces, with trim markers applied and comments dropped."""
    pieces: list[Piece] = []
    position = 0
    trim_next_text = False
    while True:
        start = source.find("{{", position)
        text = source[position:] if start < 0 else source[position:start]
        if trim_next_text:
            text = text.lstrip(_WHITESPACE)
        if start < 0:
            pieces.append(TextPiece(text))
            return [p for p in pieces if not (isinstance(p, TextPiece) and not p.text)]
        body_start = start + 2
        # `{{- ` trims; `{{-3` is the number -3 (Go wants whitespace after the dash).
        if source.startswith("-", body_start) and source[body_start + 1 : body_start + 2] in (
            _WHITESPACE_CHARS
        ):
            text = text.rstrip(_WHITESPACE)
            body_start += 1
        pieces.append(TextPiece(text))
        line = source.count("\n", 0, start) + 1
        tokens, end, trim_next_text = _scan_action(source, body_start, f"{name}:{line}")
        if tokens:
            pieces.append(ActionPiece(tuple(tokens), line))
        position = end


def _scan_action(source: str, position: int, where: str) -> tuple[list[Token], int, bool]:
    """Tokens of the action starting at `position`; returns (tokens, end, trims-right)."""
    tokens: list[Token] = []
    while True:
        while position < len(source) and source[position] in _WHITESPACE:
            position += 1
        if source.startswith("/*", position):
            close = source.find("*/", position + 2)
            if close < 0:
                raise TemplateSyntaxError(f"{where}: unclosed comment")
            position = close + 2
            continue
        if source.startswith("}}", position):
            return tokens, position + 2, False
        if source.startswith("-}}", position) and source[position - 1] in _WHITESPACE:
            return tokens, position + 3, True
        match = _TOKEN.match(source, position)
        if match is None:
            snippet = source[position : position + 20].split("\n")[0]
            raise TemplateSyntaxError(f"{where}: unexpected {snippet!r} in action")
        tokens.append(_token_of(match))
        position = match.end()


def _token_of(match: re.Match[str]) -> Token:
    kind = match.lastgroup
    text = match.group()
    if kind == "string":
        return Token("string", json.loads(text))  # Go's escapes are JSON's, for what we use
    if kind == "raw":
        return Token("string", text[1:-1])
    if kind == "ident" and text in ("true", "false"):
        return Token("bool", text)
    if kind == "ident" and text == "nil":
        return Token("nil", text)
    if kind == "declare":
        return Token(":=", text)
    if kind == "punct":
        return Token(text, text)  # type: ignore[arg-type]
    return Token(kind, text)  # type: ignore[arg-type]
