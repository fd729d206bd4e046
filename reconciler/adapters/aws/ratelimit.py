"""A thread-safe token bucket: the client-side rate limit shared by every AWS call of a process.

Greengrass quotas are not published per operation, so the limit is a setting, not a constant.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol


class RateLimit(Protocol):
    """What `AwsCaller` draws a token from before each attempt."""

    def acquire(self) -> float: ...


class TokenBucket:
    """`rate` tokens per second, bursts up to `burst`. `acquire()` blocks until a token is free."""

    def __init__(
        self,
        rate: float,
        burst: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = float(burst if burst is not None else max(1, int(rate)))
        self._tokens = self.burst
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = threading.Lock()

    def _reserve(self) -> float:
        """Take a token now if one is free, else book the next one; return how long to wait."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= 1
            if self._tokens >= 0:
                return 0.0
            return -self._tokens / self.rate

    def acquire(self) -> float:
        """Wait for a token; return the seconds waited (0 when one was free)."""
        wait = self._reserve()
        if wait > 0:
            self._sleep(wait)
        return wait


class SharedBudget:
    """Draws from several buckets in order: a share of a budget and the budget itself.

    Following rollouts draws from its own bucket (`share` of the client rate) and then from the
    process-wide one, so it never takes more than its share, and every call it makes still
    counts against the whole: the reconcile cycles, which draw from the process-wide bucket
    alone, always keep the rest.
    """

    def __init__(self, buckets: Sequence[TokenBucket]) -> None:
        if not buckets:
            raise ValueError("a budget needs at least one bucket")
        self.buckets = tuple(buckets)

    def acquire(self) -> float:
        return sum(bucket.acquire() for bucket in self.buckets)
