"""The error responses an injected fault produces, in each service's own protocol.

Greengrass v2 (rest-json, from its model): ThrottlingException 429 with `Retry-After`, and
InternalServerException 500. IoT (rest-json) and S3 / STS (XML) get their services' usual codes,
so that botocore parses and retries them exactly as it would against AWS.
"""

from __future__ import annotations

import json
import uuid

from reconciler.emulator.faults import THROTTLE
from reconciler.emulator.greengrass.app import error_reply
from reconciler.emulator.replies import Reply

_THROTTLE_MESSAGE = "Rate exceeded (injected by the emulator)"
_ERROR_MESSAGE = "We encountered an internal error. Please try again. (injected by the emulator)"


def fault_reply(service: str, kind: str, retry_after_seconds: int) -> Reply:
    throttled = kind == THROTTLE
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
