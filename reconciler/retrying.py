"""How the adapters retry temporary failures: one policy type for AWS calls and GitHub requests.

A failed attempt is followed by a wait that grows exponentially (`initial_backoff`, twice that,
four times...) up to `max_backoff`, for at most `max_attempts` attempts in all. *Which* failures
are temporary, and how each service's own "wait this long" is honoured, is each adapter's:
`adapters/aws/calling.py` (botocore's retry rules, full jitter) and `adapters/github/client.py`
(rate limits, a bounded wait, a little jitter).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts and exponential back-off. Durations are in seconds."""

    max_attempts: int  # in total, the first attempt included
    initial_backoff: float  # the wait after the first failure: 1x, 2x, 4x... this
    max_backoff: float  # no back-off grows past this

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be at least 1")
        if self.initial_backoff < 0 or self.max_backoff < 0:
            raise ValueError("RetryPolicy back-offs cannot be negative")

    def backoff(self, attempt: int) -> float:
        """The back-off after attempt number `attempt` (1-based) failed, before any jitter."""
        return min(self.initial_backoff * 2.0 ** (attempt - 1), self.max_backoff)


# The controller's settings (RECONCILER_MAX_ATTEMPTS, _INITIAL_BACKOFF, _MAX_BACKOFF) default to
# this: many quick retries, since AWS throttles a busy account often and briefly.
AWS_RETRY = RetryPolicy(max_attempts=8, initial_backoff=0.2, max_backoff=20.0)
# `reconciler comment --max-attempts` defaults to this: a CI job retries a few times, slowly.
GITHUB_RETRY = RetryPolicy(max_attempts=5, initial_backoff=1.0, max_backoff=30.0)
