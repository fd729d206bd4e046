"""The token bucket that every AWS call waits on."""

from __future__ import annotations

import pytest

from reconciler.adapters.aws.ratelimit import TokenBucket


class FakeClock:
    """A clock that only moves when the bucket sleeps, so waits are exact and instant."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_burst_is_free_then_calls_are_spaced_at_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=10, burst=3, clock=clock.time, sleep=clock.sleep)
    waits = [bucket.acquire() for _ in range(6)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3:] == pytest.approx([0.1, 0.1, 0.1])
    assert clock.now == pytest.approx(100.3)


def test_tokens_refill_while_idle_but_never_beyond_the_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=2, burst=2, clock=clock.time, sleep=clock.sleep)
    bucket.acquire()
    bucket.acquire()
    clock.now += 60  # a long idle period refills only up to `burst`
    assert [bucket.acquire() for _ in range(3)] == pytest.approx([0.0, 0.0, 0.5])


def test_a_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(rate=0)


def test_a_shared_budget_takes_at_most_its_share_and_counts_against_the_whole() -> None:
    from reconciler.adapters.aws.ratelimit import SharedBudget

    clock = FakeClock()
    whole = TokenBucket(rate=20, burst=20, clock=clock.time, sleep=clock.sleep)
    share = TokenBucket(rate=5, burst=5, clock=clock.time, sleep=clock.sleep)
    follow_ups = SharedBudget([share, whole])
    for _ in range(5 + 5 * 60):  # the burst, then a minute at the share's rate
        follow_ups.acquire()
    assert clock.now - 100.0 == pytest.approx(60.0)  # 5 calls/s, not the whole 20
    # Each follow-up took a token of the whole budget too (the last one just now); the whole
    # refilled at 20/s meanwhile, so a reconcile cycle finds the rest of its burst free.
    assert [whole.acquire() for _ in range(19)] == [0.0] * 19
    assert whole.acquire() == pytest.approx(0.05)
