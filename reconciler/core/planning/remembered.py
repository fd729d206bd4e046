"""The no-op plans a new process may take from an earlier one: what is kept, and its checks.

A fresh `reconciler plan` at 10,000 thing groups spends most of its time planning groups whose
live revision is already what the specs ask for: each group's configuration previews (defaults,
merge, reset, diff) only to find nothing to do. A target's plan is a pure function of the
inputs its memo key digests (`plan_deployments`: the spec's fingerprint, the live revision's
id and status class and tags, the repository's component versions, the instance), of the
recipes it reads, and of the code that plans. With the last two added (`plan_context`), a key
names one result for good, so a plan computed once can be kept on disk like a fact.

Only no-op plans are kept, compact (`TargetPlan.compact()`): a plan people read prints nothing
of an unchanged group but its heading and warnings (text, Markdown), so the compact plan renders
the same bytes; a group that changes is planned in full every time. A record that does not have
exactly the shape written here is refused (None), so a damaged one is a miss, never a plan.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from reconciler.core.live import LiveState
from reconciler.core.plan import ComponentAction, ComponentPlan, TargetAction, TargetPlan

RECORD_FORMAT = 1
"""Bumped whenever a record's fields change: older records then fail `plan_of_record`."""


def plan_context(code_digest: str, live: LiveState) -> bytes:
    """What every kept plan also depends on, beyond its memo key: the code that plans
    (`code_digest`, computed by the caller from the installed sources) and the recipes of the
    account's own component versions, which can be deleted and created again under the same
    ARN with other defaults (a public version's recipe never changes for its ARN)."""
    private = sorted(
        (name, version, json.dumps(record.recipe, sort_keys=True, separators=(",", ":")))
        for (name, version), record in live.recipes.items()
        if not record.public
    )
    text = json.dumps([RECORD_FORMAT, code_digest, private], separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def kept_key(context: bytes, memo_key: bytes) -> str:
    """The key a plan is kept under: its memo key within `plan_context`."""
    return hashlib.blake2b(context + memo_key, digest_size=16).hexdigest()


def is_keepable(target: TargetPlan) -> bool:
    """Whether `target` is a plan worth keeping: a no-op whose compact form renders as it does
    (no field or component changes, which a no-op cannot have; nothing only later steps add)."""
    return (
        target.action is TargetAction.NOOP
        and not target.drift
        and not target.canceled_outside_git
        and not target.field_changes
        and target.prune_mode is None
        and target.devices is None
        and all(c.action is ComponentAction.UNCHANGED for c in target.components)
    )


def record_of(target: TargetPlan) -> dict[str, Any]:
    """The JSON record of a keepable target (`is_keepable`), compact."""
    return {
        "format": RECORD_FORMAT,
        "thing_group": target.thing_group,
        "target_arn": target.target_arn,
        "spec_name": target.spec_name,
        "spec_file": target.spec_file,
        "live_deployment_id": target.live_deployment_id,
        "live_revision_id": target.live_revision_id,
        "live_managed": target.live_managed,
        "components": [
            [
                c.name,
                c.live_version,
                c.desired_version,
                list(c.reset),
                _plain(c.run_with_before),
                _plain(c.run_with_after),
                list(c.secret_paths),
            ]
            for c in target.components
        ],
        "content_hash": target.content_hash,
        "client_token": target.client_token,
        "warnings": list(target.warnings),
        "desired_digest": target.desired_digest.hex() if target.desired_digest else None,
        "resets_sent": target.resets_sent,
        "parent_thing_group": target.parent_thing_group,
    }


def plan_of_record(record: object) -> TargetPlan | None:
    """The compact no-op plan `record` holds, or None when it is not a record `record_of`
    writes (another format, a missing or mistyped field)."""
    if not isinstance(record, dict) or record.get("format") != RECORD_FORMAT:
        return None
    try:
        components = tuple(_component(entry) for entry in _list(record["components"]))
        digest = record["desired_digest"]
        target = TargetPlan(
            thing_group=_text(record["thing_group"]),
            target_arn=_text(record["target_arn"]),
            action=TargetAction.NOOP,
            spec_name=_optional_text(record["spec_name"]),
            spec_file=_optional_text(record["spec_file"]),
            live_deployment_id=_optional_text(record["live_deployment_id"]),
            live_revision_id=_optional_text(record["live_revision_id"]),
            live_managed=_flag(record["live_managed"]),
            components=components,
            content_hash=_optional_text(record["content_hash"]),
            client_token=_optional_text(record["client_token"]),
            warnings=_texts(record["warnings"]),
            desired_digest=bytes.fromhex(_text(digest)) if digest is not None else None,
            resets_sent=_text(record["resets_sent"]),
            parent_thing_group=_optional_text(record["parent_thing_group"]),
        )
    except (KeyError, TypeError, ValueError):
        return None
    return target


def _component(entry: object) -> ComponentPlan:
    if not isinstance(entry, list) or len(entry) != 7:
        raise ValueError("not a component record")
    name, live_version, desired_version, reset, before, after, secret_paths = entry
    return ComponentPlan(
        name=_text(name),
        action=ComponentAction.UNCHANGED,
        live_version=_optional_text(live_version),
        desired_version=_optional_text(desired_version),
        reset=_texts(reset),
        run_with_before=_optional_mapping(before),
        run_with_after=_optional_mapping(after),
        secret_paths=_texts(secret_paths),
    )


def _plain(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return dict(value) if value is not None else None


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def _optional_text(value: object) -> str | None:
    return None if value is None else _text(value)


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError("not a boolean")
    return value


def _list(value: object) -> list[object]:
    if not isinstance(value, list):
        raise TypeError("not a list")
    return value


def _texts(value: object) -> tuple[str, ...]:
    return tuple(_text(item) for item in _list(value))


def _optional_mapping(value: object) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise TypeError("not an object")
    return value
