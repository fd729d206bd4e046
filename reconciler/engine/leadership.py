"""Build the leader lease the settings ask for (see docs/leader-election.md), and hold it for
a one-off writer (`reconciler apply`) so that it never writes beside a controller."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from reconciler.adapters.aws.calling import AwsCaller
from reconciler.adapters.aws.clients import AwsClients, ClientSettings
from reconciler.adapters.leases import (
    FileLease,
    KubernetesLease,
    LeaderElector,
    Lease,
    LeaseRecord,
    S3Lease,
    default_identity,
)
from reconciler.errors import ReconcilerError
from reconciler.retrying import RetryPolicy
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


class LeaseHeldError(ReconcilerError):
    """Another writer (a controller, another apply) holds the lease this process needs."""


def _lease_place(settings: ReconcilerSettings, lease: Lease) -> str:
    if isinstance(lease, FileLease):
        return f"lock=file, {lease.path}"
    if isinstance(lease, S3Lease):
        return f"lock=s3, s3://{lease.bucket}/{lease.key}"
    return f"lock={settings.lock}, Lease {settings.lease_name}"


def _holder_text(lease: Lease) -> str:
    try:
        record: LeaseRecord | None = lease.holder()
    except ReconcilerError:
        record = None
    if record is None or not record.holder:
        return "another writer"
    ago = max(0.0, time.time() - record.renewed_at)
    return f"{record.holder} (renewed {ago:.0f} s ago)"


@contextmanager
def writer_lease(
    settings: ReconcilerSettings, *, force: bool = False
) -> Iterator[Callable[[], bool]]:
    """Hold the lease the controller takes, for the body's writes; yield the `may_write` check
    (False once the lease is lost, so writing stops). Raises `LeaseHeldError` naming the holder
    when another writer has it. With `force`, or `lock=none`, no lease is taken."""
    lease = None if force else build_lease(settings)
    if lease is None:
        yield lambda: True
        return
    elector = LeaderElector(lease)
    if not elector.try_lead():
        raise LeaseHeldError(
            f"the leader lease ({_lease_place(settings, lease)}) is held by "
            f"{_holder_text(lease)}: a running controller applies the specs itself. "
            "Stop it or let it apply, or pass --force to apply beside it (two writers may undo "
            "each other's revisions)"
        )
    elector.start()
    try:
        yield lambda: elector.is_leader
    finally:
        elector.stop()
