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
import threading
import time
import xml.etree.ElementTree as ElementTree
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
from reconciler.emulator.fault_responses import fault_reply
from reconciler.emulator.faults import FaultInjector
from reconciler.emulator.greengrass.app import GreengrassService
from reconciler.emulator.greengrass.context import RuntimeSettings
from reconciler.emulator.greengrass.models import GreengrassBackends
from reconciler.emulator.greengrass.urls import is_greengrass_v2
from reconciler.emulator.moto_world import MotoWorld
from reconciler.emulator.options import EmulatorOptions
from reconciler.emulator.persistence import Change, StateFile
from reconciler.emulator.protocol.parsing import HttpRequest
from reconciler.emulator.replies import Reply, status_line
from reconciler.emulator.requestlog import RequestLog

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
ADMIN_PREFIX = "/_emulator"


class Gateway:
    def __init__(self, options: EmulatorOptions, state_file: StateFile | None = None) -> None:
        self.options = options
        self.state_file = state_file
        self.world = MotoWorld(options.account_id)
        self.settings = RuntimeSettings(
            deployment_completion_seconds=options.deployment_completion_seconds,
            component_ready_seconds=options.component_ready_seconds,
        )
        self.backends = GreengrassBackends(
            options.account_id, self.settings, self.world, self._greengrass_changed
        )
        # The same lock guards Greengrass operations, journaled moto writes and compaction, so
        # that a snapshot never sees half of an operation.
        self.lock: threading.RLock = self.backends.lock
        self.greengrass = GreengrassService(
            self.backends, strict_responses=options.strict_responses
        )
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.faults = FaultInjector(options.faults)
        self.requests = RequestLog(options.request_log_limit)
        self.started = time.time()
        self.admin = AdminApi(self)

    # -- lifecycle ----------------------------------------------------------------------------

    def restore(self) -> int:
        """Load the state file (if any) into a clean world; return the changes replayed."""
        self.world.reset()
        if self.state_file is None:
            return 0
        changes = self.state_file.load()
        with self.lock:
            for kind, payload in changes:
                self._apply(kind, payload)
            self.state_file.compact(self.export())
        return len(changes)

    def close(self) -> None:
        if self.state_file is not None:
            with self.lock:
                self.state_file.compact(self.export())
                self.state_file.close()

    def reset(self) -> None:
        """Empty Greengrass private state and moto's state; clear faults and the request log."""
        with self.lock:
            self.backends.reset()
            self.world.reset()
            self.faults.configure(self.options.faults)
            self.requests.clear()
            self.settings.deployment_completion_seconds = self.options.deployment_completion_seconds
            self.settings.component_ready_seconds = self.options.component_ready_seconds
            self.greengrass.strict_responses = self.options.strict_responses
            if self.state_file is not None:
                self.state_file.append("reset", {})
                self.state_file.compact(self.export())

    def create_thing_groups(self, region: str, names: list[str]) -> list[dict[str, str]]:
        created = []
        with self.lock:
            for name in names:
                arn = self.world.create_thing_group(region, name)
                record = self.world.thing_group_record(region, name)
                if record is not None:
                    self._journal("iot.thinggroup.put", record)
                created.append({"name": name, "arn": arn})
        return created

    def export(self) -> list[Change]:
        """The whole state as changes that rebuild it: moto's resources, then Greengrass."""
        moto = self.world.export(self.world.iot_regions())
        changes: list[Change] = [("s3.bucket.put", b) for b in moto["buckets"]]
        changes += [("s3.object.put", o) for o in moto["objects"]]
        changes += [("iot.thinggroup.put", g) for g in moto["thingGroups"]]
        changes += [("iot.thing.put", t) for t in moto["things"]]
        return changes + self.backends.export()

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
            facts = RequestFacts("greengrassv2", operation, greengrass_mutating(operation))
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
            self._maybe_compact()
        else:
            reply = self._forward_to_moto(environ, request, facts, region)
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
        journaled = (
            self.state_file is not None and facts.mutating and facts.service in ("s3", "iot")
        )
        with self.lock if journaled else nullcontext():
            reply = _call_wsgi(self.moto, forwarded)
            if journaled and 200 <= reply.status < 300:
                self._journal_moto_change(facts, request, region)
                self._maybe_compact()
        return reply

    def _journal_moto_change(self, facts: RequestFacts, request: HttpRequest, region: str) -> None:
        labels = facts.labels
        if facts.service == "s3":
            bucket = labels.get("Bucket")
            if bucket is None:
                return
            keys = _deleted_keys(request.body) if facts.operation == "DeleteObjects" else []
            if labels.get("Key"):
                keys = [labels["Key"]]
            for key in keys:
                record = self.world.object_record(bucket, key)
                if record is None:
                    self._journal("s3.object.delete", {"bucket": bucket, "key": key})
                else:
                    self._journal("s3.object.put", record)
            if not keys:
                bucket_record = self.world.bucket_record(bucket)
                if bucket_record is None:
                    self._journal("s3.bucket.delete", {"name": bucket})
                else:
                    self._journal("s3.bucket.put", bucket_record)
            return
        group = labels.get("thingGroupName")
        if group:
            record = self.world.thing_group_record(region, group)
            self._journal(
                "iot.thinggroup.put" if record else "iot.thinggroup.delete",
                record or {"region": region, "name": group},
            )
        thing = labels.get("thingName") or _thing_in_body(request.body)
        if thing:
            thing_record = self.world.thing_record(region, thing)
            self._journal(
                "iot.thing.put" if thing_record else "iot.thing.delete",
                thing_record or {"region": region, "name": thing},
            )

    # -- persistence --------------------------------------------------------------------------

    def _greengrass_changed(self, kind: str, payload: dict[str, Any]) -> None:
        self._journal(kind, payload)

    def _journal(self, kind: str, payload: dict[str, Any]) -> None:
        if self.state_file is not None:
            self.state_file.append(kind, payload)

    def _maybe_compact(self) -> None:
        state_file = self.state_file
        if (
            state_file is not None
            and state_file.lines_since_compaction >= self.options.compact_every
        ):
            with self.lock:
                state_file.compact(self.export())

    def _apply(self, kind: str, payload: dict[str, Any]) -> None:
        world = self.world
        if kind == "reset":
            self.backends.reset()
            world.reset()
        elif kind == "s3.bucket.put":
            world.put_bucket(payload)
        elif kind == "s3.bucket.delete":
            world.delete_bucket(payload["name"])
        elif kind == "s3.object.put":
            world.put_object(payload)
        elif kind == "s3.object.delete":
            world.delete_object(payload["bucket"], payload["key"])
        elif kind == "iot.thinggroup.put":
            world.put_thing_group(payload)
        elif kind == "iot.thinggroup.delete":
            world.delete_thing_group(payload["region"], payload["name"])
        elif kind == "iot.thing.put":
            world.put_thing(payload)
        elif kind == "iot.thing.delete":
            world.delete_thing(payload["region"], payload["name"])
        else:
            self.backends.apply(kind, payload)


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


def _deleted_keys(body: bytes) -> list[str]:
    """Keys named by an S3 DeleteObjects request body."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return []
    return [element.text or "" for element in root.iter() if element.tag.endswith("Key")]


def _thing_in_body(body: bytes) -> str | None:
    """The thing named by IoT calls that carry it in their JSON body (group membership changes)."""
    try:
        document = json.loads(body) if body else {}
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    if isinstance(document.get("thingName"), str):
        return str(document["thingName"])
    arn = document.get("thingArn")
    return arn.rsplit("/", 1)[-1] if isinstance(arn, str) else None
