"""Parse a rest-json request into the operation's input parameters, as the model describes them.

Each member of the input shape is read from where its `location` trait says: a URI label, the
query string, a header, or the JSON body (`locationName` renames). Blobs arrive base64-encoded and
timestamps as epoch seconds (or ISO 8601 in query strings and headers). Conversions that fail are
reported as field problems; everything else (types, enums, ranges...) is left to `validation`.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.emulator.protocol.shapes import ShapeSpec, describe_value
from reconciler.emulator.protocol.validation import FieldProblem


@dataclass(frozen=True)
class HttpRequest:
    """The parts of an HTTP request that the protocol looks at. Header names are lower case."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes


class CannotParseError(Exception):
    """The request body is not the JSON document the protocol requires."""


def parse_input(
    spec: ShapeSpec | None, labels: Mapping[str, str], request: HttpRequest
) -> tuple[dict[str, Any], list[FieldProblem]]:
    """Return the input parameters of the request and the values that could not be converted."""
    params: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    if spec is None:
        return params, problems
    body = _body_document(request.body) if spec.body_members() else {}
    for name, member in spec.members.items():
        if member.location == "uri":
            if member.wire_name in labels:
                params[name] = _from_text(member.spec, labels[member.wire_name], name, problems)
        elif member.location == "querystring":
            _read_query(params, name, member.spec, member.wire_name, request.query, problems)
        elif member.location == "header":
            raw = request.headers.get(member.wire_name.lower())
            if raw is not None:
                params[name] = _from_text(member.spec, raw, name, problems)
        elif not member.location and member.wire_name in body:
            params[name] = _from_json(member.spec, body[member.wire_name], name, problems)
    return params, problems


def _body_document(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CannotParseError(f"The request body is not valid JSON: {error}") from error
    if not isinstance(document, dict):
        raise CannotParseError("The request body must be a JSON object")
    return document


def _read_query(
    params: dict[str, Any],
    name: str,
    spec: ShapeSpec,
    key: str,
    query: Mapping[str, list[str]],
    problems: list[FieldProblem],
) -> None:
    if spec.type_name == "map":
        # A map bound to the query string collects every parameter not claimed elsewhere.
        params[name] = {k: v[0] if len(v) == 1 else v for k, v in query.items()}
        return
    values = query.get(key)
    if not values:
        return
    if spec.type_name == "list":
        assert spec.member is not None
        params[name] = [_from_text(spec.member, v, name, problems) for v in values]
    else:
        params[name] = _from_text(spec, values[0], name, problems)


def _from_text(spec: ShapeSpec, raw: str, path: str, problems: list[FieldProblem]) -> Any:
    """Convert a URI label, query value or header to the shape's Python type."""
    kind = spec.type_name
    try:
        if kind in ("integer", "long"):
            return int(raw)
        if kind in ("float", "double"):
            return float(raw)
        if kind == "boolean":
            if raw.lower() not in ("true", "false"):
                raise ValueError(raw)
            return raw.lower() == "true"
        if kind == "timestamp":
            return _parse_timestamp(raw)
    except ValueError:
        problems.append(
            FieldProblem(
                name=path,
                message=f"Value '{describe_value(raw)}' at '{path}' failed to satisfy "
                f"constraint: Member must be a valid {kind}",
            )
        )
        return None
    return raw


def _from_json(spec: ShapeSpec, value: Any, path: str, problems: list[FieldProblem]) -> Any:
    """Convert a JSON body value: decode blobs and timestamps, recurse into containers."""
    kind = spec.type_name
    if value is None:
        return None
    if kind == "structure" and isinstance(value, dict):
        converted: dict[str, Any] = {}
        for name, member in spec.members.items():
            if member.wire_name in value:
                converted[name] = _from_json(
                    member.spec, value[member.wire_name], f"{path}.{name}", problems
                )
        return converted
    if kind == "list" and isinstance(value, list):
        assert spec.member is not None
        return [
            _from_json(spec.member, item, f"{path}.{i + 1}.member", problems)
            for i, item in enumerate(value)
        ]
    if kind == "map" and isinstance(value, dict):
        assert spec.value is not None
        return {k: _from_json(spec.value, v, f"{path}.{k}", problems) for k, v in value.items()}
    if kind == "blob" and isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            problems.append(
                FieldProblem(
                    name=path,
                    message=f"Value at '{path}' failed to satisfy constraint: "
                    "Member must be base64-encoded binary data",
                )
            )
            return None
    if kind == "timestamp" and isinstance(value, str):
        try:
            return _parse_timestamp(value)
        except ValueError:
            problems.append(
                FieldProblem(
                    name=path,
                    message=f"Value '{describe_value(value)}' at '{path}' failed to satisfy "
                    "constraint: Member must be a timestamp",
                )
            )
            return None
    return value


def _parse_timestamp(raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        parsed = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        return parsed.timestamp()
