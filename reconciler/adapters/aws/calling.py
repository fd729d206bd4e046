"""Every AWS call goes through `AwsCaller.call`: rate limit, retry, error mapping and accounting.

Rate: each attempt waits for its API's adaptive rate (`ratelimit.AdaptiveRates`: slower after a
throttle, honouring the service's `retryAfterSeconds` for every caller of that API, faster
again as calls go through) and then for the process-wide bucket.

botocore's own retry *loop* is turned off (see `clients.py`) so that one policy, visible here,
decides when and how often: throttling waits at least the `retryAfterSeconds` the service asked
for; other temporary failures back off exponentially with full jitter; anything permanent fails
at once. *What* is temporary is botocore's own classification (see `errors.py`).
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from botocore.model import OperationModel
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
)

from reconciler.adapters.aws.errors import translate
from reconciler.adapters.aws.ratelimit import AdaptiveRates, RateLimit
from reconciler.errors import AwsApiError, AwsThrottledError
from reconciler.retrying import AWS_RETRY, RetryPolicy


class CallStats:
    """Thread-safe counts of API attempts by (service, operation), throttles and server errors."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[tuple[str, str]] = Counter()
        self.throttles: Counter[tuple[str, str]] = Counter()
        self.errors: Counter[tuple[str, str]] = Counter()

    def record(self, service: str, operation: str, error: AwsApiError | None) -> None:
        key = (service, operation)
        with self._lock:
            self.calls[key] += 1
            if isinstance(error, AwsThrottledError):
                self.throttles[key] += 1
            elif error is not None:
                self.errors[key] += 1

    def total_calls(self) -> int:
        with self._lock:
            return sum(self.calls.values())

    def snapshot(self) -> dict[str, dict[tuple[str, str], int]]:
        with self._lock:
            return {
                "calls": dict(self.calls),
                "throttles": dict(self.throttles),
                "errors": dict(self.errors),
            }


def _is_temporary(error: BaseException) -> bool:
    return isinstance(error, AwsApiError) and error.temporary


class AwsCaller:
    """Runs botocore client methods under the process-wide rate limit and retry policy."""

    def __init__(
        self,
        *,
        rate_limit: RateLimit | None = None,
        retry: RetryPolicy | None = None,
        stats: CallStats | None = None,
        sleep: Callable[[float], None] | None = None,
        adaptive: AdaptiveRates | None = None,
    ) -> None:
        self.rate_limit = rate_limit
        self.adaptive = adaptive
        self.retry = retry or AWS_RETRY
        self.stats = stats or CallStats()
        self._sleep = sleep

    def _wait(self, state: RetryCallState) -> float:
        # Full jitter: a random share of the back-off, as AWS advises for many clients at once.
        backoff = random.uniform(0.0, self.retry.backoff(state.attempt_number))
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, AwsThrottledError) and error.retry_after:
            return max(error.retry_after, backoff)
        return backoff

    def call(self, client: Any, operation: str, **params: Any) -> dict[str, Any]:
        """Call `client.<operation>(**params)` (operation in snake_case) and return its response."""
        service = client.meta.service_model.service_name
        method = getattr(client, operation)
        model = client.meta.service_model.operation_model(
            client.meta.method_to_api_mapping[operation]
        )
        extra: dict[str, Any] = {"sleep": self._sleep} if self._sleep else {}
        retrying = Retrying(
            stop=stop_after_attempt(self.retry.max_attempts),
            wait=self._wait,
            retry=retry_if_exception(_is_temporary),
            reraise=True,
            **extra,
        )
        for attempt in retrying:
            with attempt:
                return self._attempt(service, operation, model, method, params)
        raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover

    def _attempt(
        self,
        service: str,
        operation: str,
        model: OperationModel,
        method: Callable[..., Any],
        params: Mapping[str, Any],
    ) -> dict[str, Any]:
        api = None
        if self.adaptive is not None:
            api = self.adaptive.acquire(service, operation, str(model.http.get("method", "")))
        if self.rate_limit is not None:
            self.rate_limit.acquire()
        sent_at = self.adaptive.now() if self.adaptive is not None else 0.0
        try:
            response: dict[str, Any] = method(**params)
        except Exception as raw:
            error = translate(raw, operation, model)
            self.stats.record(service, operation, error)
            if api is not None:
                if isinstance(error, AwsThrottledError):
                    api.throttled(sent_at, error.retry_after)
                else:
                    api.succeeded()  # an answer that is not a throttle: as botocore counts
            raise error from raw
        self.stats.record(service, operation, None)
        if api is not None:
            api.succeeded()
        return response

    def paginate(
        self, client: Any, operation: str, result_key: str, **params: Any
    ) -> Iterator[dict[str, Any]]:
        """Yield the items of every page of a `nextToken`-paginated operation, page by page.

        Each page is its own retried call, so a throttle on page 7 does not restart at page 1.
        """
        token: str | None = None
        while True:
            page_params = dict(params, nextToken=token) if token else dict(params)
            page = self.call(client, operation, **page_params)
            yield from page.get(result_key, [])
            token = page.get("nextToken")
            if not token:
                return
