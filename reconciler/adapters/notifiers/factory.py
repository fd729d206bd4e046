"""Build the controller's event publisher from the process settings (docs/notifications.md)."""

from __future__ import annotations

from pathlib import Path

import boto3
from pydantic import SecretStr

from reconciler.adapters.aws.calling import AwsCaller, CallStats
from reconciler.adapters.aws.clients import AwsClients, ClientSettings
from reconciler.adapters.aws.ratelimit import TokenBucket
from reconciler.adapters.github import GitHubClient, PublishError, RepoRef, read_token
from reconciler.adapters.notifiers.aws import EventBridgeSink, SnsSink
from reconciler.adapters.notifiers.github_feedback import GitHubFeedbackSink
from reconciler.adapters.notifiers.publisher import NotifyingPublisher, OutcomeObserver
from reconciler.adapters.notifiers.sinks import Sink
from reconciler.adapters.notifiers.webhooks import ChatWebhookSink, JsonWebhookSink
from reconciler.errors import ReconcilerError
from reconciler.retrying import RetryPolicy
from reconciler.settings import ReconcilerSettings, event_kinds


class NotifyConfigError(ReconcilerError):
    """A notification setting cannot be used (unreadable secret file, no region...)."""


def read_secret(value: SecretStr | None, file: Path | None, setting: str) -> str | None:
    """The secret given by the `setting` variable or, failing that, by its `_FILE` variant;
    never shown in an error."""
    if value is not None and value.get_secret_value().strip():
        return value.get_secret_value().strip()
    if file is None:
        return None
    try:
        text = Path(file).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise NotifyConfigError(
            f"cannot read RECONCILER_{setting.upper()}_FILE {file}: {reason}"
        ) from None
    if not text:
        raise NotifyConfigError(f"RECONCILER_{setting.upper()}_FILE {file} is empty")
    return text


def _region_of(arn: str | None) -> str | None:
    parts = (arn or "").split(":")
    return parts[3] if len(parts) > 5 and parts[0] == "arn" and parts[3] else None


def _aws_clients(settings: ReconcilerSettings) -> AwsClients:
    region = (
        settings.notify_region
        or _region_of(settings.notify_sns_topic_arn)
        or _region_of(settings.notify_eventbridge_bus)
        or boto3.session.Session().region_name
    )
    if not region:
        raise NotifyConfigError(
            "SNS/EventBridge notifications need a region: set RECONCILER_NOTIFY_REGION or "
            "AWS_REGION, or give the topic/bus as an ARN"
        )
    return AwsClients(ClientSettings(region=region, endpoint_url=settings.endpoint_url))


def build_sinks(settings: ReconcilerSettings, *, stats: CallStats | None = None) -> list[Sink]:
    """The sinks the settings configure (none: notifications are off)."""
    sinks: list[Sink] = []
    timeout = settings.notify_timeout
    slack = read_secret(
        settings.notify_slack_url, settings.notify_slack_url_file, "notify_slack_url"
    )
    if slack:
        kinds = event_kinds(settings.notify_slack_events)
        sinks.append(ChatWebhookSink(slack, kinds=kinds, timeout=timeout))
    webhook = read_secret(
        settings.notify_webhook_url, settings.notify_webhook_url_file, "notify_webhook_url"
    )
    if webhook:
        key = read_secret(
            settings.notify_webhook_secret,
            settings.notify_webhook_secret_file,
            "notify_webhook_secret",
        )
        sinks.append(
            JsonWebhookSink(
                webhook,
                kinds=event_kinds(settings.notify_webhook_events),
                key=key.encode("utf-8") if key else None,
                timeout=timeout,
            )
        )
    if settings.notify_sns_topic_arn or settings.notify_eventbridge_bus:
        clients = _aws_clients(settings)
        # One attempt per delivery: the publisher retries with the notification back-off.
        caller = AwsCaller(
            retry=RetryPolicy(max_attempts=1, initial_backoff=0.0, max_backoff=0.0), stats=stats
        )
        if settings.notify_sns_topic_arn:
            sinks.append(
                SnsSink(
                    clients.client("sns"),
                    caller,
                    settings.notify_sns_topic_arn,
                    kinds=event_kinds(settings.notify_sns_events),
                )
            )
        if settings.notify_eventbridge_bus:
            sinks.append(
                EventBridgeSink(
                    clients.client("events"),
                    caller,
                    settings.notify_eventbridge_bus,
                    kinds=event_kinds(settings.notify_eventbridge_events),
                    source=settings.notify_eventbridge_source,
                )
            )
    if settings.github_repo:
        sinks.append(_github_sink(settings))
    return sinks


def _github_sink(settings: ReconcilerSettings) -> GitHubFeedbackSink:
    assert settings.github_repo is not None
    try:
        repo = RepoRef.parse(settings.github_repo)
        client = GitHubClient(
            read_token(settings.github_token_file),
            api_url=settings.github_api_url,
            rate_limit=TokenBucket(settings.github_rate_limit, 5),
        )
    except (PublishError, ValueError) as error:
        raise NotifyConfigError(f"Git feedback (RECONCILER_GITHUB_REPO): {error}") from None
    return GitHubFeedbackSink(
        client,
        repo,
        comment_key=settings.github_comment_key,
        progress_interval=settings.github_progress_interval,
    )


def build_publisher(
    settings: ReconcilerSettings,
    *,
    stats: CallStats | None = None,
    observe: OutcomeObserver | None = None,
) -> NotifyingPublisher | None:
    """The publisher of the configured sinks; None when no sink is configured."""
    sinks = build_sinks(settings, stats=stats)
    if not sinks:
        return None
    return NotifyingPublisher(
        sinks,
        queue_size=settings.notify_queue_size,
        retry=settings.notify_retry_policy(),
        observe=observe,
    )
