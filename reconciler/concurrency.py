"""Run I/O-bound work on a few threads without holding a future per item.

`ThreadPoolExecutor.map` submits every item at once: at 10,000 thing groups that is 10,000
futures (each with its own lock and condition) alive until the last call returns, about 10 MB
for nothing. `bounded_map` keeps at most a few items per worker in flight instead.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def bounded_map(
    work: Callable[[T], R], items: Iterable[T], *, workers: int, ahead: int = 4
) -> Iterator[R]:
    """`work(item)` for each item on `workers` threads, results in the order of `items`, with
    at most `workers * ahead` calls submitted and not yet consumed. An exception from `work`
    is raised when its result is reached (the calls already submitted still run)."""
    if workers <= 1:
        # One worker is the caller itself: no pool, no thread to start per call.
        for item in items:
            yield work(item)
        return
    window = workers * max(1, ahead)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        pending: deque[Future[R]] = deque()
        for item in items:
            if len(pending) >= window:
                yield pending.popleft().result()
            pending.append(pool.submit(work, item))
        while pending:
            yield pending.popleft().result()
