"""Fixtures shared by every test suite: a local AWS emulator and clients bound to it.

    emulator   one in-process emulator per test session (per pytest-xdist worker), on a free
               port, with strict response checks on (no simulated devices: tests that need
               some add them through aws.admin)
    aws        resets that emulator before the test, points the AWS environment variables at
               it, and hands out clients bound to it:
                   aws.client("greengrassv2", retries={"total_max_attempts": 1})

The emulator is imported lazily so that suites which never use it do not pay for moto.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, settings

if TYPE_CHECKING:
    from reconciler.emulator.admin import EmulatorAdmin
    from reconciler.emulator.server import EmulatorServer

# The suite runs on shared 2-core machines: how fast examples are generated and run depends on
# the load, not on the code under test, so neither may fail a test. Tests that set their own
# `@settings` keep this for what they leave out.
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")

TEST_CREDENTIAL = "testing"
SAMPLE_SPECS = Path(__file__).resolve().parents[1] / "deploy-specs"


@dataclass(frozen=True)
class AwsTestContext:
    """Where the emulator is and how to talk to it."""

    endpoint_url: str
    region: str
    account_id: str
    admin: EmulatorAdmin

    def client(self, service_name: str, **config: Any) -> Any:
        """A boto3 client bound to the emulator; `config` goes to botocore's `Config`."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            service_name,
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=TEST_CREDENTIAL,
            aws_secret_access_key=TEST_CREDENTIAL,
            config=Config(**config) if config else None,
        )


@pytest.fixture(autouse=True)
def private_user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test has its own user cache directory (the default `--cache-dir`): no test reads
    facts another test cached, and none writes to the real ~/.cache."""
    cache = tmp_path / "user-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorServer]:
    from reconciler.emulator.options import EmulatorOptions
    from reconciler.emulator.server import EmulatorServer

    options = EmulatorOptions(strict_responses=True)
    server = EmulatorServer(host="127.0.0.1", port=0, options=options).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def aws(
    emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> AwsTestContext:
    from reconciler.emulator.admin import EmulatorAdmin

    admin = EmulatorAdmin(emulator.endpoint_url)
    admin.reset()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", TEST_CREDENTIAL)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", TEST_CREDENTIAL)
    monkeypatch.setenv("AWS_DEFAULT_REGION", emulator.options.region)
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.endpoint_url)
    # Standard retry mode, as modern SDKs use. Mind that botocore reads the client config
    # `retries={"max_attempts": N}` as N *retries*; `{"total_max_attempts": 1}` is one attempt.
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    # Each test its own cache directory, so the file lease that `apply` takes (like the
    # controller) is not shared by tests running at the same time.
    monkeypatch.setenv("RECONCILER_CACHE_DIR", str(tmp_path / "reconciler-cache"))
    return AwsTestContext(
        endpoint_url=emulator.endpoint_url,
        region=emulator.options.region,
        account_id=emulator.options.account_id,
        admin=admin,
    )


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    """A private copy of the sample deploy-specs (tests edit it)."""
    target = tmp_path / "deploy-specs"
    shutil.copytree(SAMPLE_SPECS, target)
    return target
