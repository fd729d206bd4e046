"""Leader election over each real store: never two leaders, and handovers when a leader stops,
loses its network, or its store hangs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from reconciler.adapters.leases import FileLease, LeaderElector
from tests.integration.leases.conftest import GRACE, Backend
from tests.integration.leases.tcp_proxy import TcpProxy

# Longer than the lease tests' 1 s: a leader lapses when one renewal takes longer than
# DURATION - RETRY, and a store call on a loaded two-core machine can take over half a second.
DURATION = 2.0
RETRY = DURATION / 3


@dataclass
class Watch:
    """Follows every elector of a test: their leadership changes and the one-leader property.

    A sampler thread reads every elector's `is_leader` twice in a row; an elector that answered
    True both times led during the whole pass, so two such electors led at the same moment.
    (Reading once each could be fooled by a handover between two reads.)
    """

    electors: list[LeaderElector] = field(default_factory=list)
    changes: list[tuple[float, str, bool]] = field(default_factory=list)
    overlaps: list[list[str]] = field(default_factory=list)
    samples: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)

    def elector(
        self, lease_identity: str, backend: Backend, **lease_options: object
    ) -> LeaderElector:
        lease = backend.make(lease_identity, duration=DURATION, **lease_options)

        def on_change(leading: bool) -> None:
            with self._lock:
                self.changes.append((time.monotonic(), lease_identity, leading))

        elector = LeaderElector(lease, on_change=on_change)
        with self._lock:
            self.electors.append(elector)
        elector.start()
        return elector

    def leaders(self) -> list[LeaderElector]:
        with self._lock:
            electors = list(self.electors)
        return [elector for elector in electors if elector.is_leader]

    def wait_for_leader(
        self, timeout: float, *, other_than: LeaderElector | None = None
    ) -> LeaderElector:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            leaders = [e for e in self.leaders() if e is not other_than]
            if leaders:
                return leaders[0]
            time.sleep(0.01)
        raise AssertionError(f"no leader within {timeout} s")

    def change_time(self, identity: str, leading: bool) -> float:
        with self._lock:
            times = [t for t, who, now in self.changes if who == identity and now == leading]
        assert times, f"{identity} never reported leading={leading}"
        return times[-1]

    def sample(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                electors = list(self.electors)
            first = [e.is_leader for e in electors]
            second = [e.is_leader for e in electors]
            both = [
                e.lease.identity for e, a, b in zip(electors, first, second, strict=True) if a and b
            ]
            if len(both) > 1:
                self.overlaps.append(both)
            self.samples += 1
            time.sleep(0.002)

    def stop(self) -> None:
        self._stop.set()
        for elector in self.electors:
            elector.stop()


@pytest.fixture
def watch() -> Iterator[Watch]:
    watch = Watch()
    sampler = threading.Thread(target=watch.sample, daemon=True)
    sampler.start()
    yield watch
    watch.stop()
    sampler.join()
    # The sampler must have run (a loaded machine slows it down: a low bar)...
    assert watch.samples > 10, f"the sampler ran only {watch.samples} times"
    # ...and never seen two leaders.
    assert watch.overlaps == [], f"two electors led at the same time: {watch.overlaps[:5]}"


def test_exactly_one_leader_across_handovers(backend: Backend, watch: Watch) -> None:
    for n in range(3):
        watch.elector(f"replica-{n}", backend)
    leader = watch.wait_for_leader(2.0)
    first = leader.lease.holder()
    assert first is not None

    # Steady state: the leader keeps renewing and nobody else takes over.
    time.sleep(1.5 * RETRY)
    renewed = leader.lease.holder()
    assert renewed is not None
    assert (renewed.holder, renewed.acquired_at) == (first.holder, first.acquired_at)
    assert renewed.renewed_at > first.renewed_at
    assert watch.leaders() == [leader]

    for round_number in range(2):
        before_stop = leader.lease.holder()
        assert before_stop is not None
        leader.stop()  # steps down, then releases: the next leader need not wait for expiry
        assert not leader.is_leader
        successor = watch.wait_for_leader(DURATION + GRACE + 2.0, other_than=leader)
        taken = successor.lease.holder()
        assert taken is not None
        assert taken.holder == successor.lease.identity
        # Taken before the stopped leader's lease could have expired: thanks to the release.
        assert taken.acquired_at < before_stop.renewed_at + DURATION + GRACE
        assert watch.change_time(leader.lease.identity, False) < watch.change_time(
            successor.lease.identity, True
        )
        watch.elector(f"replacement-{round_number}", backend)
        leader = successor

    assert len(watch.leaders()) == 1


# Each store with one kind of failure: the elector's handling does not depend on the store,
# and both stores' clients are exercised failing fast (cut) and hanging (blackhole).
@pytest.mark.parametrize(
    ("network_backend", "failure"),
    [("s3", "blackhole"), ("kubernetes", "cut")],
    indirect=["network_backend"],
)
def test_a_leader_cut_off_from_the_store_steps_down_before_another_takes_over(
    network_backend: Backend, watch: Watch, failure: str
) -> None:
    assert network_backend.url is not None
    host, port = network_backend.url.removeprefix("http://").split(":")
    proxy = TcpProxy(host, int(port)).start()
    try:
        isolated = watch.elector("isolated", network_backend, via=proxy.url)
        watch.wait_for_leader(2.0)
        follower = watch.elector("follower", network_backend)
        time.sleep(RETRY)  # the follower has tried and failed to take the lease by now
        assert watch.leaders() == [isolated]

        cut_at = time.monotonic()
        fail: Callable[[], None] = proxy.cut if failure == "cut" else proxy.blackhole
        fail()
        successor = watch.wait_for_leader(DURATION + GRACE + 2.0, other_than=isolated)

        assert successor is follower
        stepped_down = watch.change_time("isolated", False)
        took_over = watch.change_time("follower", True)
        # The isolated leader gave up on its own, within a lease duration of its last renewal
        # and before the follower took over, with no help from the store it cannot reach.
        assert stepped_down < took_over
        assert stepped_down - cut_at < DURATION + GRACE
        assert not isolated.is_leader
    finally:
        proxy.close()


def test_a_failing_callback_does_not_stop_the_renewals(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    path = tmp_path_factory.mktemp("lease") / "leader.lease"
    calls: list[bool] = []

    def broken(leading: bool) -> None:
        calls.append(leading)
        raise RuntimeError("the callback is broken")

    lease = FileLease(path, "replica-a", DURATION, grace=GRACE)
    elector = LeaderElector(lease, on_change=broken)
    elector.start()
    try:
        time.sleep(1.5 * RETRY)
        assert elector.is_leader
        assert calls == [True]
        record = lease.holder()
        assert record is not None
        assert record.renewed_at > record.acquired_at  # renewed after the callback failed
    finally:
        elector.stop()
    assert calls == [True, False]
    assert FileLease(path, "replica-b", DURATION, grace=GRACE).try_acquire() is True


def test_the_retry_period_must_be_shorter_than_the_lease(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    lease = FileLease(tmp_path_factory.mktemp("lease") / "leader.lease", "replica-a", DURATION)
    with pytest.raises(ValueError, match="retry_period"):
        LeaderElector(lease, retry_period=DURATION)
