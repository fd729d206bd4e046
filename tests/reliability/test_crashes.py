"""kill -9 of `reconciler apply` at every step, then apply again: the same fleet as an
uninterrupted apply, nothing created twice, and the re-run does only what was left.

An uninterrupted apply of the sample makes 7 writes, in this order (one target at a time, with
RECONCILER_CONCURRENCY=1, so that "between the deployments" is a moment that exists):

    1 PutObject upload_results.py            5 CreateComponentVersion ModelStore 2.1.10
    2 CreateComponentVersion ImageUploader   6 CreateDeployment CameraFleetProd
    3 PutObject x86_64 model                 7 CreateDeployment CameraFleetStaging
    4 PutObject aarch64 model

The child talks to the emulator through `InterceptingProxy`, which holds write n until the
child is killed, then either drops it (the process died *before* write n: after the uploads,
after each component version, between the deployments) or delivers it (the process died
*during* write n: it took effect, the process never knew). A third kind of crash is found
from the emulator's request log: the child is killed while it waits for a component version it
created to become DEPLOYABLE (the emulator's processing delay widens that window).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from tests.conftest import AwsTestContext
from tests.reliability.conftest import seed
from tests.reliability.figures import Figures
from tests.reliability.fleet import FleetSnapshot, snapshot
from tests.reliability.processes import ReconcilerProcess
from tests.reliability.proxy import InterceptingProxy, hold_write

WRITE_COUNT = 7
APPLY = ["apply", "--auto-approve", "--commit", "c1"]


@dataclass(frozen=True)
class Reference:
    fleet: FleetSnapshot
    writes: Counter[tuple[str, str]]  # (operation, resource) of every write


_references: dict[str, Reference] = {}


def _writes(aws: AwsTestContext, since: int = 0) -> Counter[tuple[str, str]]:
    return Counter(
        (f"{r.service}:{r.operation}", r.resource or "")
        for r in aws.admin.requests(since)
        if r.mutating and 200 <= r.status < 300
    )


def _last_seq(aws: AwsTestContext) -> int:
    records = aws.admin.requests()
    return records[-1].seq if records else 0


def _apply_in_process(specs: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, [*APPLY, "--specs", str(specs), *extra], catch_exceptions=False
    )
    return result.exit_code, result.output


def _reference(aws: AwsTestContext, specs: Path) -> Reference:
    """What an uninterrupted apply writes and leaves (computed once, then the account reset)."""
    if "sample" not in _references:
        seed(aws, specs)
        code, output = _apply_in_process(specs)
        assert code == 0, output
        _references["sample"] = Reference(snapshot(aws), _writes(aws))
    seed(aws, specs)
    return _references["sample"]


def _child(specs: Path, endpoint: str, output: Path) -> ReconcilerProcess:
    return ReconcilerProcess(
        [*APPLY, "--specs", str(specs), "--endpoint-url", endpoint],
        output,
        env={"RECONCILER_CONCURRENCY": "1"},
    )


def _assert_recovered(
    aws: AwsTestContext, specs: Path, reference: Reference, figures: Figures
) -> Counter[tuple[str, str]]:
    """Apply again; return what the killed run had written."""
    before_kill = _writes(aws)
    since = _last_seq(aws)
    # The killed apply still holds the writer lease (it would expire in 30 s): apply refuses,
    # naming it, until the operator who killed it says --force.
    code, output = _apply_in_process(specs)
    assert code == 1 and "--force" in output and "is held by" in output, output
    assert _last_seq(aws) == since
    code, output = _apply_in_process(specs, "--force")
    assert code == 0, output
    # The re-run did exactly what the killed run had left to do: nothing twice.
    assert _writes(aws, since) == reference.writes - before_kill
    after = snapshot(aws)
    figures.add("duplicates_found", len(after.duplicates()))
    assert after.duplicates() == []
    assert after.content() == reference.fleet.content()
    figures.add("kill_points", 1)
    return before_kill


@pytest.mark.parametrize("deliver", [False, True], ids=["before-write", "during-write"])
@pytest.mark.parametrize("write", range(1, WRITE_COUNT + 1))
def test_apply_killed_at_each_write_then_applied_again_converges(
    aws: AwsTestContext, specs: Path, tmp_path: Path, figures: Figures, write: int, deliver: bool
) -> None:
    reference = _reference(aws, specs)
    assert sum(reference.writes.values()) == WRITE_COUNT
    with InterceptingProxy(aws.endpoint_url, hold_write(write)) as proxy:
        proxy.deliver_held = deliver
        child = _child(specs, proxy.url, tmp_path / "apply.log")
        child.wait_for(proxy.held.is_set, f"write {write} of the child")
        child.kill()
        proxy.release()
        assert proxy.settled.wait(30)
    done = sum(_writes(aws).values())
    assert done == (write if deliver else write - 1)
    _assert_recovered(aws, specs, reference, figures)


def test_apply_killed_while_a_new_component_version_is_processing_completes_it(
    aws: AwsTestContext, specs: Path, tmp_path: Path, figures: Figures
) -> None:
    """The half-made component version: created, still REQUESTED, its creator gone."""
    reference = _reference(aws, specs)
    aws.admin.set_settings(component_ready_seconds=1.5)
    child = _child(specs, aws.endpoint_url, tmp_path / "apply.log")

    def model_store_requested() -> bool:
        return any(
            r.operation == "CreateComponentVersion"
            and r.status == 201
            and "ModelStore" in (r.resource or "")
            for r in aws.admin.requests()
        )

    child.wait_for(model_store_requested, "CreateComponentVersion of the model store")
    child.kill()
    greengrass = aws.client("greengrassv2")
    arn = (
        "arn:aws:greengrass:us-east-1:123456789012:components:"
        "variant.DLR.ImageClassification.ModelStore:versions:2.1.10"
    )
    state = greengrass.describe_component(arn=arn)["status"]["componentState"]
    assert state == "REQUESTED"  # killed inside the window this test is about
    assert not [r for r in aws.admin.requests() if r.operation == "CreateDeployment"]
    _assert_recovered(aws, specs, reference, figures)
    recipe = json.loads(greengrass.get_component(arn=arn)["recipe"])
    assert recipe["ComponentVersion"] == "2.1.10"
