"""Execute a parsed Go template against data, as text/template does with Helm's options.

Scoping follows Go: `$` is the data the template was executed with (for `include` and
`template`, the argument they pass); a variable lives until the `end` of the block that declared
it; `with` and `range` rebind the dot. A missing map key is nil; reading a field of nil is an
error, as it is in Helm.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.chart.helmlite.functions import (
    FUNCTIONS,
    TemplateRenderError,
    go_string,
    is_empty,
)
from tests.chart.helmlite.parsing import (
    Branching,
    Call,
    FieldRef,
    FunctionName,
    Literal,
    Node,
    Operand,
    Output,
    Pipeline,
    Text,
    VarRef,
)

MAX_INCLUDE_DEPTH = 100  # Helm's own recursion limit for include/template


class Evaluator:
    """Renders nodes; `templates` holds every `define` of the chart (Helm shares them)."""

    def __init__(self, templates: Mapping[str, list[Node]]) -> None:
        self.templates = templates
        self._depth = 0

    def render(self, nodes: list[Node], data: Any) -> str:
        return self._execute(nodes, data, [{"$": data}])

    def include(self, name: str, data: Any) -> str:
        if name not in self.templates:
            raise TemplateRenderError(f'no template named "{name}"')
        if self._depth >= MAX_INCLUDE_DEPTH:
            raise TemplateRenderError(f'include "{name}": too deep (recursion?)')
        self._depth += 1
        try:
            return self.render(self.templates[name], data)
        finally:
            self._depth -= 1

    # ------------------------------------------------------------------ statements
    def _execute(self, nodes: list[Node], dot: Any, scopes: list[dict[str, Any]]) -> str:
        out: list[str] = []
        for node in nodes:
            if isinstance(node, Text):
                out.append(node.text)
            elif isinstance(node, Output):
                value = self._pipeline(node.pipeline, dot, scopes)
                if not node.pipeline.declare:
                    out.append(go_string(value))
            elif isinstance(node, Call):
                argument = self._pipeline(node.argument, dot, scopes) if node.argument else None
                out.append(self.include(node.name, argument))
            elif isinstance(node, Branching):
                out.append(self._branch(node, dot, scopes))
        return "".join(out)

    def _branch(self, node: Branching, dot: Any, scopes: list[dict[str, Any]]) -> str:
        inner = [*scopes, {}]
        if node.keyword == "range":
            return self._range(node, dot, inner)
        value = self._pipeline(node.pipeline, dot, inner)
        if is_empty(value):
            return self._execute(node.otherwise, dot, [*scopes, {}])
        return self._execute(node.body, value if node.keyword == "with" else dot, inner)

    def _range(self, node: Branching, dot: Any, scopes: list[dict[str, Any]]) -> str:
        declared = node.pipeline.declare
        collection = self._pipeline(Pipeline(node.pipeline.commands), dot, scopes)
        if is_empty(collection):
            return self._execute(node.otherwise, dot, [*scopes[:-1], {}])
        if isinstance(collection, Mapping):
            items = [(key, collection[key]) for key in sorted(collection)]
        elif isinstance(collection, list | tuple):
            items = list(enumerate(collection))
        else:
            raise TemplateRenderError(f"range over a {type(collection).__name__}")
        out: list[str] = []
        for key, element in items:
            scope: dict[str, Any] = {}
            if len(declared) == 2:
                scope[declared[0]], scope[declared[1]] = key, element
            elif len(declared) == 1:
                scope[declared[0]] = element
            out.append(self._execute(node.body, element, [*scopes[:-1], scope]))
        return "".join(out)

    # ------------------------------------------------------------------ expressions
    def _pipeline(self, pipeline: Pipeline, dot: Any, scopes: list[dict[str, Any]]) -> Any:
        value: Any = None
        for index, command in enumerate(pipeline.commands):
            piped = () if index == 0 else (value,)
            value = self._command(command, dot, scopes, piped)
        for name in pipeline.declare:
            if pipeline.assign:
                target = next((s for s in reversed(scopes) if name in s), None)
                if target is None:
                    raise TemplateRenderError(f"undefined variable {name}")
                target[name] = value
            else:
                scopes[-1][name] = value
        return value

    def _command(
        self,
        command: tuple[Operand, ...],
        dot: Any,
        scopes: list[dict[str, Any]],
        piped: tuple[Any, ...],
    ) -> Any:
        head, *rest = command
        if isinstance(head, FunctionName):
            return self._call(head.name, rest, dot, scopes, piped)
        if rest or piped:
            raise TemplateRenderError(f"{head} is not a function: it takes no arguments")
        return self._operand(head, dot, scopes)

    def _call(
        self,
        name: str,
        arguments: list[Operand],
        dot: Any,
        scopes: list[dict[str, Any]],
        piped: tuple[Any, ...],
    ) -> Any:
        if name in ("and", "or"):  # short-circuit, returning the deciding operand (Go ≥ 1.18)
            value: Any = None
            for operand in arguments:
                value = self._operand(operand, dot, scopes)
                if is_empty(value) == (name == "and"):
                    return value
            return piped[0] if piped else value
        values = [self._operand(operand, dot, scopes) for operand in arguments] + list(piped)
        if name == "include":
            if len(values) != 2:
                raise TemplateRenderError("include takes a template name and one argument")
            return self.include(values[0], values[1])
        function = FUNCTIONS.get(name)
        if function is None:
            raise TemplateRenderError(f'function "{name}" is not in the supported subset')
        try:
            return function(*values)
        except TypeError as error:
            raise TemplateRenderError(f"{name}: wrong arguments {values!r:.120}: {error}") from None

    def _operand(self, operand: Operand, dot: Any, scopes: list[dict[str, Any]]) -> Any:
        if isinstance(operand, Literal):
            return operand.value
        if isinstance(operand, FieldRef):
            return _walk(dot, operand.path, ".")
        if isinstance(operand, VarRef):
            scope = next((s for s in reversed(scopes) if operand.name in s), None)
            if scope is None:
                raise TemplateRenderError(f"undefined variable {operand.name}")
            return _walk(scope[operand.name], operand.path, operand.name)
        if isinstance(operand, Pipeline):
            return self._pipeline(operand, dot, scopes)
        return self._call(operand.name, [], dot, scopes, ())


def _walk(value: Any, path: tuple[str, ...], start: str) -> Any:
    where = start
    for name in path:
        if value is None:
            raise TemplateRenderError(f"nil pointer evaluating {where}.{name}")
        if not isinstance(value, Mapping):
            raise TemplateRenderError(f"can't evaluate field {name} in {type(value).__name__}")
        value = value.get(name)
        where = f"{where.rstrip('.')}.{name}"
    return value
