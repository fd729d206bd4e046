"""`POST /webhook`: a Git push, authenticated, turns into a queued reconcile.

Senders and how they authenticate (the secret is the same for all):
- GitHub: `X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body>`, `X-GitHub-Event`.
- GitLab: `X-Gitlab-Token: <secret>`, `X-Gitlab-Event: Push Hook`.
- generic (CI jobs, scripts): GitHub's signature header without `X-GitHub-Event`; the body is
  empty or JSON with optional `ref` and `after`.

Order of checks: a request that fails authentication gets 401 and its body is never parsed; a
body over the cap gets 413 without being read past the cap (Content-Length is checked first, and
the read is bounded either way). Only then is the body parsed (400 if it cannot be), filtered
(202 "ignored" for other events and other branches) and handed to `on_push` (202 "queued").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from werkzeug.wrappers import Request, Response

from reconciler.adapters.http.push_events import (
    PayloadError,
    Provider,
    PushEvent,
    decode_body,
    ignore_reason,
    push_from_document,
)
from reconciler.adapters.http.responses import json_response
from reconciler.adapters.http.signatures import github_signature_valid, gitlab_token_valid
from reconciler.errors import ReconcilerError

_log = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 1 << 20  # GitHub caps payloads at 25 MB, but pushes are far smaller
_READ_CHUNK = 64 * 1024


class WebhookConfigError(ReconcilerError):
    """The webhook secret is missing or unusable."""


def read_secret_file(path: Path) -> bytes:
    """The webhook secret stored in `path` (surrounding whitespace and newline removed)."""
    try:
        secret = Path(path).read_bytes().strip()
    except OSError as error:
        raise WebhookConfigError(
            f"cannot read the webhook secret file {path}: {error.strerror}"
        ) from error
    if not secret:
        raise WebhookConfigError(
            f"the webhook secret file {path} is empty; put the secret configured on the Git "
            "host's webhook in it, or unset webhook_secret_file to disable the webhook"
        )
    return secret


class WebhookHandler:
    """Authenticates and reads push webhooks; `on_push` must only queue work, never run it."""

    def __init__(
        self,
        *,
        secret: bytes,
        on_push: Callable[[PushEvent], None],
        branch: str | None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        if not secret:
            raise WebhookConfigError("a webhook needs a non-empty secret")
        self._secret = secret
        self._on_push = on_push
        self.branch = branch
        self.max_body_bytes = max_body_bytes

    def handle(self, request: Request) -> Response:
        headers = request.headers
        if "X-Gitlab-Token" in headers or "X-Gitlab-Event" in headers:
            return self._gitlab(request)
        if "X-Hub-Signature-256" in headers:
            provider: Provider = "github" if "X-GitHub-Event" in headers else "generic"
            return self._signed(request, provider)
        if "X-GitHub-Event" in headers:
            return _unauthorized(
                "no X-Hub-Signature-256 header: set the webhook's secret on GitHub to the "
                "controller's webhook secret"
            )
        return _unauthorized(
            "unsigned request: send X-Hub-Signature-256 (GitHub, generic) or X-Gitlab-Token"
        )

    def _gitlab(self, request: Request) -> Response:
        if not gitlab_token_valid(self._secret, request.headers.get("X-Gitlab-Token")):
            return _unauthorized("missing or wrong X-Gitlab-Token")
        body = self._read_body(request)
        if body is None:
            return self._too_large()
        event = request.headers.get("X-Gitlab-Event", "")
        if event != "Push Hook":
            return _ignored(f"GitLab event {event!r} is not a push")
        delivery = request.headers.get("X-Gitlab-Event-UUID")
        return self._push(request, body, provider="gitlab", delivery=delivery)

    def _signed(self, request: Request, provider: Provider) -> Response:
        body = self._read_body(request)
        if body is None:
            return self._too_large()
        signature = request.headers.get("X-Hub-Signature-256")
        if not github_signature_valid(self._secret, body, signature):
            return _unauthorized("X-Hub-Signature-256 does not match the body and the secret")
        if provider == "generic":
            delivery = request.headers.get("X-Request-Id")
            return self._push(request, body, provider="generic", delivery=delivery)
        event = request.headers.get("X-GitHub-Event", "")
        if event == "ping":
            return json_response(200, {"status": "pong"})
        if event != "push":
            return _ignored(f"GitHub event {event!r} is not a push")
        delivery = request.headers.get("X-GitHub-Delivery")
        return self._push(request, body, provider="github", delivery=delivery)

    def _push(
        self, request: Request, body: bytes, *, provider: Provider, delivery: str | None
    ) -> Response:
        generic = provider == "generic"
        try:
            document = decode_body(body, request.headers.get("Content-Type"), optional=generic)
            event = push_from_document(
                document, provider=provider, delivery=delivery, ref_required=not generic
            )
        except PayloadError as error:
            return json_response(400, {"error": str(error)})
        reason = ignore_reason(event, self.branch)
        if reason is not None:
            _log.info("webhook %s delivery %s ignored: %s", provider, delivery, reason)
            return _ignored(reason)
        try:
            self._on_push(event)
        except Exception:
            _log.exception("webhook %s delivery %s could not be queued", provider, delivery)
            return json_response(
                500, {"error": "the push was authenticated but could not be queued; redeliver it"}
            )
        _log.info("webhook %s delivery %s queued a reconcile of %s", provider, delivery, event.ref)
        return json_response(202, {"status": "queued", "ref": event.ref, "after": event.after})

    def _read_body(self, request: Request) -> bytes | None:
        """The body, or None when it is larger than the cap (never reading more than cap + 1)."""
        declared = request.content_length
        if declared is not None and declared > self.max_body_bytes:
            return None
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = request.stream.read(min(_READ_CHUNK, self.max_body_bytes + 1 - total))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            total += len(chunk)
            if total > self.max_body_bytes:
                return None

    def _too_large(self) -> Response:
        return json_response(
            413, {"error": f"the webhook body is larger than {self.max_body_bytes} bytes"}
        )


def _unauthorized(reason: str) -> Response:
    return json_response(401, {"error": reason})


def _ignored(reason: str) -> Response:
    return json_response(202, {"status": "ignored", "reason": reason})
