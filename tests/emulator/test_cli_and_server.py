"""The `reconciler emulator` command and the in-process server."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.emulator.admin import EmulatorAdmin
from reconciler.emulator.server import EmulatorAlreadyRunningError, EmulatorServer
from tests.conftest import AwsTestContext
from tests.emulator.helpers import EmulatorProcess, client_for


def test_help_explains_how_to_use_it() -> None:
    result = CliRunner().invoke(main, ["emulator", "--help"])
    assert result.exit_code == 0
    for expected in (
        "AWS_ENDPOINT_URL",
        "--state",
        "--throttle-rate",
        "--error-rate",
        "--latency-ms",
        "--fleet",
        "/_emulator/",
    ):
        assert expected in result.output


def test_invalid_options_are_usage_errors() -> None:
    result = CliRunner().invoke(main, ["emulator", "--account", "12"])
    assert result.exit_code == 2
    assert "account_id must be 12 digits" in result.output


@pytest.mark.slow
def test_the_command_serves_until_sigterm() -> None:
    emulator = EmulatorProcess(
        "--throttle-rate",
        "1",
        "--fault-operations",
        "ListDeployments",
        "--region",
        "eu-west-1",
        "--server",
        "werkzeug",
    )
    try:
        assert EmulatorAdmin(emulator.endpoint_url).health()["region"] == "eu-west-1"
        gg = client_for(emulator.endpoint_url, "greengrassv2", retries={"total_max_attempts": 1})
        public = gg.list_components(scope="PUBLIC")["components"]
        assert any(c["componentName"] == "variant.DLR" for c in public)
        with pytest.raises(gg.exceptions.ThrottlingException):
            gg.list_deployments()
        sts = client_for(emulator.endpoint_url, "sts")
        assert sts.get_caller_identity()["Account"] == "123456789012"
    finally:
        emulator.process.send_signal(signal.SIGTERM)
        assert emulator.process.wait(timeout=20) == 0
    assert "Emulator stopped" in "".join(emulator.output)


def test_the_package_exports_its_public_api() -> None:
    import reconciler.emulator as package

    assert package.__all__ == [
        "EmulatorAdmin",
        "EmulatorAdminError",
        "EmulatorAlreadyRunningError",
        "EmulatorOptions",
        "EmulatorServer",
        "FaultSettings",
        "RequestRecord",
        "StateFileError",
    ]
    for name in package.__all__:
        assert getattr(package, name).__name__ == name


def test_one_emulator_per_process(emulator: EmulatorServer) -> None:
    with pytest.raises(EmulatorAlreadyRunningError, match="already runs in this process"):
        EmulatorServer(port=0).start()


def test_empty_s3_objects_are_served(aws: AwsTestContext) -> None:
    # boto3 sends `Expect: 100-continue` with `Content-Length: 0` for an empty PutObject.
    s3 = aws.client("s3", read_timeout=5, retries={"total_max_attempts": 1})
    s3.create_bucket(Bucket="empties")
    s3.put_object(Bucket="empties", Key="nothing", Body=b"")
    assert s3.get_object(Bucket="empties", Key="nothing")["ContentLength"] == 0


def test_seed_creates_what_the_sample_specs_expect() -> None:
    sample = Path(__file__).resolve().parents[2] / "deploy-specs"
    emulator = EmulatorProcess("--seed", str(sample))
    try:
        iot = client_for(emulator.endpoint_url, "iot")
        groups = {g["groupName"] for g in iot.list_thing_groups()["thingGroups"]}
        assert groups == {"CameraFleetProd", "CameraFleetStaging"}
        s3 = client_for(emulator.endpoint_url, "s3")
        keys = [
            o["Key"] for o in s3.list_objects_v2(Bucket="acme-greengrass-artifacts")["Contents"]
        ]
        assert "models/DLR-resnet18-armv7l-cpu-ImageClassification.tar.gz" in keys
    finally:
        emulator.process.send_signal(signal.SIGTERM)
        assert emulator.process.wait(timeout=20) == 0
    assert "Seeded from" in "".join(emulator.output)
