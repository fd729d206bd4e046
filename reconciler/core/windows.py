"""Sync windows (Settings `syncWindows`): when the controller may apply a group's changes.

Argo CD's semantics: outside an `allow` window (when any allow window names the group) or
inside a `deny` window, a group is planned but not applied; deny wins over allow; no window
means always allowed. A window opens at each fire time of its 5-field cron `schedule`, read on
the wall clock of its `timeZone`, and stays open for `duration`.

The cron arithmetic is our own (the core stays free of schedulers): fields are minute, hour,
day of month, month, day of week (0-7, 0 and 7 are Sunday); each is `*`, a number, a range
`a-b`, a step `*/n` or `a-b/n`, or a comma list of these; months and weekdays also by their
three-letter English names. As in Vixie cron, when both day fields are restricted a day
matching either one fires. Wall-clock times a DST change skips never fire; repeated ones fire
twice.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reconciler.core.durations import parse_duration

WindowKind = Literal["allow", "deny"]

MAX_DURATION = timedelta(days=7)
"""Longer windows are refused: the lookback for the latest opening walks minute by minute."""

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# name, lowest, highest, names (numbered from `lowest`)
_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _WEEKDAYS),
)


@dataclass(frozen=True)
class CronSchedule:
    """A parsed 5-field cron expression: the values each field matches."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool  # day of month is `*`
    any_weekday: bool  # day of week is `*`

    def fires_at(self, local: datetime) -> bool:
        """Whether the schedule fires at this wall-clock minute."""
        if (
            local.minute not in self.minutes
            or local.hour not in self.hours
            or local.month not in self.months
        ):
            return False
        day = local.day in self.days
        weekday = (local.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return day and weekday
        return day or weekday


def _value(text: str, name: str, low: int, high: int, names: tuple[str, ...]) -> int:
    lowered = text.lower()
    if lowered in names:
        return low + names.index(lowered)
    if not text.isdigit():
        raise ValueError(f"{name}: {text!r} is not a number")
    value = int(text)
    if not low <= value <= high:
        raise ValueError(f"{name}: {value} is outside {low}-{high}")
    return value


def _field(text: str, name: str, low: int, high: int, names: tuple[str, ...]) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ValueError(f"{name}: step {step_text!r} is not a positive number")
            step = int(step_text)
        if base == "*":
            first, last = low, high
        elif "-" in base:
            start, _, end = base.partition("-")
            first = _value(start, name, low, high, names)
            last = _value(end, name, low, high, names)
            if first > last:
                raise ValueError(f"{name}: range {base!r} runs backwards")
        else:
            first = _value(base, name, low, high, names)
            last = high if step_text else first
        values.update(range(first, last + 1, step))
    return frozenset(values)


def parse_cron(expression: str) -> CronSchedule:
    """The schedule `expression` means; ValueError naming the bad field otherwise."""
    parts = expression.split()
    if len(parts) != 5:
        raise ValueError(
            f"{expression!r} has {len(parts)} fields; a schedule has 5: "
            "minute hour day-of-month month day-of-week"
        )
    minutes, hours, days, months, weekdays = (
        _field(part, *spec) for part, spec in zip(parts, _FIELDS, strict=True)
    )
    return CronSchedule(
        expression=expression,
        minutes=minutes,
        hours=hours,
        days=days,
        months=months,
        weekdays=frozenset(d % 7 for d in weekdays),
        any_day=parts[2] == "*",
        any_weekday=parts[4] == "*",
    )


def parse_window_duration(text: str) -> timedelta:
    """A window's length: a duration (`8h`, `30m`, `1d12h`) of at most MAX_DURATION."""
    duration = parse_duration(text)
    if duration > MAX_DURATION:
        raise ValueError(f"{text!r}: a window lasts at most 7d")
    return duration


def parse_zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`; ValueError otherwise."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone (e.g. UTC, Europe/Paris)") from None


@dataclass(frozen=True)
class SyncWindow:
    kind: WindowKind
    schedule: CronSchedule
    duration: timedelta
    time_zone: str = "UTC"
    groups: tuple[str, ...] = ()
    """Thing group names or fnmatch globs; empty: every group."""
    duration_text: str = ""

    def applies_to(self, group: str) -> bool:
        return not self.groups or any(fnmatch.fnmatchcase(group, g) for g in self.groups)

    def opened_at(self, at: datetime) -> datetime | None:
        """The latest opening still open at `at` (a fire time f with f <= at < f + duration)."""
        return _opened_at(self, at)

    def describe(self) -> str:
        zone = "" if self.time_zone == "UTC" else f" {self.time_zone}"
        return f"{self.kind} '{self.schedule.expression}'{zone} for {self.duration_text}"


@lru_cache(maxsize=256)
def _opened_at(window: SyncWindow, at: datetime) -> datetime | None:
    # Memoized: every group of a cycle asks about the same windows at the same instant.
    zone = parse_zone(window.time_zone)
    minute = at.astimezone(UTC).replace(second=0, microsecond=0)
    earliest = at - window.duration  # exclusive: a window ends at f + duration
    while minute > earliest:
        if window.schedule.fires_at(minute.astimezone(zone)):
            return minute
        minute -= timedelta(minutes=1)
    return None


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def window_verdict(
    windows: tuple[SyncWindow, ...], group: str, at: datetime
) -> tuple[bool, str, datetime | None]:
    """Whether `group` may be applied at `at`, why not, and until when (None: unknown, e.g.
    waiting for an allow window to open)."""
    mine = [w for w in windows if w.applies_to(group)]
    for window in mine:
        if window.kind == "deny":
            opened = window.opened_at(at)
            if opened is not None:
                until = opened + window.duration
                return (
                    False,
                    f"waiting for sync window: {window.describe()} until {_stamp(until)}",
                    until,
                )
    allows = [w for w in mine if w.kind == "allow"]
    if allows and all(w.opened_at(at) is None for w in allows):
        names = ", ".join(w.describe() for w in allows)
        return False, f"waiting for sync window: outside allow window(s) {names}", None
    return True, "", None
