"""The properties every lease kind must have, checked on each against its real store."""

from __future__ import annotations

import threading
import time

from reconciler.adapters.leases import Lease
from tests.integration.leases.conftest import DURATION, GRACE, Backend


def test_the_first_taker_holds_and_the_second_is_refused(backend: Backend) -> None:
    first, second = backend.make("replica-a"), backend.make("replica-b")

    assert first.try_acquire() is True
    assert second.try_acquire() is False
    assert second.renew() is False

    record = first.holder()
    assert record is not None
    assert record.holder == "replica-a"


def test_the_holder_may_take_again_and_renew(backend: Backend) -> None:
    lease = backend.make("replica-a")
    assert lease.try_acquire() is True
    before = lease.holder()

    time.sleep(0.01)
    assert lease.try_acquire() is True
    assert lease.renew() is True

    after = lease.holder()
    assert before is not None and after is not None
    assert after.holder == "replica-a"
    assert after.renewed_at > before.renewed_at
    assert after.transitions == before.transitions  # no change of hands


def test_release_lets_the_other_take_it_at_once(backend: Backend) -> None:
    first, second = backend.make("replica-a"), backend.make("replica-b")
    assert first.try_acquire() is True

    first.release()

    assert second.try_acquire() is True
    assert first.renew() is False
    record = second.holder()
    assert record is not None
    assert record.holder == "replica-b"
    assert record.transitions == 1


def test_release_by_a_replica_that_does_not_hold_it_changes_nothing(backend: Backend) -> None:
    first, second = backend.make("replica-a"), backend.make("replica-b")
    assert first.try_acquire() is True

    second.release()

    assert second.try_acquire() is False
    assert first.renew() is True


def test_expiry_lets_the_other_take_it_and_the_old_holder_learns_it_lost(
    backend: Backend,
) -> None:
    first, second = backend.make("replica-a"), backend.make("replica-b")
    assert first.try_acquire() is True  # ...and then never renews, as a hung replica
    written = first.holder()
    assert written is not None
    assert second.try_acquire() is False

    deadline = time.monotonic() + DURATION + GRACE + 2.0
    while not second.try_acquire():
        assert time.monotonic() < deadline, "the expired lease was never taken over"
        time.sleep(0.05)
    # Not a moment before the lease expired: renewed_at + duration + grace.
    taken = second.holder()
    assert taken is not None
    assert taken.holder == "replica-b"
    assert taken.acquired_at > written.renewed_at + DURATION + GRACE

    assert first.renew() is False
    assert first.try_acquire() is False


def test_renewals_keep_the_lease_past_its_duration(backend: Backend) -> None:
    first, second = backend.make("replica-a"), backend.make("replica-b")
    assert first.try_acquire() is True

    until = time.monotonic() + DURATION + GRACE + 0.3
    while time.monotonic() < until:
        assert first.renew() is True
        assert second.try_acquire() is False
        time.sleep(DURATION / 4)


def test_of_many_simultaneous_takers_exactly_one_wins(backend: Backend) -> None:
    leases = [backend.make(f"replica-{n}") for n in range(4)]
    barrier = threading.Barrier(len(leases))
    results: dict[str, bool] = {}

    def race(lease: Lease) -> None:
        barrier.wait()
        results[lease.identity] = lease.try_acquire()

    threads = [threading.Thread(target=race, args=(lease,)) for lease in leases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [identity for identity, won in results.items() if won]
    assert len(winners) == 1
    record = leases[0].holder()
    assert record is not None
    assert record.holder == winners[0]


def test_a_clock_ahead_by_less_than_the_grace_never_takes_a_lease_still_valid(
    backend: Backend,
) -> None:
    grace = 1.0  # wide margins: a slow machine must not turn the timing around
    holder = backend.make("replica-a", grace=grace)
    ahead = backend.make("replica-b", grace=grace, clock=lambda: time.time() + 0.5)
    far_ahead = backend.make("replica-c", grace=grace, clock=lambda: time.time() + 2.5)
    assert holder.try_acquire() is True
    written = holder.holder()
    assert written is not None

    # Shortly before the lease runs out by the holder's clock, replica-b's clock reads past
    # renewedAt + duration already; only the grace keeps it from taking a live lease.
    time.sleep(DURATION - 0.2)
    assert time.time() + 0.5 > written.renewed_at + DURATION
    assert ahead.try_acquire() is False
    assert holder.renew() is True

    # A clock further ahead than duration + grace does take it: the grace is the only margin.
    assert far_ahead.try_acquire() is True
