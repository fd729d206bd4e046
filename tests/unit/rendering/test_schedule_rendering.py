"""The wave schedule in the text, JSON and Markdown plans: every wave, its groups, gate and
devices; the comment within GitHub's limit however many groups; strings from the specs escaped."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from markdown_it.token import Token

from reconciler.core.metric_checks import Comparison, MetricCheck
from reconciler.core.plan import Plan, TargetAction, TargetPlan
from reconciler.core.planning import with_device_counts
from reconciler.core.planning.schedule import rollout_schedules
from reconciler.core.rendering import MAX_COMMENT_CHARS, render_json, render_markdown, render_text
from reconciler.core.waves import Canary, Gate, OnFailure, Rollout, Wave
from tests.unit.rendering.hostile import hostile_strings
from tests.unit.rendering.test_hostile_strings import CONTROL, MENTION, PARSER
from tests.unit.rendering.test_markdown import details_balanced, fences_balanced
from tests.unit.test_metric_checks import ERRORS


def flatten(tokens: list[Token]) -> list[Token]:
    return [t for token in tokens for t in (token, *flatten(token.children or []))]


def cameras(prod: str = "CameraFleetProd", metric: MetricCheck = ERRORS) -> Rollout:
    return Rollout(
        name="camera-models",
        waves=(
            Wave(
                "canary",
                canary=Canary(parent=prod, group="CameraFleetCanary"),
                gate=Gate(min_devices=3, success_ratio=1.0, bake_seconds=600),
            ),
            Wave(
                "staging",
                targets=("CameraFleetStaging",),
                gate=Gate(success_ratio=0.98, bake_seconds=1800, metrics=(metric,)),
            ),
            Wave("production", targets=(prod,), gate=Gate(max_failed_devices=0)),
        ),
        on_failure=OnFailure.REVERT,
    )


def planned(rollouts: list[Rollout], changed: list[str], counts: dict[str, int]) -> Plan:
    targets = tuple(
        TargetPlan(thing_group=g, target_arn=f"arn:tg/{g}", action=TargetAction.UPDATE)
        for g in changed
    )
    plan = Plan(targets=targets, schedules=rollout_schedules(rollouts, targets))
    return with_device_counts(plan, counts)


COUNTS = {"CameraFleetCanary": 5, "CameraFleetStaging": 3, "CameraFleetProd": 20}


def test_the_text_plan_lists_the_three_waves_with_gates_and_devices() -> None:
    text = render_text(planned([cameras()], ["CameraFleetProd"], COUNTS))
    tail = text[text.index("Rollouts") :].splitlines()
    assert tail == [
        "Rollouts (the waves this change goes through):",
        "  Rollout camera-models: the change goes in 3 waves, each after the previous one's "
        "gate passed; on failure: revert",
        "    1. canary: CameraFleetCanary ← CameraFleetProd (subdeployment) — 5 devices",
        "         gate: at least 3 devices, success ratio 1, bake 10m",
        "    2. staging: CameraFleetStaging (no change) — 3 devices",
        "         gate: success ratio 0.98, bake 30m, metric Acme/Camera "
        "InferenceErrors{ThingGroup=CameraFleetStaging} Sum/5m fails when > 5 "
        "(1 datapoint in 30m)",
        "    3. production: CameraFleetProd — 20 devices",
        "         gate: success ratio 1, at most 0 failed",
    ]


def test_a_plan_outside_every_rollout_shows_no_schedule() -> None:
    plan = planned([cameras()], ["Elsewhere"], {})
    assert "Rollout" not in render_text(plan)
    assert "Rollout" not in render_markdown(plan)
    assert json.loads(render_json(plan))["rollouts"] == []


def test_the_json_plan_carries_the_schedule() -> None:
    document = json.loads(render_json(planned([cameras()], ["CameraFleetProd"], COUNTS)))
    (rollout,) = document["rollouts"]
    assert rollout["rollout"] == "camera-models" and rollout["onFailure"] == "revert"
    assert [(w["name"], w["devices"], w["canary"]) for w in rollout["waves"]] == [
        ("canary", 5, True),
        ("staging", 3, False),
        ("production", 20, False),
    ]
    canary_group = rollout["waves"][0]["groups"][0]
    assert canary_group == {
        "thingGroup": "CameraFleetCanary",
        "parentThingGroup": "CameraFleetProd",
        "changes": True,
        "devices": 5,
    }
    (metric,) = rollout["waves"][1]["gate"]["metrics"]
    assert metric["dimensions"] == {"ThingGroup": "CameraFleetStaging"}
    assert (metric["comparison"], metric["threshold"], metric["overSeconds"]) == (
        "GreaterThanThreshold",
        5.0,
        1800,
    )


def test_the_comment_shows_each_wave_as_a_table_row() -> None:
    text = render_markdown(planned([cameras()], ["CameraFleetProd"], COUNTS))
    assert "**Rollout `camera-models`**: the change goes in 3 waves" in text
    rows = [line for line in text.splitlines() if re.match(r"\| \d\. `", line)]
    assert rows[0] == (
        "| 1. `canary` | `CameraFleetCanary` ← `CameraFleetProd` (subdeployment) | 5 "
        "| at least 3 devices, success ratio 1, bake 10m |"
    )
    assert rows[1].startswith("| 2. `staging` | `CameraFleetStaging` *(no change)* | 3 |")
    assert "fails when \\> 5" in rows[1]
    assert (
        rows[2]
        == "| 3. `production` | `CameraFleetProd` | 20 | success ratio 1, at most 0 failed |"
    )


def test_many_rollouts_of_many_groups_stay_within_the_comment_limit() -> None:
    rollouts = [
        Rollout(
            name=f"fleet-{r}",
            waves=tuple(
                Wave(f"wave-{w}", targets=tuple(f"G{r:03d}-{w:02d}-{g:03d}" for g in range(300)))
                for w in range(20)
            ),
        )
        for r in range(40)
    ]
    changed = [f"G{r:03d}-00-000" for r in range(40)]
    text = render_markdown(planned(rollouts, changed, {}))
    assert len(text) <= MAX_COMMENT_CHARS
    assert fences_balanced(text) and details_balanced(text)
    assert "**Rollout `fleet-0`**" in text
    assert "*… 290 more*" in text  # a wave names ten of its 300 groups
    assert re.search(r"\*… \d+ more lines of the rollout schedule\*", text)
    # The changed groups' own sections still get their share of the room.
    assert "<summary><b><code>G000-00-000</code>" in text


@settings(max_examples=60, deadline=None)
@given(hostile_strings())
def test_strings_from_the_specs_cannot_leave_their_cells(h: str) -> None:
    metric = MetricCheck(
        namespace=f"Ns{h}",
        metric_name=f"M{h}",
        statistic="Sum",
        period_seconds=60,
        threshold=1.0,
        comparison=Comparison.LESS_THAN,
        over_seconds=600,
        dimensions=((f"D{h}", f"V{h}"),),
    )
    rollout = cameras(prod=f"Prod{h}", metric=metric)
    plan = planned([replace_name(rollout, f"r{h}")], [f"Prod{h}"], {})
    text = render_markdown(plan)
    flat = flatten(PARSER.parse(text))
    assert not {t.type for t in flat} & {"image", "link_open", "html_inline"}
    for token in flat:
        if token.type == "text":
            assert not MENTION.search(token.content), token.content
    assert not CONTROL.search(text)
    # The schedule's table: a header and three waves, four cells each.
    tables = [i for i, t in enumerate(flat) if t.type == "table_open"]
    assert len(tables) == 2  # the summary table, then the schedule
    rows = [t for t in flat[tables[1] :] if t.type == "tr_open"]
    cells = [t for t in flat[tables[1] :] if t.type in ("td_open", "th_open")]
    assert (len(rows), len(cells)) == (4, 16)
    lines = render_text(plan).splitlines()
    assert len(lines) == len(
        render_text(planned([cameras()], ["CameraFleetProd"], {})).splitlines()
    )


def replace_name(rollout: Rollout, name: str) -> Rollout:
    return Rollout(name=name, waves=rollout.waves, on_failure=rollout.on_failure)
