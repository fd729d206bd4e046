"""What drifted: the field diff between a group's live revision and its specs, fit to publish.

A `driftDetected` event carries it (chat, webhooks, SNS, EventBridge), so it may only hold what
a plan may print: the configuration values come from the plan's documents, which planning has
already redacted under the component's `secretPaths` (`core.configuration.redaction`), and a
changed place at or below a secret path is named by the secret path alone, since the names of
keys below it may be secret too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.core.configuration import REDACTED, JsonValue
from reconciler.core.configuration.pointers import find, is_within, parse_pointer
from reconciler.core.plan import ComponentAction, ComponentPlan, TargetPlan

_CHANGE_KINDS = ("added", "changed", "removed", "reset_to_default")


def _covering_secret(pointer: str, secret_paths: tuple[str, ...]) -> str | None:
    """The secret path at or above `pointer`, if any (compared ignoring case: erring on the
    side of hiding)."""
    path = tuple(key.casefold() for key in parse_pointer(pointer))
    for secret in secret_paths:
        if is_within(path, tuple(key.casefold() for key in parse_pointer(secret))):
            return secret
    return None


def _value_at(document: Mapping[str, Any] | None, pointer: str) -> JsonValue:
    if document is None:
        return None
    found, value = find(dict(document), parse_pointer(pointer))
    return value if found else None


def _configuration_changes(component: ComponentPlan) -> list[JsonValue]:
    change = component.configuration_change
    entries: list[JsonValue] = []
    seen: set[str] = set()
    for kind in _CHANGE_KINDS:
        for pointer in getattr(change, kind):
            secret = _covering_secret(pointer, component.secret_paths)
            shown = secret if secret is not None else pointer
            if shown in seen:
                continue
            seen.add(shown)
            if secret is not None:
                before: JsonValue = REDACTED
                after: JsonValue = REDACTED
            else:
                before = _value_at(component.live_effective_configuration, pointer)
                after = _value_at(component.effective_configuration, pointer)
            entries.append(
                {
                    "pointer": shown,
                    "change": "resetToDefault" if kind == "reset_to_default" else kind,
                    "live": before,
                    "desired": after,
                }
            )
    return entries


def drift_details(target: TargetPlan) -> dict[str, JsonValue]:
    """The diff of a drifted target: components (versions, configuration values by JSON
    pointer) and deployment fields, live against desired. Complete only for a target planned
    in full (not `compact`); a compact one lists what changed without the values."""
    components: list[JsonValue] = []
    for component in target.components:
        if component.action is ComponentAction.UNCHANGED:
            continue
        components.append(
            {
                "name": component.name,
                "action": component.action.value,
                "liveVersion": component.live_version,
                "desiredVersion": component.desired_version,
                "configuration": _configuration_changes(component),
                "runWithChanged": component.run_with_changed,
            }
        )
    fields: list[JsonValue] = [
        {"field": change.field, "live": change.before, "desired": change.after}
        for change in target.field_changes
    ]
    return {
        "liveDeploymentId": target.live_deployment_id,
        "liveRevisionId": target.live_revision_id,
        "madeByReconciler": target.live_managed,
        "components": components,
        "fields": fields,
    }
