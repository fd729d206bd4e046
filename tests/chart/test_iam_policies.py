"""The IAM policies of docs/deployment.md allow every AWS call the reconciler makes.

Plan, apply, prune and the S3 lock run against the emulator; its request log says which
operation was called on which resource. Each call is mapped to the IAM action that authorizes it
(HeadObject is authorized by s3:GetObject) and checked against the policy's Allow statements,
with IAM's wildcard matching. Conditions are not evaluated (the policies use none). The
read-only policy must allow everything plan does and none of the writes.
"""

from __future__ import annotations

import fnmatch
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.adapters.aws.calling import AwsCaller
from reconciler.adapters.aws.clients import AwsClients, ClientSettings
from reconciler.adapters.leases import S3Lease
from reconciler.adapters.spec_files import load_spec_set
from reconciler.cli.seeding import seed_account
from reconciler.core.metric_checks import Comparison, MetricCheck
from reconciler.core.waves import Gate, Wave
from reconciler.engine.applying import ApplyOptions
from reconciler.engine.gate_metrics import wave_metric_verdict
from reconciler.engine.runtime import Runtime, build_runtime
from reconciler.retrying import RetryPolicy
from reconciler.settings import ReconcilerSettings
from tests.chart.conftest import ROOT
from tests.conftest import AwsTestContext
from tests.integration.reconcile.rollout_kit import ManualClock, fleet_repo, reconciler, run_until

DOC = ROOT / "docs" / "deployment.md"
SAMPLE = ROOT / "deploy-specs"
LOCK_BUCKET = "acme-reconciler-locks"  # the bucket the lock policy names
LOCK_KEY = "greengrass-reconciler/leader.json"
INSTANCE = "greengrass-reconciler"

Call = tuple[str, str | None, str]  # (IAM action, resource ARN or None, what was called)


def policies() -> dict[str, dict[str, Any]]:
    text = DOC.read_text(encoding="utf-8")
    found = re.findall(r"<!-- policy: (\w+) -->\s*```json\n(.*?)```", text, flags=re.DOTALL)
    return {name: json.loads(body) for name, body in found}


def statements(policy: dict[str, Any]) -> Iterator[tuple[list[str], list[str]]]:
    assert policy["Version"] == "2012-10-17"
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        assert "Condition" not in statement, "conditions are not evaluated by this test"
        actions, resources = statement["Action"], statement["Resource"]
        yield (
            [actions] if isinstance(actions, str) else list(actions),
            [resources] if isinstance(resources, str) else list(resources),
        )


def allows(policy: dict[str, Any], action: str, resource: str | None) -> bool:
    for actions, resources in statements(policy):
        # IAM action names are case-insensitive, resource ARNs are not.
        if not any(fnmatch.fnmatch(action.lower(), a.lower()) for a in actions):
            continue
        if resource is None:  # an action without resource-level permissions: only "*" fits
            if "*" in resources:
                return True
        elif any(fnmatch.fnmatchcase(resource, r) for r in resources):
            return True
    return False


def iam_calls(aws: AwsTestContext) -> list[Call]:
    prefixes = {
        "greengrassv2": "greengrass",
        "s3": "s3",
        "sts": "sts",
        "iot": "iot",
        "monitoring": "cloudwatch",  # CloudWatch's signing name
    }
    calls = []
    for record in aws.admin.requests():
        operation = "GetObject" if record.operation == "HeadObject" else record.operation
        action = f"{prefixes[record.service]}:{operation}"
        resource = record.resource
        if resource is not None and resource.startswith("s3://"):
            resource = "arn:aws:s3:::" + resource.removeprefix("s3://")
        calls.append((action, resource, f"{record.service}:{record.operation}"))
    assert calls, "the emulator logged no request: nothing was checked"
    return calls


def denied(policy: dict[str, Any], calls: list[Call]) -> list[Call]:
    return [call for call in calls if not allows(policy, call[0], call[1])]


@pytest.fixture
def runtime(aws: AwsTestContext, specs: Path) -> Runtime:
    seed_account(aws.endpoint_url, load_spec_set(specs))
    aws.admin.clear_requests()
    return build_runtime(
        ReconcilerSettings(concurrency=1, instance=INSTANCE),
        region=aws.region,
        account=aws.account_id,
    )


def apply_specs(runtime: Runtime, specs: Path, *, prune: bool = False) -> None:
    runtime.verify_account()
    plan = runtime.plan(load_spec_set(specs), commit="c1", specs_path=None)
    options = ApplyOptions(instance=INSTANCE, specs_root=specs, prune=prune, poll_interval=0.05)
    runtime.applier().apply(plan, options)


def test_the_document_holds_the_three_policies_and_valid_json() -> None:
    assert set(policies()) == {"plan", "controller", "lock"}
    text = DOC.read_text(encoding="utf-8")
    for block in re.findall(r"```json\n(.*?)```", text, flags=re.DOTALL):
        json.loads(block)  # the trust policies too


