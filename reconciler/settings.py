"""Process settings: one place, one environment prefix (`RECONCILER_`), frozen once read.

Command-line options override the environment; the environment overrides these defaults.
What the *fleet* should look like lives in the specs (Settings document), never here: these
settings only say how this process runs (rate limits, intervals, ports, credentials files).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from reconciler.adapters.aws.calling import RetryPolicy
from reconciler.core.provenance import DEFAULT_INSTANCE


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
    max_attempts: int = Field(8, ge=1, description="Attempts per call on temporary errors.")
    initial_backoff: float = Field(0.2, ge=0)
    max_backoff: float = Field(20.0, ge=0)
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

    # --- controller
    source: str = Field("deploy-specs", description="Local path, or Git URL, of the specs.")
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

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self.max_attempts,
            initial_backoff=self.initial_backoff,
            max_backoff=self.max_backoff,
        )
