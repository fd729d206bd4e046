"""The controller's WSGI application: routing, JSON errors and an access log without secrets.

    GET  /healthz   200 "ok" / 503            the process and its loop are alive
    GET  /readyz    200 "ready" / 503 reason  the leader synced once; a follower always
    GET  /metrics   Prometheus exposition     text format, or OpenMetrics when asked for
    GET  /status    JSON                      the loop's own status document
    POST /webhook   202 / 200 / 4xx           Git push webhooks (404 when no secret is set)
    GET  /, /ui/... HTML                      the read-only fleet dashboard (docs/dashboard.md)
    POST /suspend   200 / 4xx                 suspend a group or all (bearer token; stops.py)
    POST /resume    200 / 4xx                 resume it (404 when no stop token is set)
    POST /approve   200 / 4xx                 approve a Rollout's wave (bearer token; stops.py)

Anything else is a JSON 404, and a known path with the wrong method a JSON 405 with `Allow`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from prometheus_client.exposition import choose_encoder
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from reconciler.adapters.http import probes as probe_routes
from reconciler.adapters.http.dashboard import Dashboard
from reconciler.adapters.http.probes import Probes
from reconciler.adapters.http.responses import bytes_response, json_response
from reconciler.adapters.http.stops import StopHandler
from reconciler.adapters.http.webhook import WebhookHandler
from reconciler.adapters.metrics import ControllerMetrics

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

_access_log = logging.getLogger("reconciler.http.access")

# Probed and scraped every few seconds (a 503 from /readyz included, until the first sync):
# logged at DEBUG so that INFO shows what people and webhooks did.
# The dashboard's static files and live refreshes too: a page open in a browser asks every
# few seconds.
_QUIET_ENDPOINTS = frozenset({"healthz", "readyz", "metrics", "ui_static"})


class ControllerApp:
    """A WSGI callable serving the probes, metrics, status and webhook of one controller."""

    def __init__(
        self,
        *,
        probes: Probes,
        webhook: WebhookHandler | None,
        metrics: ControllerMetrics,
        dashboard: Dashboard | None = None,
        stops: StopHandler | None = None,
    ) -> None:
        self.probes = probes
        self.webhook = webhook
        self.metrics = metrics
        self.dashboard = dashboard
        dashboard_rules = [
            Rule("/", endpoint="ui_fleet", methods=["GET"]),
            Rule("/ui/", endpoint="ui_fleet", methods=["GET"]),
            Rule("/ui/groups/<path:name>", endpoint="ui_group", methods=["GET"]),
            Rule("/ui/static/<name>", endpoint="ui_static", methods=["GET"]),
        ]
        self.stops = stops
        self._routes = Map(
            [
                *(dashboard_rules if dashboard is not None else []),
                Rule("/healthz", endpoint="healthz", methods=["GET"]),
                Rule("/readyz", endpoint="readyz", methods=["GET"]),
                Rule("/metrics", endpoint="metrics", methods=["GET"]),
                Rule("/status", endpoint="status", methods=["GET"]),
                Rule("/webhook", endpoint="webhook", methods=["POST"]),
                Rule("/suspend", endpoint="suspend", methods=["POST"]),
                Rule("/resume", endpoint="resume", methods=["POST"]),
                Rule("/approve", endpoint="approve", methods=["POST"]),
            ],
            strict_slashes=False,
        )

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        request = Request(environ)
        endpoint, response = self._dispatch(request)
        _log_access(request, endpoint, response.status_code, time.perf_counter() - started)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> tuple[str | None, Response]:
        adapter = self._routes.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
        except MethodNotAllowed as error:
            allowed = ", ".join(sorted(error.valid_methods or []))
            return None, json_response(
                405, {"error": f"method {request.method} not allowed"}, headers={"Allow": allowed}
            )
        except NotFound:
            return None, json_response(404, {"error": "not found"})
        except HTTPException as error:  # a redirect or a malformed request line
            return None, json_response(error.code or 400, {"error": error.description or ""})
        return str(endpoint), self._answer(str(endpoint), request, values)

    def _answer(self, endpoint: str, request: Request, values: Mapping[str, Any]) -> Response:
        if endpoint.startswith("ui_") and self.dashboard is not None:
            return self.dashboard.handle(request, endpoint, values)
        if endpoint == "healthz":
            return probe_routes.healthz(self.probes)
        if endpoint == "readyz":
            return probe_routes.readyz(self.probes)
        if endpoint == "status":
            return probe_routes.status(self.probes)
        if endpoint == "metrics":
            return self._metrics(request)
        if endpoint in ("suspend", "resume", "approve"):
            if self.stops is None:
                return json_response(
                    404,
                    {"error": "suspend/resume/approve are disabled: no stop token is configured"},
                )
            return self.stops.handle(request, endpoint)
        if self.webhook is None:
            return json_response(
                404, {"error": "the webhook is disabled: no webhook secret is configured"}
            )
        return self.webhook.handle(request)

    def _metrics(self, request: Request) -> Response:
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        return bytes_response(200, encoder(self.metrics.registry), content_type=content_type)


def _log_access(request: Request, endpoint: str | None, status: int, seconds: float) -> None:
    # The path only: query strings may carry tokens, and bodies are never logged.
    level = logging.DEBUG if endpoint in _QUIET_ENDPOINTS else logging.INFO
    _access_log.log(
        level,
        "%s %s %d %.1fms from %s",
        request.method,
        request.path[:200],
        status,
        seconds * 1000,
        request.remote_addr or "-",
    )
