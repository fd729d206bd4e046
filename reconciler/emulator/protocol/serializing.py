"""Serialize operation outputs and errors the way a rest-json service puts them on the wire.

Body members become a compact JSON object (blobs base64, timestamps epoch seconds as floats),
members located in headers become headers, and errors carry their code in `x-amzn-ErrorType`
plus the error shape's members in the body, with the HTTP status from the error shape.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from reconciler.emulator.protocol.shapes import ShapeSpec

JSON_CONTENT_TYPE = "application/json"


def to_wire(spec: ShapeSpec, value: Any) -> Any:
    """Convert a Python value of `spec` to its JSON representation."""
    kind = spec.type_name
    if value is None:
        return None
    if kind == "structure":
        result: dict[str, Any] = {}
        for name, member in spec.members.items():
            if member.location:
                continue
            item = value.get(name)
            if item is not None:
                result[member.wire_name] = to_wire(member.spec, item)
        return result
    if kind == "list":
        assert spec.member is not None
        return [to_wire(spec.member, item) for item in value]
    if kind == "map":
        assert spec.value is not None
        return {key: to_wire(spec.value, item) for key, item in value.items()}
    if kind == "blob":
        return base64.b64encode(bytes(value)).decode("ascii")
    if kind == "timestamp":
        return value.timestamp() if isinstance(value, dt.datetime) else float(value)
    return value


def serialize_output(
    spec: ShapeSpec | None, output: Mapping[str, Any]
) -> tuple[dict[str, str], bytes]:
    """Headers and body of a successful response."""
    if spec is None:
        return {}, b""
    headers = _header_members(spec, output)
    body = json.dumps(to_wire(spec, output), separators=(",", ":")).encode("utf-8")
    return {"Content-Type": JSON_CONTENT_TYPE, **headers}, body


def serialize_error(
    spec: ShapeSpec, code: str, fields: Mapping[str, Any]
) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of an error response of the error shape `spec`."""
    headers = {
        "Content-Type": JSON_CONTENT_TYPE,
        "x-amzn-ErrorType": code,
        **_header_members(spec, fields),
    }
    body = json.dumps(to_wire(spec, fields), separators=(",", ":")).encode("utf-8")
    return spec.error_status or 400, headers, body


def _header_members(spec: ShapeSpec, values: Mapping[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, member in spec.members.items():
        if member.location == "header" and values.get(name) is not None:
            headers[member.wire_name] = str(values[name])
    return headers
