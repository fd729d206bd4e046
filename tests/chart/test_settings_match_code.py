"""The image and the chart pass exactly the settings the code reads, in a form it accepts.

Every RECONCILER_* variable the Dockerfile sets or the chart renders must be a field of
`ReconcilerSettings` (env prefix RECONCILER_), Git credentials included; the rendered values
must load into `ReconcilerSettings` and mean what values.yaml says.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from reconciler.settings import ReconcilerSettings
from tests.chart.conftest import REQUIRED_VALUES, ROOT
from tests.chart.helmlite import Chart, RenderedRelease, render_chart

SETTINGS_VARIABLES = {f"RECONCILER_{name.upper()}" for name in ReconcilerSettings.model_fields}
KNOWN = SETTINGS_VARIABLES


def dockerfile_environment() -> dict[str, str]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    found: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            found.update(re.findall(r"(\w+)=(\S+)", line))
    return found


def pod_environment(release: RenderedRelease) -> dict[str, str]:
    """What the controller's process sees: the ConfigMap, then env (downward API resolved)."""
    environment = dict(release.one("ConfigMap")["data"])
    container = release.one("Deployment")["spec"]["template"]["spec"]["containers"][0]
    for entry in container["env"]:
        if "value" in entry:
            environment[entry["name"]] = entry["value"]
        elif entry.get("valueFrom") == {"fieldRef": {"fieldPath": "metadata.namespace"}}:
            environment[entry["name"]] = release.one("Deployment")["metadata"]["namespace"]
    return environment


def test_the_image_sets_only_settings_the_code_reads() -> None:
    environment = dockerfile_environment()
    ours = {name for name in environment if name.startswith("RECONCILER_")}
    assert ours, "the Dockerfile sets no RECONCILER_ variable: did its ENV syntax change?"
    assert ours <= KNOWN, sorted(ours - KNOWN)
    assert environment["RECONCILER_CACHE_DIR"] == "/var/cache/reconciler"


@pytest.mark.parametrize("which", ["default", "ha"])
def test_the_chart_sets_only_settings_the_code_reads(
    which: str, default_release: RenderedRelease, ha_release: RenderedRelease
) -> None:
    release = default_release if which == "default" else ha_release
    ours = {name for name in pod_environment(release) if name.startswith("RECONCILER_")}
    assert ours - KNOWN == set()


def test_image_and_chart_agree_on_the_cache_dir_and_port(ha_release: RenderedRelease) -> None:
    image, pod = dockerfile_environment(), pod_environment(ha_release)
    for name in ("RECONCILER_CACHE_DIR", "RECONCILER_HTTP_PORT"):
        assert image[name] == pod[name], name


def _settings(release: RenderedRelease, monkeypatch: pytest.MonkeyPatch) -> ReconcilerSettings:
    for name in [n for n in os.environ if n.startswith("RECONCILER_")]:
        monkeypatch.delenv(name)
    for name, value in pod_environment(release).items():
        monkeypatch.setenv(name, value)
    return ReconcilerSettings()


def test_default_values_load_into_the_settings(
    default_release: RenderedRelease, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(default_release, monkeypatch)
    expected: dict[str, Any] = {
        "source": "https://github.com/acme/fleet.git",
        "branch": "main",
        "path": "deploy-specs",
        "poll_interval": 60.0,
        "resync_interval": 600.0,
        "http_port": 8080,
        "lock": "none",
        "lease_duration": 30.0,
        "log_format": "json",
        "rate_limit": 20.0,
        "rate_burst": 40,
        "concurrency": 16,
    }
    assert {name: getattr(settings, name) for name in expected} == expected
    assert str(settings.cache_dir) == "/var/cache/reconciler"
    assert (settings.fact_cache, settings.cache_max_mb) == (True, 256)


def test_the_fact_cache_can_be_turned_off(chart: Chart, monkeypatch: pytest.MonkeyPatch) -> None:
    values = {**REQUIRED_VALUES, "cache": {"facts": {"enabled": False, "maxMB": 64}}}
    settings = _settings(render_chart(chart, values), monkeypatch)
    assert (settings.fact_cache, settings.cache_max_mb) == (False, 64)


def test_ha_values_load_into_the_settings(
    ha_release: RenderedRelease, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(ha_release, monkeypatch)
    assert settings.lock == "kubernetes"
    assert settings.lease_name == "gr-greengrass-reconciler"
    assert settings.lease_namespace == "greengrass"
    assert settings.listing_ttl == 120.0  # from extraConfig
    assert str(settings.webhook_secret_file) == (
        "/var/run/secrets/greengrass-reconciler/webhook/secret"
    )
    assert str(settings.git_token_file) == "/var/run/secrets/greengrass-reconciler/git-token/token"
    assert str(settings.git_ssh_key_file) == (
        "/var/run/secrets/greengrass-reconciler/git-ssh/ssh-privatekey"
    )


NOTIFY_VALUES: dict[str, Any] = {
    "source": {"url": "https://github.com/acme/fleet.git"},
    "notifications": {
        "slack": {"urlSecret": {"name": "fleet-notify", "key": "slack-url"}},
        "webhook": {
            "urlSecret": {"name": "fleet-notify", "key": "webhook-url"},
            "hmacSecret": {"name": "fleet-notify", "key": "webhook-hmac"},
            "events": "rolloutFailed, cycleFailed",
        },
        "sns": {"topicArn": "arn:aws:sns:eu-west-1:123456789012:fleet", "events": "all"},
        "eventBridge": {"bus": "default"},
    },
    "gitFeedback": {"repo": "acme/fleet", "tokenSecret": {"name": "fleet-git", "key": "token"}},
}


def test_notification_values_load_into_the_settings(
    chart: Chart, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = render_chart(chart, NOTIFY_VALUES)
    settings = _settings(release, monkeypatch)
    secrets = "/var/run/secrets/greengrass-reconciler"
    assert str(settings.notify_slack_url_file) == f"{secrets}/notify-slack/url"
    assert str(settings.notify_webhook_url_file) == f"{secrets}/notify-webhook/url"
    assert str(settings.notify_webhook_secret_file) == f"{secrets}/notify-hmac/key"
    assert str(settings.github_token_file) == f"{secrets}/github-token/token"
    assert settings.notify_webhook_events == "rolloutFailed, cycleFailed"
    assert settings.notify_sns_topic_arn == "arn:aws:sns:eu-west-1:123456789012:fleet"
    assert settings.notify_eventbridge_bus == "default"
    assert settings.github_repo == "acme/fleet"
    # Defaults stay the code's: chat gets no progress events.
    assert "rolloutProgressed" not in settings.notify_slack_events
    pod = release.one("Deployment")["spec"]["template"]["spec"]
    mounted = {m["name"]: m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    assert mounted["notify-hmac"] == f"{secrets}/notify-hmac"
    volume = next(v for v in pod["volumes"] if v["name"] == "notify-hmac")
    assert volume["secret"] == {
        "secretName": "fleet-notify",
        "defaultMode": 0o440,
        "items": [{"key": "webhook-hmac", "path": "key"}],
    }
    assert "RECONCILER_NOTIFY_WEBHOOK_URL" not in pod_environment(release)  # files only
