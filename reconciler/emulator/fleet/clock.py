"""The emulator's clock: real time, or a virtual time that only moves when a test advances it.

Every timestamp the emulator hands out (deployments, jobs, device reports) and every timed event
of the fleet simulation reads this clock, so switching to virtual time makes a rollout to 10,000
devices take as long as its events take to compute, not as long as the rollout would on AWS.
Time never goes backwards: switching back to real time keeps the virtual lead as an offset.
"""

from __future__ import annotations

import time
from collections.abc import Callable

REAL = "real"
VIRTUAL = "virtual"


class ClockError(ValueError):
    """A clock change that cannot be made (unknown mode, advancing real time, negative step)."""


class EmulatorClock:
    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self.mode = REAL
        self._offset = 0.0  # real mode: now = source() + offset (>= 0 after a virtual period)
        self._virtual = 0.0

    def now(self) -> float:
        if self.mode == VIRTUAL:
            return self._virtual
        return self._source() + self._offset

    def set_mode(self, mode: str) -> None:
        if mode not in (REAL, VIRTUAL):
            raise ClockError(f"clock mode must be {REAL!r} or {VIRTUAL!r}, got {mode!r}")
        if mode == self.mode:
            return
        current = self.now()
        if mode == VIRTUAL:
            self._virtual = current
        else:
            self._offset = max(0.0, current - self._source())
        self.mode = mode

    def advance(self, seconds: float) -> float:
        """Move virtual time on by `seconds`; return the new time."""
        if self.mode != VIRTUAL:
            raise ClockError("only a virtual clock can be advanced; switch it to 'virtual' first")
        if not seconds >= 0:
            raise ClockError(f"seconds must be a non-negative number, got {seconds!r}")
        self._virtual += float(seconds)
        return self._virtual

    def reset(self) -> None:
        self.set_mode(REAL)

    def to_json(self) -> dict[str, object]:
        return {"mode": self.mode, "now": self.now()}
