"""AWS sinks: an SNS topic and an EventBridge bus, through boto3's standard credential chain.

Calls go through `AwsCaller` with a single attempt: the publisher's worker retries (with the
notification back-off), and the calls are counted with the controller's other AWS calls.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.adapters.aws.calling import AwsCaller
from reconciler.adapters.notifiers.payloads import PRODUCER, event_document
from reconciler.adapters.notifiers.sinks import DeliveryError
from reconciler.core.events import Event, EventKind
from reconciler.errors import AwsApiError

SNS_SUBJECT_LIMIT = 100
# EventBridge errors in a PutEvents answer that are worth another attempt.
_TEMPORARY_ENTRY_ERRORS = ("ThrottlingException", "InternalFailure", "InternalException")


def _delivery_error(what: str, error: AwsApiError) -> DeliveryError:
    return DeliveryError(f"{what}: {error}", temporary=error.temporary)


def _subject(event: Event) -> str:
    # SNS subjects: ASCII, no line breaks, at most 100 characters.
    text = f"[{event.kind.value}] {event.summary}".encode("ascii", "replace").decode("ascii")
    text = " ".join(text.split())
    return text if len(text) <= SNS_SUBJECT_LIMIT else text[: SNS_SUBJECT_LIMIT - 3] + "..."


class SnsSink:
    """Publishes the event's JSON document; message attributes `kind` and `thingGroup` let
    subscriptions filter."""

    def __init__(
        self, client: Any, caller: AwsCaller, topic_arn: str, *, kinds: frozenset[EventKind]
    ) -> None:
        self.name = "sns"
        self.kinds = kinds
        self._client = client
        self._caller = caller
        self._topic_arn = topic_arn

    def deliver(self, event: Event, delivery_id: str) -> None:
        attributes = {"kind": {"DataType": "String", "StringValue": event.kind.value}}
        if event.thing_group:
            attributes["thingGroup"] = {"DataType": "String", "StringValue": event.thing_group}
        try:
            self._caller.call(
                self._client,
                "publish",
                TopicArn=self._topic_arn,
                Subject=_subject(event),
                Message=json.dumps(event_document(event, delivery_id)),
                MessageAttributes=attributes,
            )
        except AwsApiError as error:
            raise _delivery_error(f"publishing to SNS topic {self._topic_arn}", error) from None

    def idle(self) -> None:
        pass

    def close(self) -> None:
        pass


class EventBridgeSink:
    """Puts one event per notification on a bus: `source` the setting (default
    greengrass-reconciler), `detail-type` the event kind, `detail` the JSON document."""

    def __init__(
        self,
        client: Any,
        caller: AwsCaller,
        bus: str,
        *,
        kinds: frozenset[EventKind],
        source: str = PRODUCER,
    ) -> None:
        self.name = "eventbridge"
        self.kinds = kinds
        self._client = client
        self._caller = caller
        self._bus = bus
        self._source = source

    def deliver(self, event: Event, delivery_id: str) -> None:
        entry = {
            "Source": self._source,
            "DetailType": event.kind.value,
            "Detail": json.dumps(event_document(event, delivery_id)),
            "EventBusName": self._bus,
            "Time": event.occurred_at,
        }
        try:
            answer = self._caller.call(self._client, "put_events", Entries=[entry])
        except AwsApiError as error:
            what = f"putting an event on EventBridge bus {self._bus}"
            raise _delivery_error(what, error) from None
        if answer.get("FailedEntryCount"):
            failed = (answer.get("Entries") or [{}])[0]
            code = str(failed.get("ErrorCode") or "unknown error")
            raise DeliveryError(
                f"EventBridge bus {self._bus} refused the event: {code}: "
                f"{failed.get('ErrorMessage') or ''}".rstrip(": "),
                temporary=code in _TEMPORARY_ENTRY_ERRORS,
            )

    def idle(self) -> None:
        pass

    def close(self) -> None:
        pass
