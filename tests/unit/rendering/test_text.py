"""The plan for a terminal: summary first, what each group gets, colour only when asked."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from reconciler.core.plan import FieldChange, PruneMode, TargetAction
from reconciler.core.rendering import render_text
from reconciler.core.rendering.changes import MAX_VALUE_CHARS, Sign, field_entries
from tests.unit.planning.cases import plan_case
from tests.unit.rendering.plans import mixed_plan, unchanged_plan

ANSI = re.compile(r"\033\[[0-9;]*m")


def test_without_colour_there_is_no_escape_sequence() -> None:
    text = render_text(mixed_plan(), color=False)
    assert "\033" not in text
    assert text.startswith(
        "Plan: thing groups 1 to create, 2 to update, 1 unchanged, 1 to prune; "
        "1 component version to create, 1 artifact to upload.\n"
    )


def test_with_colour_every_line_is_painted_and_the_words_are_the_same() -> None:
    plain = render_text(mixed_plan(), color=False)
    painted = render_text(mixed_plan(), color=True)
    assert ANSI.sub("", painted) == plain
    assert painted.startswith("\033[1mPlan:")  # the summary in bold
    for line in painted.splitlines():
        if line.strip() and not line.endswith(":"):  # headings like "Thing groups:" stay plain
            assert line.startswith("\033[") and line.endswith("\033[0m"), line
    assert "\033[32m    + com.example.Fresh 1.0.0\033[0m\n" in painted  # additions: green
    assert "\033[31m  - OldGroup (prune)" in painted  # removals in red


def test_unchanged_groups_are_listed_only_when_asked() -> None:
    assert "Quiet00002" not in render_text(mixed_plan())
    assert "  ~ Quiet00002 (no-op)  [groups/quiet00002.yaml]" in render_text(
        mixed_plan(), show_unchanged=True
    )


def test_an_unchanged_plan_says_so_in_one_line() -> None:
    assert render_text(unchanged_plan()) == "No changes. The live deployments match the specs.\n"


def test_versions_to_create_come_before_the_groups() -> None:
    text = render_text(mixed_plan())
    assert text.index("Component versions to create:") < text.index("Thing groups:")
    assert "    + com.example.Fresh 1.0.0 (custom recipe, 1 artifact)" in text


def test_configuration_changes_are_listed_by_pointer() -> None:
    text = render_text(plan_case("configuration-keys"))
    assert "    ~ aws.greengrass.DLRImageClassification 2.1.10\n" in text
    assert '        + /ImageDirectory: "/images/"\n' in text
    assert "        ~ /InferenceInterval: 15 → 30\n" in text
    # Values the specs stopped setting may have been secret under a secretPaths entry that went
    # with them: the plan says they go, never what they were.
    assert '        - /UseCamera (was "<redacted>")\n' in text
    assert '        ↺ /Accelerator: "<redacted>" → "cpu"\n' in text
    assert '"true"' not in text and '"gpu"' not in text


def test_a_version_change_shows_both_versions() -> None:
    text = render_text(plan_case("version-bump"))
    assert "    ~ aws.greengrass.DLRImageClassification: 2.1.9 → 2.1.10\n" in text
    assert "        ↺ /InferenceInterval: 60 → 3600\n" in text


def test_resets_the_change_list_does_not_explain_are_shown() -> None:
    # Carried from an earlier revision: nothing changes on an up-to-date device, but the
    # revision still sends it, and a reviewer should see what is sent.
    assert "        ↺ reset /UseCamera\n" in render_text(plan_case("carried-reset"))
    assert '        ↺ reset "" (the whole configuration)\n' in render_text(
        plan_case("replace-policy")
    )
    assert "        ↺ reset /ImageDirectory\n" in render_text(plan_case("deployment-fields"))


def test_policy_changes_show_the_member_that_differs() -> None:
    # Printed whole, both policy documents would be cut before the one value that differs.
    text = render_text(plan_case("console-drift"))
    assert '    ~ deploymentPolicies/failureHandlingPolicy: "DO_NOTHING" → "ROLLBACK"\n' in text
    assert "componentUpdatePolicy" not in text
    assert "    ! the live revision was changed outside Git (drift)\n" in text


def test_field_entries_of_objects_added_removed_and_replaced() -> None:
    added = list(field_entries(FieldChange("iotJobConfiguration", None, {"a": {"b": 1}})))
    assert [(e.sign, e.label, e.before, e.after) for e in added] == [
        (Sign.ADD, "iotJobConfiguration/a", None, '{"b":1}')
    ]
    tags = list(field_entries(FieldChange("tags", {"env": "dev", "x": "1"}, {"env": "prod"})))
    assert [(e.sign, e.label, e.before, e.after) for e in tags] == [
        (Sign.CHANGE, "tags/env", '"dev"', '"prod"'),
        (Sign.REMOVE, "tags/x", '"1"', None),
    ]
    renamed = list(field_entries(FieldChange("deploymentName", "a", "b")))
    assert [(e.sign, e.label, e.before, e.after) for e in renamed] == [
        (Sign.CHANGE, "deploymentName", '"a"', '"b"')
    ]


def test_a_prune_names_the_deployment_it_would_cancel() -> None:
    text = render_text(plan_case("prune-candidate"))
    assert (
        "  - CameraOld (prune)\n    - deployment d-old (revision 6) — not pruned: the Settings' "
        "defaults.syncPolicy.prune is off\n"
    ) in text
    assert "CameraManual" not in text and "CameraRetired" not in text


def test_huge_values_are_shortened() -> None:
    text = render_text(mixed_plan())
    for line in text.splitlines():
        for value in re.findall(r'"[^"]*…', line):
            assert len(value) <= MAX_VALUE_CHARS
    long_plan = plan_case("nested-and-list")
    lines = render_text(long_plan).splitlines()
    resources = next(line for line in lines if line.strip().startswith("~ /accessControl"))
    assert '["acme/vision/results","acme/vision/heartbeat"]' in resources


def test_an_unchanged_group_with_a_warning_is_shown_with_it() -> None:
    text = render_text(plan_case("cancelled-and-failed"))
    assert (
        "  ~ CameraB (no-op)  [groups/camera-B.yaml]\n"
        "    ! the latest revision 5 FAILED on devices" in text
    )
    assert "CameraB" not in render_text(plan_case("no-op"))


@pytest.mark.parametrize(
    ("mode", "uninstall_revision", "note"),
    [
        (PruneMode.CANCEL, False, "cancel: devices keep running its components (1 device)"),
        (PruneMode.UNINSTALL, False, "uninstall: deploy an empty revision, then cancel (1 device)"),
        (
            PruneMode.UNINSTALL,
            True,
            "uninstall: its empty revision is rolling out, cancelled once it ended (1 device)",
        ),
    ],
)
def test_a_prune_says_what_it_does_and_to_how_many_devices(
    mode: PruneMode, uninstall_revision: bool, note: str
) -> None:
    plan = plan_case("prune-candidate")
    targets = tuple(
        replace(t, prune_mode=mode, uninstall_revision=uninstall_revision, devices=1)
        if t.action is TargetAction.PRUNE
        else t
        for t in plan.targets
    )
    text = render_text(replace(plan, targets=targets))
    assert f"    - deployment d-old (revision 6) — {note}\n" in text
