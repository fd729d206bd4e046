"""Build the leader lease the settings ask for (see docs/leader-election.md)."""

from __future__ import annotations

import os

from reconciler.adapters.aws.calling import AwsCaller, RetryPolicy
from reconciler.adapters.aws.clients import AwsClients, ClientSettings
from reconciler.adapters.leases import (
    FileLease,
    KubernetesLease,
    LeaderElector,
    Lease,
    S3Lease,
    default_identity,
)
from reconciler.errors import ReconcilerError
from reconciler.settings import ReconcilerSettings


def build_lease(settings: ReconcilerSettings) -> Lease | None:
    identity = default_identity()
    duration = settings.lease_duration
    if settings.lock == "none":
        return None
    if settings.lock == "file":
        path = settings.lock_file or settings.cache_dir / f"{settings.instance}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        return FileLease(path, identity, duration)
    if settings.lock == "kubernetes":
        return KubernetesLease(
            name=settings.lease_name,
            identity=identity,
            duration=duration,
            namespace=settings.lease_namespace,
        )
    region = (
        settings.lock_region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    )
    if not settings.lock_bucket or not region:
        raise ReconcilerError(
            "lock=s3 needs RECONCILER_LOCK_BUCKET and a region (RECONCILER_LOCK_REGION or "
            "AWS_REGION)"
        )
    # A renewal that retries for longer than a third of the lease is of no use: keep the lease's
    # calls short, separate from the reconcile's patient retry policy.
    budget = duration / 3
    clients = AwsClients(
        ClientSettings(
            region=region,
            endpoint_url=settings.endpoint_url,
            connect_timeout=min(5.0, budget / 2),
            read_timeout=min(10.0, budget / 2),
        )
    )
    return S3Lease(
        clients=clients,
        caller=AwsCaller(retry=RetryPolicy(max_attempts=2, initial_backoff=0.1, max_backoff=1.0)),
        bucket=settings.lock_bucket,
        key=settings.lock_key,
        identity=identity,
        duration=duration,
    )


def build_elector(settings: ReconcilerSettings) -> LeaderElector | None:
    lease = build_lease(settings)
    return LeaderElector(lease) if lease is not None else None
