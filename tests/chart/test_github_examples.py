"""The GitHub Actions examples in docs/examples/ parse, call the CLI as it is, and treat the
plan's exit code 2 (changes) as success. The shell steps are run for real with a stand-in
`reconciler` on PATH; nothing reaches the network.
"""

from __future__ import annotations

import os
import re
import shlex
import stat
import subprocess
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from reconciler.cli import main as cli
from tests.chart.conftest import ROOT

EXAMPLES = ROOT / "docs" / "examples"
WORKFLOWS = sorted(EXAMPLES.glob("*.yml"))
ACTION = EXAMPLES / "action" / "action.yml"


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict), f"{path.name} is not a YAML mapping"
    return document


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the bare key `on` as the boolean true.
    found = workflow.get("on", workflow.get(True))
    assert isinstance(found, dict)
    return found


def all_steps() -> list[tuple[str, dict[str, Any]]]:
    steps = [
        (f"{path.name}:{job_name}", step)
        for path in WORKFLOWS
        for job_name, job in load(path)["jobs"].items()
        for step in job["steps"]
    ]
    return steps + [(ACTION.name, step) for step in load(ACTION)["runs"]["steps"]]


def step_named(steps: list[dict[str, Any]], name: str) -> dict[str, Any]:
    (found,) = [step for step in steps if step.get("name") == name]
    return found


def test_the_examples_exist_and_parse() -> None:
    assert {p.name for p in WORKFLOWS} >= {"plan-on-pr.yml", "apply-on-merge.yml"}
    for path in [*WORKFLOWS, ACTION]:
        load(path)


