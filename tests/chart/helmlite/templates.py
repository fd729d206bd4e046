"""Parse template files, gather their `define`s, and render one template text."""

from __future__ import annotations

from typing import Any

from tests.chart.helmlite.evaluating import Evaluator
from tests.chart.helmlite.lexing import split_template
from tests.chart.helmlite.parsing import Node, parse


def parse_template(source: str, name: str) -> tuple[list[Node], dict[str, list[Node]]]:
    """The nodes of one template file and the named templates it defines."""
    return parse(split_template(source, name), name)


def render_template_text(source: str, data: Any, *, helpers: str = "") -> str:
    """Render `source` against `data`, with the `define`s of `helpers` available (for tests)."""
    _, defines = parse_template(helpers, "helpers") if helpers else ([], {})
    nodes, own = parse_template(source, "template")
    return Evaluator({**defines, **own}).render(nodes, data)
