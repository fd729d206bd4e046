"""JSON and plain-text answers with the headers every endpoint of the controller sends."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from werkzeug.wrappers import Response

# Probe, status and webhook answers describe this instant: nothing in between may cache them.
_COMMON_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def json_response(
    status: int, document: Mapping[str, Any], *, headers: Mapping[str, str] | None = None
) -> Response:
    body = json.dumps(document, default=str, indent=2) + "\n"
    return Response(
        body,
        status=status,
        mimetype="application/json",
        headers={**_COMMON_HEADERS, **(headers or {})},
    )


def text_response(status: int, text: str, *, content_type: str = "text/plain") -> Response:
    return Response(
        text if text.endswith("\n") else text + "\n",
        status=status,
        content_type=f"{content_type}; charset=utf-8",
        headers=_COMMON_HEADERS,
    )


def bytes_response(status: int, body: bytes, *, content_type: str) -> Response:
    return Response(body, status=status, content_type=content_type, headers=_COMMON_HEADERS)
