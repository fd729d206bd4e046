"""Offline windows at the instant they end (fleet/devices.py), whatever the float rounding."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reconciler.emulator.fleet.devices import Device
from reconciler.emulator.fleet.fleet_file import OfflineWindow

# An epoch start of the emulator clock: (start + 0.001) - start < 0.001 in binary floating point,
# so a window that ends 1 ms after the fleet started was still "open" at the instant
# next_online named, and the simulation woke the device there again and again (a hang).
START = 1764941234.5671234


def test_a_device_is_online_at_the_instant_next_online_names() -> None:
    device = Device("d", set(), "linux", "amd64", (OfflineWindow(0.0, 0.001),))
    now = START
    assert not device.online(now, START)
    back = device.next_online(now, START)
    assert back is not None and back > now
    assert device.online(back, START)


@given(
    st.floats(1e9, 2e9),
    st.lists(st.tuples(st.floats(0, 1e4), st.floats(1e-3, 1e4)), min_size=1, max_size=3),
    st.floats(0, 2e4),
)
def test_waking_an_offline_device_always_moves_time_forward(
    start: float, windows: list[tuple[float, float]], offset: float
) -> None:
    device = Device(
        "d", set(), "linux", "amd64", tuple(OfflineWindow(a, a + d) for a, d in windows)
    )
    now = start + offset
    for _ in range(len(windows) + 1):  # each wake leaves at least one window behind
        if device.online(now, start):
            return
        back = device.next_online(now, start)
        assert back is not None and back > now
        now = back
    raise AssertionError("still offline after leaving every window")
