"""Secret configuration values never reach a rendered plan, whatever the renderer."""

from __future__ import annotations

import json

import pytest

from reconciler.core.rendering import render_json, render_markdown, render_text
from tests.unit.planning.cases import plan_case

# Everything the secret-paths case holds under a secret path, live and desired.
NEW_SECRETS = ("NEW-api-token-7f3a9c", "NEW-bearer-5d1e", "NEW-upload-key-0b2c")
OLD_SECRETS = ("OLD-api-token-11aa", "OLD-password-22bb", "OLD-bearer-33cc")


def renderings(case: str = "secret-paths") -> dict[str, str]:
    plan = plan_case(case)
    return {
        "text": render_text(plan),
        "text, colour, unchanged shown": render_text(plan, color=True, show_unchanged=True),
        "json": render_json(plan),
        "markdown": render_markdown(plan),
        "markdown, truncated": render_markdown(plan, limit=2_000),
    }


def test_the_plan_really_carries_the_secrets_to_the_api() -> None:
    # Otherwise the checks below would prove nothing: the values must be there to be hidden.
    plan = plan_case("secret-paths")
    request = json.dumps(plan.targets[0].request)
    for secret in NEW_SECRETS:
        assert secret in request


@pytest.mark.parametrize("secret", NEW_SECRETS + OLD_SECRETS)
def test_no_renderer_prints_a_secret(secret: str) -> None:
    for name, text in renderings().items():
        assert secret not in text, f"{secret} appears in the {name} rendering"
        # Not even a recognisable part of it (a value cut short by a renderer).
        assert secret[-6:] not in text, f"part of {secret} appears in the {name} rendering"


def test_secret_paths_are_shown_redacted() -> None:
    for name, text in renderings().items():
        if name != "markdown, truncated":
            assert "<redacted>" in text, name
    document = json.loads(renderings()["json"])
    merge = document["targets"][0]["components"][0]["configurationUpdate"]["merge"]
    assert merge["ApiToken"] == merge["UploadKey"] == merge["headers"] == "<redacted>"
    assert merge["credentials"] == {"user": "camera-fleet"}  # its non-secret sibling stays


# Key names below a secret path (a map keyed by user, device or key names), live and desired.
SECRET_NAMES = ("KEYNAME-kept-1c4d", "KEYNAME-added-5e6f", "KEYNAME-removed-9a0b")
SECRET_NAMES += ("KEYNAME-changed-2b3c",)


def test_no_renderer_prints_a_name_below_a_secret_path() -> None:
    plan = plan_case("secret-key-names")
    request = json.dumps(plan.targets[0].request)
    # The names are really in what is sent (the removed one as a reset pointer).
    assert all(name in request for name in SECRET_NAMES)
    for name, text in renderings("secret-key-names").items():
        leaked = [secret for secret in SECRET_NAMES if secret in text]
        assert leaked == [], f"{leaked} appear in the {name} rendering"
        assert "KEYNAME" not in text, name
    document = json.loads(renderings("secret-key-names")["json"])
    component = document["targets"][0]["components"][0]
    # That something changed below each secret path is still said, without the names.
    assert component["configurationChange"]["added"] == ["/apiKeys/<redacted>"]
    assert component["configurationChange"]["removed"] == ["/apiKeys/<redacted>"]
    assert "/deviceTokens/<redacted>" in component["configurationChange"]["changed"]
    assert component["configurationUpdate"]["reset"] == ["/apiKeys/<redacted>"]


def test_a_secret_dropped_together_with_its_secret_path_is_not_printed() -> None:
    """The old value of a key the specs no longer set is never shown: it may have been a
    secret whose secretPaths entry was removed in the same change."""
    from reconciler.core.configuration import ConfigurationUpdate
    from reconciler.core.live import LiveComponent, LiveDeployment
    from reconciler.core.plan import Plan
    from reconciler.core.planning.targets import plan_target
    from reconciler.core.rendering import render_markdown, render_text
    from reconciler.core.specs.deployment_models import (
        DeploymentIoTJobConfiguration,
        DeploymentPolicies,
    )
    from reconciler.core.specs.located import SourceLocation
    from reconciler.core.specs.spec_set import (
        DeploymentComponent,
        DeploymentSpec,
        SyncPolicySettings,
    )

    where = SourceLocation("groups/x.yaml", 1)
    spec = DeploymentSpec(
        name="x",
        thing_group="G",
        deployment_name="x",
        components={
            "c": DeploymentComponent(
                name="c",
                version="1.0.0",
                configuration={"keep": 1},
                configuration_policy="minimal",
                reset=(),
                secret_paths=(),
                run_with=None,
                source=where,
            )
        },
        deployment_policies=DeploymentPolicies().with_service_defaults(),
        iot_job_configuration=DeploymentIoTJobConfiguration(),
        tags={},
        sync_policy=SyncPolicySettings(),
        source=where,
    )
    old = ConfigurationUpdate(merge={"keep": 1, "token": "s3cr3t-value"}).to_api()
    live = LiveDeployment(
        deployment_id="d1",
        target_arn="arn:aws:iot:us-east-1:1:thinggroup/G",
        revision_id="1",
        deployment_name="x",
        components={"c": LiveComponent("c", "1.0.0", dict(old))},
    )
    target = plan_target(
        spec,
        target_arn=live.target_arn,
        live=live,
        versions={},
        defaults_of=lambda _n, _v: {},
        instance="greengrass-reconciler",
    )
    plan = Plan(targets=(target,))
    for text in (render_text(plan), render_markdown(plan)):
        assert "/token" in text
        assert "s3cr3t-value" not in text
