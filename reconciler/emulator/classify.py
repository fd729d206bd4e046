"""Tell which service and operation a request calls, whether it mutates, and what it touches.

Greengrass v2 is recognized by path (see `greengrass/urls.py`). For everything moto answers,
the SigV4 credential scope names the service; rest-json and rest-xml services (IoT, S3) are
routed with the same model-derived router as Greengrass, query-protocol ones (STS) by their
`Action` parameter. All of this is best effort: it feeds the request log, fault injection and
persistence, never the answer itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import parse_qs

import botocore.session
from botocore.exceptions import UnknownServiceError

from reconciler.emulator.protocol.parsing import HttpRequest
from reconciler.emulator.protocol.routing import Router

# Greengrass v2 operations that only read; every other one changes state.
_READ_PREFIXES = ("Get", "List", "Describe")
_READ_ONLY = {"ResolveComponentCandidates"}
# The signing name of a service when it differs from its botocore model name.
_MODEL_NAMES = {"greengrass": "greengrassv2"}
_CREDENTIAL = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/")
_VIRTUAL_HOST_BUCKET = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9.-]*)\.localhost(:\d+)?$")


@dataclass
class RequestFacts:
    service: str
    operation: str
    mutating: bool
    resource: str | None = None
    labels: dict[str, str] = field(default_factory=dict)


def signing_scope(request: HttpRequest) -> tuple[str | None, str | None]:
    """(region, signing service) of a SigV4-signed request (header or pre-signed URL)."""
    credential = request.headers.get("authorization", "")
    if not credential and "X-Amz-Credential" in request.query:
        credential = "Credential=" + request.query["X-Amz-Credential"][0]
    found = _CREDENTIAL.search(credential)
    return (found["region"], found["service"]) if found else (None, None)


def greengrass_mutating(operation: str) -> bool:
    return not (operation.startswith(_READ_PREFIXES) or operation in _READ_ONLY)


def classify_other(
    request: HttpRequest, signing_service: str | None, region: str, account: str
) -> RequestFacts:
    """Facts about a request that moto will answer."""
    service = signing_service or "unknown"
    mutating = request.method not in ("GET", "HEAD")
    if service == "sts":
        return RequestFacts("sts", _query_action(request) or "unknown", mutating=False)
    path = request.path
    if service == "s3":
        path = _path_style(request)
    router = _router(service)
    found = router.match(request.method, path, request.query, request.headers) if router else None
    if found is None:
        # Query- and JSON-protocol services (STS, CloudWatch) POST every operation: the name
        # tells a read (GetMetricData) from a write (PutMetricData).
        action = _query_action(request)
        if action is not None:
            mutating = greengrass_mutating(action)
        return RequestFacts(service, action or "unknown", mutating=mutating)
    facts = RequestFacts(service, found.operation.name, mutating, labels=found.labels)
    facts.resource = _resource(service, found.labels, region, account)
    return facts


def _path_style(request: HttpRequest) -> str:
    """S3 requests addressed virtual-host style (`bucket.localhost`) rewritten to path style."""
    found = _VIRTUAL_HOST_BUCKET.match(request.headers.get("host", ""))
    return f"/{found['bucket']}{request.path}" if found else request.path


def _resource(service: str, labels: dict[str, str], region: str, account: str) -> str | None:
    if service == "s3" and "Bucket" in labels:
        key = labels.get("Key")
        return f"s3://{labels['Bucket']}/{key}" if key else f"s3://{labels['Bucket']}"
    if service == "iot":
        if "thingGroupName" in labels:
            return f"arn:aws:iot:{region}:{account}:thinggroup/{labels['thingGroupName']}"
        if "thingName" in labels:
            return f"arn:aws:iot:{region}:{account}:thing/{labels['thingName']}"
    return None


def _query_action(request: HttpRequest) -> str | None:
    if "Action" in request.query:
        return request.query["Action"][0]
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        values = parse_qs(request.body.decode("utf-8", "replace")).get("Action")
        return values[0] if values else None
    target = request.headers.get("x-amz-target")
    return target.rsplit(".", 1)[-1] if target else None


@cache
def _router(service: str) -> Router | None:
    name = _MODEL_NAMES.get(service, service)
    try:
        model = botocore.session.get_session().get_service_model(name)
    except UnknownServiceError:
        return None
    if model.protocol not in ("rest-json", "rest-xml"):
        return None
    return Router(model)
