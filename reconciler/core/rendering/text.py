"""The plan for a terminal: summary first, then what each thing group gets, coloured when asked.

Every line goes through `printable` before it is coloured: names, keys and values come from the
specs, and a control character in them must show, not act on the terminal.
"""

from __future__ import annotations

from collections.abc import Callable

from reconciler.core.plan import Plan, TargetAction
from reconciler.core.printable import printable
from reconciler.core.rendering.changes import (
    Entry,
    Sign,
    summary_line,
    target_entries,
    target_heading,
    version_entry,
)
from reconciler.core.rendering.schedule import gate_terms, schedule_course, wave_summary

_COLOURS = {Sign.ADD: "\033[32m", Sign.REMOVE: "\033[31m", Sign.CHANGE: "\033[33m"}
_COLOURS[Sign.RESET] = "\033[36m"
_BOLD, _RESET = "\033[1m", "\033[0m"


def _entry_text(entry: Entry) -> str:
    indent = "    " * (entry.depth + 1)
    if entry.before is not None and entry.after is not None:
        detail = f": {entry.before} → {entry.after}"
    elif entry.after is not None:
        detail = f": {entry.after}"
    elif entry.before is not None:
        detail = f" (was {entry.before})"
    else:
        detail = ""
    return f"{indent}{entry.sign.value} {entry.label}{detail}"


def render_text(plan: Plan, *, color: bool = False, show_unchanged: bool = False) -> str:
    paint: Callable[[str, str], str] = (
        (lambda text, code: f"{code}{printable(text)}{_RESET}")
        if color
        else (lambda text, _code: printable(text))
    )
    lines = [paint(summary_line(plan), _BOLD)]
    if plan.versions_to_create:
        lines += ["", "Component versions to create:"]
        for version in plan.versions_to_create:
            entry = version_entry(version)
            lines.append(paint(_entry_text(entry), _COLOURS[entry.sign]))
    # An unchanged group with a warning (its latest revision FAILED) is shown with it.
    shown = [t for t in plan.targets if t.has_changes or show_unchanged or t.warnings]
    if shown:
        lines += ["", "Thing groups:"]
    for target in shown:
        sign = {
            TargetAction.CREATE: Sign.ADD,
            TargetAction.UPDATE: Sign.CHANGE,
            TargetAction.PRUNE: Sign.REMOVE,
            TargetAction.NOOP: Sign.CHANGE,
        }[target.action]
        where = f"  [{target.spec_file}]" if target.spec_file else ""
        lines.append(paint(f"  {sign.value} {target_heading(target)}{where}", _COLOURS[sign]))
        for entry in target_entries(target):
            lines.append(paint(_entry_text(entry), _COLOURS[entry.sign]))
        for warning in target.warnings:
            lines.append(paint(f"    ! {warning}", _COLOURS[Sign.REMOVE]))
    if plan.schedules:
        lines += ["", "Rollouts (the waves this change goes through):"]
    for schedule in plan.schedules:
        heading = f"  Rollout {schedule.rollout}: {schedule_course(schedule)}"
        lines.append(paint(heading, _BOLD))
        for index, wave in enumerate(schedule.waves, start=1):
            lines.append(printable(f"    {wave_summary(index, wave)}"))
            lines.append(printable(f"         gate: {', '.join(gate_terms(wave.gate))}"))
    for warning in plan.warnings:
        lines.append(paint(f"! {warning}", _COLOURS[Sign.REMOVE]))
    return "\n".join(lines) + "\n"
