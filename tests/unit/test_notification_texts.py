"""What notifications say: drift diffs, chat text, Git feedback descriptions, kind settings."""

from __future__ import annotations

import pytest

from reconciler.adapters.notifiers.github_feedback import feedback_for, top_errors
from reconciler.adapters.notifiers.payloads import chat_text, event_document
from reconciler.core.configuration.model import ConfigurationChange
from reconciler.core.drift import drift_details
from reconciler.core.events import Event, EventKind
from reconciler.core.plan import (
    ComponentAction,
    ComponentPlan,
    FieldChange,
    TargetAction,
    TargetPlan,
)
from reconciler.settings import event_kinds


def _drifted(secret_paths: tuple[str, ...]) -> TargetPlan:
    component = ComponentPlan(
        name="com.acme.Uploader",
        action=ComponentAction.CHANGE,
        live_version="1.0.0",
        desired_version="1.0.0",
        configuration_change=ConfigurationChange(
            changed=("/Interval", "/Credentials/Token", "/Credentials/Nested/Key")
        ),
        effective_configuration={"Interval": 5, "Credentials": "<redacted>"},
        live_effective_configuration={"Interval": 1, "Credentials": "<redacted>"},
        secret_paths=secret_paths,
    )
    return TargetPlan(
        thing_group="G",
        target_arn="arn:aws:iot:us-east-1:123456789012:thinggroup/G",
        action=TargetAction.UPDATE,
        live_deployment_id="d-2",
        live_revision_id="7",
        drift=True,
        components=(component,),
        field_changes=(FieldChange("deploymentName", "console", "g"),),
    )


def test_drift_details_name_a_secret_change_by_its_secret_path_only() -> None:
    details = drift_details(_drifted(("/credentials",)))  # matched ignoring case
    [component] = details["components"]  # type: ignore[misc]
    assert component["configuration"] == [
        {
            "pointer": "/credentials",
            "change": "changed",
            "live": "<redacted>",
            "desired": "<redacted>",
        },
        {"pointer": "/Interval", "change": "changed", "live": 1, "desired": 5},
    ]
    assert "Token" not in repr(details) and "Nested" not in repr(details)
    assert details["fields"] == [{"field": "deploymentName", "live": "console", "desired": "g"}]
    assert details["liveRevisionId"] == "7"


def _rollout(kind: EventKind, **devices: int) -> Event:
    failing = [
        {"device": "d1", "status": "FAILED", "errorTypes": ["A", "B"], "reason": "x"},
        {"device": "d2", "status": "FAILED", "errorTypes": ["B"], "reason": "y"},
        {"device": "d3", "status": "TIMED_OUT", "errorTypes": [], "reason": ""},
    ]
    return Event(
        kind=kind,
        summary="G: rollout",
        thing_group="G",
        revision_id="4",
        details={"state": "Degraded", "devices": dict(devices), "failing": failing},  # type: ignore[dict-item]
    )


def test_top_errors_count_codes_and_codeless_statuses() -> None:
    assert top_errors(dict(_rollout(EventKind.ROLLOUT_FAILED).details)) == ["B", "A", "TIMED_OUT"]


@pytest.mark.parametrize(
    ("kind", "devices", "expected"),
    [
        (
            EventKind.ROLLOUT_PROGRESSED,
            {"succeeded": 37, "total": 120},
            ("pending", "in_progress", "rolling out: 37/120 devices"),
        ),
        (
            EventKind.ROLLOUT_PROGRESSED,
            {"succeeded": 37, "failed": 1, "timedOut": 2, "total": 120},
            ("pending", "in_progress", "rolling out: 37/120 devices, 3 failed"),
        ),
        (
            EventKind.ROLLOUT_SUCCEEDED,
            {"succeeded": 118, "failed": 2, "total": 120},
            ("success", "success", "rolled out: 118/120 devices (2 failed, under the threshold)"),
        ),
        (
            EventKind.ROLLOUT_FAILED,
            {"succeeded": 100, "failed": 20, "total": 120},
            ("failure", "failure", "rollout failed: 20/120 devices failed (B, A, TIMED_OUT)"),
        ),
    ],
)
def test_git_feedback_descriptions(
    kind: EventKind, devices: dict[str, int], expected: tuple[str, str, str]
) -> None:
    feedback = feedback_for(_rollout(kind, **devices))
    assert (feedback.status_state, feedback.deployment_state, feedback.description) == expected
    assert feedback.row.thing_group == "G" and feedback.row.revision_id == "4"


def test_feedback_refuses_kinds_it_does_not_show() -> None:
    with pytest.raises(ValueError, match="cycleFailed"):
        feedback_for(Event(EventKind.CYCLE_FAILED, "boom"))


def test_the_chat_text_and_the_document_of_a_cycle_failure() -> None:
    event = Event(
        EventKind.CYCLE_FAILED, "commit 0123: planning failed for G: <bad>", commit="0123"
    )
    assert chat_text(event) == (
        ":rotating_light: *cycleFailed* commit 0123: planning failed for G: &lt;bad&gt;\n"
        "commit `0123`"
    )
    document = event_document(event, "id")
    assert document["thingGroup"] is None and document["details"] == {}


def test_event_kind_settings() -> None:
    assert event_kinds("all") == frozenset(EventKind)
    assert event_kinds("") == frozenset()
    assert event_kinds(" applied , cycleFailed") == {EventKind.APPLIED, EventKind.CYCLE_FAILED}
    with pytest.raises(ValueError, match="unknown event kind"):
        event_kinds("applied,rolloutDone")


def test_every_kind_has_a_chat_text_and_a_halted_rollout_names_its_failing_devices() -> None:
    for kind in EventKind:
        assert chat_text(Event(kind=kind, summary="s"))
    halted = Event(
        kind=EventKind.ROLLOUT_HALTED,
        summary="rollout camera-models halted: wave canary failed its gate",
        details={
            "rollout": "camera-models",
            "failing": [{"device": "prod-01", "status": "FAILED", "errorTypes": []}],
        },
    )
    text = chat_text(halted)
    assert "rolloutHalted" in text and "prod-01" in text
