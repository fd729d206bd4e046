"""Helpers for the emulator's tests: recipes, thing groups, emulator subprocesses."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
READY_PREFIX = "Emulator ready at "
ACCOUNT = "123456789012"
REGION = "us-east-1"


def recipe(
    name: str = "com.example.Hello",
    version: str = "1.0.0",
    *,
    artifacts: list[str] | None = None,
    dependencies: dict[str, dict[str, str]] | None = None,
    platform: dict[str, str] | None = None,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "RecipeFormatVersion": "2020-01-25",
        "ComponentName": name,
        "ComponentVersion": version,
        "ComponentDescription": f"{name} for tests",
        "ComponentPublisher": "Example Corp",
        "ComponentConfiguration": {"DefaultConfiguration": {"Message": "hello"}},
        "Manifests": [
            {
                "Platform": platform or {"os": "linux"},
                "Lifecycle": {"Run": "echo {configuration:/Message}"},
                "Artifacts": [{"URI": uri} for uri in artifacts or []],
            }
        ],
    }
    if dependencies:
        document["ComponentDependencies"] = dependencies
    return document


def recipe_bytes(**kwargs: Any) -> bytes:
    return json.dumps(recipe(**kwargs)).encode("utf-8")


def thing_group_arn(name: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:iot:{region}:{account}:thinggroup/{name}"


def public_version_arn(name: str, version: str, region: str = REGION) -> str:
    return f"arn:aws:greengrass:{region}:aws:components:{name}:versions:{version}"


class EmulatorProcess:
    """`python -m reconciler emulator ...` in a subprocess, with its output collected."""

    def __init__(self, *args: str) -> None:
        env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "emulator", "--port", "0", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()
        self.endpoint_url = self._wait_until_ready()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            self.lines.put(line)

    def _wait_until_ready(self, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None:
                    raise AssertionError(f"emulator exited: {''.join(self.output)}") from None
                continue
            if line.startswith(READY_PREFIX):
                return line[len(READY_PREFIX) :].strip()
        self.process.kill()
        raise AssertionError(f"emulator did not start in {timeout} s: {''.join(self.output)}")

    def stop(self, timeout: float = 20.0) -> int:
        self.process.terminate()
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=20)


def client_for(endpoint_url: str, service_name: str, **config: Any) -> Any:
    """A boto3 client for an emulator that is not the session fixture's."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        service_name,
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(**config) if config else None,
    )