def test_plan_calls_are_allowed_by_both_roles(
    aws: AwsTestContext, runtime: Runtime, specs: Path
) -> None:
    runtime.verify_account()
    runtime.plan(load_spec_set(specs), commit="c1", specs_path=None)
    calls = iam_calls(aws)
    assert {"sts:GetCallerIdentity", "greengrass:ListDeployments"} <= {c[0] for c in calls}
    assert denied(policies()["plan"], calls) == []
    assert denied(policies()["controller"], calls) == []


def test_apply_calls_are_allowed_for_the_controller_only(
    aws: AwsTestContext, runtime: Runtime, specs: Path
) -> None:
    apply_specs(runtime, specs)
    calls = iam_calls(aws)
    writes = {c for c in calls if c[0].split(":")[1].startswith(("Create", "Put", "Cancel"))}
    assert {c[0] for c in writes} == {
        "greengrass:CreateComponentVersion",
        "greengrass:CreateDeployment",
        "s3:PutObject",
    }
    assert denied(policies()["controller"], calls) == []
    # The read-only role can do none of it.
    assert denied(policies()["plan"], sorted(writes, key=str)) == sorted(writes, key=str)


def test_prune_calls_are_allowed_for_the_controller(
    aws: AwsTestContext, runtime: Runtime, specs: Path
) -> None:
    apply_specs(runtime, specs)
    (specs / "groups" / "camera-staging.yaml").unlink()
    aws.admin.clear_requests()
    apply_specs(runtime, specs, prune=True)
    calls = iam_calls(aws)
    assert "greengrass:CancelDeployment" in {c[0] for c in calls}
    assert denied(policies()["controller"], calls) == []
    assert not allows(policies()["plan"], "greengrass:CancelDeployment", None)


def test_gate_metric_reads_are_allowed_for_the_controller(
    aws: AwsTestContext, runtime: Runtime
) -> None:
    check = MetricCheck(
        namespace="Acme/Camera",
        metric_name="InferenceErrors",
        statistic="Sum",
        period_seconds=60,
        threshold=5.0,
        comparison=Comparison.GREATER_THAN,
        over_seconds=600,
    )
    wave = Wave("staging", targets=("CameraFleetStaging",), gate=Gate(metrics=(check,)))
    wave_metric_verdict(runtime.metrics, wave, now=time.time())
    calls = iam_calls(aws)
    assert {c[0] for c in calls} == {"cloudwatch:GetMetricData"}
    assert denied(policies()["controller"], calls) == []
    assert denied(policies()["plan"], calls) == calls  # plans read no metric


def test_s3_lock_calls_are_allowed_by_the_lock_policy(aws: AwsTestContext) -> None:
    aws.client("s3").create_bucket(Bucket=LOCK_BUCKET)
    aws.admin.clear_requests()
    lease = S3Lease(
        clients=AwsClients(ClientSettings(region=aws.region, endpoint_url=aws.endpoint_url)),
        caller=AwsCaller(retry=RetryPolicy(max_attempts=1, initial_backoff=0, max_backoff=0)),
        bucket=LOCK_BUCKET,
        key=LOCK_KEY,
        identity="replica-a",
        duration=30.0,
    )
    assert lease.try_acquire()
    assert lease.renew()
    lease.release()
    calls = iam_calls(aws)
    assert {c[0] for c in calls} == {"s3:GetObject", "s3:PutObject"}
    assert denied(policies()["lock"], calls) == []
    # Scoped to the one object: another key of the bucket is not the lock's to write.
    assert not allows(policies()["lock"], "s3:PutObject", f"arn:aws:s3:::{LOCK_BUCKET}/other")


FLEET = """
generate:
  - {group: CameraFleetProd, count: 6, namePrefix: prod-}
  - {group: CameraFleetStaging, count: 2, namePrefix: staging-}
timing: {applySeconds: 2, jitterSeconds: 2}
"""


def test_following_rollouts_to_the_devices_is_allowed_for_the_controller(
    aws: AwsTestContext, specs: Path, tmp_path: Path
) -> None:
    """The controller reads what its revisions did on the devices (DescribeJob, the failed
    executions, core device status, effective deployments): its policy must allow each read,
    the failed devices included."""
    seed_account(aws.endpoint_url, load_spec_set(specs))
    aws.admin.set_clock("virtual")
    aws.admin.load_fleet(FLEET)
    aws.admin.set_failures(
        [
            {
                "component": "aws.greengrass.DLRImageClassification",
                "version": "*",
                "devices": ["prod-1"],
                "phase": "configuration",
            }
        ]
    )
    aws.admin.clear_requests()
    repo = fleet_repo(tmp_path / "fleet", specs)
    clock = ManualClock(float(aws.admin.clock()["now"]))
    rec = reconciler(repo, tmp_path / "cache", clock)
    assert rec.reconcile("startup", full=True).result == "success"
    rollout = run_until(aws, clock, rec, "CameraFleetProd", "Failed")
    assert [device["device"] for device in rollout["failing"]] == ["prod-1"]
    calls = iam_calls(aws)
    follows = {
        "iot:DescribeJob",
        "iot:ListJobExecutionsForJob",
        "greengrass:ListEffectiveDeployments",
    }
    assert follows <= {c[0] for c in calls}
    assert denied(policies()["controller"], calls) == []
