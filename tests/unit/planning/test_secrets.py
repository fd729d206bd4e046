"""Secret configuration values never reach a rendered plan, whatever the renderer."""

from __future__ import annotations

import json

import pytest

from reconciler.core.rendering import render_json, render_markdown, render_text
from tests.unit.planning.cases import plan_case

# Everything the secret-paths case holds under a secret path, live and desired.
NEW_SECRETS = ("NEW-api-token-7f3a9c", "NEW-bearer-5d1e", "NEW-upload-key-0b2c")
OLD_SECRETS = ("OLD-api-token-11aa", "OLD-password-22bb", "OLD-bearer-33cc")


def renderings() -> dict[str, str]:
    plan = plan_case("secret-paths")
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
