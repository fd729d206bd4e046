"""An explicit `reset` in a spec is one-off: sent with the revision that introduced it, not
repeated by later revisions (each would wipe the state the component keeps there again)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from reconciler.cli import main
from tests.conftest import AwsTestContext

PROD_ARN = "arn:aws:iot:us-east-1:123456789012:thinggroup/CameraFleetProd"
PROD = "groups/camera-prod.yaml"
UPLOADER = "com.acme.ImageUploader"
RESET_LINE = "      reset: [/uploadQueue]             # once: drop the queue the uploader keeps\n"


def _apply(specs: Path) -> None:
    args = ["apply", "--specs", str(specs), "--auto-approve", "--commit", "c1"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output


def _edit(specs: Path, old: str, new: str) -> None:
    path = specs / PROD
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _revisions(aws: AwsTestContext) -> list[dict[str, Any]]:
    """Every revision of the prod group, oldest first."""
    greengrass = aws.client("greengrassv2")
    listed = greengrass.list_deployments(targetArn=PROD_ARN, historyFilter="ALL")["deployments"]
    found = [greengrass.get_deployment(deploymentId=d["deploymentId"]) for d in listed]
    return sorted(found, key=lambda d: int(d["revisionId"]))


def _reset(revision: dict[str, Any], component: str = UPLOADER) -> list[str]:
    update = revision["components"][component].get("configurationUpdate") or {}
    return list(update.get("reset") or [])


def _set_interval(specs: Path, old: int, new: int) -> None:
    _edit(specs, f"InferenceInterval: {old}", f"InferenceInterval: {new}")


def test_an_explicit_reset_is_sent_once_then_never_repeated(
    seeded: AwsTestContext, specs: Path
) -> None:
    _apply(specs)
    _edit(specs, "      secretPaths:", RESET_LINE + "      secretPaths:")
    _apply(specs)  # revision 2 introduces the reset
    _set_interval(specs, 300, 120)
    _apply(specs)  # revision 3: another change to the group
    _set_interval(specs, 120, 60)
    _apply(specs)  # revision 4: and another
    _apply(specs)  # nothing changed: no revision

    revisions = _revisions(seeded)
    assert len(revisions) == 4
    assert [("/uploadQueue" in _reset(r)) for r in revisions] == [False, True, False, False]
    merge = revisions[-1]["components"]["aws.greengrass.DLRImageClassification"]
    assert json.loads(merge["configurationUpdate"]["merge"])["InferenceInterval"] == 60


def test_a_reset_listed_again_after_it_was_removed_is_sent_again(
    seeded: AwsTestContext, specs: Path
) -> None:
    _edit(specs, "      secretPaths:", RESET_LINE + "      secretPaths:")
    _apply(specs)  # revision 1: a new group gets the reset with its first revision
    _edit(specs, RESET_LINE, "")
    _set_interval(specs, 300, 120)
    _apply(specs)  # revision 2: the reset is gone from the spec, and is not carried
    _edit(specs, "      secretPaths:", RESET_LINE + "      secretPaths:")
    _apply(specs)  # revision 3: listed again: a new one-off reset

    assert [("/uploadQueue" in _reset(r)) for r in _revisions(seeded)] == [True, False, True]


def test_a_reset_the_planner_needs_anyway_is_still_carried(
    seeded: AwsTestContext, specs: Path
) -> None:
    """Removing a configured key resets it (devices that missed that revision must lose it
    too): an explicit reset of the same key does not make that reset one-off."""
    _apply(specs)
    _edit(specs, "          clientId: camera-fleet-prod\n", "")
    _edit(specs, "        - /credentials/clientId\n", "")
    _edit(specs, "      secretPaths:", "      reset: [/credentials/clientId]\n      secretPaths:")
    _apply(specs)  # revision 2: the key is removed and reset
    _set_interval(specs, 300, 120)
    _apply(specs)  # revision 3: the removal's reset is carried forward, as always
    assert [("/credentials/clientId" in _reset(r)) for r in _revisions(seeded)] == [
        False,
        True,
        True,
    ]


def test_a_reset_sent_already_is_still_checked_against_the_spec(
    seeded: AwsTestContext, specs: Path
) -> None:
    reset = "      reset: [/uploadQueue/items]\n"
    _edit(specs, "      secretPaths:", reset + "      secretPaths:")
    _apply(specs)
    # The overlay now replaces the value above the pointer whole: the pair is contradictory.
    _edit(
        specs,
        "          clientId: camera-fleet-prod\n",
        "          clientId: camera-fleet-prod\n        uploadQueue: off\n",
    )
    result = CliRunner().invoke(main, ["plan", "--specs", str(specs)], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert "/uploadQueue/items" in result.output and "Traceback" not in result.output