def test_plan_workflow_runs_on_spec_changes_with_least_permissions() -> None:
    workflow = load(EXAMPLES / "plan-on-pr.yml")
    assert triggers(workflow) == {"pull_request": {"paths": ["deploy-specs/**"]}}
    assert workflow["permissions"] == {
        "contents": "read",
        "id-token": "write",
        "pull-requests": "write",
        "statuses": "write",
    }
    steps = workflow["jobs"]["plan"]["steps"]
    uses = [step.get("uses", "").split("@")[0] for step in steps]
    assert uses[:2] == ["actions/checkout", "actions/setup-python"]
    assert steps[1]["with"]["python-version"] == "3.11"
    credentials = next(s for s in steps if "configure-aws-credentials" in s.get("uses", ""))
    assert "PLAN" in credentials["with"]["role-to-assume"]  # the read-only role
    order = [step.get("name", step.get("uses", "")) for step in steps]
    assert order.index("Validate the specs") < order.index(credentials["name"])
    assert order.index("Plan") < order.index("Comment the plan on the pull request")
    assert any("upload-artifact" in step.get("uses", "") for step in steps)
    comment = step_named(steps, "Comment the plan on the pull request")
    assert comment["env"]["GITHUB_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"
    assert comment["env"]["PR_NUMBER"] == "${{ github.event.number }}"


def _cache_step(steps: list[dict[str, Any]]) -> dict[str, Any]:
    (found,) = [s for s in steps if s.get("uses", "").startswith("actions/cache@")]
    return found


def test_pull_requests_plan_what_they_change_and_the_schedule_plans_everything() -> None:
    pull_request = load(EXAMPLES / "plan-on-pr.yml")["jobs"]["plan"]["steps"]
    assert pull_request[0]["with"]["fetch-depth"] == 0  # the base commit is read
    plan = step_named(pull_request, "Plan")
    assert '--changed-since "$BASE_SHA"' in plan["run"]
    assert plan["env"]["BASE_SHA"] == "${{ github.event.pull_request.base.sha }}"

    nightly = load(EXAMPLES / "plan-scheduled.yml")
    assert "schedule" in triggers(nightly)
    steps = nightly["jobs"]["plan"]["steps"]
    full = step_named(steps, "Plan")["run"]
    assert "--changed-since" not in full and "--target" not in full
    assert nightly["permissions"] == {"contents": "read", "id-token": "write"}

    # Pull requests restore the newest fact cache by prefix (an actions/cache entry is immutable:
    # each run saves a new one) before they plan; the nightly plan restores none, reads every
    # fact from AWS and saves a cache under that prefix after planning.
    restore = _cache_step(pull_request)
    assert restore["with"]["path"] == "~/.cache/greengrass-reconciler/facts"
    prefix = restore["with"]["restore-keys"]
    assert restore["with"]["key"].startswith(prefix) and "GREENGRASS_REGION" in prefix
    assert pull_request.index(restore) < pull_request.index(plan)
    assert not [s for s in steps if s.get("uses", "").startswith("actions/cache@")]
    (save,) = [s for s in steps if s.get("uses", "").startswith("actions/cache/save@")]
    assert save["with"]["path"] == restore["with"]["path"]
    assert save["with"]["key"].startswith(prefix)
    assert steps.index(save) > steps.index(step_named(steps, "Plan"))


def test_apply_workflow_waits_for_reviewers_and_never_runs_twice() -> None:
    workflow = load(EXAMPLES / "apply-on-merge.yml")
    assert triggers(workflow)["push"] == {"branches": ["main"], "paths": ["deploy-specs/**"]}
    assert workflow["permissions"] == {"contents": "read", "id-token": "write"}
    assert workflow["concurrency"]["cancel-in-progress"] is False
    job = workflow["jobs"]["apply"]
    assert job["environment"] == "greengrass-production"
    apply_step = step_named(job["steps"], "Apply")
    assert "--auto-approve" in apply_step["run"]


def test_actions_are_pinned_and_run_scripts_hold_no_expressions() -> None:
    for where, step in all_steps():
        if "uses" in step:
            assert re.search(r"@v\d+(\.\d+)*$", step["uses"]), f"{where}: unpinned {step['uses']}"
        # ${{ }} inside a script is a script-injection hole: values go through env instead.
        assert "${{" not in step.get("run", ""), f"{where}: expression inside run: {step}"


def reconciler_calls(script: str) -> list[list[str]]:
    """Each `reconciler ...` command line of a script, as words (continuations joined)."""
    joined = script.replace("\\\n", " ")
    calls = []
    for line in joined.splitlines():
        line = line.strip()
        if line.startswith("reconciler "):
            # Shell variables ("$FILE", "${status[@]}") stand for values, not options.
            calls.append([w for w in shlex.split(line) if not w.startswith("$")])
    return calls


def test_every_reconciler_call_uses_existing_commands_and_options() -> None:
    context = click.Context(cli)
    seen: set[str] = set()
    for where, step in all_steps():
        for words in reconciler_calls(step.get("run", "")):
            command = cli.get_command(context, words[1])
            assert command is not None, f"{where}: no command reconciler {words[1]}"
            known = {opt for param in command.params for opt in getattr(param, "opts", [])}
            used = {word for word in words[2:] if word.startswith("--")}
            assert used <= known, f"{where}: reconciler {words[1]} has no {used - known}"
            seen.add(words[1])
    assert seen == {"validate", "plan", "comment", "apply"}


# ---------------------------------------------------------------------- the steps, executed
@pytest.fixture
def fake_reconciler(tmp_path: Path) -> Path:
    """A `reconciler` that records its arguments and exits with $FAKE_EXIT."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "reconciler"
    script.write_text('#!/bin/sh\necho "$@" >> "$CALLS"\nexit "${FAKE_EXIT:-0}"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return bin_dir


def run_step(
    step: dict[str, Any], bin_dir: Path, tmp_path: Path, exit_code: int, **env: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str], str]:
    output = tmp_path / "github_output"
    output.write_text("")
    calls = tmp_path / "calls"
    calls.write_text("")
    environment = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(output),
        "RUNNER_TEMP": str(tmp_path),
        "CALLS": str(calls),
        "FAKE_EXIT": str(exit_code),
        "HEAD_SHA": "a" * 40,
        "BASE_SHA": "b" * 40,
        "COMMIT": "c" * 40,
        **{name: value for name, value in step.get("env", {}).items() if "${{" not in value},
        **env,
    }
    # GitHub runs `shell: bash` steps as `bash --noprofile --norc -eo pipefail {0}`.
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        env=environment,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return result, outputs, calls.read_text()


PLAN_STEPS = {
    "workflow": lambda: step_named(
        load(EXAMPLES / "plan-on-pr.yml")["jobs"]["plan"]["steps"], "Plan"
    ),
    "nightly": lambda: step_named(
        load(EXAMPLES / "plan-scheduled.yml")["jobs"]["plan"]["steps"], "Plan"
    ),
    "action": lambda: step_named(load(ACTION)["runs"]["steps"], "Plan"),
}


@pytest.mark.parametrize("where", sorted(PLAN_STEPS))
@pytest.mark.parametrize(
    ("exit_code", "succeeds", "changes"), [(0, True, "false"), (2, True, "true"), (1, False, None)]
)
def test_plan_step_treats_exit_2_as_changes_not_failure(
    where: str,
    exit_code: int,
    succeeds: bool,
    changes: str | None,
    fake_reconciler: Path,
    tmp_path: Path,
) -> None:
    step = PLAN_STEPS[where]()
    result, outputs, calls = run_step(
        step,
        fake_reconciler,
        tmp_path,
        exit_code,
        SPECS="deploy-specs",
        KEY="default",
        CHANGED_SINCE="b" * 40,
    )
    assert (result.returncode == 0) is succeeds, result.stderr
    assert outputs.get("changes") == changes
    assert "plan --specs deploy-specs --format markdown --out" in calls
    commit = "c" * 40 if where == "nightly" else "a" * 40  # main's commit, or the PR head
    assert f"--commit {commit}" in calls
    # Pull requests plan what changed since their base; the nightly plan covers every group.
    assert (f"--changed-since {'b' * 40}" in calls) is (where != "nightly")
    if not succeeds:
        assert "::error::reconciler plan failed (exit 1)" in result.stdout


@pytest.mark.parametrize(("set_status", "with_status"), [("true", True), ("false", False)])
def test_action_comment_step_sets_the_status_only_when_asked(
    set_status: str, with_status: bool, fake_reconciler: Path, tmp_path: Path
) -> None:
    step = step_named(load(ACTION)["runs"]["steps"], "Comment the plan on the pull request")
    result, _, calls = run_step(
        step,
        fake_reconciler,
        tmp_path,
        0,
        REPOSITORY="acme/fleet",
        PR_NUMBER="7",
        PLAN_FILE="plan.md",
        KEY="prod",
        SET_STATUS=set_status,
    )
    assert result.returncode == 0, result.stderr
    assert calls.startswith("comment --repo acme/fleet --pr 7 --file plan.md --key prod")
    assert ("--status-sha" in calls) is with_status


def test_composite_action_declares_what_it_uses() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    for step in steps:
        if "run" in step:
            assert step.get("shell") == "bash", f"composite run steps need a shell: {step}"
    text = ACTION.read_text(encoding="utf-8")
    used_inputs = set(re.findall(r"inputs\.([a-z0-9-]+)", text))
    assert used_inputs <= set(action["inputs"]), used_inputs - set(action["inputs"])
    step_ids = {step["id"] for step in steps if "id" in step}
    used_steps = set(re.findall(r"steps\.([a-z0-9-]+)\.outputs", text))
    assert used_steps <= step_ids
    required = {name for name, spec in action["inputs"].items() if spec.get("required")}
    assert required == {"role-to-assume", "aws-region"}
