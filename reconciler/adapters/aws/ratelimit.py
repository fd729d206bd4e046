"""Client-side rate limits: the process-wide token bucket, and an adaptive rate per AWS API.

`TokenBucket` is the ceiling every AWS call of a process waits on (`rate_limit`, `rate_burst`).

`AdaptiveRates` adds one bucket per API (service and operation), because AWS meters request
rates per API and per account: Greengrass's ThrottlingException says "Your request exceeded a
request rate quota", and the endpoints-and-quotas page lists the request-rate quotas per
operation. A throttle on ListDeployments therefore slows ListDeployments, not GetComponent.
Each API starts at the limit of its class (reads, writes, or a per-API setting), which is what
the process sent before this existed, and adapts only once the service has throttled it:

- a throttle cuts the API's rate with botocore's own adaptive-mode calculation (`CubicCalculator`
  of `botocore.retries.throttling`: to 0.7 of the rate it was sending at), never below
  `MIN_RATE`, and pauses the API for the `retryAfterSeconds` the service asked for;
- only a throttle of a request *sent after* the last cut cuts again: the requests already in
  flight were sent at the old rate, and their throttles say nothing new (TCP reacts once per
  window for the same reason) — without this, 16 parallel readers would cut 16 times at once;
- calls that are not throttled let the rate grow back along the same CUBIC curve, to the
  class's limit and never beyond it.

botocore's own adaptive mode (`retries={"mode": "adaptive"}`) is not used as such: it keeps one
rate per client (all of Greengrass's APIs together), its loop would hide attempts from
`AwsCaller` (see `clients.py`), and it sends unlimited until the first throttle, ignoring a
configured limit.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from botocore.retries.throttling import CubicCalculator

_log = logging.getLogger(__name__)

MIN_RATE = 0.5
"""Calls per second an API never goes below (botocore's adaptive mode's own floor)."""

_READ_PREFIXES = ("Get", "List", "Describe", "Head", "BatchGet")


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
        self._not_before = self._last
        self._lock = threading.Lock()

    def _reserve(self) -> float:
        """Take a token now if one is free, else book the next one; return how long to wait."""
        with self._lock:
            now = self._clock()
            # Tokens refill from the end of a pause (`defer`), not during it.
            start = max(now, self._not_before)
            self._tokens = min(self.burst, self._tokens + (start - self._last) * self.rate)
            self._last = start
            self._tokens -= 1
            if self._tokens >= 0:
                return start - now
            return start - now - self._tokens / self.rate

    def acquire(self) -> float:
        """Wait for a token; return the seconds waited (0 when one was free)."""
        wait = self._reserve()
        if wait > 0:
            self._sleep(wait)
        return wait

    def set_rate(self, rate: float, burst: float | None = None) -> None:
        """Change the rate (and the burst: by default one second's worth, at least 1) from now
        on; tokens already earned are kept up to the new burst."""
        if rate <= 0:
            raise ValueError("rate must be positive")
        with self._lock:
            now = max(self._clock(), self._not_before)
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self.rate = rate
            self.burst = float(burst if burst is not None else max(1, int(rate)))
            self._tokens = min(self._tokens, self.burst)

    def defer(self, seconds: float) -> None:
        """Hand out no token for `seconds` from now, then at most one at once (the rest at the
        rate): what a service's Retry-After asks of every caller, not only the one it answered."""
        with self._lock:
            now = self._clock()
            until = now + seconds
            if until > self._not_before:
                start = max(now, self._not_before)
                self._tokens = min(self.burst, self._tokens + (start - self._last) * self.rate)
                self._tokens = min(self._tokens, 1.0)
                self._not_before = self._last = until


def is_read(operation: str, http_method: str) -> bool:
    """Whether an API only reads: GET/HEAD, or a Get/List/Describe name (query protocols, such
    as STS's, POST every operation)."""
    return http_method in ("GET", "HEAD") or operation.startswith(_READ_PREFIXES)


@dataclass(frozen=True)
class RateClasses:
    """The most calls per second each API may make: reads and writes by class, some APIs by
    name (`"CreateDeployment"` or `"greengrassv2:CreateDeployment"`). None: no limit of its own
    (the process-wide bucket still applies)."""

    reads: float | None = None
    writes: float | None = None
    apis: Mapping[str, float] = field(default_factory=dict)
    burst: int | None = None  # the burst of an API at its limit; default: one second's worth

    def limit(self, service: str, operation: str, http_method: str) -> float | None:
        for name in (f"{service}:{operation}", operation):
            if name in self.apis:
                return self.apis[name]
        return self.reads if is_read(operation, http_method) else self.writes


class AdaptiveRate:
    """One API's rate: its class's limit until the service throttles it, then CUBIC (see the
    module's docstring). Thread-safe."""

    def __init__(
        self,
        name: str,
        limit: float,
        burst: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name
        self.limit = limit
        self.bucket = TokenBucket(limit, burst, clock=clock, sleep=sleep)
        self.throttles = 0
        self.cuts = 0
        self._clock = clock
        self._cubic: CubicCalculator | None = None  # None until the first throttle
        self._last_cut = float("-inf")
        self._lock = threading.Lock()

    @property
    def rate(self) -> float:
        return self.bucket.rate

    def acquire(self) -> float:
        return self.bucket.acquire()

    def succeeded(self) -> None:
        with self._lock:
            if self._cubic is None or self.bucket.rate >= self.limit:
                return
            grown = float(self._cubic.success_received(self._clock()))
            self.bucket.set_rate(min(self.limit, max(MIN_RATE, grown)))

    def throttled(self, sent_at: float, retry_after: float | None) -> None:
        with self._lock:
            self.throttles += 1
            now = self._clock()
            if retry_after:
                self.bucket.defer(retry_after)
            if sent_at < self._last_cut:
                return  # sent at the rate already cut: the same overshoot, already answered
            if self._cubic is None:
                self._cubic = CubicCalculator(starting_max_rate=self.bucket.rate, start_time=now)
            cut = max(MIN_RATE, float(self._cubic.error_received(self.bucket.rate, now)))
            self.bucket.set_rate(cut)
            self._last_cut = now
            self.cuts += 1
        _log.info(
            "AWS throttled %s: sending at most %.2f calls/s to it for now (limit %.2f)",
            self.name,
            cut,
            self.limit,
        )


class AdaptiveRates:
    """The adaptive rate of every API a process calls, created on first use from `classes`."""

    def __init__(
        self,
        classes: RateClasses,
        *,
        default_limit: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """`default_limit`: the limit of an API whose class sets none (the process's rate)."""
        self.classes = classes
        self.default_limit = default_limit
        self._clock = clock
        self._sleep = sleep
        self._apis: dict[tuple[str, str], AdaptiveRate] = {}
        self._lock = threading.Lock()

    def api(self, service: str, operation: str, http_method: str) -> AdaptiveRate:
        key = (service, operation)
        with self._lock:
            found = self._apis.get(key)
            if found is None:
                limit = self.classes.limit(service, operation, http_method)
                found = AdaptiveRate(
                    f"{service}:{operation}",
                    limit if limit is not None else self.default_limit,
                    self.classes.burst,
                    clock=self._clock,
                    sleep=self._sleep,
                )
                self._apis[key] = found
            return found

    def acquire(self, service: str, operation: str, http_method: str) -> AdaptiveRate:
        """Wait for the API's next token; return the API, to report its answer to."""
        api = self.api(service, operation, http_method)
        api.acquire()
        return api

    def now(self) -> float:
        return self._clock()

    def rates(self) -> dict[str, float]:
        """Each API's current rate, in calls per second (for logs and tests)."""
        with self._lock:
            return {api.name: api.rate for api in self._apis.values()}


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
