"""Parse the pieces of a Go template into a tree: text, actions, if/with/range, define/template.

Pipelines are parsed as Go does: an optional declaration (`$x :=`, `$x =`, `$k, $v :=` in a
range), then commands separated by `|`; the value of each command is passed as the last argument
of the next. A command is a function name with arguments, or a single operand (a literal, a
field, a variable or a parenthesised pipeline).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.chart.helmlite.lexing import (
    Piece,
    TemplateSyntaxError,
    TextPiece,
    Token,
)


@dataclass(frozen=True)
class Literal:
    value: object


@dataclass(frozen=True)
class FieldRef:
    path: tuple[str, ...]  # () is the dot itself


@dataclass(frozen=True)
class VarRef:
    name: str  # "$" for the root
    path: tuple[str, ...]


@dataclass(frozen=True)
class FunctionName:
    name: str


@dataclass(frozen=True)
class Pipeline:
    commands: tuple[tuple[Operand, ...], ...]
    declare: tuple[str, ...] = ()  # variables declared (:=) or assigned (=)
    assign: bool = False


Operand = Literal | FieldRef | VarRef | FunctionName | Pipeline


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Output:
    pipeline: Pipeline
    line: int


@dataclass
class Branching:
    """if, with and range: a pipeline, its body, and what runs otherwise."""

    keyword: str
    pipeline: Pipeline
    line: int
    body: list[Node] = field(default_factory=list)
    otherwise: list[Node] = field(default_factory=list)


@dataclass(frozen=True)
class Call:
    """`{{ template "name" pipeline }}`."""

    name: str
    argument: Pipeline | None
    line: int


Node = Text | Output | Branching | Call


def parse(pieces: list[Piece], where: str) -> tuple[list[Node], dict[str, list[Node]]]:
    """The template's top-level nodes and the templates it defines."""
    defines: dict[str, list[Node]] = {}
    root: list[Node] = []
    # Each open block: (keyword, the node list being filled, the Branching or define name).
    stack: list[tuple[str, list[Node], Branching | str]] = []
    current = root
    for piece in pieces:
        if isinstance(piece, TextPiece):
            current.append(Text(piece.text))
            continue
        tokens = list(piece.tokens)
        head = tokens[0]
        at = f"{where}:{piece.line}"
        keyword = head.text if head.kind == "ident" else ""
        if keyword in ("if", "with", "range"):
            node = Branching(keyword, _pipeline(tokens[1:], at, allow_pair=keyword == "range"),
                             piece.line)  # fmt: skip
            current.append(node)
            stack.append((keyword, current, node))
            current = node.body
        elif keyword == "else":
            if not stack or not isinstance(stack[-1][2], Branching):
                raise TemplateSyntaxError(f"{at}: else outside if/with/range")
            owner = stack[-1][2]
            if len(tokens) > 1:  # `else if ...` / `else with ...`: a nested branch, one `end`
                nested_keyword = tokens[1].text
                if nested_keyword not in ("if", "with"):
                    raise TemplateSyntaxError(f"{at}: else {nested_keyword} is not supported")
                nested = Branching(nested_keyword, _pipeline(tokens[2:], at), piece.line)
                owner.otherwise.append(nested)
                stack[-1] = (stack[-1][0], stack[-1][1], nested)
                current = nested.body
            else:
                current = owner.otherwise
        elif keyword == "end":
            if not stack:
                raise TemplateSyntaxError(f"{at}: end without an open block")
            opened, parent, block = stack.pop()
            if opened == "define":
                defines[str(block)] = current
            current = parent
        elif keyword == "define":
            name = _string_argument(tokens, at)
            stack.append(("define", current, name))
            current = []
        elif keyword in ("template",):
            name = _string_argument(tokens, at)
            argument = _pipeline(tokens[2:], at) if len(tokens) > 2 else None
            current.append(Call(name, argument, piece.line))
        elif keyword in ("block", "break", "continue"):
            raise TemplateSyntaxError(f"{at}: {keyword} is outside the supported subset")
        else:
            current.append(Output(_pipeline(tokens, at), piece.line))
    if stack:
        raise TemplateSyntaxError(f"{where}: {stack[-1][0]} is never closed with end")
    return root, defines


def _string_argument(tokens: list[Token], at: str) -> str:
    if len(tokens) < 2 or tokens[1].kind != "string":
        raise TemplateSyntaxError(f"{at}: {tokens[0].text} needs a quoted template name")
    return tokens[1].text


def _pipeline(tokens: list[Token], at: str, *, allow_pair: bool = False) -> Pipeline:
    declare: tuple[str, ...] = ()
    assign = False
    for index, token in enumerate(tokens):
        if token.kind in (":=", "="):
            names = [t for t in tokens[:index] if t.kind != ","]
            if (
                not names
                or any(t.kind != "var" for t in names)
                or len(names) > (2 if allow_pair else 1)
            ):
                raise TemplateSyntaxError(f"{at}: bad variable declaration")
            declare = tuple(t.text for t in names)
            assign = token.kind == "="
            tokens = tokens[index + 1 :]
            break
    operands, rest = _commands(tokens, at)
    if rest:
        raise TemplateSyntaxError(f"{at}: unexpected {rest[0].text!r}")
    return Pipeline(operands, declare, assign)


def _commands(tokens: list[Token], at: str) -> tuple[tuple[tuple[Operand, ...], ...], list[Token]]:
    commands: list[tuple[Operand, ...]] = []
    command: list[Operand] = []
    while tokens:
        token = tokens[0]
        if token.kind == ")":
            break
        tokens = tokens[1:]
        if token.kind == "|":
            if not command:
                raise TemplateSyntaxError(f"{at}: empty command before |")
            commands.append(tuple(command))
            command = []
        elif token.kind == "(":
            inner, tokens = _commands(tokens, at)
            if not tokens or tokens[0].kind != ")":
                raise TemplateSyntaxError(f"{at}: unclosed (")
            tokens = tokens[1:]
            command.append(Pipeline(inner))
        else:
            command.append(_operand(token, at))
    if not command:
        raise TemplateSyntaxError(f"{at}: missing value")
    commands.append(tuple(command))
    return tuple(commands), tokens


def _operand(token: Token, at: str) -> Operand:
    if token.kind == "string":
        return Literal(token.text)
    if token.kind == "number":
        return Literal(float(token.text) if "." in token.text else int(token.text))
    if token.kind == "bool":
        return Literal(token.text == "true")
    if token.kind == "nil":
        return Literal(None)
    if token.kind == "field":
        return FieldRef(tuple(part for part in token.text.split(".") if part))
    if token.kind == "var":
        name, *path = token.text.split(".")
        return VarRef(name, tuple(path))
    if token.kind == "ident":
        return FunctionName(token.text)
    raise TemplateSyntaxError(f"{at}: unexpected {token.text!r}")
