"""Route HTTP requests to operations using the `http` traits of a botocore service model.

Every operation's `requestUri` (e.g. `/greengrass/v2/components/{arn}/artifacts/{artifactName+}`
or S3's `/{Bucket}/{Key+}?tagging`) becomes a regular expression: `{label}` matches one path
segment, `{label+}` (greedy) matches the rest of the path, and literal query keys after `?` must
be present. When several routes match, the most specific wins (more literal query keys, then
more literal path characters), as in the services themselves.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from botocore.model import OperationModel, ServiceModel

_LABEL = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True)
class Route:
    operation_name: str
    method: str
    regex: re.Pattern[str]
    labels: tuple[str, ...]  # label names in order of the regex groups
    query_literals: tuple[tuple[str, str | None], ...]  # (key, required value or None)
    required_headers: tuple[str, ...]  # lower-case names of required header members
    specificity: tuple[int, int, int]


@dataclass(frozen=True)
class RouteMatch:
    operation: OperationModel
    labels: dict[str, str]


def compile_route(operation: OperationModel) -> Route:
    """Turn one operation's `requestUri` into a `Route`."""
    request_uri: str = operation.http["requestUri"]
    path, _, query = request_uri.partition("?")
    labels: list[str] = []
    pattern = ["^"]
    position = 0
    literal_chars = 0
    for found in _LABEL.finditer(path):
        literal = path[position : found.start()]
        pattern.append(re.escape(literal))
        literal_chars += len(literal)
        label = found.group(1)
        if label.endswith("+"):
            labels.append(label[:-1])
            pattern.append(f"(?P<g{len(labels)}>.+)")
        else:
            labels.append(label)
            pattern.append(f"(?P<g{len(labels)}>[^/]+)")
        position = found.end()
    tail = path[position:]
    literal_chars += len(tail)
    pattern.append(re.escape(tail.rstrip("/")))
    pattern.append("/?$")
    query_literals = tuple(
        (key, value if value else None) for key, value in parse_qsl(query, keep_blank_values=True)
    )
    headers = _required_headers(operation)
    return Route(
        operation_name=operation.name,
        method=operation.http["method"],
        regex=re.compile("".join(pattern)),
        labels=tuple(labels),
        query_literals=query_literals,
        required_headers=headers,
        specificity=(len(query_literals), len(headers), literal_chars),
    )


def _required_headers(operation: OperationModel) -> tuple[str, ...]:
    """Lower-case names of the required members sent as headers.

    Operations sharing method and URI differ by them (S3's CopyObject is a PutObject with
    `x-amz-copy-source`): a route only matches when its required headers are present.
    """
    shape = operation.input_shape
    if shape is None:
        return ()
    return tuple(
        shape.members[name].serialization.get("name", name).lower()
        for name in shape.metadata.get("required", [])
        if shape.members[name].serialization.get("location") == "header"
    )


class Router:
    """Finds the operation of a request from its method, decoded path and query parameters."""

    def __init__(self, service_model: ServiceModel) -> None:
        self.service_model = service_model
        by_method: dict[str, list[Route]] = {}
        for name in service_model.operation_names:
            route = compile_route(service_model.operation_model(name))
            by_method.setdefault(route.method, []).append(route)
        for routes in by_method.values():
            routes.sort(key=lambda r: r.specificity, reverse=True)
        self._by_method = by_method

    def match(
        self,
        method: str,
        path: str,
        query: Mapping[str, list[str]],
        headers: Mapping[str, str] | None = None,
    ) -> RouteMatch | None:
        """The operation of a request; `headers` (lower-case names) tell look-alikes apart."""
        for route in self._by_method.get(method.upper(), ()):
            found = route.regex.match(path)
            if found is None or not _query_satisfied(route, query):
                continue
            if route.required_headers and (
                headers is None or not all(h in headers for h in route.required_headers)
            ):
                continue
            labels = {name: found.group(f"g{i}") for i, name in enumerate(route.labels, 1)}
            return RouteMatch(self.service_model.operation_model(route.operation_name), labels)
        return None


def _query_satisfied(route: Route, query: Mapping[str, list[str]]) -> bool:
    for key, value in route.query_literals:
        values = query.get(key)
        if values is None or (value is not None and value not in values):
            return False
    return True
