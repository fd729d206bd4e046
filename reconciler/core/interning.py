"""Hash-consing: one object for equal read-only values, the one helper for it.

A fleet repeats itself (the same policies, components and configuration in thousands of groups);
keeping each distinct value once is what holds memory at 10,000 groups. Both the resolved specs
(`core/specs/sharing.py`) and the cache of live deployments (`adapters/aws/greengrass.py`) use
this table; each chooses the key that says when two values are "equal" for its purpose.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Hashable, MutableMapping
from typing import Generic, TypeVar

V = TypeVar("V")


class InternTable(Generic[V]):
    """Hands back the first value stored under an equal key. Thread-safe.

    `weak`: values are held weakly, so each goes with the last object that uses it (values must
    accept weak references). `max_size`: the table starts over when it holds that many, so a
    key space that turns out larger than expected costs sharing, never unbounded memory.
    """

    def __init__(self, *, weak: bool = False, max_size: int | None = None) -> None:
        self._values: MutableMapping[Hashable, V] = weakref.WeakValueDictionary() if weak else {}
        self._max_size = max_size
        self._lock = threading.Lock()

    def intern(self, key: Hashable, value: V) -> V:
        """The value stored under `key`, storing `value` there first if there is none."""
        with self._lock:
            full = self._max_size is not None and len(self._values) >= self._max_size
            if full and key not in self._values:
                self._values.clear()
            return self._values.setdefault(key, value)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._values

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)
