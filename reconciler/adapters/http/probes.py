"""The three questions the HTTP endpoints ask the reconcile loop, and how they are answered.

The loop owns the answers; the endpoints only render them. A probe callable that raises counts
as "no" (a broken health check must not report healthy) and the error is logged, not served.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Response

from reconciler.adapters.http.responses import json_response, text_response

_log = logging.getLogger(__name__)

DEFAULT_NOT_READY_REASON = "not ready: no successful sync yet"


@dataclass(frozen=True)
class Probes:
    healthy: Callable[[], bool]  # /healthz: the process and its loop are alive
    ready: Callable[[], bool]  # /readyz: the leader synced once; a follower always
    status: Callable[[], Mapping[str, Any]]  # /status: JSON document provided by the loop
    # Why /readyz says no, when the loop can tell (the latest sync error, say).
    not_ready_reason: Callable[[], str] | None = None


def _ask(question: Callable[[], bool], name: str) -> bool:
    try:
        return bool(question())
    except Exception:
        _log.exception("the %s probe failed", name)
        return False


def healthz(probes: Probes) -> Response:
    if _ask(probes.healthy, "health"):
        return text_response(200, "ok")
    return text_response(503, "unhealthy: the reconcile loop is not running")


def readyz(probes: Probes) -> Response:
    if _ask(probes.ready, "readiness"):
        return text_response(200, "ready")
    return text_response(503, _not_ready_reason(probes))


def status(probes: Probes) -> Response:
    try:
        document = dict(probes.status())
    except Exception:
        _log.exception("the status provider failed")
        return json_response(500, {"error": "the controller could not produce its status"})
    return json_response(200, document)


def _not_ready_reason(probes: Probes) -> str:
    if probes.not_ready_reason is None:
        return DEFAULT_NOT_READY_REASON
    try:
        reason = probes.not_ready_reason()
    except Exception:
        _log.exception("the not-ready reason provider failed")
        return DEFAULT_NOT_READY_REASON
    return f"not ready: {reason}" if reason else DEFAULT_NOT_READY_REASON
