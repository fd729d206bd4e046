"""The emulator's single endpoint: one WSGI application in front of Greengrass v2 and moto.

For every request it decides which service is called (Greengrass v2 by path, because moto's
Greengrass v1 claims the same host and signing name; anything else by its SigV4 scope), injects
the configured faults, lets the right backend answer, journals what changed when a state file is
used, and writes one record to the request log. `/_emulator/` is the admin API.
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from typing import Any
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from reconciler.emulator.admin_api import AdminApi
from reconciler.emulator.classify import (
    RequestFacts,
    classify_other,
    greengrass_mutating,
    signing_scope,
)
from reconciler.emulator.fault_responses import answers, fault_reply
from reconciler.emulator.faults import FaultInjector
from reconciler.emulator.fleet.iot_api import IotJobsService
from reconciler.emulator.greengrass.app import GreengrassService
from reconciler.emulator.greengrass.urls import is_greengrass_v2
from reconciler.emulator.options import EmulatorOptions
from reconciler.emulator.persistence import StateFile
from reconciler.emulator.protocol.parsing import HttpRequest
from reconciler.emulator.replies import Reply, status_line
from reconciler.emulator.requestlog import RequestLog
from reconciler.emulator.state import EmulatorState, thing_in_body

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
ADMIN_PREFIX = "/_emulator"


class Gateway:
    def __init__(self, options: EmulatorOptions, state_file: StateFile | None = None) -> None:
        self.options = options
        self.state = EmulatorState(options, state_file)
        self.greengrass = GreengrassService(
            self.state.backends, strict_responses=options.strict_responses
        )
        self.iot_jobs = IotJobsService(self.state.fleet)
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.faults = FaultInjector(options.faults, answers)
        self.requests = RequestLog(options.request_log_limit)
        self.started = time.time()
        self.admin = AdminApi(self)

    def reset(self) -> None:
        """Empty all state but the public catalog; clear faults, settings and the request log."""
        self.state.reset()
        self.faults.configure(self.options.faults)
        self.requests.clear()
        self.greengrass.strict_responses = self.options.strict_responses

    # -- WSGI ---------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if isinstance(path, bytes):  # pragma: no cover - PEP 3333 servers give str
            path = path.decode("utf-8", "replace")
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            return self.admin(environ, start_response)
        try:
            reply = self._serve(environ, path)
        except Exception as error:  # whatever broke, the client gets an answer that says so
            log.exception("The emulator failed on %s %s", environ.get("REQUEST_METHOD"), path)
            message = f"The emulator failed: {type(error).__name__}: {error}"
            reply = Reply(
                500,
                {"Content-Type": "application/json", "x-amzn-ErrorType": "InternalFailure"},
                json.dumps({"message": message}).encode("utf-8"),
            )
        start_response(status_line(reply.status), list(reply.headers.items()))
        return [reply.body]

    def _serve(self, environ: dict[str, Any], path: str) -> Reply:
        arrived = time.time()
        started = time.perf_counter()
        body = _read_body(environ)
        request = HttpRequest(
            method=environ.get("REQUEST_METHOD", "GET").upper(),
            path=path,
            query=parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True),
            headers=_headers(environ),
            body=body,
        )
        signed_region, signing_service = signing_scope(request)
        region = signed_region or self.options.region
        greengrass = is_greengrass_v2(path, signing_service)
        route = None
        if greengrass:
            route = self.greengrass.route(request)
            operation = route.operation.name if route else "UnknownOperation"
            mutating = route is not None and greengrass_mutating(operation)
            facts = RequestFacts("greengrassv2", operation, mutating)
        else:
            facts = classify_other(request, signing_service, region, self.options.account_id)
        decision = self.faults.decide(facts.service, facts.operation)
        if decision.latency_seconds:
            time.sleep(decision.latency_seconds)
        if decision.kind is not None:
            reply = fault_reply(
                facts.service, decision.kind, self.faults.settings.retry_after_seconds
            )
        elif greengrass:
            reply = self.greengrass.handle(
                request, route, region=region, endpoint_url=_endpoint_url(environ)
            )
            self.state.maybe_compact()
            if facts.mutating:
                self.state.sync()  # durable before acknowledged; outside the state lock
        elif facts.service == "iot" and (job_route := self._fleet_job(request)) is not None:
            with self.state.lock:
                self.state.fleet.advance()
                reply = self.iot_jobs.handle(job_route, request)
        else:
            reply = self._forward_to_moto(environ, request, facts, region)
            if facts.service == "iot" and facts.operation in _MEMBERSHIP_CHANGES:
                self._sync_device_groups(facts, request, region)
        self.requests.append(
            time=arrived,
            service=facts.service,
            operation=facts.operation,
            method=request.method,
            path=path,
            resource=reply.resource or facts.resource,
            status=reply.status,
            mutating=facts.mutating,
            fault=decision.kind,
            latency_ms=decision.latency_seconds * 1000.0,
            duration_ms=(time.perf_counter() - started) * 1000.0,
        )
        return reply

    # -- the fleet's side of IoT --------------------------------------------------------------

    def _fleet_job(self, request: HttpRequest) -> Any:
        with self.state.lock:
            return self.iot_jobs.route(request)

    def _sync_device_groups(self, facts: RequestFacts, request: HttpRequest, region: str) -> None:
        """A device added to or removed from a group through IoT joins or leaves it in the fleet."""
        fleet = self.state.fleet
        thing = facts.labels.get("thingName") or thing_in_body(request.body)
        if region != fleet.region or thing is None:
            return
        with self.state.lock:
            if thing in fleet.devices:
                fleet.advance()
                groups = set(self.state.world.thing_group_names(region, thing))
                fleet.set_groups(thing, groups, mirror=False)

    # -- moto ---------------------------------------------------------------------------------

    def _forward_to_moto(
        self, environ: dict[str, Any], request: HttpRequest, facts: RequestFacts, region: str
    ) -> Reply:
        forwarded = dict(environ)
        forwarded["wsgi.input"] = io.BytesIO(request.body)
        forwarded["CONTENT_LENGTH"] = str(len(request.body))
        forwarded.pop("HTTP_TRANSFER_ENCODING", None)  # the body is read in full already
        # moto files resources under the account this header names (else its default account).
        forwarded["HTTP_X_MOTO_ACCOUNT_ID"] = self.options.account_id
        journaled = self.state.journals(facts)
        with self.state.lock if journaled else nullcontext():
            reply = _call_wsgi(self.moto, forwarded)
            if journaled and 200 <= reply.status < 300:
                self.state.journal_moto_change(facts, request, region)
                self.state.maybe_compact()
        if journaled:
            self.state.sync()
        return reply


_MEMBERSHIP_CHANGES = frozenset(
    {"AddThingToThingGroup", "RemoveThingFromThingGroup", "UpdateThingGroupsForThing"}
)


def _call_wsgi(app: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> Reply:
    captured: dict[str, Any] = {}
    chunks: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"] = int(status.split(" ", 1)[0])
        captured["headers"] = headers
        return chunks.append

    result = app(environ, start_response)
    try:
        chunks.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    headers: dict[str, str] = {}
    for name, value in captured["headers"]:
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return Reply(captured["status"], headers, b"".join(chunks))


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH") or ""
    if length.isdigit():
        return bytes(stream.read(int(length)))
    if environ.get("wsgi.input_terminated"):
        return bytes(stream.read())
    return b""


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    return headers


def _endpoint_url(environ: dict[str, Any]) -> str:
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"
