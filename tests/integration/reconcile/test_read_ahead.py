"""The reads of a full plan go ahead while the specs load (engine/read_ahead.py), against the
emulator over HTTP: the same plan and the same calls as without, made whatever the specs say,
never a write, and an error of a call made ahead said where it always was."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import main
from tests.conftest import AwsTestContext


def _plan(specs: Path, *options: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["plan", "--specs", str(specs), "--commit", "c1", "--no-cache", *options]
    )
    return result.exit_code, result.output


def _operations(aws: AwsTestContext) -> Counter[str]:
    return Counter(r.operation for r in aws.admin.requests())


def test_a_plan_reads_the_same_ahead_as_after_the_specs(
    seeded: AwsTestContext, specs: Path
) -> None:
    code, ahead = _plan(specs, "--format", "json")
    assert code == 2, ahead
    reads_ahead = _operations(seeded)
    # Settings in a file of another name: nothing tells the account before the specs load.
    (specs / "reconciler.yaml").rename(specs / "settings.yaml")
    seeded.admin.clear_requests()
    code, later = _plan(specs, "--format", "json")
    assert (code, later.replace("settings.yaml", "reconciler.yaml")) == (2, ahead)
    assert _operations(seeded) == reads_ahead
    assert {"GetCallerIdentity", "ListDeployments", "ListComponents"} <= set(reads_ahead)


def test_the_reads_go_ahead_whatever_the_specs_say_and_end_before_the_command(
    seeded: AwsTestContext, specs: Path
) -> None:
    staging = specs / "groups" / "camera-staging.yaml"
    staging.write_text(staging.read_text().replace("thingGroup:", "thingGroupp:"))
    code, output = _plan(specs)
    assert code == 1
    assert "camera-staging.yaml" in output and "Traceback" not in output
    # The specs never loaded, and the sweep was made: it did not wait for them. It had ended
    # when the command returned (the log is read after it, once).
    assert _operations(seeded) == Counter(
        {"GetCallerIdentity": 1, "ListDeployments": 1, "ListComponents": 1}
    )
    assert [r for r in seeded.admin.requests() if r.mutating] == []


def test_a_wrong_account_is_said_where_it_always_was(seeded: AwsTestContext, specs: Path) -> None:
    settings = specs / "reconciler.yaml"
    settings.write_text(settings.read_text().replace('"123456789012"', '"210987654321"'))
    code, output = _plan(specs)
    assert code == 1
    assert "belong to account 123456789012, but the specs' Settings name account" in output
    assert "Traceback" not in output
    # Nothing read from an account the credentials do not belong to: the check came first.
    assert _operations(seeded) == Counter({"GetCallerIdentity": 1})
