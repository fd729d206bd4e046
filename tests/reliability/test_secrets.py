"""Values under `secretPaths` never appear in anything the product prints or serves.

The sample's placeholders are replaced by distinctive secrets, then every output of a whole
GitOps round is collected: plans in all three formats (a first deployment, a rotated secret),
the PR comment and commit status posted to a GitHub-like server, the output of `apply`, and
a real `reconciler run` process that applies, follows a rotation, heals console drift of the
secret, and serves /status, /metrics and its probes, logging JSON at DEBUG level. Each output
is searched for each secret.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from tests.conftest import AwsTestContext
from tests.integration.github.fake_github import FakeGitHub
from tests.reliability.controllers import ControllerProcess
from tests.reliability.figures import Figures
from tests.reliability.fleet import latest_deployment
from tests.reliability.gitrepo import FleetRepo

PROD = "groups/camera-prod.yaml"
PROD_ARN = "arn:aws:iot:us-east-1:123456789012:thinggroup/CameraFleetProd"
UPLOADER = "com.acme.ImageUploader"
# (file, as the sample writes it, the secret written instead)
PLACED = (
    (PROD, "token: prod-demo-token", "S3CRET-prod-token-7f3a9c"),
    (PROD, "clientId: camera-fleet-prod", "S3CRET-prod-client-51be"),
    ("groups/camera-staging.yaml", "token: staging-demo-token", "S3CRET-staging-token-c0de"),
    ("bases/camera-fleet.yaml", "token: replace-me", "S3CRET-base-placeholder-9d1"),
)
ROTATED = "S3CRET-prod-token-rotated-42aa"
CONSOLE = "S3CRET-console-edit-e1f0"
FINAL = "S3CRET-prod-token-final-77b2"
SECRETS = (*(secret for _, _, secret in PLACED), ROTATED, CONSOLE, FINAL)
GITHUB_TOKEN = "ghs_reliabilitySuiteToken0123456789"


def _place_secrets(specs: Path) -> None:
    for file, line, secret in PLACED:
        path = specs / file
        key = line.split(":", 1)[0]
        text = path.read_text(encoding="utf-8")
        assert line in text
        path.write_text(text.replace(line, f"{key}: {secret}"), encoding="utf-8")


def _cli(*args: str, env: dict[str, str | None] | None = None) -> str:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    assert result.exit_code in (0, 2), result.output
    return result.output


def _plans(specs: Path, label: str, tmp_path: Path) -> dict[str, str]:
    outputs = {}
    for output_format in ("text", "json", "markdown"):
        outputs[f"plan {output_format} ({label})"] = _cli(
            "plan", "--specs", str(specs), "--format", output_format, "--show-unchanged"
        )
    assert all("<redacted>" in text for text in outputs.values())  # secrets were in the plans
    markdown = tmp_path / f"plan-{label}.md"
    _cli("plan", "--specs", str(specs), "--format", "markdown", "--out", str(markdown))
    outputs[f"markdown file ({label})"] = markdown.read_text(encoding="utf-8")
    return outputs


def _pull_request(plan_files: list[Path], sha: str) -> dict[str, str]:
    """Post each plan as the sticky PR comment with a commit status; what GitHub received."""
    with FakeGitHub() as github:
        github.add_token(GITHUB_TOKEN)
        github.add_pull_request("acme/fleet", 7)
        outputs = {}
        for plan in plan_files:
            outputs[f"comment command ({plan.name})"] = _cli(
                "comment", "--repo", "acme/fleet", "--pr", "7", "--file", str(plan),
                "--api-url", github.url, "--status-sha", sha,
                env={"GITHUB_TOKEN": GITHUB_TOKEN},
            )  # fmt: skip
        outputs["PR comment bodies"] = "\n".join(github.comment_bodies("acme/fleet", 7))
        outputs["everything GitHub received"] = json.dumps([r.body for r in github.requests])
    assert "<redacted>" in outputs["PR comment bodies"]
    return outputs


def _live_token(aws: AwsTestContext) -> str | None:
    latest = latest_deployment(aws, "CameraFleetProd")
    if latest is None:
        return None
    update = latest["components"][UPLOADER]["configurationUpdate"]
    return str(json.loads(update["merge"])["credentials"]["token"])


def _console_edit(aws: AwsTestContext, token: str) -> None:
    """What a person does in the console: revise prod with another token."""
    greengrass = aws.client("greengrassv2")
    (latest,) = greengrass.list_deployments(targetArn=PROD_ARN)["deployments"]
    live = greengrass.get_deployment(deploymentId=latest["deploymentId"])
    components = live["components"]
    merge = json.loads(components[UPLOADER]["configurationUpdate"]["merge"])
    merge["credentials"]["token"] = token
    components[UPLOADER]["configurationUpdate"]["merge"] = json.dumps(merge)
    greengrass.create_deployment(
        targetArn=PROD_ARN, deploymentName=live["deploymentName"], components=components,
        deploymentPolicies=live["deploymentPolicies"], tags=live["tags"],
    )  # fmt: skip


def _controller_round(aws: AwsTestContext, specs: Path, tmp_path: Path) -> dict[str, str]:
    """A controller applies the specs, a secret rotation, and heals a console edit."""
    repo = FleetRepo.create(tmp_path / "fleet", specs)
    controller = ControllerProcess(
        tmp_path / "controller",
        repo.url,
        args=("--resync-interval", "2"),
        env={"RECONCILER_LOG_LEVEL": "DEBUG", "RECONCILER_LOCK": "none"},
    )
    outputs: dict[str, str] = {}
    try:
        controller.wait_for(lambda: _live_token(aws) == PLACED[0][2], "the first apply", 90)
        repo.edit(PROD, f"token: {PLACED[0][2]}", f"token: {ROTATED}", "Rotate the prod token")
        controller.wait_for(lambda: _live_token(aws) == ROTATED, "the rotation", 60)
        _console_edit(aws, CONSOLE)
        assert _live_token(aws) == CONSOLE
        controller.wait_for(lambda: _live_token(aws) == ROTATED, "self-heal of the edit", 60)
        for path in ("/status", "/metrics", "/healthz", "/readyz"):
            outputs[f"GET {path}"] = controller.get(path).text
        outputs["GET /metrics (OpenMetrics)"] = controller.get(
            "/metrics", Accept="application/openmetrics-text; version=1.0.0"
        ).text
        assert '"sync": "Synced"' in json.dumps(json.loads(outputs["GET /status"]))
    finally:
        controller.stop()
    outputs["controller log (JSON, DEBUG)"] = controller.text()
    assert '"event": "reconciled"' in outputs["controller log (JSON, DEBUG)"]
    return outputs


@pytest.mark.slow
def test_secret_values_appear_in_no_output(
    seeded: AwsTestContext, specs: Path, tmp_path: Path, figures: Figures
) -> None:
    _place_secrets(specs)
    outputs = _plans(specs, "first", tmp_path)

    outputs["validate"] = _cli("validate", str(specs))
    outputs.update(_controller_round(seeded, specs, tmp_path))

    # A PR that rotates the token: its plans and comment, against the applied fleet.
    prod = specs / PROD
    prod.write_text(prod.read_text().replace(PLACED[0][2], FINAL))
    outputs.update(_plans(specs, "rotation", tmp_path))
    outputs.update(
        _pull_request([tmp_path / "plan-first.md", tmp_path / "plan-rotation.md"], "a" * 40)
    )
    outputs["apply output"] = _cli("apply", "--specs", str(specs), "--auto-approve")
    assert _live_token(seeded) == FINAL  # the secrets did reach the fleet

    leaks = [(name, s) for name, text in outputs.items() for s in SECRETS if s in text]
    figures.add("outputs_searched", len(outputs))
    figures.add("secrets_leaked", len(leaks))
    assert leaks == []
    assert len(outputs) >= 20
