"""The request log: one record per request the endpoint served, whichever service answered.

Kept in memory, bounded (the oldest records go first), numbered by a sequence that never
restarts while the emulator runs, so `since(seq)` lets a test read only what it caused.
Standard library only: the admin client imports `RequestRecord` from here.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True)
class RequestRecord:
    seq: int
    time: float  # epoch seconds when the request arrived
    service: str  # greengrassv2, s3, iot, sts... ("unknown" when unsigned and unrecognized)
    operation: str  # the model's operation name (best effort outside Greengrass)
    method: str
    path: str
    resource: str | None  # the target ARN / s3:// URI the request acted on, where known
    status: int
    mutating: bool
    fault: str | None  # "throttle" or "error" when injected
    latency_ms: float  # latency injected on purpose
    duration_ms: float  # time the emulator took to answer, injected latency included

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> RequestRecord:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in document.items() if k in names})


class RequestLog:
    def __init__(self, limit: int = 100_000) -> None:
        self._records: deque[RequestRecord] = deque(maxlen=limit)
        self._lock = threading.Lock()
        self._next_seq = 1

    def append(self, **values: Any) -> RequestRecord:
        with self._lock:
            record = RequestRecord(seq=self._next_seq, **values)
            self._next_seq += 1
            self._records.append(record)
            return record

    def since(self, seq: int = 0) -> list[RequestRecord]:
        """Records with a sequence number greater than `seq`, oldest first."""
        with self._lock:
            return [r for r in self._records if r.seq > seq]

    def clear(self) -> int:
        with self._lock:
            count = len(self._records)
            self._records.clear()
            return count

    def __len__(self) -> int:
        return len(self._records)
