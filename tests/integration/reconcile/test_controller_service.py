"""The controller as a service: HTTP endpoints, webhook, the README's demo entry point."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import git
import requests

from reconciler.adapters.sources.factory import open_source
from reconciler.engine.running import Controller
from reconciler.settings import ReconcilerSettings
from tests.conftest import AwsTestContext
from tests.integration.reconcile.conftest import mutating_calls

ROOT = Path(__file__).resolve().parents[3]
SECRET = b"webhook-test-secret"


def _wait_for(condition, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_endpoints_and_webhook(seeded: AwsTestContext, specs: Path, tmp_path: Path) -> None:
    repo = git.Repo.init(tmp_path / "fleet", initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "t")
        config.set_value("user", "email", "t@example.invalid")
    shutil.copytree(specs, tmp_path / "fleet" / "deploy-specs")
    repo.index.add(["deploy-specs"])
    repo.index.commit("sample")
    settings = ReconcilerSettings(
        http_host="127.0.0.1",
        http_port=0,
        poll_interval=3600,
        resync_interval=3600,
        lock="none",
        cache_dir=tmp_path / "cache",
    )
    source = open_source(
        str(tmp_path / "fleet"), branch="main", path="deploy-specs", cache_dir=tmp_path / "cache"
    )
    controller = Controller(settings=settings, source=source, webhook_secret=SECRET)
    controller.start()
    try:
        assert controller.http is not None
        url = controller.http.url
        assert requests.get(f"{url}/healthz", timeout=5).status_code == 200
        _wait_for(lambda: requests.get(f"{url}/readyz", timeout=5).status_code == 200)
        status = requests.get(f"{url}/status", timeout=5).json()
        assert {name: t["sync"] for name, t in status["targets"].items()} == {
            "CameraFleetProd": "Synced",
            "CameraFleetStaging": "Synced",
        }
        metrics = requests.get(f"{url}/metrics", timeout=5).text
        assert "greengrass_reconciler_reconcile" in metrics
        assert (
            'greengrass_reconciler_aws_calls_total{operation="ListDeployments"' in metrics
            or "greengrass_reconciler_aws_calls_total" in metrics
        )

        cycles = status["cycles"]
        body = json.dumps({"ref": "refs/heads/main", "after": "1" * 40}).encode()
        seeded.admin.clear_requests()
        bad = requests.post(
            f"{url}/webhook",
            data=body,
            timeout=5,
            headers={
                "X-GitHub-Event": "push",
                "X-Hub-Signature-256": "sha256=" + "0" * 64,
                "Content-Type": "application/json",
            },
        )
        assert bad.status_code == 401
        time.sleep(0.5)
        assert requests.get(f"{url}/status", timeout=5).json()["cycles"] == cycles
        assert mutating_calls(seeded) == []

        signature = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        good = requests.post(
            f"{url}/webhook",
            data=body,
            timeout=5,
            headers={
                "X-GitHub-Event": "push",
                "X-Hub-Signature-256": f"sha256={signature}",
                "Content-Type": "application/json",
            },
        )
        assert good.status_code == 202, good.text
        assert good.json()["status"] == "queued"
        _wait_for(lambda: requests.get(f"{url}/status", timeout=5).json()["cycles"] > cycles)
    finally:
        controller.stop()


def test_the_readme_demo_command_brings_every_group_in_sync(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "reconciler",
            "demo",
            "--workdir",
            str(tmp_path / "demo"),
            "--http-port",
            "0",
            "--emulator-port",
            "0",
            "--exit-when-synced",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all thing groups in sync" in result.stdout
    assert re.search(r"^dashboard: http://127\.0\.0\.1:\d+/$", result.stdout, re.MULTILINE)
    # The demo's simulated devices (3 per sample group) took the revisions the controller made.
    assert "6 of 6 devices run their group's latest revision" in result.stdout
