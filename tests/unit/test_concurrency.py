"""bounded_map: results in order, a bounded number of calls in flight, errors raised."""

from __future__ import annotations

import threading
import time

import pytest

from reconciler.concurrency import bounded_map


def test_results_come_in_the_order_of_the_items() -> None:
    def slow_for_small(n: int) -> int:
        time.sleep(0.002 * (10 - n % 10))
        return n * n

    assert list(bounded_map(slow_for_small, range(50), workers=4)) == [n * n for n in range(50)]


def test_no_more_than_workers_times_ahead_calls_are_submitted_before_being_consumed() -> None:
    started: list[int] = []
    lock = threading.Lock()

    def record(n: int) -> int:
        with lock:
            started.append(n)
        return n

    results = bounded_map(record, range(100), workers=2, ahead=3)
    first = next(results)
    time.sleep(0.05)  # let the pool run whatever was submitted
    with lock:
        submitted = len(started)
    assert first == 0
    assert submitted <= 2 * 3 + 1  # the window, plus the one submitted after the first result
    assert list(results) == list(range(1, 100))


def test_an_error_is_raised_when_its_result_is_reached() -> None:
    def fail_on_three(n: int) -> int:
        if n == 3:
            raise ValueError("three")
        return n

    results = bounded_map(fail_on_three, range(10), workers=2)
    assert [next(results) for _ in range(3)] == [0, 1, 2]
    with pytest.raises(ValueError, match="three"):
        next(results)


def test_no_items_no_threads_needed() -> None:
    assert list(bounded_map(lambda n: n, [], workers=0)) == []


def test_one_worker_runs_the_work_in_the_callers_thread() -> None:
    import threading

    caller = threading.get_ident()
    assert list(bounded_map(lambda n: (n, threading.get_ident()), [1, 2], workers=1)) == [
        (1, caller),
        (2, caller),
    ]
