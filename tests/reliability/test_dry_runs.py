"""A dry run (`reconciler plan`, every format) never writes: in an empty account, with changes
and a new component version pending, with console drift, with a prune candidate, and while
the service throttles. The emulator's request log sees only reads (Get/List/Describe/Head).
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import main
from tests.conftest import AwsTestContext
from tests.reliability.figures import Figures
from tests.reliability.fleet import last_seq

_READS = ("Get", "List", "Describe", "Head")
_FORMATS = (
    ("--format", "text"),
    ("--format", "text", "--show-unchanged"),
    ("--format", "json"),
    ("--format", "markdown"),
)
PROD_ARN = "arn:aws:iot:us-east-1:123456789012:thinggroup/CameraFleetProd"


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def _dry_runs(aws: AwsTestContext, specs: Path, figures: Figures, expected_exit: int) -> None:
    for options in _FORMATS:
        since = last_seq(aws)
        code, output = _cli("plan", "--specs", str(specs), "--commit", "c2", *options)
        records = aws.admin.requests(since)
        assert code == expected_exit, output
        writes = [f"{r.service}:{r.operation}" for r in records if r.mutating]
        not_reads = [r.operation for r in records if not r.operation.startswith(_READS)]
        figures.add("dry_runs", 1)
        figures.add("dry_run_mutations", len(writes))
        assert writes == []
        assert not_reads == []
        assert records  # it did read the live state


def test_plan_in_every_state_of_the_fleet_makes_no_mutating_call(
    seeded: AwsTestContext, specs: Path, fast_retries: dict[str, str], figures: Figures
) -> None:
    _dry_runs(seeded, specs, figures, expected_exit=2)  # from an empty fleet: all to create
    assert _cli("apply", "--specs", str(specs), "--auto-approve", "--commit", "c1")[0] == 0
    _dry_runs(seeded, specs, figures, expected_exit=0)  # nothing to do

    # Pending: a configuration change, and a new version of the custom component to publish.
    prod = specs / "groups" / "camera-prod.yaml"
    prod.write_text(prod.read_text().replace("InferenceInterval: 300", "InferenceInterval: 45"))
    for name in ("component.yaml", "recipe.yaml"):
        path = specs / "components" / "com.acme.ImageUploader" / name
        path.write_text(path.read_text().replace("1.0.0", "1.0.1"))
    _dry_runs(seeded, specs, figures, expected_exit=2)

    # Console drift on top of that.
    greengrass = seeded.client("greengrassv2")
    (latest,) = greengrass.list_deployments(targetArn=PROD_ARN)["deployments"]
    live = greengrass.get_deployment(deploymentId=latest["deploymentId"])
    components = live["components"]
    merge = json.loads(
        components["aws.greengrass.DLRImageClassification"]["configurationUpdate"]["merge"]
    )
    components["aws.greengrass.DLRImageClassification"]["configurationUpdate"]["merge"] = (
        json.dumps({**merge, "InferenceInterval": 1})
    )
    greengrass.create_deployment(
        targetArn=PROD_ARN, deploymentName=live["deploymentName"], components=components,
        tags=live["tags"],
    )  # fmt: skip
    _dry_runs(seeded, specs, figures, expected_exit=2)

    # A prune candidate: staging's Deployment removed, prune on.
    (specs / "groups" / "camera-staging.yaml").unlink()
    settings = specs / "reconciler.yaml"
    settings.write_text(settings.read_text().replace("prune: false", "prune: true"))
    _dry_runs(seeded, specs, figures, expected_exit=2)

    # And while the service throttles a third of the reads and fails some.
    seeded.admin.set_faults(
        throttle_rate=0.3, error_rate=0.05, services=["greengrassv2", "s3", "sts"], seed=3,
        retry_after_seconds=0,
    )  # fmt: skip
    _dry_runs(seeded, specs, figures, expected_exit=2)
    seeded.admin.clear_faults()


def test_validate_makes_no_call_at_all(seeded: AwsTestContext, specs: Path) -> None:
    since = last_seq(seeded)
    code, output = _cli("validate", str(specs))
    assert code == 0, output
    assert seeded.admin.requests(since) == []
