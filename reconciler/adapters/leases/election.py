"""Leader election: a background thread that takes a lease and keeps renewing it.

Every `retry_period` (a third of the lease duration unless told otherwise) the thread renews
the lease while it leads and tries to take it while it does not. `is_leader` is the question
the reconcile loop asks before every write.

The leader gives up *before* anybody else may take over: leadership counts from the moment the
latest successful renewal *started* and lasts `duration - retry_period` (measured on this
process' monotonic clock), while another replica may only take the lease `duration + grace`
after the renewal time written in the store, which is later. So a leader cut off from the store
(renewals failing or hanging) stops leading on its own before a successor starts, as long as
the replicas' wall clocks differ by less than `grace + retry_period`.

Lease calls run on a separate I/O thread: `is_leader` turns False at the deadline and
`on_change(False)` is called then, even while a renewal call hangs in the store's client.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeoutError

from reconciler.adapters.leases.base import Lease
from reconciler.errors import ReconcilerError

_log = logging.getLogger(__name__)


class LeaderElector:
    """Runs `lease` in a daemon thread; `on_change(is_leader)` is called on every transition.

    `on_change` runs on the elector's thread and must not block (set a flag, queue a job), nor
    call `stop()`.
    """

    def __init__(
        self,
        lease: Lease,
        *,
        on_change: Callable[[bool], None] | None = None,
        retry_period: float | None = None,
    ) -> None:
        self.lease = lease
        self.retry_period = retry_period if retry_period is not None else lease.duration / 3
        if not 0 < self.retry_period < lease.duration:
            raise ValueError("retry_period must be positive and shorter than the lease duration")
        self._on_change = on_change
        self._leading = False
        self._valid_until = 0.0  # time.monotonic() at which our leadership lapses
        self._state_lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        # Lease calls run on their own thread, so the elector can step down on time even while
        # a call hangs (until the store client's own timeout ends it).
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="leader-lease-io")

    @property
    def is_leader(self) -> bool:
        with self._state_lock:
            return self._leading and time.monotonic() < self._valid_until

    def try_lead(self) -> bool:
        """One attempt to take the lease, on the caller's thread, before `start()`; whether we
        lead now. A one-off writer (`reconciler apply`) asks this first, to refuse at once when
        another replica holds the lease, and then `start()`s the renewals. Raises what the lease
        raises (`LeaseError`, ...) when the store cannot be read or written."""
        if self._thread is not None:
            raise RuntimeError("try_lead() comes before start()")
        started = time.monotonic()
        held = self.lease.try_acquire()  # a store error propagates: the caller reports it
        if held:
            with self._state_lock:
                self._valid_until = started + self.lease.duration - self.retry_period
        self._set_leading(held)
        return held

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the elector was started already")
        self._thread = threading.Thread(
            target=self._run, name=f"leader-elector-{self.lease.identity}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop electing: step down first (so the loop stops writing), then release the lease."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        self._io.shutdown(wait=False)
        self._set_leading(False)
        # Even after a lapse the store may still name us (a renewal answered late): release
        # always; it only writes when the store names us.
        try:
            self.lease.release()
        except (ReconcilerError, OSError) as error:
            _log.warning("could not release the leader lease (it will expire): %s", error)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._tick()
            self._stopping.wait(self._next_wait())

    def _tick(self) -> None:
        started = time.monotonic()
        leading = self._leading
        held = self._call(self.lease.renew if leading else self.lease.try_acquire, leading)
        if held is None:  # unknown outcome: keep leading until the deadline runs out, no longer
            if leading and time.monotonic() >= self._valid_until:
                self._set_leading(False)
            return
        valid_until = started + self.lease.duration - self.retry_period
        if held and valid_until <= time.monotonic():
            # Answered too late to count; the next attempt finds the lease naming us and takes
            # it afresh.
            self._set_leading(False)
            return
        if held:
            with self._state_lock:
                self._valid_until = valid_until
        elif leading:
            _log.warning("lost the leader lease to another replica")
        self._set_leading(held)

    def _call(self, attempt: Callable[[], bool], leading: bool) -> bool | None:
        """Run one lease call on the I/O thread; None when it failed.

        While leading, wait for the answer only until the leadership deadline: a store that
        hangs must not keep `on_change(False)` from being reported on time.
        """
        future = self._io.submit(attempt)
        try:
            if leading:
                try:
                    return future.result(timeout=max(0.0, self._valid_until - time.monotonic()))
                except FuturesTimeoutError:
                    _log.warning("the lease store did not answer before our leadership ran out")
                    self._set_leading(False)
            return future.result()
        except (ReconcilerError, OSError) as error:
            _log.warning("leader lease %s failed: %s", "renewal" if leading else "attempt", error)
            return None
        except Exception:  # a bug must not end the elections silently: log it and go on
            _log.exception(
                "leader lease %s failed unexpectedly", "renewal" if leading else "attempt"
            )
            return None

    def _next_wait(self) -> float:
        if not self._leading:
            return self.retry_period
        # Wake up at the deadline too, so that a lapse is reported when it happens.
        until_lapse = self._valid_until - time.monotonic()
        if until_lapse <= 0:
            self._set_leading(False)
            return self.retry_period
        return min(self.retry_period, until_lapse)

    def _set_leading(self, leading: bool) -> None:
        with self._state_lock:
            changed = leading != self._leading
            self._leading = leading
        if not changed:
            return
        _log.info(
            "%s the leader lease as %s", "holding" if leading else "gave up", self.lease.identity
        )
        if self._on_change is not None:
            try:
                self._on_change(leading)
            except Exception:  # a broken callback must not stop the renewals
                _log.exception("the leader-change callback failed")
