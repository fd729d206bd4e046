"""What every lease kind shares: the protocol, the record it stores, and the expiry rule.

A lease is a record in some shared store (a file, an S3 object, a Kubernetes Lease) saying who
holds it and when they last renewed it. Every writer changes the record only through a
compare-and-swap the store enforces (a file lock, an S3 ETag condition, a Kubernetes
resourceVersion), so of two replicas racing for a free lease exactly one wins.

Clock skew: the renewal time in the record comes from the holder's clock, the expiry check runs
on ours. A lease counts as expired only when `renewed_at + duration + grace` is in the past by
our clock, so a reader whose clock runs up to `grace` seconds ahead of the holder's never takes
a lease that is still being renewed.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from reconciler.errors import ReconcilerError

DEFAULT_GRACE_SECONDS = 2.0


class Lease(Protocol):
    """A leader lease one replica at a time can hold."""

    identity: str
    duration: float

    def try_acquire(self) -> bool:
        """Take the lease if it is free or expired; True if we hold it now."""

    def renew(self) -> bool:
        """Extend our hold; False if the lease was lost (someone else holds it now)."""

    def release(self) -> None:
        """Give the lease up if we hold it, so that another replica need not wait for expiry."""

    def holder(self) -> LeaseRecord | None:
        """The record in the store now (status pages, diagnostics); None when there is none."""


class LeaseError(ReconcilerError):
    """The lease store could not be read or written (the answer is unknown, not 'lost')."""

    def __init__(self, message: str, *, temporary: bool = True) -> None:
        super().__init__(message)
        self.temporary = temporary


def default_identity() -> str:
    """A holder identity unique to this process: host name, process id and a random suffix."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class LeaseRecord:
    """The holder and timing of a lease, as every store keeps it. Times are Unix seconds."""

    holder: str  # "" once released
    renewed_at: float
    duration: float
    acquired_at: float
    transitions: int = 0  # how many times the lease changed hands

    def expired(self, *, now: float, grace: float) -> bool:
        return now > self.renewed_at + self.duration + grace

    def free_for(self, identity: str, *, now: float, grace: float) -> bool:
        """Whether `identity` may write itself in as holder now."""
        return self.holder in ("", identity) or self.expired(now=now, grace=grace)

    def renewed(self, *, now: float) -> LeaseRecord:
        return replace(self, renewed_at=now)

    def taken_by(self, identity: str, *, now: float, duration: float) -> LeaseRecord:
        """The record after `identity` takes (or re-takes) the lease."""
        if identity == self.holder:
            return replace(self, renewed_at=now, duration=duration)
        return LeaseRecord(
            holder=identity,
            renewed_at=now,
            duration=duration,
            acquired_at=now,
            transitions=self.transitions + 1,
        )

    def released(self, *, now: float) -> LeaseRecord:
        return replace(self, holder="", renewed_at=now)


def new_record(identity: str, *, now: float, duration: float) -> LeaseRecord:
    return LeaseRecord(holder=identity, renewed_at=now, duration=duration, acquired_at=now)


def format_time(timestamp: float) -> str:
    """RFC 3339 in UTC with microseconds, as Kubernetes' MicroTime (2024-05-01T12:00:00.000000Z)."""
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> float:
    """Parse an RFC 3339 time (any fraction of a second, `Z` or an offset) into Unix seconds."""
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def record_to_document(record: LeaseRecord) -> dict[str, object]:
    """The JSON document the file and S3 leases store."""
    return {
        "holder": record.holder,
        "renewedAt": format_time(record.renewed_at),
        "durationSeconds": record.duration,
        "acquiredAt": format_time(record.acquired_at),
        "transitions": record.transitions,
    }


def record_from_document(document: object) -> LeaseRecord | None:
    """Read a stored document back; None when it is not a lease record (corrupt or foreign).

    Our writers only ever store whole documents, so an unreadable one is left over from a crash
    mid-write or written by something else; callers treat it as free and replace it through the
    store's compare-and-swap like any other free lease.
    """
    if not isinstance(document, dict):
        return None
    try:
        return LeaseRecord(
            holder=str(document.get("holder") or ""),
            renewed_at=parse_time(str(document["renewedAt"])),
            duration=float(document["durationSeconds"]),
            acquired_at=parse_time(str(document.get("acquiredAt") or document["renewedAt"])),
            transitions=int(document.get("transitions") or 0),
        )
    except (KeyError, TypeError, ValueError):
        return None
