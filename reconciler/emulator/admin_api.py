"""The admin API under `/_emulator/`: health, faults, settings, request log, reset, thing groups,
and the fleet's devices, failures and clock (fleet/admin_routes.py).

JSON over HTTP, meant for tests, benchmarks and demos (see `admin.py` for the client):

    GET    /_emulator/health                  {"status": "ok", ...}
    GET    /_emulator/faults                  current fault settings
    PUT    /_emulator/faults                  change them (keys left out keep their value)
    GET    /_emulator/settings                componentReadySeconds, strictResponses
    PUT    /_emulator/settings
    GET    /_emulator/requests?since=SEQ      request records with seq > SEQ
    DELETE /_emulator/requests                empty the request log
    POST   /_emulator/reset                   empty all state but the public catalog
    POST   /_emulator/thing-groups            {"names": [...], "region": optional}
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote

from reconciler import __version__
from reconciler.emulator.faults import FaultInjector, FaultSettings
from reconciler.emulator.fleet.admin_routes import FleetAdmin, FleetAdminError
from reconciler.emulator.greengrass.app import GreengrassService
from reconciler.emulator.options import EmulatorOptions
from reconciler.emulator.replies import status_line
from reconciler.emulator.requestlog import RequestLog
from reconciler.emulator.state import EmulatorState

StartResponse = Callable[..., Any]
Route = Callable[[dict[str, Any], dict[str, list[str]]], tuple[int, Any]]


class AdminError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Administered(Protocol):
    """What the admin API reads and changes: the gateway (`gateway.py`) is one. Named here, not
    imported from there, so that the gateway depends on the admin API and never the reverse."""

    options: EmulatorOptions
    state: EmulatorState
    greengrass: GreengrassService
    faults: FaultInjector
    requests: RequestLog
    started: float

    def reset(self) -> None: ...


class AdminApi:
    def __init__(self, gateway: Administered) -> None:
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
        self.fleet = FleetAdmin(gateway.state.fleet, gateway.state.clock)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        name = environ.get("PATH_INFO", "").removeprefix("/_emulator").strip("/")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        try:
            fleet_reply = self._fleet_route(method, name, environ)
            route = self._routes.get((method, name))
            if fleet_reply is not None:
                status, document = fleet_reply
            elif route is None:
                known = sorted({n for _, n in self._routes})
                if any(n == name for _, n in self._routes):
                    raise AdminError(405, f"{method} is not supported on /_emulator/{name}")
                raise AdminError(404, f"No admin endpoint /_emulator/{name}; known: {known}")
            else:
                status, document = route(_json_body(environ), query)
        except AdminError as error:
            status, document = error.status, {"message": str(error)}
        body = b"" if status == 204 else json.dumps(document).encode("utf-8")
        start_response(status_line(status), [("Content-Type", "application/json")])
        return [body]

    def _fleet_route(
        self, method: str, name: str, environ: dict[str, Any]
    ) -> tuple[int, Any] | None:
        """Answer a fleet endpoint (None: `name` is not one), with the fleet brought up to now."""
        head, _, rest = name.partition("/")
        key, argument = (method, name), ""
        if key not in self.fleet.routes and rest and (method, head + "/*") in self.fleet.routes:
            key, argument = (method, head + "/*"), unquote(rest)
        route = self.fleet.routes.get(key)
        if route is None:
            if any(path in (name, head + "/*") for _, path in self.fleet.routes):
                raise AdminError(405, f"{method} is not supported on /_emulator/{name}")
            return None
        body = _json_body(environ)
        state = self.gateway.state
        with state.lock:
            state.fleet.advance()
            try:
                return route(body, argument)
            except FleetAdminError as error:
                raise AdminError(error.status, str(error)) from error

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
            "componentReadySeconds": settings.component_ready_seconds,
            "strictResponses": self.gateway.greengrass.strict_responses,
        }

    def _put_settings(self, body: dict[str, Any], query: dict[str, list[str]]) -> tuple[int, Any]:
        known = {"componentReadySeconds", "strictResponses"}
        unknown = sorted(set(body) - known)
        if unknown:
            raise AdminError(400, f"Unknown settings {unknown}; known: {sorted(known)}")
        settings = self.gateway.state.settings
        try:
            if "componentReadySeconds" in body and float(body["componentReadySeconds"]) < 0:
                raise AdminError(400, "componentReadySeconds must not be negative")
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
