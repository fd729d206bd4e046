"""Fault injection: throttling, server errors, in-progress and quota errors, latency; per
operation and service; seeded."""

from __future__ import annotations

import signal
import time

import pytest
from botocore.exceptions import ClientError
from click.testing import CliRunner

from reconciler.cli import main
from reconciler.emulator.admin import EmulatorAdminError
from tests.conftest import AwsTestContext
from tests.emulator.helpers import EmulatorProcess, client_for, recipe_bytes

# botocore reads `max_attempts` as retries; `total_max_attempts` counts the first attempt too.
ONE_ATTEMPT = {"retries": {"total_max_attempts": 1}}


def test_throttling_carries_retry_after(aws: AwsTestContext) -> None:
    aws.admin.set_faults(throttle_rate=1.0, operations=["ListDeployments"], retry_after_seconds=3)
    gg = aws.client("greengrassv2", **ONE_ATTEMPT)
    with pytest.raises(ClientError) as raised:
        gg.list_deployments()
    response = raised.value.response
    assert response["Error"]["Code"] == "ThrottlingException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert response["retryAfterSeconds"] == 3
    assert gg.list_components()["components"] == []  # other operations are untouched


def test_server_errors(aws: AwsTestContext) -> None:
    aws.admin.set_faults(error_rate=1.0)
    with pytest.raises(ClientError) as raised:
        aws.client("greengrassv2", **ONE_ATTEMPT).list_components()
    assert raised.value.response["Error"]["Code"] == "InternalServerException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_botocore_retries_injected_faults(aws: AwsTestContext) -> None:
    aws.admin.set_faults(throttle_rate=1.0, retry_after_seconds=0)
    since = max((r.seq for r in aws.admin.requests()), default=0)
    gg = aws.client("greengrassv2", retries={"total_max_attempts": 2})
    with pytest.raises(ClientError):
        gg.list_components()
    faults = [r.fault for r in aws.admin.requests(since=since)]
    assert faults == ["throttle", "throttle"]


def test_a_seed_makes_faults_repeatable(aws: AwsTestContext) -> None:
    gg = aws.client("greengrassv2", **ONE_ATTEMPT)

    def statuses() -> list[int]:
        result = []
        for _ in range(24):
            try:
                gg.list_components()
                result.append(200)
            except ClientError as error:
                result.append(error.response["ResponseMetadata"]["HTTPStatusCode"])
        return result

    aws.admin.set_faults(throttle_rate=0.3, error_rate=0.2, seed=7)
    first = statuses()
    aws.admin.set_faults(seed=7)  # re-seeding restarts the same sequence
    assert statuses() == first
    assert {200, 429, 500} <= set(first)


def test_latency_is_added_and_logged(aws: AwsTestContext) -> None:
    aws.admin.set_faults(latency_ms=150)
    gg = aws.client("greengrassv2")
    started = time.perf_counter()
    gg.list_components()
    assert time.perf_counter() - started >= 0.15
    assert aws.admin.requests()[-1].latency_ms == 150


def test_faults_can_target_s3_in_its_own_protocol(aws: AwsTestContext) -> None:
    s3 = aws.client("s3", **ONE_ATTEMPT)
    s3.create_bucket(Bucket="models")
    aws.admin.set_faults(error_rate=1.0, services=["s3"], operations=["PutObject"])
    with pytest.raises(ClientError) as raised:
        s3.put_object(Bucket="models", Key="a", Body=b"x")
    assert raised.value.response["Error"]["Code"] == "InternalError"
    assert s3.list_objects_v2(Bucket="models")["KeyCount"] == 0
    aws.admin.set_faults(throttle_rate=1.0, error_rate=0.0)
    with pytest.raises(ClientError) as raised:
        s3.put_object(Bucket="models", Key="a", Body=b"x")
    assert raised.value.response["Error"]["Code"] == "SlowDown"


def test_clear_faults(aws: AwsTestContext) -> None:
    aws.admin.set_faults(throttle_rate=1.0)
    aws.admin.clear_faults()
    assert aws.client("greengrassv2", **ONE_ATTEMPT).list_components()["components"] == []


def test_invalid_fault_settings_are_refused(aws: AwsTestContext) -> None:
    with pytest.raises(EmulatorAdminError, match="between 0 and 1"):
        aws.admin.set_faults(throttle_rate=2.0)
    with pytest.raises(EmulatorAdminError, match="must not exceed 1"):
        aws.admin.set_faults(throttle_rate=0.6, error_rate=0.6)


