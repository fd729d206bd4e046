"""Read a push out of an authenticated webhook body: GitHub, GitLab or a generic sender.

Only called after the signature or token was checked: nothing here ever sees an unauthenticated
body. What a body cannot tell us is a `PayloadError` (answered 400).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs

Provider = Literal["github", "gitlab", "generic"]

_NULL_SHA = "0" * 40  # the `after` of a push that deleted the branch


@dataclass(frozen=True)
class PushEvent:
    provider: Provider
    ref: str  # refs/heads/<branch>; "" when a generic sender names none
    after: str | None  # the commit the ref points to after the push, when known
    delivery: str | None  # the sender's delivery id, for logs and de-duplication


class PayloadError(ValueError):
    """The authenticated body is not a push this controller can read."""


def decode_body(body: bytes, content_type: str | None, *, optional: bool = False) -> Any:
    """The JSON document of a webhook body.

    GitHub can be set to send `application/x-www-form-urlencoded` with the JSON in a `payload`
    field; the signature covers the raw body either way. With `optional`, an empty body is {}.
    """
    if optional and not body.strip():
        return {}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PayloadError("the webhook body is not UTF-8 text") from error
    if (content_type or "").split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        fields = parse_qs(text)
        if "payload" not in fields:
            raise PayloadError("a form-encoded webhook body must carry a 'payload' field")
        text = fields["payload"][0]
    try:
        return json.loads(text)
    except ValueError as error:
        raise PayloadError(f"the webhook body is not valid JSON: {error}") from error
    except RecursionError as error:
        # A correctly signed body is still not trusted: `[[[[…` a few thousand levels deep
        # exhausts the parser's stack. No push is nested more than a few levels.
        raise PayloadError("the webhook body nests JSON too deeply to be a push event") from error


def push_from_document(
    document: Any, *, provider: Provider, delivery: str | None, ref_required: bool = True
) -> PushEvent:
    if not isinstance(document, dict):
        raise PayloadError("the webhook body must be a JSON object")
    ref = document.get("ref")
    if ref is None and not ref_required:
        ref = ""
    if not isinstance(ref, str) or (ref_required and not ref):
        raise PayloadError("the push event carries no 'ref'")
    after = document.get("after")
    if after is not None and not isinstance(after, str):
        raise PayloadError("the push event's 'after' must be a string")
    return PushEvent(provider=provider, ref=ref, after=after or None, delivery=delivery)


def ignore_reason(event: PushEvent, branch: str | None) -> str | None:
    """Why the push needs no reconcile (another branch, a tag, a deletion); None if it does."""
    if event.after == _NULL_SHA:
        return f"{event.ref} was deleted"
    if branch is None or event.ref == "":
        return None
    if event.ref != f"refs/heads/{branch}":
        return f"push to {event.ref}, the controller follows refs/heads/{branch}"
    return None
