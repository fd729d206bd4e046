"""The admin API under `/_emulator/`: health, faults, settings, request log, reset, thing groups.

JSON over HTTP, meant for tests, benchmarks and demos (see `admin.py` for the client):

    GET    /_emulator/health                  {"status": "ok", ...}
    GET    /_emulator/faults                  current fault settings
    PUT    /_emulator/faults                  change them (keys left out keep their value)
    GET    /_emulator/settings                deploymentCompletionSeconds, componentReadySeconds,
    PUT    /_emulator/settings                strictResponses
    GET    /_emulator/requests?since=SEQ      request records with seq > SEQ
    DELETE /_emulator/requests                empty the request log
    POST   /_emulator/reset                   empty all state but the public catalog
    POST   /_emulator/thing-groups            {"names": [...], "region": optional}
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from reconciler import __version__
from reconciler.emulator.faults import FaultSettings
from reconciler.emulator.replies import status_line

if TYPE_CHECKING:
    from reconciler.emulator.gateway import Gateway

StartResponse = Callable[..., Any]
Route = Callable[[dict[str, Any], dict[str, list[str]]], tuple[int, Any]]


class AdminError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class AdminApi:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self._routes: dict[tuple[str, str], Route] = {
            ("GET", "health"): self._health,
            ("GET", "faults"): self._get_faults,
            ("PUT", "faults"): self._put_faults,
            ("GET", "settings"): self._get_settings,
            ("PUT", "settings"): self._put_settings,
            ("GET", "requests"): self._get_requests,
            ("DELETE", "requests"): self._delete_requests,
            ("POST", "reset"): self._reset,
            ("POST", "thing-groups"): self._thing_groups,
        }

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        name = environ.get("PATH_INFO", "").removeprefix("/_emulator").strip("/")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        try:
            route = self._routes.get((method, name))
            if route is None:
                known = sorted({n for _, n in self._routes})
                if any(n == name for _, n in self._routes):
                    raise AdminError(405, f"{method} is not supported on /_emulator/{name}")
                raise AdminError(404, f"No admin endpoint /_emulator/{name}; known: {known}")
            status, document = route(_json_body(environ), query)
        except AdminError as error:
            status, document = error.status, {"message": str(error)}
        body = b"" if status == 204 else json.dumps(document).encode("utf-8")
        start_response(status_line(status), [("Content-Type", "application/json")])
        return [body]

    # -- endpoints ----------------------------------------------------------------------------

    def _health(self, body: dict[str, Any], query: dict[str, list[str]]) -> tuple[int, Any]:
        gateway = self.gateway
        state_file = gateway.state.state_file
        return 200, {
            "status": "ok",
            "version": __version__,
            "region": gateway.options.region,
            "accountId": gateway.options.account_id,
            "uptimeSeconds": round(time.time() - gateway.started, 3),
            "stateFile": str(state_file.path) if state_file else None,
            "requestsLogged": len(gateway.requests),
        }

    def _get_faults(self, body: dict[str, Any], query: dict[str, list[str]]) -> tuple[int, Any]:
        return 200, self.gateway.faults.settings.to_json()

    def _put_faults(self, body: dict[str, Any], query: dict[str, list[str]]) -> tuple[int, Any]:
        try:
            settings = FaultSettings.from_json(body, self.gateway.faults.settings)
        except (ValueError, TypeError) as error:
            raise AdminError(400, f"Invalid fault settings: {error}") from error
        self.gateway.faults.configure(settings)
        return 200, settings.to_json()

    def _get_settings(self, body: dict[str, Any], query: dict[str, list[str]]) -> tuple[int, Any]:
        settings = self.gateway.state.settings
        return 200, {
            "deploymentCompletionSeconds": settings.deployment_completion_seconds,
            "componentReadySeconds": settings.component_ready_seconds,
            "strictResponses": self.gateway.greengrass.strict_responses,
        }

    def _put_settings(self, body: dict[str, Any], query: dict[str, list[str]]) -> tuple[int, Any]:
        known = {"deploymentCompletionSeconds", "componentReadySeconds", "strictResponses"}
        unknown = sorted(set(body) - known)
        if unknown:
            raise AdminError(400, f"Unknown settings {unknown}; known: {sorted(known)}")
        settings = self.gateway.state.settings
        try:
            for key in ("deploymentCompletionSeconds", "componentReadySeconds"):
                if key in body and float(body[key]) < 0:
                    raise AdminError(400, f"{key} must not be negative")
            if "deploymentCompletionSeconds" in body:
                settings.deployment_completion_seconds = float(body["deploymentCompletionSeconds"])
            if "componentReadySeconds" in body:
                settings.component_ready_seconds = float(body["componentReadySeconds"])
        except (TypeError, ValueError) as error:
            raise AdminError(400, f"Settings must be numbers: {error}") from error
        if "strictResponses" in body:
            self.gateway.greengrass.strict_responses = bool(body["strictResponses"])
        return self._get_settings({}, {})

    def _get_requests(self, body: dict[str, Any], query: dict[str, list[str]]) -> tuple[int, Any]:
        try:
            since = int(query.get("since", ["0"])[0])
        except ValueError as error:
            raise AdminError(400, "since must be an integer sequence number") from error
        records = self.gateway.requests.since(since)
        return 200, {"requests": [r.to_json() for r in records]}

    def _delete_requests(
        self, body: dict[str, Any], query: dict[str, list[str]]
    ) -> tuple[int, Any]:
        return 200, {"cleared": self.gateway.requests.clear()}

    def _reset(self, body: dict[str, Any], query: dict[str, list[str]]) -> tuple[int, Any]:
        self.gateway.reset()
        return 200, {"status": "reset"}

    def _thing_groups(self, body: dict[str, Any], query: dict[str, list[str]]) -> tuple[int, Any]:
        names = body.get("names")
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise AdminError(400, 'Send {"names": ["group-a", ...]} with non-empty names')
        region = body.get("region") or self.gateway.options.region
        return 200, {"thingGroups": self.gateway.state.create_thing_groups(str(region), names)}


def _json_body(environ: dict[str, Any]) -> dict[str, Any]:
    length = environ.get("CONTENT_LENGTH") or "0"
    raw = environ["wsgi.input"].read(int(length)) if length.isdigit() and int(length) else b""
    if not raw.strip():
        return {}
    try:
        document = json.loads(raw)
    except ValueError as error:
        raise AdminError(400, f"The body is not valid JSON: {error}") from error
    if not isinstance(document, dict):
        raise AdminError(400, "The body must be a JSON object")
    return document
