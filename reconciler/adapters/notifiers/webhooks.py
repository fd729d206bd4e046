"""HTTP sinks: a Slack-compatible incoming webhook, and a JSON webhook signed with HMAC-SHA256.

The JSON webhook signs the exact body it sends, as GitHub signs its webhooks, in the header
`X-Reconciler-Signature-256: sha256=<hex HMAC-SHA256 of the body with the key>`; the body holds
the event's `id` and `occurredAt`, so a receiver can also refuse replays
(docs/notifications.md shows how to verify). Redirects are not followed: the body and its
signature go to the configured URL or nowhere. No message names the URL, which is a secret
(Slack's holds its token).
"""

from __future__ import annotations

import email.utils
import json
import time

import requests

from reconciler import __version__
from reconciler.adapters.http.signatures import github_signature
from reconciler.adapters.notifiers.payloads import chat_message, event_document
from reconciler.adapters.notifiers.sinks import DeliveryError
from reconciler.core.configuration import JsonValue
from reconciler.core.events import Event, EventKind

SIGNATURE_HEADER = "X-Reconciler-Signature-256"
EVENT_HEADER = "X-Reconciler-Event"
DELIVERY_HEADER = "X-Reconciler-Delivery"


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())


class _WebhookPoster:
    """POSTs JSON bodies to one secret URL with a timeout; maps failures to `DeliveryError`."""

    def __init__(self, name: str, url: str, *, timeout: float) -> None:
        self.name = name
        self._url = url
        self._timeout = timeout
        self._session = requests.Session()
        self._session.trust_env = False  # no ~/.netrc credentials sent to the webhook
        self._session.headers["User-Agent"] = f"greengrass-reconciler/{__version__}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, url=<hidden>)"

    def post(self, body: bytes, headers: dict[str, str]) -> None:
        try:
            response = self._session.post(
                self._url,
                data=body,
                headers={"Content-Type": "application/json", **headers},
                timeout=self._timeout,
                allow_redirects=False,
            )
        except requests.Timeout:
            raise DeliveryError(
                f"the {self.name} webhook did not answer within {self._timeout:g} s",
                temporary=True,
            ) from None
        except requests.RequestException as error:
            # Not str(error): requests puts the URL, token and all, in its messages.
            raise DeliveryError(
                f"the {self.name} webhook could not be reached ({type(error).__name__})",
                temporary=True,
            ) from None
        status = response.status_code
        if 200 <= status < 300:
            return
        temporary = status in (408, 425, 429) or status >= 500
        raise DeliveryError(
            f"the {self.name} webhook answered HTTP {status}"
            + (" (redirects are not followed)" if 300 <= status < 400 else ""),
            temporary=temporary,
            retry_after=_retry_after(response) if temporary else None,
        )

    def close(self) -> None:
        self._session.close()


def _json_bytes(document: dict[str, JsonValue]) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class ChatWebhookSink:
    """A Slack-compatible incoming webhook: `{"text": ...}` in Slack's mrkdwn."""

    def __init__(self, url: str, *, kinds: frozenset[EventKind], timeout: float = 10.0) -> None:
        self.name = "slack"
        self.kinds = kinds
        self._poster = _WebhookPoster(self.name, url, timeout=timeout)

    def deliver(self, event: Event, delivery_id: str) -> None:
        del delivery_id  # chats have no use for it
        self._poster.post(_json_bytes(chat_message(event)), {})

    def idle(self) -> None:
        pass

    def close(self) -> None:
        self._poster.close()


class JsonWebhookSink:
    """Any HTTP endpoint: the event's JSON document, signed when a key is configured."""

    def __init__(
        self,
        url: str,
        *,
        kinds: frozenset[EventKind],
        key: bytes | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.name = "webhook"
        self.kinds = kinds
        self._key = key
        self._poster = _WebhookPoster(self.name, url, timeout=timeout)

    def deliver(self, event: Event, delivery_id: str) -> None:
        body = _json_bytes(event_document(event, delivery_id))
        headers = {EVENT_HEADER: event.kind.value, DELIVERY_HEADER: delivery_id}
        if self._key is not None:
            headers[SIGNATURE_HEADER] = github_signature(self._key, body)
        self._poster.post(body, headers)

    def idle(self) -> None:
        pass

    def close(self) -> None:
        self._poster.close()
