"""The error responses an injected fault produces, in each service's own protocol.

Greengrass v2 (rest-json, from its model): ThrottlingException 429 with `Retry-After`,
InternalServerException 500, RequestAlreadyInProgressException 400 and
ServiceQuotaExceededException 402 (the last two only on the operations whose model declares
them, see `answers`). IoT (rest-json) and S3 / STS (XML) get their services' usual codes for
throttles and errors, so that botocore parses and retries them exactly as it would against AWS.
"""

from __future__ import annotations

import json
import uuid
from functools import cache

from reconciler.emulator.faults import IN_PROGRESS, QUOTA_EXCEEDED, THROTTLE
from reconciler.emulator.greengrass import urls
from reconciler.emulator.greengrass.app import error_reply
from reconciler.emulator.replies import Reply

_THROTTLE_MESSAGE = "Rate exceeded (injected by the emulator)"
_ERROR_MESSAGE = "We encountered an internal error. Please try again. (injected by the emulator)"
# The model's documentation of each error, which is all AWS says about their wording.
_IN_PROGRESS_MESSAGE = (
    "The request is already in progress: IoT Greengrass is still processing an earlier request "
    "with the same client token. (injected by the emulator)"
)
_QUOTA_MESSAGE = "Your request exceeds a service quota. (injected by the emulator)"
# Service Quotas names the service `greengrass`; no quota code of the service is documented
# for this error, so the emulator names its own.
_QUOTA_CODES = {"serviceCode": "greengrass", "quotaCode": "emulator-injected"}
_ERROR_SHAPES = {
    IN_PROGRESS: "RequestAlreadyInProgressException",
    QUOTA_EXCEEDED: "ServiceQuotaExceededException",
}


def answers(service: str, operation: str, kind: str) -> bool:
    """Whether `operation` of `service` can answer with a fault of `kind` (see `faults.py`)."""
    shape = _ERROR_SHAPES.get(kind)
    if shape is None:
        return True  # throttles and server errors: any operation of any service
    return service == "greengrassv2" and shape in _declared_errors(operation)


@cache
def _declared_errors(operation: str) -> frozenset[str]:
    model = urls.service_model()
    if operation not in model.operation_names:
        return frozenset()
    return frozenset(e.name for e in model.operation_model(operation).error_shapes)


def fault_reply(service: str, kind: str, retry_after_seconds: int) -> Reply:
    throttled = kind == THROTTLE
    if kind == IN_PROGRESS:
        return error_reply(_ERROR_SHAPES[kind], {"message": _IN_PROGRESS_MESSAGE})
    if kind == QUOTA_EXCEEDED:
        return error_reply(_ERROR_SHAPES[kind], {"message": _QUOTA_MESSAGE, **_QUOTA_CODES})
    if service == "greengrassv2":
        if throttled:
            reply = error_reply(
                "ThrottlingException",
                {"message": _THROTTLE_MESSAGE, "retryAfterSeconds": retry_after_seconds},
            )
        else:
            reply = error_reply("InternalServerException", {"message": _ERROR_MESSAGE})
        return reply
    if service == "s3":
        code, status = ("SlowDown", 503) if throttled else ("InternalError", 500)
        return _xml(
            status,
            f"<Error><Code>{code}</Code><Message>{_message(kind)}</Message>"
            f"<RequestId>{uuid.uuid4()}</RequestId></Error>",
            retry_after_seconds,
            kind,
        )
    if service in ("sts", "iam") or service.startswith("query:"):
        code, status = ("Throttling", 400) if throttled else ("InternalFailure", 500)
        kind_text = "Sender" if throttled else "Receiver"
        return _xml(
            status,
            f"<ErrorResponse><Error><Type>{kind_text}</Type><Code>{code}</Code>"
            f"<Message>{_message(kind)}</Message></Error>"
            f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>",
            retry_after_seconds,
            kind,
        )
    code, status = ("ThrottlingException", 429) if throttled else ("InternalFailureException", 500)
    headers = {
        "Content-Type": "application/json",
        "x-amzn-ErrorType": code,
        "x-amzn-RequestId": str(uuid.uuid4()),
    }
    if throttled:
        headers["Retry-After"] = str(retry_after_seconds)
    return Reply(status, headers, json.dumps({"message": _message(kind)}).encode("utf-8"))


def _xml(status: int, body: str, retry_after_seconds: int, kind: str) -> Reply:
    headers = {"Content-Type": "application/xml"}
    if kind == THROTTLE:
        headers["Retry-After"] = str(retry_after_seconds)
    return Reply(status, headers, ('<?xml version="1.0" encoding="UTF-8"?>' + body).encode())


def _message(kind: str) -> str:
    return _THROTTLE_MESSAGE if kind == THROTTLE else _ERROR_MESSAGE
