"""Process settings: one place, one environment prefix (`RECONCILER_`), frozen once read.

Command-line options override the environment; the environment overrides these defaults.
What the *fleet* should look like lives in the specs (Settings document), never here: these
settings only say how this process runs (rate limits, intervals, ports, credentials files).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from reconciler.core.events import EventKind
from reconciler.core.markers import DEFAULT_KEY
from reconciler.core.provenance import DEFAULT_INSTANCE
from reconciler.retrying import AWS_RETRY, RetryPolicy

ALL_EVENT_KINDS = "all"

# GitHub's REST API on github.com (Enterprise Server: https://HOST/api/v3). Defined here, the
# lowest layer that needs it, so that settings import no adapter; the GitHub client uses it.
DEFAULT_GITHUB_API_URL = "https://api.github.com"


def event_kinds(text: str) -> frozenset[EventKind]:
    """The event kinds a comma-separated setting names (`all`: every kind; empty: none)."""
    names = {name.strip() for name in text.split(",") if name.strip()}
    if ALL_EVENT_KINDS in names:
        return frozenset(EventKind)
    unknown = sorted(names - {kind.value for kind in EventKind})
    if unknown:
        known = ", ".join(kind.value for kind in EventKind)
        raise ValueError(f"unknown event kind(s) {', '.join(unknown)}: expected all or {known}")
    return frozenset(EventKind(name) for name in names)


def _default_cache_dir() -> Path:
    """The user's cache directory (XDG_CACHE_HOME, else ~/.cache), as other tools use it."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "greengrass-reconciler"


class ReconcilerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RECONCILER_", frozen=True, extra="ignore")

    # --- identity and output
    instance: str = Field(
        DEFAULT_INSTANCE,
        description="Name tagged on everything this reconciler creates; prune and drift "
        "detection only consider deployments carrying it. One per account/region/spec path.",
    )
    log_format: Literal["auto", "json", "text"] = "auto"
    log_level: str = "INFO"

    # --- AWS calls
    endpoint_url: str | None = Field(
        None, description="Override every AWS endpoint (boto3 also honours AWS_ENDPOINT_URL)."
    )
    rate_limit: float = Field(20.0, gt=0, description="AWS calls per second, all services.")
    rate_burst: int = Field(40, ge=1)
    adaptive_rate: bool = Field(
        True,
        description="Slow an API down when AWS throttles it (honouring retryAfterSeconds) and "
        "speed it up again as its calls go through, each API on its own.",
    )
    read_rate_limit: float | None = Field(
        None,
        gt=0,
        description="Calls per second each read API (Get/List/Describe/Head) may "
        "make; default: rate_limit.",
    )
    write_rate_limit: float | None = Field(
        None,
        gt=0,
        description="Calls per second each write API (Create/Put/Delete...) may "
        "make; default: rate_limit.",
    )
    api_rate_limits: dict[str, float] = Field(
        default_factory=dict,
        description="Calls per second of named APIs, over their class: JSON such as "
        '{"CreateDeployment": 2, "s3:PutObject": 10}.',
    )
    max_attempts: int = Field(
        AWS_RETRY.max_attempts, ge=1, description="Attempts per call on temporary errors."
    )
    initial_backoff: float = Field(AWS_RETRY.initial_backoff, ge=0)
    max_backoff: float = Field(AWS_RETRY.max_backoff, ge=0)
    connect_timeout: float = Field(5.0, gt=0, description="Seconds to open a connection to AWS.")
    read_timeout: float = Field(
        30.0, gt=0, description="Seconds an AWS answer may stall before the attempt is retried."
    )
    concurrency: int = Field(16, ge=1, description="Parallel reads and applies.")
    listing_ttl: float = Field(300.0, ge=0, description="Seconds a component listing is reused.")
    rollout_budget_share: float = Field(
        0.25,
        gt=0,
        le=1,
        description="Share of rate_limit that following rollouts (DescribeJob and the reads "
        "of failing devices) may use; reconcile cycles always keep the rest.",
    )
    rollout_metrics_max_groups: int = Field(
        200,
        ge=0,
        description="At most this many thing groups get per-group rollout series in /metrics "
        "(unfinished and failed rollouts first); the per-state totals cover every group.",
    )
    fact_cache: bool = Field(
        True,
        description="Keep immutable facts read from AWS (deployment documents, public recipes) "
        "in cache_dir/facts, so the next process does not read them again (docs/cache.md).",
    )
    cache_max_mb: int = Field(256, ge=1, description="Size bound of cache_dir/facts, in MiB.")

    # --- specs
    commit: str | None = Field(
        None,
        description="Commit SHA that `plan` and `apply` record (default: CI's GITHUB_SHA or "
        "CI_COMMIT_SHA, else the specs' Git HEAD).",
    )
    max_artifact_mib: int = Field(
        512, ge=1, description="Largest local artifact `reconciler validate` accepts, in MiB."
    )

    # --- controller
    source: str = Field("deploy-specs", description="Local path, or Git URL, of the specs.")
    # Git credentials for a Git source (docs/sources.md); an empty variable counts as unset.
    git_token_file: Path | None = Field(
        None, description="A file holding the token for HTTP(S) remotes, read at every fetch."
    )
    git_token: SecretStr | None = Field(
        None, description="The token itself (prefer git_token_file: it can be rotated)."
    )
    git_username: str | None = Field(
        None, description="User name sent with the token; default x-access-token (GitHub)."
    )
    git_ssh_key_file: Path | None = Field(None, description="A private key for SSH remotes.")
    branch: str = "main"
    path: str = Field("deploy-specs", description="Specs directory inside a Git source.")
    cache_dir: Path = Field(
        default_factory=_default_cache_dir,
        description="Git checkouts, the file lock and the fact cache (all safe to delete).",
    )
    poll_interval: float = Field(60.0, gt=0)
    resync_interval: float = Field(600.0, gt=0)
    http_host: str = "0.0.0.0"  # a container serves its probes on every interface
    http_port: int = Field(8080, ge=0, le=65535)
    webhook_secret_file: Path | None = None
    dashboard: bool = Field(
        True, description="Serve the read-only fleet dashboard at / and /ui/ (docs/dashboard.md)."
    )
    dashboard_token: SecretStr | None = Field(
        None,
        description="When set, the dashboard asks for `Authorization: Bearer <token>` "
        "(RECONCILER_DASHBOARD_TOKEN; from a Kubernetes Secret). /healthz, /readyz, /metrics "
        "and /status are not affected.",
    )
    stop_token_file: Path | None = Field(
        None,
        description="A file holding the bearer token of POST /suspend and /resume (unset: off).",
    )
    lock: Literal["none", "file", "kubernetes", "s3"] = Field(
        "file",
        description="Who may write: file (one machine), kubernetes (a coordination Lease), "
        "s3 (a lock object, for replicas outside Kubernetes), none (a single replica only).",
    )
    lock_file: Path | None = Field(None, description="For lock=file; default in cache_dir.")
    lock_bucket: str | None = Field(None, description="For lock=s3.")
    lock_key: str = "greengrass-reconciler/leader.json"
    lock_region: str | None = Field(None, description="For lock=s3; default: AWS_REGION.")
    lease_name: str = "greengrass-reconciler"
    lease_namespace: str | None = None
    lease_duration: float = Field(30.0, gt=0)

    @field_validator(
        "git_token_file", "git_token", "git_username", "git_ssh_key_file", mode="before"
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    # --- notifications (docs/notifications.md). Secret values (webhook URLs, HMAC keys) are
    # read from files (`*_file`, e.g. a mounted Kubernetes Secret) or the environment; they are
    # SecretStr so that no repr, log line or error message shows them.
    notify_slack_url: SecretStr | None = Field(
        None, description="Slack-compatible incoming webhook URL (secret)."
    )
    notify_slack_url_file: Path | None = Field(None, description="File holding that URL.")
    notify_slack_events: str = Field(
        "applied,rolloutSucceeded,rolloutFailed,driftDetected,cycleFailed,halted,rolloutHalted",
        description="Event kinds sent to the chat webhook, comma-separated (or `all`).",
    )
    notify_webhook_url: SecretStr | None = Field(
        None, description="Generic JSON webhook URL (secret: it may embed a token)."
    )
    notify_webhook_url_file: Path | None = Field(None, description="File holding that URL.")
    notify_webhook_secret: SecretStr | None = Field(
        None, description="HMAC-SHA256 key signing the JSON webhook's body."
    )
    notify_webhook_secret_file: Path | None = Field(None, description="File holding that key.")
    notify_webhook_events: str = Field("all", description="Event kinds sent to the JSON webhook.")
    notify_sns_topic_arn: str | None = Field(None, description="SNS topic to publish events to.")
    notify_sns_events: str = Field("all", description="Event kinds published to SNS.")
    notify_eventbridge_bus: str | None = Field(
        None, description="EventBridge bus name or ARN to put events on (`default` for default)."
    )
    notify_eventbridge_source: str = Field(
        "greengrass-reconciler", description="The `source` of the EventBridge events."
    )
    notify_eventbridge_events: str = Field("all", description="Event kinds put on EventBridge.")
    notify_region: str | None = Field(
        None, description="Region of the SNS topic / event bus; default: the specs' region."
    )
    notify_queue_size: int = Field(
        1000, ge=1, description="Events waiting per sink; beyond it new events are dropped."
    )
    notify_max_attempts: int = Field(5, ge=1, description="Delivery attempts per event.")
    notify_initial_backoff: float = Field(1.0, ge=0)
    notify_max_backoff: float = Field(60.0, ge=0)
    notify_timeout: float = Field(10.0, gt=0, description="Seconds per webhook request.")

    # --- Git feedback on GitHub: commit statuses, deployments, the PR comment's follow-up
    github_repo: str | None = Field(
        None, description="OWNER/NAME of the specs' repository; enables Git feedback."
    )
    github_token_file: Path | None = Field(
        None, description="GitHub token file; default: the GITHUB_TOKEN variable."
    )
    github_api_url: str = Field(
        DEFAULT_GITHUB_API_URL, description="GitHub API; Enterprise: https://HOST/api/v3."
    )
    github_comment_key: str = Field(
        DEFAULT_KEY, description="Which sticky plan comment gets the rollout follow-up (--key)."
    )
    github_rate_limit: float = Field(
        1.0, gt=0, description="GitHub requests per second the feedback may send."
    )
    github_progress_interval: float = Field(
        30.0, ge=0, description="Seconds between two progress updates of one group on GitHub."
    )

    @field_validator(
        "notify_slack_events",
        "notify_webhook_events",
        "notify_sns_events",
        "notify_eventbridge_events",
    )
    @classmethod
    def _known_event_kinds(cls, value: str) -> str:
        event_kinds(value)
        return value

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self.max_attempts,
            initial_backoff=self.initial_backoff,
            max_backoff=self.max_backoff,
        )

    def notify_retry_policy(self) -> RetryPolicy:
        """How notification deliveries are retried: longer waits than AWS calls (a chat
        service that is down stays down for minutes), in the same policy type."""
        return RetryPolicy(
            max_attempts=self.notify_max_attempts,
            initial_backoff=self.notify_initial_backoff,
            max_backoff=self.notify_max_backoff,
        )
