"""Durations as people write them in specs and on the command line: `90s`, `30m`, `2h`, `1d`,
or sums of them (`1h30m`). One parser for suspensions, sync windows and gate bake times."""

from __future__ import annotations

from datetime import timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """`90s`, `30m`, `2h`, `1d`, or sums of them (`1h30m`): a suspension's length."""
    rest, seconds = text.strip().lower(), 0
    if not rest:
        raise ValueError("an empty duration: give one such as 30m, 2h or 1d")
    while rest:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        unit = rest[digits : digits + 1]
        if digits == 0 or unit not in _UNITS:
            raise ValueError(f"{text!r} is not a duration such as 90s, 30m, 2h, 1d or 1h30m")
        seconds += int(rest[:digits]) * _UNITS[unit]
        rest = rest[digits + 1 :]
    if seconds <= 0:
        raise ValueError(f"{text!r} is no time at all: give a positive duration")
    return timedelta(seconds=seconds)


def format_duration(seconds: float) -> str:
    """A duration as a spec writes it (the inverse of `parse_duration` on whole seconds):
    90 → `1m30s`, 600 → `10m`, 5400 → `1h30m`; `0s` for no time."""
    rest = int(seconds)
    if rest <= 0:
        return "0s"
    parts = []
    for unit, size in sorted(_UNITS.items(), key=lambda item: -item[1]):
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return "".join(parts)
