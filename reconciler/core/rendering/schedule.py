"""The wave schedule of a plan in words, shared by the text and Markdown renderers.

What each wave's gate asks, which groups it deploys to and how many devices they have: the
same phrases in a terminal and in a pull-request comment (the Markdown renderer escapes them
for where they stand).
"""

from __future__ import annotations

from reconciler.core.durations import format_duration
from reconciler.core.schedule import RolloutSchedule, ScheduledGroup, ScheduledWave
from reconciler.core.waves import Gate


def gate_terms(gate: Gate) -> list[str]:
    """What the gate asks, one phrase a condition: the device conditions first, then each
    metric check, then the approval."""
    terms = []
    if gate.min_devices:
        terms.append(f"at least {gate.min_devices} device{'s' if gate.min_devices != 1 else ''}")
    terms.append(f"success ratio {gate.success_ratio:g}")
    if gate.max_failed_devices is not None:
        terms.append(f"at most {gate.max_failed_devices} failed")
    if gate.bake_seconds:
        terms.append(f"bake {format_duration(gate.bake_seconds)}")
    terms += [f"metric {check.label} {check.condition}" for check in gate.metrics]
    if gate.approval:
        terms.append("an operator's approval")
    return terms


def devices_note(devices: int | None) -> str:
    """`20 devices`, `1 device`, or `devices not counted`."""
    if devices is None:
        return "devices not counted"
    return f"{devices} device{'s' if devices != 1 else ''}"


def group_note(group: ScheduledGroup) -> str:
    """`CameraFleetCanary ← CameraFleetProd (subdeployment)`, `CameraFleetStaging (no change)`."""
    text = group.thing_group
    if group.parent is not None:
        text += f" ← {group.parent} (subdeployment)"
    if not group.changes:
        text += " (no change)"
    return text


def schedule_course(schedule: RolloutSchedule) -> str:
    """What a Rollout does with the change: `the change goes in 3 waves, each after the
    previous one's gate passed; on failure: revert`."""
    count = len(schedule.waves)
    return (
        f"the change goes in {count} wave{'s' if count != 1 else ''}, each after the previous "
        f"one's gate passed; on failure: {schedule.on_failure.value}"
    )


def wave_summary(index: int, wave: ScheduledWave) -> str:
    """`1. canary: CameraFleetCanary ← CameraFleetProd (subdeployment) — 5 devices`."""
    groups = ", ".join(group_note(group) for group in wave.groups)
    return f"{index}. {wave.name}: {groups} — {devices_note(wave.devices)}"
