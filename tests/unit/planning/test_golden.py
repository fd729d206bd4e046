"""Golden cases of the planner: tests/data/plans/<case>/{specs/, live.yaml, expected.*}.

Each case is a small complete deploy-specs tree and the live state of the account. The plan,
rendered with `render_json`, must equal `expected.json`; a case that must fail holds
`expected-error.txt` instead, the lines of the PlanError's message.

After a deliberate change of behaviour, regenerate with `UPDATE_GOLDEN=1` and **read every
changed expected file** before committing it: a golden file claims that this output is right.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.core.rendering import render_json, render_markdown, render_text
from reconciler.errors import PlanError
from tests.unit.planning.cases import CASES, CASES_ROOT, plan_case

UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    for other in ("expected.json", "expected-error.txt"):
        stale = path.with_name(other)
        if stale != path and stale.exists():
            stale.unlink()


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 16


@pytest.mark.parametrize("case", CASES)
def test_golden_case(case: str) -> None:
    root = CASES_ROOT / case
    expected_json, expected_error = root / "expected.json", root / "expected-error.txt"
    if not UPDATE:
        assert expected_json.exists() != expected_error.exists(), (
            f"{case}: give exactly one of expected.json and expected-error.txt"
        )
    try:
        plan = plan_case(case)
    except PlanError as error:
        if UPDATE:
            _write(expected_error, f"{error}\n")
        assert expected_error.exists(), f"{case}: planning failed unexpectedly: {error}"
        assert str(error).splitlines() == expected_error.read_text("utf-8").splitlines()
        return
    rendered = render_json(plan)
    if UPDATE:
        _write(expected_json, rendered)
    assert expected_json.exists(), f"{case}: planning succeeded but an error was expected"
    assert rendered == expected_json.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES)
def test_every_renderer_handles_the_case(case: str) -> None:
    # Not a golden comparison: the renderers must simply cope with every plan a case yields.
    try:
        plan = plan_case(case)
    except PlanError:
        return
    assert render_text(plan).startswith(("Plan:", "No changes."))
    assert render_markdown(plan).startswith("<!-- greengrass-reconciler:plan key=default -->")
