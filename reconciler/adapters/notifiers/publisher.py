"""The `EventPublisher` that fans events out to sinks, off the reconcile path.

Each sink has its own lane: a bounded queue and a worker thread. `publish` only puts the event
on the queues of the sinks that want its kind and returns; a full queue drops the event (logged
and counted) rather than block a cycle. A delivery that fails for a temporary reason is retried
with exponential back-off and full jitter, at least the wait the receiver asked for, up to the
policy's attempts (the same `RetryPolicy` type as AWS calls, with its own settings); then it is
logged and dropped. One slow or broken sink delays no other.
"""

from __future__ import annotations

import contextlib
import queue
import random
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Literal

import structlog

from reconciler.adapters.notifiers.sinks import DeliveryError, Sink
from reconciler.core.events import Event
from reconciler.retrying import RetryPolicy

log = structlog.get_logger("reconciler.notify")

DeliveryOutcome = Literal["delivered", "failed", "dropped"]
OutcomeObserver = Callable[[str, DeliveryOutcome], None]


class _Lane:
    """One sink's queue and worker."""

    def __init__(
        self,
        sink: Sink,
        *,
        queue_size: int,
        retry: RetryPolicy,
        observe: OutcomeObserver,
        stopping: threading.Event,
    ) -> None:
        self.sink = sink
        self._queue: queue.Queue[tuple[Event, str] | None] = queue.Queue(queue_size)
        self._retry = retry
        self._observe = observe
        self._stopping = stopping
        self._idle = threading.Condition()
        self._busy = 0
        self._thread = threading.Thread(target=self._work, name=f"notify-{sink.name}", daemon=True)
        self._thread.start()

    def offer(self, event: Event, delivery_id: str) -> None:
        with self._idle:
            self._busy += 1
        try:
            self._queue.put_nowait((event, delivery_id))
        except queue.Full:
            self._finished()
            self._observe(self.sink.name, "dropped")
            log.warning(
                "notification dropped: the queue is full",
                sink=self.sink.name,
                kind=event.kind.value,
                group=event.thing_group,
            )

    def _finished(self) -> None:
        with self._idle:
            self._busy -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def stop(self, timeout: float) -> None:
        # With a full queue the worker drops what is left (`stopping` is set) and is a daemon.
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)
        self._thread.join(timeout)
        self.sink.close()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            event, delivery_id = item
            try:
                if not self._stopping.is_set():
                    self._deliver(event, delivery_id)
                    if self._queue.empty():
                        self._when_idle()
                else:
                    self._observe(self.sink.name, "dropped")
            finally:
                self._finished()

    def _when_idle(self) -> None:
        try:
            self.sink.idle()
        except Exception:  # a bug in one sink must not end its worker
            log.exception("notification sink failed when idle", sink=self.sink.name)

    def _wait(self, attempt: int, error: DeliveryError) -> float:
        # Full jitter, as AwsCaller waits: parallel controllers do not retry in lockstep.
        ceiling = min(self._retry.max_backoff, self._retry.initial_backoff * 2.0 ** (attempt - 1))
        backoff = random.uniform(0.0, ceiling)
        # What the receiver asked for, but never longer than the policy's longest wait: a lane
        # sleeping for an hour would hold back every later event of its sink.
        return min(max(error.retry_after or 0.0, backoff), self._retry.max_backoff)

    def _deliver(self, event: Event, delivery_id: str) -> None:
        attempt = 1
        while True:
            try:
                self.sink.deliver(event, delivery_id)
            except DeliveryError as error:
                last_attempt = attempt >= self._retry.max_attempts
                if error.temporary and not last_attempt:
                    wait = self._wait(attempt, error)
                    log.warning(
                        "notification failed, retrying",
                        sink=self.sink.name,
                        kind=event.kind.value,
                        error=str(error),
                        attempt=attempt,
                        wait=round(wait, 2),
                    )
                    if self._stopping.wait(wait):
                        self._observe(self.sink.name, "dropped")
                        return
                    attempt += 1
                    continue
                self._observe(self.sink.name, "failed")
                log.error(
                    "notification failed",
                    sink=self.sink.name,
                    kind=event.kind.value,
                    group=event.thing_group,
                    error=str(error),
                    attempts=attempt,
                )
                return
            except Exception:  # a bug in one sink must not end its worker
                self._observe(self.sink.name, "failed")
                log.exception("notification sink crashed", sink=self.sink.name)
                return
            self._observe(self.sink.name, "delivered")
            log.debug("notified", sink=self.sink.name, kind=event.kind.value)
            return


class NotifyingPublisher:
    """Fans events out to `sinks`; see the module's notes. Call `close()` on shutdown."""

    def __init__(
        self,
        sinks: Sequence[Sink],
        *,
        queue_size: int = 1000,
        retry: RetryPolicy | None = None,
        observe: OutcomeObserver | None = None,
    ) -> None:
        self._stopping = threading.Event()
        observer = observe or (lambda _sink, _outcome: None)
        self._lanes = [
            _Lane(
                sink,
                queue_size=queue_size,
                retry=retry or RetryPolicy(max_attempts=5, initial_backoff=1.0, max_backoff=60.0),
                observe=observer,
                stopping=self._stopping,
            )
            for sink in sinks
        ]

    @property
    def sink_names(self) -> list[str]:
        return [lane.sink.name for lane in self._lanes]

    def publish(self, event: Event) -> None:
        if self._stopping.is_set():
            return
        delivery_id = str(uuid.uuid4())
        for lane in self._lanes:
            if event.kind in lane.sink.kinds:
                try:
                    lane.offer(event, delivery_id)
                except Exception:  # publish never raises into a cycle
                    log.exception("notification not queued", sink=lane.sink.name)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued event is delivered or given up; False on timeout."""
        return all(lane.wait_idle(timeout) for lane in self._lanes)

    def close(self, timeout: float = 5.0) -> None:
        """Give queued events `timeout` seconds to go out, then stop the workers."""
        self.flush(timeout)
        self._stopping.set()
        for lane in self._lanes:
            lane.stop(timeout)
