"""What changed, as a flat list of readable entries shared by the text and Markdown renderers."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from reconciler.core.configuration.diffing import difference_points
from reconciler.core.configuration.pointers import find, format_pointer, parse_pointer
from reconciler.core.plan import (
    ComponentAction,
    ComponentOrigin,
    ComponentPlan,
    ComponentVersionPlan,
    FieldChange,
    Plan,
    PruneMode,
    TargetAction,
    TargetPlan,
)

MAX_VALUE_CHARS = 120


class Sign(StrEnum):
    ADD = "+"
    REMOVE = "-"
    CHANGE = "~"
    RESET = "↺"


@dataclass(frozen=True)
class Entry:
    """One line of a change listing; `depth` is its indentation level."""

    sign: Sign
    label: str
    before: str | None = None
    after: str | None = None
    depth: int = 0


def show(value: Any) -> str:
    """A value as compact JSON, shortened so one huge value cannot flood a plan."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    if len(text) > MAX_VALUE_CHARS:
        return text[: MAX_VALUE_CHARS - 1] + "…"
    return text


def _value_at(document: Mapping[str, Any] | None, pointer: str) -> str | None:
    if document is None:
        return None
    present, value = find(dict(document), parse_pointer(pointer))
    return show(value) if present else None


def summary_line(plan: Plan) -> str:
    if not plan.has_changes:
        return "No changes. The live deployments match the specs."
    parts = [
        f"{plan.count(TargetAction.CREATE)} to create",
        f"{plan.count(TargetAction.UPDATE)} to update",
        f"{plan.count(TargetAction.NOOP)} unchanged",
    ]
    if plan.count(TargetAction.PRUNE):
        parts.append(f"{plan.count(TargetAction.PRUNE)} to prune")
    versions = len(plan.versions_to_create)
    artifacts = len(plan.artifacts_to_upload)
    return (
        f"Plan: thing groups {', '.join(parts)}; "
        f"{versions} component version{'s' if versions != 1 else ''} to create, "
        f"{artifacts} artifact{'s' if artifacts != 1 else ''} to upload."
    )


def version_note(version: ComponentVersionPlan) -> str:
    """What a version to create is made of: "(custom recipe, 2 artifacts)"."""
    if version.origin is ComponentOrigin.OVERRIDE:
        how = f"override of public {version.base_version}"
    else:
        how = "custom recipe"
    count = len(version.artifacts)
    return f"({how}, {count} artifact{'s' if count != 1 else ''})"


def version_entry(version: ComponentVersionPlan) -> Entry:
    return Entry(Sign.ADD, f"{version.name} {version.version} {version_note(version)}")


def target_action_note(target: TargetPlan) -> str:
    """What happens to a target: "(create)", "(update: new revision after 3)"; a
    subdeployment says whose: "(create: subdeployment of CameraFleetProd)"."""
    if target.action is TargetAction.UPDATE and target.live_revision_id:
        note = f"update: new revision after {target.live_revision_id}"
    else:
        note = target.action.value
    if target.parent_thing_group is not None:
        note += f"{',' if ':' in note else ':'} subdeployment of {target.parent_thing_group}"
    return f"({note})"


def target_heading(target: TargetPlan) -> str:
    return f"{target.thing_group} {target_action_note(target)}"


def prune_note(target: TargetPlan) -> str:
    """What pruning this candidate does, and to how many devices (when counted)."""
    mode = target.prune_mode or PruneMode.OFF
    if mode is PruneMode.OFF:
        what = "not pruned: the Settings' defaults.syncPolicy.prune is off"
    elif mode is PruneMode.CANCEL:
        what = "cancel: devices keep running its components"
    elif target.uninstall_revision:
        what = "uninstall: its empty revision is rolling out, cancelled once it ended"
    else:
        what = "uninstall: deploy an empty revision, then cancel"
    if target.devices is None:
        return what
    return f"{what} ({target.devices} device{'' if target.devices == 1 else 's'})"


def target_entries(target: TargetPlan) -> Iterator[Entry]:
    if target.action is TargetAction.PRUNE:
        yield Entry(
            Sign.REMOVE,
            f"deployment {target.live_deployment_id} (revision {target.live_revision_id})"
            f" — {prune_note(target)}",
        )
    for component in target.components:
        if component.action is not ComponentAction.UNCHANGED:
            yield from component_entries(component)
    for change in target.field_changes:
        yield from field_entries(change)


def field_entries(change: FieldChange) -> Iterator[Entry]:
    """A deployment field's change, member by member when it is an object: printed whole,
    two long policy documents would be cut before the one value that differs."""
    before, after = change.before, change.after
    if isinstance(before or {}, Mapping) and isinstance(after or {}, Mapping):
        old, new = dict(before or {}), dict(after or {})
        for path in difference_points(old, new):
            pointer = format_pointer(path)
            was, now = _value_at(old, pointer), _value_at(new, pointer)
            sign = Sign.ADD if was is None else Sign.REMOVE if now is None else Sign.CHANGE
            yield Entry(sign, f"{change.field}{pointer}", was, now)
        return
    yield Entry(Sign.CHANGE, change.field, show(before), show(after))


def component_entries(component: ComponentPlan) -> Iterator[Entry]:
    if component.action is ComponentAction.REMOVE:
        yield Entry(Sign.REMOVE, f"{component.name} {component.live_version}")
        return
    if component.action is ComponentAction.ADD:
        yield Entry(Sign.ADD, f"{component.name} {component.desired_version}")
    elif component.version_changed:
        yield Entry(Sign.CHANGE, component.name, component.live_version, component.desired_version)
    else:
        yield Entry(Sign.CHANGE, f"{component.name} {component.desired_version}")
    before, after = component.live_effective_configuration, component.effective_configuration
    change = component.configuration_change
    for pointer in change.added:
        yield Entry(Sign.ADD, pointer or "/", None, _value_at(after, pointer), depth=1)
    for pointer in change.changed:
        yield Entry(
            Sign.CHANGE, pointer, _value_at(before, pointer), _value_at(after, pointer), depth=1
        )
    for pointer in change.removed:
        yield Entry(Sign.REMOVE, pointer, _value_at(before, pointer), None, depth=1)
    for pointer in change.reset_to_default:
        yield Entry(
            Sign.RESET, pointer, _value_at(before, pointer), _value_at(after, pointer), depth=1
        )
    # Resets the change list does not explain (explicit ones, and those carried from earlier
    # revisions for devices that missed them) are still part of what the revision sends.
    explained = {*change.removed, *change.reset_to_default}
    for pointer in component.reset:
        if pointer not in explained:
            label = pointer if pointer else '"" (the whole configuration)'
            yield Entry(Sign.RESET, f"reset {label}", depth=1)
    if component.run_with_changed:
        yield Entry(
            Sign.CHANGE,
            "runWith",
            show(component.run_with_before or {}),
            show(component.run_with_after or {}),
            depth=1,
        )
