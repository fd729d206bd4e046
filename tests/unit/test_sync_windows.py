"""Sync windows (core/windows.py): cron parsing, when a window is open, the verdict per group,
and the Settings field's errors (file, line, field)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.core.windows import (
    SyncWindow,
    parse_cron,
    parse_window_duration,
    parse_zone,
    window_verdict,
)
from tests.unit.specs.support import load, only_settings, rendered

NOON = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)  # a Saturday


def _window(
    kind: str = "deny",
    schedule: str = "0 10 * * *",
    duration: str = "4h",
    zone: str = "UTC",
    groups: tuple[str, ...] = (),
) -> SyncWindow:
    return SyncWindow(
        kind="deny" if kind == "deny" else "allow",
        schedule=parse_cron(schedule),
        duration=parse_window_duration(duration),
        time_zone=zone,
        groups=groups,
        duration_text=duration,
    )


def test_cron_fields_ranges_steps_lists_and_names() -> None:
    cron = parse_cron("*/15 9-17 1,15 jan-mar MON-fri")
    assert cron.minutes == frozenset({0, 15, 30, 45})
    assert cron.hours == frozenset(range(9, 18))
    assert cron.months == frozenset({1, 2, 3})
    assert cron.weekdays == frozenset({1, 2, 3, 4, 5})
    assert parse_cron("0 0 * * 7").weekdays == frozenset({0})  # 7 is Sunday too


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("0 10 * *", "has 4 fields"),
        ("60 * * * *", "minute: 60 is outside 0-59"),
        ("0 25 * * *", "hour: 25 is outside 0-23"),
        ("0 0 0 * *", "day of month: 0 is outside 1-31"),
        ("0 0 * foo *", "month: 'foo' is not a number"),
        ("0 0 * * 5-1", "day of week: range '5-1' runs backwards"),
        ("*/0 * * * *", "minute: step '0' is not a positive number"),
    ],
)
def test_bad_cron_expressions_name_the_field(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_cron(expression)


def test_both_day_fields_restricted_means_either_as_in_vixie_cron() -> None:
    cron = parse_cron("0 0 1 * mon")
    assert cron.fires_at(datetime(2026, 12, 1, 0, 0))  # the 1st, a Tuesday
    assert cron.fires_at(datetime(2026, 12, 7, 0, 0))  # a Monday
    assert not cron.fires_at(datetime(2026, 12, 8, 0, 0))


def test_durations_and_zones() -> None:
    assert parse_window_duration("8h") == timedelta(hours=8)
    assert parse_window_duration("1d12h30m") == timedelta(days=1, hours=12, minutes=30)
    for bad in ("", "8", "0m", "8d", "1h 2m", "-1h"):
        with pytest.raises(ValueError):
            parse_window_duration(bad)
    assert str(parse_zone("Europe/Paris")) == "Europe/Paris"
    with pytest.raises(ValueError, match="not an IANA time zone"):
        parse_zone("Mars/Olympus")


def test_a_window_is_open_from_each_fire_time_for_its_duration() -> None:
    window = _window(schedule="0 10 * * *", duration="4h")
    assert window.opened_at(NOON) == datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    assert window.opened_at(datetime(2026, 12, 5, 10, 0, tzinfo=UTC)) is not None  # f <= t
    assert window.opened_at(datetime(2026, 12, 5, 14, 0, tzinfo=UTC)) is None  # t < f + d
    assert window.opened_at(datetime(2026, 12, 5, 9, 59, tzinfo=UTC)) is None


def test_the_schedule_is_read_in_its_time_zone() -> None:
    # 10:00 in Tokyo is 01:00 UTC: at 12:00 UTC that window closed long ago.
    tokyo = _window(schedule="0 10 * * *", duration="4h", zone="Asia/Tokyo")
    assert tokyo.opened_at(NOON) is None
    assert tokyo.opened_at(datetime(2026, 12, 5, 2, 0, tzinfo=UTC)) == datetime(
        2026, 12, 5, 1, 0, tzinfo=UTC
    )


def test_deny_wins_and_says_until_when() -> None:
    deny = _window("deny", "0 10 * * *", "4h", groups=("Camera*",))
    allow = _window("allow", "0 0 * * *", "1d")
    allowed, reason, until = window_verdict((allow, deny), "CameraFleetProd", NOON)
    assert not allowed
    assert until == datetime(2026, 12, 5, 14, 0, tzinfo=UTC)
    assert reason == "waiting for sync window: deny '0 10 * * *' for 4h until 2026-12-05T14:00Z"
    assert window_verdict((allow, deny), "Sensors", NOON) == (True, "", None)  # not its group


def test_an_allow_window_confines_its_groups_only() -> None:
    nights = _window("allow", "0 22 * * *", "6h", groups=("CameraFleetProd",))
    allowed, reason, until = window_verdict((nights,), "CameraFleetProd", NOON)
    assert (allowed, until) == (False, None)
    assert reason == ("waiting for sync window: outside allow window(s) allow '0 22 * * *' for 6h")
    assert window_verdict((nights,), "CameraFleetProd", NOON.replace(hour=23))[0]
    assert window_verdict((nights,), "CameraFleetStaging", NOON)[0]


_instants = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
)


@given(group=st.text(min_size=1, max_size=20), at=_instants)
def test_no_windows_always_allow(group: str, at: datetime) -> None:
    assert window_verdict((), group, at) == (True, "", None)


@given(
    at=_instants,
    minutes=st.integers(min_value=1, max_value=600),
    allow=st.booleans(),
)
def test_an_open_deny_window_never_allows(at: datetime, minutes: int, allow: bool) -> None:
    # A deny window that fires every minute is open at any instant; any allow window too.
    deny = _window("deny", "* * * * *", f"{minutes}m")
    windows = (_window("allow", "* * * * *", "1h"), deny) if allow else (deny,)
    allowed, reason, until = window_verdict(windows, "AnyGroup", at)
    assert not allowed
    assert reason.startswith("waiting for sync window: deny")
    assert until is not None and at < until <= at + timedelta(minutes=minutes)


@given(
    at=_instants,
    hour=st.integers(min_value=0, max_value=23),
    minute=st.integers(min_value=0, max_value=59),
    minutes=st.integers(min_value=1, max_value=3 * 24 * 60),
)
def test_a_daily_window_is_open_exactly_within_duration_of_its_last_firing(
    at: datetime, hour: int, minute: int, minutes: int
) -> None:
    # Another way to the same answer: the last firing of "M H * * *" at or before `at`.
    fired = at.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if fired > at:
        fired -= timedelta(days=1)
    duration = timedelta(minutes=minutes)
    window = _window("deny", f"{minute} {hour} * * *", f"{minutes}m")
    opened = window.opened_at(at)
    assert (opened is not None) == (at < fired + duration)
    if opened is not None:
        assert opened <= at < opened + duration


WINDOWS = """  syncWindows:
    - kind: deny
      schedule: "0 22 * * 5"
      duration: 8h
      timeZone: Europe/Paris
      groups: [Camera*]
"""


def test_settings_resolve_sync_windows() -> None:
    (window,) = load(only_settings(WINDOWS)).settings.sync_windows
    assert window.kind == "deny"
    assert window.duration == timedelta(hours=8)
    assert window.time_zone == "Europe/Paris"
    assert window.groups == ("Camera*",)
    assert window.schedule.weekdays == frozenset({5})


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('"0 22 * * 5"', '"0 22 * 5"', "syncWindows[0].schedule"),
        ("8h", "8 hours", "syncWindows[0].duration"),
        ("Europe/Paris", "Europe/Atlantis", "syncWindows[0].timeZone"),
        ("kind: deny", "kind: block", "syncWindows[0].kind"),
    ],
)
def test_bad_sync_windows_name_file_line_and_field(old: str, new: str, message: str) -> None:
    (problem,) = rendered(only_settings(WINDOWS.replace(old, new)))
    assert problem.startswith("reconciler.yaml:")
    assert message in problem
