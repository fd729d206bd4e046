"""POST /suspend and /resume: the stop button over HTTP, behind a bearer token read from a file.

    POST /suspend  {"group": "CameraFleetProd" | "all": true, "reason": "...", "for": "2h"}
    POST /resume   {"group": "CameraFleetProd" | "all": true}

Both answer JSON: 200 with what is now recorded, 400 for a bad body, 401 without the token
(compared in constant time), 404 when no token file is configured (the routes are off). The
suspension is recorded in the controller's suspension store, then `on_change` asks for a cycle,
so `/status` shows it within one cycle and it survives restarts.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response

from reconciler.adapters.http.responses import json_response
from reconciler.adapters.suspensions import SuspensionStore, SuspensionStoreError
from reconciler.core.durations import parse_duration
from reconciler.core.suspension import ALL_GROUPS, Suspension
from reconciler.errors import ReconcilerError

MAX_BODY_BYTES = 4096
_MAX_GROUP_NAME = 128  # botocore iot model: ThingGroupName, max 128


class StopTokenError(ReconcilerError):
    """The stop token file is missing or empty."""


def read_token_file(path: Path) -> bytes:
    """The bearer token stored in `path` (surrounding whitespace removed)."""
    try:
        token = Path(path).read_bytes().strip()
    except OSError as error:
        raise StopTokenError(f"cannot read the stop token file {path}: {error.strerror}") from error
    if not token:
        raise StopTokenError(
            f"the stop token file {path} is empty; put a long random token in it, or unset "
            "stop_token_file to turn /suspend and /resume off"
        )
    return token


class StopHandler:
    def __init__(
        self,
        *,
        token: bytes,
        store: SuspensionStore,
        on_change: Callable[[], None] = lambda: None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._token = token
        self._store = store
        self._on_change = on_change
        self._now = now

    def handle(self, request: Request, action: str) -> Response:
        given = request.headers.get("Authorization", "")
        scheme, _, credential = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            credential.strip().encode(), self._token
        ):
            return json_response(
                401,
                {"error": "a bearer token is required (Authorization: Bearer <token>)"},
                headers={"WWW-Authenticate": "Bearer"},
            )
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return json_response(413, {"error": f"the body is over {MAX_BODY_BYTES} bytes"})
        try:
            body = json.loads(request.get_data(cache=False) or b"{}")
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            group = _group_of(body)
            if action == "suspend":
                recorded = self._suspend(group, body)
                answer: dict[str, Any] = {"group": group, "suspension": recorded.to_json()}
            else:
                answer = {"group": group, "resumed": self._store.resume(group)}
        except ValueError as error:
            return json_response(400, {"error": str(error)})
        except SuspensionStoreError as error:
            return json_response(500, {"error": str(error)})
        self._on_change()
        return json_response(200, answer)

    def _suspend(self, group: str, body: dict[str, Any]) -> Suspension:
        reason = body.get("reason")
        if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
            raise ValueError("'reason' is required: a string of 1 to 500 characters")
        length = body.get("for")
        if length is not None and not isinstance(length, str):
            raise ValueError("'for' is a duration string such as 30m, 2h or 1d")
        now = self._now()
        suspension = Suspension(
            reason=reason.strip(),
            until=now + parse_duration(length) if length else None,
            origin="operator",
            since=now,
        )
        self._store.suspend(group, suspension)
        return suspension


def _group_of(body: dict[str, Any]) -> str:
    group, every = body.get("group"), body.get("all")
    if every is True and group is None:
        return ALL_GROUPS
    if (
        isinstance(group, str)
        and every in (None, False)
        and 0 < len(group) <= _MAX_GROUP_NAME
        and group != ALL_GROUPS
    ):
        return group
    raise ValueError("give either 'group' (a thing group name) or 'all': true")
