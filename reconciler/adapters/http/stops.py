"""POST /suspend, /resume and /approve: the stop button (and the go button of a Rollout's
approval gate) over HTTP, behind a bearer token read from a file.

    POST /suspend  {"group": "CameraFleetProd" | "all": true, "reason": "...", "for": "2h"}
    POST /resume   {"group": "CameraFleetProd" | "all": true}
    POST /approve  {"rollout": "camera-models", "wave": "canary"}

All answer JSON: 200 with what is now recorded, 400 for a bad body (or nothing to approve),
401 without the token (compared in constant time), 404 when no token file is configured (the
routes are off). A suspension is recorded in the controller's suspension store, an approval in
its rollout approvals (for the change the Rollout is rolling out now), then `on_change` asks for
a cycle, so `/status` shows it within one cycle and it survives restarts.
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
from reconciler.adapters.rollout_waves import (
    ApprovalError,
    ApprovalStore,
    RolloutWaveStore,
    RolloutWaveStoreError,
    approve_wave,
)
from reconciler.adapters.suspensions import SuspensionStore, SuspensionStoreError
from reconciler.core.durations import parse_duration
from reconciler.core.suspension import ALL_GROUPS, Suspension
from reconciler.errors import ReconcilerError

MAX_BODY_BYTES = 4096
_MAX_GROUP_NAME = 128  # botocore iot model: ThingGroupName, max 128
_MAX_NAME = 253  # a Rollout's metadata.name and a wave's name (spec fields: Name)


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
        waves: RolloutWaveStore | None = None,
        approvals: ApprovalStore | None = None,
        on_change: Callable[[], None] = lambda: None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._token = token
        self._store = store
        self._waves = waves
        self._approvals = approvals
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
            answer: dict[str, Any]
            if action == "approve":
                answer = self._approve(body)
            elif action == "suspend":
                group = _group_of(body)
                recorded = self._suspend(group, body)
                answer = {"group": group, "suspension": recorded.to_json()}
            else:
                group = _group_of(body)
                answer = {"group": group, "resumed": self._store.resume(group)}
        except (ValueError, ApprovalError) as error:
            return json_response(400, {"error": str(error)})
        except (SuspensionStoreError, RolloutWaveStoreError) as error:
            return json_response(500, {"error": str(error)})
        self._on_change()
        return json_response(200, answer)

    def _approve(self, body: dict[str, Any]) -> dict[str, Any]:
        rollout, wave = body.get("rollout"), body.get("wave")
        if not all(isinstance(v, str) and 0 < len(v) <= _MAX_NAME for v in (rollout, wave)):
            raise ValueError(
                "'rollout' and 'wave' are required: the names of a Rollout and its wave"
            )
        assert isinstance(rollout, str) and isinstance(wave, str)
        if self._waves is None or self._approvals is None:
            raise ValueError("this controller keeps no rollout gate state")
        record = approve_wave(self._waves, self._approvals, rollout, wave, at=self._now())
        return {"rollout": rollout, "wave": wave, "change": record.change}

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
