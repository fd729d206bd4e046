"""What a sink sends: the JSON document of an event, and the line a chat shows for it.

The JSON shape is a published contract (docs/notifications.md): fields are only ever added.
"""

from __future__ import annotations

from typing import Any

from reconciler.core.configuration import JsonValue
from reconciler.core.events import Event, EventKind

SCHEMA_VERSION = 1
PRODUCER = "greengrass-reconciler"

_CHAT_MARKS = {
    EventKind.APPLIED: ":rocket:",
    EventKind.ROLLOUT_PROGRESSED: ":hourglass_flowing_sand:",
    EventKind.ROLLOUT_SUCCEEDED: ":white_check_mark:",
    EventKind.ROLLOUT_FAILED: ":x:",
    EventKind.DRIFT_DETECTED: ":warning:",
    EventKind.CYCLE_FAILED: ":rotating_light:",
    EventKind.HALTED: ":octagonal_sign:",
    EventKind.ROLLOUT_HALTED: ":no_entry:",
}
_CHAT_FAILING_SHOWN = 5


def event_document(event: Event, delivery_id: str) -> dict[str, JsonValue]:
    """The JSON document of `event`; `delivery_id` is the same for every attempt and every
    sink of one event, so receivers can drop duplicates."""
    return {
        "schemaVersion": SCHEMA_VERSION,
        "producer": PRODUCER,
        "id": delivery_id,
        "kind": event.kind.value,
        "summary": event.summary,
        "thingGroup": event.thing_group,
        "commit": event.commit,
        "deploymentId": event.deployment_id,
        "revisionId": event.revision_id,
        "occurredAt": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "details": dict(event.details),
    }


def _escaped(text: str) -> str:
    """`text` safe inside a Slack message: &, < and > are its control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _failing_lines(details: Any) -> list[str]:
    failing = details.get("failing") if isinstance(details, dict) else None
    if not isinstance(failing, list):
        return []
    lines = []
    for entry in failing[:_CHAT_FAILING_SHOWN]:
        if not isinstance(entry, dict):
            continue
        errors = entry.get("errorTypes") or []
        codes = ", ".join(str(code) for code in errors) if isinstance(errors, list) else ""
        reason = str(entry.get("reason") or "")
        line = f"• `{entry.get('device')}` {entry.get('status') or ''} {codes} {reason}"
        lines.append(_escaped(" ".join(line.split())))
    if len(failing) > _CHAT_FAILING_SHOWN:
        lines.append(f"• and {len(failing) - _CHAT_FAILING_SHOWN} more")
    return lines


def chat_text(event: Event) -> str:
    """The message a chat shows: a mark, the summary, then the facts a reader acts on."""
    lines = [f"{_CHAT_MARKS[event.kind]} *{event.kind.value}* {_escaped(event.summary)}"]
    facts = [
        f"{name} `{_escaped(value)}`"
        for name, value in (
            ("group", event.thing_group),
            ("commit", event.commit[:12] if event.commit else None),
            ("deployment", event.deployment_id),
            ("revision", event.revision_id),
        )
        if value
    ]
    if facts:
        lines.append(" · ".join(facts))
    lines.extend(_failing_lines(dict(event.details)))
    return "\n".join(lines)


def chat_message(event: Event) -> dict[str, JsonValue]:
    """The body of a Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat...):
    only `text`, the one field all of them read."""
    return {"text": chat_text(event)}
