"""The chat and JSON webhook sinks, and the publisher's queueing and retries, over HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from reconciler.adapters.notifiers.publisher import NotifyingPublisher
from reconciler.adapters.notifiers.sinks import DeliveryError
from reconciler.adapters.notifiers.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    ChatWebhookSink,
    JsonWebhookSink,
)
from reconciler.core.events import EventKind
from reconciler.retrying import RetryPolicy
from tests.integration.notify.events import COMMIT, applied, rollout
from tests.integration.notify.fake_webhook import Answer, FakeWebhook

ALL = frozenset(EventKind)
FAST = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.05)
KEY = b"hmac-key-for-tests"


def verify(key: bytes, body: bytes, header: str) -> bool:
    """What a receiver does (docs/notifications.md): HMAC-SHA256 of the raw body."""
    expected = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


def test_the_chat_sink_posts_slack_text_with_the_failing_devices(receiver: FakeWebhook) -> None:
    sink = ChatWebhookSink(receiver.url(), kinds=ALL)
    sink.deliver(rollout(EventKind.ROLLOUT_FAILED, 90, 12, 120, state="Failed"), "id-1")
    [request] = receiver.wait_for(1)
    assert request.path == "/hooks/T000/B000/s3cr3tT0ken"
    assert request.headers["Content-Type"] == "application/json"
    text = request.json()["text"]
    assert text.startswith(":x: *rolloutFailed* CameraFleetProd: 90/120 devices")
    assert "commit `0123456789ab`" in text and "revision `4`" in text
    assert "`cam-1` FAILED DEPLOYMENT_FAILURE, COMPONENT_BROKEN" in text
    assert "and 7 more" in text  # 5 shown of 12
    # Device-reported text cannot inject Slack markup or links.
    assert "<script>" not in text and "&lt;script&gt;" in text and "&amp;" in text


def test_the_json_webhook_is_signed_over_the_exact_body(receiver: FakeWebhook) -> None:
    sink = JsonWebhookSink(receiver.url("/events"), kinds=ALL, key=KEY)
    event = rollout(EventKind.ROLLOUT_SUCCEEDED, 120, 0, 120, state="Succeeded")
    sink.deliver(event, "delivery-7")
    [request] = receiver.wait_for(1)
    assert verify(KEY, request.body, request.headers[SIGNATURE_HEADER])
    assert not verify(b"another key", request.body, request.headers[SIGNATURE_HEADER])
    assert request.headers[EVENT_HEADER] == "rolloutSucceeded"
    assert request.headers[DELIVERY_HEADER] == "delivery-7"
    document = request.json()
    assert document["schemaVersion"] == 1
    assert document["id"] == "delivery-7"
    assert document["kind"] == "rolloutSucceeded"
    assert document["thingGroup"] == "CameraFleetProd"
    assert document["commit"] == COMMIT
    assert document["revisionId"] == "4"
    assert document["details"]["devices"]["succeeded"] == 120
    assert document["occurredAt"].endswith("Z")


def test_without_a_key_the_json_webhook_sends_no_signature(receiver: FakeWebhook) -> None:
    JsonWebhookSink(receiver.url(), kinds=ALL).deliver(applied(), "x")
    [request] = receiver.wait_for(1)
    assert SIGNATURE_HEADER not in request.headers


@pytest.mark.parametrize(
    ("status", "temporary"), [(500, True), (503, True), (429, True), (404, False), (400, False)]
)
def test_answers_map_to_temporary_or_permanent_failures(
    receiver: FakeWebhook, status: int, temporary: bool
) -> None:
    receiver.answer_next(Answer(status, {"Retry-After": "7"}))
    with pytest.raises(DeliveryError) as raised:
        ChatWebhookSink(receiver.url(), kinds=ALL).deliver(applied(), "x")
    assert raised.value.temporary is temporary
    assert raised.value.retry_after == (7.0 if temporary else None)
    assert "s3cr3tT0ken" not in str(raised.value)


def test_a_redirect_is_not_followed(receiver: FakeWebhook) -> None:
    receiver.answer_next(Answer(307, {"Location": receiver.url("/elsewhere")}))
    with pytest.raises(DeliveryError, match="redirects are not followed"):
        JsonWebhookSink(receiver.url(), kinds=ALL, key=KEY).deliver(applied(), "x")
    assert [r.path for r in receiver.received] == ["/hooks/T000/B000/s3cr3tT0ken"]


def test_an_unreachable_webhook_fails_without_naming_its_url() -> None:
    sink = ChatWebhookSink("http://127.0.0.1:9/hooks/T0/B0/s3cr3tT0ken", kinds=ALL, timeout=2)
    with pytest.raises(DeliveryError) as raised:
        sink.deliver(applied(), "x")
    assert raised.value.temporary
    assert "s3cr3tT0ken" not in str(raised.value) and "127.0.0.1" not in str(raised.value)
    assert "s3cr3tT0ken" not in repr(sink._poster)


def test_the_publisher_retries_temporary_failures_then_delivers(receiver: FakeWebhook) -> None:
    outcomes: list[tuple[str, str]] = []
    receiver.answer_next(Answer(503), times=2)
    publisher = NotifyingPublisher(
        [JsonWebhookSink(receiver.url(), kinds=ALL, key=KEY)],
        retry=FAST,
        observe=lambda sink, outcome: outcomes.append((sink, outcome)),
    )
    try:
        publisher.publish(applied())
        requests = receiver.wait_for(3)
        assert publisher.flush(5)
    finally:
        publisher.close()
    # One event, three attempts, one delivery id: the receiver can drop duplicates.
    assert len({r.headers[DELIVERY_HEADER] for r in requests}) == 1
    assert outcomes == [("webhook", "delivered")]


def test_the_publisher_gives_up_after_the_policys_attempts(
    receiver: FakeWebhook, capsys: pytest.CaptureFixture[str]
) -> None:
    outcomes: list[str] = []
    receiver.answer_next(Answer(502), times=10)
    publisher = NotifyingPublisher(
        [ChatWebhookSink(receiver.url(), kinds=ALL)],
        retry=FAST,
        observe=lambda _sink, outcome: outcomes.append(outcome),
    )
    publisher.publish(applied())
    assert publisher.flush(5)
    publisher.close()
    assert len(receiver.received) == FAST.max_attempts
    assert outcomes == ["failed"]
    logged = capsys.readouterr()
    assert "notification failed" in logged.out + logged.err
    assert "s3cr3tT0ken" not in logged.out + logged.err


def test_a_permanent_failure_is_not_retried(receiver: FakeWebhook) -> None:
    receiver.answer_next(Answer(410))
    publisher = NotifyingPublisher([ChatWebhookSink(receiver.url(), kinds=ALL)], retry=FAST)
    publisher.publish(applied())
    assert publisher.flush(5)
    publisher.close()
    assert len(receiver.received) == 1


def test_publish_returns_at_once_while_the_receiver_hangs(receiver: FakeWebhook) -> None:
    receiver.answer_next(Answer(200, delay=1.0))
    outcomes: list[str] = []
    publisher = NotifyingPublisher(
        [ChatWebhookSink(receiver.url(), kinds=ALL)],
        queue_size=2,
        retry=FAST,
        observe=lambda _sink, outcome: outcomes.append(outcome),
    )
    publisher.publish(applied())
    time.sleep(0.3)  # the worker takes it and waits for the receiver's answer
    started = time.monotonic()
    for _ in range(9):  # two queued behind it, the rest dropped
        publisher.publish(applied())
    assert time.monotonic() - started < 0.5
    assert publisher.flush(10)
    publisher.close()
    assert outcomes.count("delivered") == 3
    assert outcomes.count("dropped") == 7


def test_each_sink_gets_only_its_kinds_and_a_slow_sink_delays_no_other(
    receiver: FakeWebhook,
) -> None:
    with FakeWebhook() as slow:
        slow.answer_next(Answer(200, delay=1.0), times=5)
        chat = ChatWebhookSink(slow.url(), kinds=frozenset({EventKind.ROLLOUT_FAILED}))
        machine = JsonWebhookSink(receiver.url(), kinds=ALL)
        publisher = NotifyingPublisher([chat, machine], retry=FAST)
        publisher.publish(applied())
        publisher.publish(rollout(EventKind.ROLLOUT_PROGRESSED, 1, 0, 3))
        publisher.publish(rollout(EventKind.ROLLOUT_FAILED, 1, 2, 3, state="Failed"))
        started = time.monotonic()
        kinds = [r.json()["kind"] for r in receiver.wait_for(3, timeout=0.9)]
        assert time.monotonic() - started < 0.9
        assert kinds == ["applied", "rolloutProgressed", "rolloutFailed"]
        assert publisher.flush(5)
        publisher.close()
        assert [json.loads(r.body)["text"].split()[1] for r in slow.received] == ["*rolloutFailed*"]


def test_a_closed_publisher_drops_events_quietly(receiver: FakeWebhook) -> None:
    publisher = NotifyingPublisher([ChatWebhookSink(receiver.url(), kinds=ALL)], retry=FAST)
    publisher.close()
    publisher.publish(applied())  # never raises
    time.sleep(0.1)
    assert receiver.received == []
