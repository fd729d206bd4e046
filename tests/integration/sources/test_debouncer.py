"""The Debouncer on its own: bursts, never-ending streams, failing callbacks, closing."""

from __future__ import annotations

import threading
import time

import pytest

from reconciler.adapters.sources.watching import Debouncer
from tests.integration.sources.waiting import wait_for


class Calls:
    def __init__(self, fail_first: bool = False) -> None:
        self.times: list[float] = []
        self._fail_first = fail_first
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            self.times.append(time.monotonic())
            if self._fail_first and len(self.times) == 1:
                raise RuntimeError("callback failed")

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.times)


def test_a_burst_gives_one_call_after_it_ends() -> None:
    calls = Calls()
    debouncer = Debouncer(calls, quiet_period=0.3, max_delay=5.0)
    try:
        for _ in range(50):
            debouncer.poke()
        last_poke = time.monotonic()
        assert wait_for(lambda: calls.count == 1)
        assert calls.times[0] - last_poke >= 0.29  # not before the burst went quiet
        time.sleep(0.9)
        assert calls.count == 1
    finally:
        debouncer.close()


def test_a_never_ending_stream_still_calls_back_every_max_delay() -> None:
    calls = Calls()
    debouncer = Debouncer(calls, quiet_period=0.3, max_delay=0.6)
    try:
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:  # never quiet for 0.3 s
            debouncer.poke()
            time.sleep(0.05)
        assert calls.count >= 2
    finally:
        debouncer.close()


def test_a_failing_callback_does_not_stop_notifications() -> None:
    calls = Calls(fail_first=True)
    debouncer = Debouncer(calls, quiet_period=0.1, max_delay=1.0)
    try:
        debouncer.poke()
        assert wait_for(lambda: calls.count == 1)
        debouncer.poke()
        assert wait_for(lambda: calls.count == 2)
    finally:
        debouncer.close()


def test_close_drops_a_pending_burst_and_ignores_later_pokes() -> None:
    calls = Calls()
    debouncer = Debouncer(calls, quiet_period=0.3, max_delay=1.0)
    debouncer.poke()
    debouncer.close()
    debouncer.poke()
    time.sleep(0.6)
    assert calls.count == 0


def test_invalid_periods_are_refused() -> None:
    with pytest.raises(ValueError):
        Debouncer(Calls(), quiet_period=0, max_delay=1)
    with pytest.raises(ValueError):
        Debouncer(Calls(), quiet_period=2, max_delay=1)
