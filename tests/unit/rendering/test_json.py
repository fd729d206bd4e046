"""The plan as JSON: a stable, versioned document for tools (docs/plan-json.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from reconciler.core.plan import TargetAction
from reconciler.core.rendering import render_json
from reconciler.core.rendering.json_report import SCHEMA_VERSION
from tests.unit.planning.cases import plan_case
from tests.unit.rendering.plans import mixed_plan, unchanged_plan

DOC = Path(__file__).resolve().parents[3] / "docs" / "plan-json.md"


def keys_of(value: Any, prefix: str = "") -> set[str]:
    """Every key of `value` as a dotted path, `[]` standing for any list item."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            found.add(path)
            # Configuration documents and tags are free-form: their keys are data, not schema.
            if key not in ("merge", "effectiveConfiguration", "before", "after", "dimensions"):
                found |= keys_of(item, path)
    elif isinstance(value, list):
        for item in value:
            found |= keys_of(item, f"{prefix}[]")
    return found


def test_schema_version_and_stable_sorted_output() -> None:
    text = render_json(mixed_plan())
    document = json.loads(text)
    assert document["schemaVersion"] == SCHEMA_VERSION == 1
    assert text == json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert render_json(mixed_plan()) == text  # the same plan, the same bytes


def test_summary_counts_agree_with_the_targets() -> None:
    plan = mixed_plan()
    document = json.loads(render_json(plan))
    actions = [t["action"] for t in document["targets"]]
    for action in TargetAction:
        assert document["summary"][action.value] == actions.count(action.value)
    assert document["summary"]["componentVersionsToCreate"] == 1
    assert document["summary"]["artifactsToUpload"] == 1
    assert document["hasChanges"] is True
    assert json.loads(render_json(unchanged_plan()))["hasChanges"] is False


def test_the_raw_requests_and_tokens_are_never_serialised() -> None:
    # The requests hold unredacted configuration; tools get the redacted preview only.
    text = render_json(plan_case("secret-paths"))
    assert "request" not in keys_of(json.loads(text))
    assert "clientToken" not in text and "client_token" not in text


def test_non_ascii_is_kept_readable() -> None:
    plan = plan_case("nested-and-list")
    assert "\\u" not in render_json(plan)


def test_every_field_is_documented() -> None:
    documented = set(re.findall(r"^\| `([^`]+)` \|", DOC.read_text(encoding="utf-8"), re.M))
    rendered: set[str] = set()
    for plan in (
        mixed_plan(),
        plan_case("override-range-aware"),
        plan_case("deployment-fields"),
        plan_case("prune-candidate"),
        plan_case("targets-and-subdeployments"),
        plan_case("rollout-waves"),
    ):
        rendered |= keys_of(json.loads(render_json(plan)))
    assert rendered - documented == set(), "fields missing from docs/plan-json.md"
    assert documented - rendered == set(), "docs/plan-json.md documents fields that do not exist"


def test_the_documented_example_is_the_golden_plan() -> None:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"<!-- example: (\S+) -->\n```json\n(.*?)```", text, re.S)
    assert match is not None
    golden = DOC.parents[1] / match.group(1)
    assert match.group(2) == golden.read_text(encoding="utf-8")
