"""The wave schedule of `reconciler plan` against the emulator's fleet over HTTP (issue 14 item
3): a change inside the issue's Rollout lists its three waves with the devices of each, counted
with one ListThingsInThingGroup read per group; a plan that changes no group of a Rollout reads
nothing for it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from reconciler.cli import main
from tests.conftest import AwsTestContext

ROLLOUT = """\
apiVersion: greengrass-reconciler/v1
kind: Rollout
metadata: {name: camera-models}
spec:
  waves:
    - name: canary
      canary: {parent: CameraFleetProd, group: CameraFleetCanary}  # a subdeployment
      gate: {minDevices: 3, successRatio: 1.0, bake: 10m}
    - name: staging
      targets: [CameraFleetStaging]
      gate:
        successRatio: 0.98
        bake: 30m
        metrics:
          - {namespace: Acme/Camera, metricName: InferenceErrors, statistic: Sum, period: 5m,
             dimensions: {ThingGroup: CameraFleetStaging},
             comparison: GreaterThanThreshold, threshold: 5, over: 30m}
    - name: production
      targets: [CameraFleetProd]
  onFailure: revert
"""
FLEET = """
generate:
  - {group: CameraFleetProd, count: 20, namePrefix: prod-, alsoIn: {CameraFleetCanary: 5}}
  - {group: CameraFleetStaging, count: 3, namePrefix: staging-}
"""


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def _plan(specs: Path, output_format: str) -> str:
    code, output = _run("plan", "--specs", str(specs), "--format", output_format, "--no-color")
    assert code == 2, output
    return output


def _member_reads(aws: AwsTestContext) -> list[str | None]:
    return sorted(
        r.resource for r in aws.admin.requests() if r.operation == "ListThingsInThingGroup"
    )


def _fleet_with_rollout(aws: AwsTestContext, specs: Path) -> None:
    (specs / "rollouts").mkdir()
    (specs / "rollouts" / "camera-models.yaml").write_text(ROLLOUT, encoding="utf-8")
    aws.admin.load_fleet(FLEET)
    aws.admin.clear_requests()


def test_the_plan_lists_the_three_waves_with_their_devices(
    seeded: AwsTestContext, specs: Path
) -> None:
    _fleet_with_rollout(seeded, specs)
    output = _plan(specs, "json")
    document: dict[str, Any] = json.loads(output[output.index("{") :])
    (rollout,) = document["rollouts"]
    assert rollout["rollout"] == "camera-models"
    waves = [
        (w["name"], [g["thingGroup"] for g in w["groups"]], w["devices"]) for w in rollout["waves"]
    ]
    assert waves == [
        ("canary", ["CameraFleetCanary"], 5),
        ("staging", ["CameraFleetStaging"], 3),
        ("production", ["CameraFleetProd"], 20),
    ]
    assert rollout["waves"][0]["groups"][0]["parentThingGroup"] == "CameraFleetProd"
    assert rollout["waves"][1]["gate"]["metrics"][0]["metricName"] == "InferenceErrors"
    # One read per group of the Rollout, each one page (250 things a page).
    arn = "arn:aws:iot:us-east-1:123456789012:thinggroup/"
    assert _member_reads(seeded) == [
        f"{arn}CameraFleetCanary",
        f"{arn}CameraFleetProd",
        f"{arn}CameraFleetStaging",
    ]

    text = _plan(specs, "text")
    assert "    1. canary: CameraFleetCanary ← CameraFleetProd (subdeployment) — 5 devices" in text
    assert "    2. staging: CameraFleetStaging — 3 devices" in text
    assert "    3. production: CameraFleetProd — 20 devices" in text
    markdown = _plan(specs, "markdown")
    assert (
        "| 1. `canary` | `CameraFleetCanary` ← `CameraFleetProd` (subdeployment) | 5 |" in markdown
    )
    assert "| 3. `production` | `CameraFleetProd` | 20 |" in markdown


def test_a_plan_that_changes_no_group_of_a_rollout_counts_no_device(
    seeded: AwsTestContext, specs: Path
) -> None:
    # The fleet is synced first (an apply goes wave by wave once the Rollout exists), then the
    # Rollout arrives and its canary takes the parent's revision (its first wave).
    seeded.admin.load_fleet(FLEET)
    code, output = _run("apply", "--specs", str(specs), "--auto-approve", "--no-cache")
    assert code == 0, output
    (specs / "rollouts").mkdir()
    (specs / "rollouts" / "camera-models.yaml").write_text(ROLLOUT, encoding="utf-8")
    code, output = _run("apply", "--specs", str(specs), "--auto-approve", "--no-cache")
    assert code == 0, output
    arn = "arn:aws:iot:us-east-1:123456789012:thinggroup/"
    (canary,) = seeded.client("greengrassv2").list_deployments(
        parentTargetArn=f"{arn}CameraFleetProd"
    )["deployments"]
    assert canary["targetArn"] == f"{arn}CameraFleetCanary"
    seeded.admin.clear_requests()
    code, output = _run("plan", "--specs", str(specs), "--format", "json")
    assert code == 0, output
    assert json.loads(output[output.index("{") :])["rollouts"] == []
    assert _member_reads(seeded) == []


def test_the_device_count_can_be_skipped(seeded: AwsTestContext, specs: Path) -> None:
    _fleet_with_rollout(seeded, specs)
    code, output = _run("plan", "--specs", str(specs), "--format", "json", "--no-device-count")
    assert code == 2, output
    (rollout,) = json.loads(output[output.index("{") :])["rollouts"]
    assert [w["devices"] for w in rollout["waves"]] == [None, None, None]
    assert _member_reads(seeded) == []