def test_request_already_in_progress_where_the_model_declares_it(
    aws: AwsTestContext,
) -> None:
    """RequestAlreadyInProgressException: 400, on CreateComponentVersion and CreateDeployment
    only (botocore's model); other operations that draw it are served normally."""
    aws.admin.create_thing_groups(["fleet"])
    aws.admin.set_faults(in_progress_rate=1.0)
    gg = aws.client("greengrassv2", **ONE_ATTEMPT)
    with pytest.raises(gg.exceptions.RequestAlreadyInProgressException) as raised:
        gg.create_deployment(
            targetArn=f"arn:aws:iot:{aws.region}:{aws.account_id}:thinggroup/fleet",
            components={"aws.greengrass.DLRImageClassification": {"componentVersion": "2.1.10"}},
        )
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "already in progress" in raised.value.response["Error"]["Message"]
    with pytest.raises(gg.exceptions.RequestAlreadyInProgressException):
        gg.create_component_version(inlineRecipe=recipe_bytes())
    assert gg.list_deployments()["deployments"] == []  # not declared: no fault
    faults = [(r.operation, r.fault) for r in aws.admin.requests()[-3:]]
    assert faults == [
        ("CreateDeployment", "in-progress"),
        ("CreateComponentVersion", "in-progress"),
        ("ListDeployments", None),
    ]


def test_service_quota_exceeded_on_create_component_version(aws: AwsTestContext) -> None:
    """ServiceQuotaExceededException: 402 with the model's required quotaCode and serviceCode;
    the model declares it on CreateComponentVersion alone."""
    aws.admin.create_thing_groups(["fleet"])
    aws.admin.set_faults(quota_exceeded_rate=1.0)
    gg = aws.client("greengrassv2", **ONE_ATTEMPT)
    with pytest.raises(gg.exceptions.ServiceQuotaExceededException) as raised:
        gg.create_component_version(inlineRecipe=recipe_bytes())
    response = raised.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 402
    assert response["serviceCode"] == "greengrass"
    assert response["quotaCode"]
    deployment = gg.create_deployment(  # not declared on CreateDeployment: served
        targetArn=f"arn:aws:iot:{aws.region}:{aws.account_id}:thinggroup/fleet",
        components={"aws.greengrass.DLRImageClassification": {"componentVersion": "2.1.10"}},
    )
    assert deployment["deploymentId"]


def test_the_new_fault_kinds_are_settings_like_the_others(aws: AwsTestContext) -> None:
    shown = aws.admin.set_faults(in_progress_rate=0.25, quota_exceeded_rate=0.5)
    assert shown["inProgressRate"] == 0.25
    assert shown["quotaExceededRate"] == 0.5
    assert aws.admin.faults()["quotaExceededRate"] == 0.5
    with pytest.raises(EmulatorAdminError, match="must not exceed 1"):
        aws.admin.set_faults(throttle_rate=0.5)
    aws.admin.clear_faults()
    assert aws.admin.faults()["inProgressRate"] == aws.admin.faults()["quotaExceededRate"] == 0


def test_the_cli_takes_the_new_fault_kinds() -> None:
    help_text = CliRunner().invoke(main, ["emulator", "--help"]).output
    assert "--in-progress-rate" in help_text
    assert "--quota-exceeded-rate" in help_text
    result = CliRunner().invoke(
        main, ["emulator", "--in-progress-rate", "0.6", "--quota-exceeded-rate", "0.6"]
    )
    assert result.exit_code == 2  # the flags reach FaultSettings, which checks their sum
    assert "must not exceed 1" in result.output


@pytest.mark.slow
def test_a_quota_fault_set_on_the_command_line_is_served() -> None:
    emulator = EmulatorProcess("--quota-exceeded-rate", "1")
    try:
        gg = client_for(emulator.endpoint_url, "greengrassv2", retries={"total_max_attempts": 1})
        with pytest.raises(gg.exceptions.ServiceQuotaExceededException):
            gg.create_component_version(inlineRecipe=recipe_bytes())
    finally:
        emulator.process.send_signal(signal.SIGTERM)
        assert emulator.process.wait(timeout=20) == 0


def test_a_request_rate_quota_throttles_what_exceeds_it_per_operation(
    aws: AwsTestContext,
) -> None:
    aws.admin.set_faults(quota_rate=1.0, quota_burst=3, retry_after_seconds=1)
    gg = aws.client("greengrassv2", **ONE_ATTEMPT)
    outcomes = []
    for _ in range(5):
        try:
            gg.list_deployments()
            outcomes.append("ok")
        except ClientError as error:
            outcomes.append(error.response["Error"]["Code"])
    # The burst goes through at once, then the quota throttles, with the service's Retry-After.
    assert outcomes[:3] == ["ok"] * 3
    assert outcomes[3:] == ["ThrottlingException"] * 2
    # Another operation has a quota of its own, untouched by ListDeployments' calls.
    gg.list_components()
    time.sleep(1.1)  # one second refills one request of ListDeployments' quota
    gg.list_deployments()
    assert aws.admin.faults()["quotaRate"] == 1.0
    aws.admin.clear_faults()
    assert aws.admin.faults()["quotaRate"] == 0
    for _ in range(5):
        gg.list_deployments()  # no quota any more
