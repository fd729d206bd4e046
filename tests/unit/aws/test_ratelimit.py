"""The token bucket that every AWS call waits on."""

from __future__ import annotations

import pytest

from reconciler.adapters.aws.ratelimit import (
    MIN_RATE,
    AdaptiveRate,
    AdaptiveRates,
    RateClasses,
    TokenBucket,
)


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


# --- pauses and rate changes (what the adaptive rate drives)


def test_a_deferred_bucket_hands_out_nothing_until_the_pause_ends_then_paces() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=10, burst=5, clock=clock.time, sleep=clock.sleep)
    bucket.defer(2.0)
    waits = [bucket.acquire() for _ in range(3)]
    # The first waits out the pause; the burst saved before it is not spent at once after it.
    assert waits == pytest.approx([2.0, 0.1, 0.1])


def test_a_shorter_pause_never_shortens_a_longer_one() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=10, burst=1, clock=clock.time, sleep=clock.sleep)
    bucket.defer(3.0)
    bucket.defer(1.0)
    assert bucket.acquire() == pytest.approx(3.0)


def test_a_new_rate_spaces_the_next_calls_and_shrinks_the_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=20, burst=20, clock=clock.time, sleep=clock.sleep)
    bucket.set_rate(2)
    assert bucket.burst == 2
    assert [bucket.acquire() for _ in range(4)] == pytest.approx([0.0, 0.0, 0.5, 0.5])
    with pytest.raises(ValueError, match="positive"):
        bucket.set_rate(0)


# --- the adaptive rate of one API


def _api(clock: FakeClock, limit: float = 20) -> AdaptiveRate:
    return AdaptiveRate("greengrassv2:GetDeployment", limit, clock=clock.time, sleep=clock.sleep)


def test_an_api_runs_at_its_limit_until_it_is_throttled() -> None:
    clock = FakeClock()
    api = _api(clock)
    for _ in range(50):
        api.acquire()
        api.succeeded()
    assert api.rate == 20 and api.cuts == 0


def test_a_throttle_cuts_the_rate_as_botocore_adaptive_mode_does_and_honours_retry_after() -> None:
    clock = FakeClock()
    api = _api(clock)
    sent = clock.time()
    api.throttled(sent, retry_after=1.0)
    assert api.rate == pytest.approx(20 * 0.7)  # botocore's CUBIC beta
    # Every caller of the API waits out the service's Retry-After, not only the one answered.
    assert api.acquire() == pytest.approx(1.0)


def test_throttles_of_requests_sent_before_the_cut_do_not_cut_again() -> None:
    clock = FakeClock()
    api = _api(clock)
    in_flight = clock.time()
    clock.now += 0.01
    api.throttled(in_flight, None)
    api.throttled(in_flight, None)  # a second request of the same overshoot
    assert (api.cuts, api.throttles) == (1, 2)
    clock.now += 0.5
    api.throttled(clock.time(), None)  # sent after the cut, still too fast: cut again
    assert api.cuts == 2
    assert api.rate == pytest.approx(20 * 0.7 * 0.7)


def test_the_rate_never_falls_below_the_floor() -> None:
    clock = FakeClock()
    api = _api(clock, limit=1)
    for _ in range(10):
        clock.now += 1
        api.throttled(clock.time(), None)
    assert api.rate == MIN_RATE


def test_calls_that_go_through_bring_the_rate_back_to_the_limit_and_no_higher() -> None:
    clock = FakeClock()
    api = _api(clock)
    api.throttled(clock.time(), None)
    rates = []
    for _ in range(12):
        clock.now += 0.5
        api.succeeded()
        rates.append(api.rate)
    assert rates == sorted(rates) and rates[0] < 20  # grows back along the curve...
    assert rates[-1] == 20  # ...to the limit, never beyond it


def test_limits_by_class_and_by_api() -> None:
    classes = RateClasses(reads=10, writes=1, apis={"CreateDeployment": 2, "s3:PutObject": 5})
    rates = AdaptiveRates(classes, default_limit=20)
    assert rates.api("greengrassv2", "ListDeployments", "GET").limit == 10
    assert rates.api("sts", "GetCallerIdentity", "POST").limit == 10  # a query-protocol read
    assert rates.api("greengrassv2", "CreateComponentVersion", "POST").limit == 1
    assert rates.api("greengrassv2", "CreateDeployment", "POST").limit == 2
    assert rates.api("s3", "PutObject", "PUT").limit == 5
    unset = AdaptiveRates(RateClasses(), default_limit=20)
    assert unset.api("s3", "PutObject", "PUT").limit == 20
    # One state per API: a throttle of one leaves the others alone.
    unset.api("s3", "PutObject", "PUT").throttled(unset.now(), None)
    assert unset.rates() == {"s3:PutObject": pytest.approx(14.0)}
