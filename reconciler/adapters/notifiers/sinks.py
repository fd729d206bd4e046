"""The sink contract: where one event goes, and how a delivery fails."""

from __future__ import annotations

from typing import Protocol

from reconciler.core.events import Event, EventKind
from reconciler.errors import ReconcilerError


class DeliveryError(ReconcilerError):
    """Delivering an event failed. `temporary`: worth retrying (the receiver was unreachable,
    overloaded or rate-limiting); `retry_after`: the wait it asked for, in seconds.

    Messages never hold the sink's URL or key: a webhook URL is itself a secret."""

    def __init__(self, message: str, *, temporary: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.temporary = temporary
        self.retry_after = retry_after


class Sink(Protocol):
    """Delivers events of `kinds`, one at a time, from one worker thread."""

    @property
    def name(self) -> str: ...

    @property
    def kinds(self) -> frozenset[EventKind]: ...

    def deliver(self, event: Event, delivery_id: str) -> None:
        """Deliver `event` or raise `DeliveryError`; `delivery_id` is the same on every
        attempt of one event."""
        ...

    def idle(self) -> None:
        """Called when the sink's queue has run empty: the moment to write what it batches."""
        ...

    def close(self) -> None: ...
