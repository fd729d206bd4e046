"""The SNS and EventBridge sinks against the emulator (moto behind it), read back through SQS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.adapters.aws.calling import AwsCaller, CallStats
from reconciler.adapters.notifiers.aws import EventBridgeSink, SnsSink
from reconciler.adapters.notifiers.factory import NotifyConfigError, build_sinks
from reconciler.adapters.notifiers.sinks import DeliveryError
from reconciler.core.events import EventKind
from reconciler.retrying import RetryPolicy
from reconciler.settings import ReconcilerSettings
from tests.conftest import AwsTestContext
from tests.integration.notify.events import COMMIT, rollout

ALL = frozenset(EventKind)
ONE_ATTEMPT = AwsCaller(retry=RetryPolicy(max_attempts=1, initial_backoff=0.0, max_backoff=0.0))


def _queue(aws: AwsTestContext, name: str) -> tuple[Any, str, str]:
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return sqs, url, arn


def _messages(sqs: Any, url: str) -> list[str]:
    answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [message["Body"] for message in answer.get("Messages", [])]


def test_the_sns_sink_publishes_the_event_document(aws: AwsTestContext) -> None:
    sns = aws.client("sns")
    topic = sns.create_topic(Name="fleet-events")["TopicArn"]
    sqs, url, queue_arn = _queue(aws, "sns-subscriber")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    sink = SnsSink(sns, ONE_ATTEMPT, topic, kinds=ALL)
    sink.deliver(rollout(EventKind.ROLLOUT_FAILED, 90, 12, 120, state="Failed"), "id-9")
    [body] = _messages(sqs, url)
    envelope = json.loads(body)  # SNS's own envelope around our message
    assert envelope["Subject"].startswith("[rolloutFailed] CameraFleetProd: 90/120")
    assert envelope["MessageAttributes"]["kind"]["Value"] == "rolloutFailed"
    assert envelope["MessageAttributes"]["thingGroup"]["Value"] == "CameraFleetProd"
    document = json.loads(envelope["Message"])
    assert document["id"] == "id-9"
    assert document["commit"] == COMMIT
    assert document["details"]["devices"]["failed"] == 12


def test_the_eventbridge_sink_puts_a_matchable_event(aws: AwsTestContext) -> None:
    events = aws.client("events")
    sqs, url, queue_arn = _queue(aws, "bridge-target")
    events.put_rule(
        Name="rollouts-failed",
        EventPattern=json.dumps(
            {"source": ["greengrass-reconciler"], "detail-type": ["rolloutFailed"]}
        ),
    )
    events.put_targets(Rule="rollouts-failed", Targets=[{"Id": "queue", "Arn": queue_arn}])
    sink = EventBridgeSink(events, ONE_ATTEMPT, "default", kinds=ALL)
    sink.deliver(rollout(EventKind.ROLLOUT_PROGRESSED, 1, 0, 3), "id-1")  # not matched
    sink.deliver(rollout(EventKind.ROLLOUT_FAILED, 1, 2, 3, state="Failed"), "id-2")
    [body] = _messages(sqs, url)
    delivered = json.loads(body)
    assert delivered["source"] == "greengrass-reconciler"
    assert delivered["detail-type"] == "rolloutFailed"
    assert delivered["detail"]["id"] == "id-2"
    assert delivered["detail"]["details"]["failing"][0]["device"] == "cam-0"


def test_a_missing_topic_is_a_permanent_failure(aws: AwsTestContext) -> None:
    topic = f"arn:aws:sns:{aws.region}:{aws.account_id}:no-such-topic"
    sink = SnsSink(aws.client("sns"), ONE_ATTEMPT, topic, kinds=ALL)
    with pytest.raises(DeliveryError) as raised:
        sink.deliver(rollout(EventKind.ROLLOUT_FAILED, 1, 2, 3), "x")
    assert not raised.value.temporary
    assert "no-such-topic" in str(raised.value)


def test_sinks_are_built_from_settings_and_files(aws: AwsTestContext, tmp_path: Path) -> None:
    url_file = tmp_path / "slack-url"
    url_file.write_text("https://hooks.slack.example/services/T/B/secret\n")
    topic = aws.client("sns").create_topic(Name="from-settings")["TopicArn"]
    stats = CallStats()
    settings = ReconcilerSettings(
        notify_slack_url_file=url_file,
        notify_webhook_url="http://127.0.0.1:9/hook?token=s3cr3tT0ken",
        notify_webhook_secret="hmac-k3y-value",
        notify_webhook_events="cycleFailed",
        notify_sns_topic_arn=topic,
        notify_eventbridge_bus="default",
    )
    sinks = {sink.name: sink for sink in build_sinks(settings, stats=stats)}
    assert sorted(sinks) == ["eventbridge", "slack", "sns", "webhook"]
    # Progress is for Git feedback: not sent to chat unless asked for.
    assert EventKind.ROLLOUT_PROGRESSED not in sinks["slack"].kinds
    assert EventKind.ROLLOUT_PROGRESSED in sinks["sns"].kinds
    assert sinks["webhook"].kinds == frozenset({EventKind.CYCLE_FAILED})
    sinks["sns"].deliver(rollout(EventKind.APPLIED, 0, 0, 1), "x")
    assert stats.calls[("sns", "publish")] == 1  # counted with the controller's AWS calls
    for shown in (repr(settings), str(settings.model_dump())):
        assert "s3cr3tT0ken" not in shown and "hmac-k3y-value" not in shown


def test_an_empty_secret_file_stops_the_start(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(NotifyConfigError, match=r"RECONCILER_NOTIFY_SLACK_URL_FILE .* is empty"):
        build_sinks(ReconcilerSettings(notify_slack_url_file=empty))
    with pytest.raises(NotifyConfigError, match="cannot read RECONCILER_NOTIFY_WEBHOOK_URL_FILE"):
        build_sinks(ReconcilerSettings(notify_webhook_url_file=tmp_path / "absent"))


def test_no_sink_configured_means_no_publisher() -> None:
    assert build_sinks(ReconcilerSettings()) == []
