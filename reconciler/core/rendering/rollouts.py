"""Renderers of the fleet's rollouts for `reconciler status`: a table for people, JSON for tools.

The JSON has the shape of the controller's `/status` `targets` (docs/controller-endpoints.md),
so a script reads either the same way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from reconciler.core.configuration import JsonValue
from reconciler.core.rollouts import RolloutView, top_error

_COLUMNS = ("GROUP", "REVISION", "STATE", "SUCCEEDED", "FAILED", "PENDING", "TOTAL", "TOP ERROR")


def rollouts_document(
    views: Mapping[str, RolloutView | None], waves: Mapping[str, JsonValue] | None = None
) -> dict[str, JsonValue]:
    """`{"targets": {GROUP: {"deploymentId", "revisionId", "rollout": {...} | null}}}`, and
    with `waves` (`rollout_status` of each Rollout, by name) `"rollouts"` as /status has it."""
    targets: dict[str, JsonValue] = {}
    for group, view in sorted(views.items()):
        targets[group] = {
            "deploymentId": view.deployment_id if view else None,
            "revisionId": view.revision_id if view else None,
            "rollout": view.to_json() if view else None,
        }
    document: dict[str, JsonValue] = {"targets": targets}
    if waves is not None:
        document["rollouts"] = dict(waves)
    return document


def render_rollouts_json(
    views: Mapping[str, RolloutView | None], waves: Mapping[str, JsonValue] | None = None
) -> str:
    return json.dumps(rollouts_document(views, waves), indent=2, sort_keys=True) + "\n"


def render_waves_table(waves: Mapping[str, Mapping[str, JsonValue] | None]) -> str:
    """One row per Rollout: phase, current wave, why; a halted one's failing devices below."""
    rows = [["ROLLOUT", "PHASE", "WAVE", "REASON"]]
    notes: dict[str, str] = {}
    for name, status in sorted(waves.items()):
        if status is None:
            rows.append([name, "-", "-", "no change recorded yet"])
            continue
        rows.append(
            [
                name,
                str(status.get("phase") or "-"),
                str(status.get("currentWave") or "-"),
                str(status.get("reason") or "-"),
            ]
        )
        failing = status.get("failingDevices")
        if isinstance(failing, list) and failing:
            notes[name] = "  failing devices: " + ", ".join(str(d) for d in failing)
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)]
        lines.append("  ".join([*cells, row[3]]).rstrip())
        if row[0] in notes:
            lines.append(notes[row[0]])
    return "\n".join(lines) + "\n"


def render_rollouts_table(views: Mapping[str, RolloutView | None]) -> str:
    """One row per group: revision, state, succeeded/failed/pending/total, top error code."""
    rows = [list(_COLUMNS)]
    for group, view in sorted(views.items()):
        if view is None:
            rows.append([group, "-", "no deployment", "-", "-", "-", "-", "-"])
            continue
        counts = view.devices
        state = view.state.value + ("" if view.following or view.state.terminal else " (timed out)")
        rows.append(
            [
                group,
                view.revision_id or "?",
                state,
                str(counts.succeeded),
                str(counts.failures),
                str(counts.pending),
                str(counts.targeted),
                top_error(view.failing) or "-",
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join(lines) + "\n"
