"""The IoT jobs of deployments through boto3's iot client: executions per device, rollout
rates, abort criteria, timeouts, cancellation; other jobs stay moto's."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.conftest import AwsTestContext
from tests.emulator.fleetkit import MODEL_STORE, counts, deploy, group, status, virtual_fleet

TEN = """
generate:
  - {group: Prod, count: 10, namePrefix: cam-}
timing: {applySeconds: 1, jitterSeconds: 0}
"""
FOUR_AND_ONE_OFFLINE = """
devices:
  - {name: cam-5, groups: [Prod], offline: [{from: 0s, to: 1h}]}
generate:
  - {group: Prod, count: 4, namePrefix: cam-}
timing: {applySeconds: 1, jitterSeconds: 0}
"""
V9 = {MODEL_STORE: {"componentVersion": "2.1.9"}}


def test_maximum_per_minute_paces_the_notifications(aws: AwsTestContext) -> None:
    virtual_fleet(aws, TEN)
    rollout = {"jobExecutionsRolloutConfig": {"maximumPerMinute": 3}}
    created = deploy(aws, group("Prod", aws), V9, iotJobConfiguration=rollout)
    aws.admin.advance_clock(30)
    assert counts(aws, created["iotJobId"]) == {"Succeeded": 3}
    aws.admin.advance_clock(60)
    assert counts(aws, created["iotJobId"]) == {"Succeeded": 6}
    aws.admin.advance_clock(120)
    assert counts(aws, created["iotJobId"]) == {"Succeeded": 10}
    job = aws.client("iot").describe_job(jobId=created["iotJobId"])["job"]
    assert job["jobExecutionsRolloutConfig"] == {"maximumPerMinute": 3}


def test_an_exponential_rate_grows_with_the_notified_devices(aws: AwsTestContext) -> None:
    virtual_fleet(aws, TEN)
    rollout = {
        "jobExecutionsRolloutConfig": {
            "exponentialRate": {
                "baseRatePerMinute": 1,
                "incrementFactor": 2.0,
                "rateIncreaseCriteria": {"numberOfNotifiedThings": 2},
            }
        }
    }
    created = deploy(aws, group("Prod", aws), V9, iotJobConfiguration=rollout)
    notified = []
    for _ in range(4):
        aws.admin.advance_clock(59)
        notified.append(sum(counts(aws, created["iotJobId"]).values()))
        aws.admin.advance_clock(1)
    # The rate (1 a minute) doubles each time 2 more devices were notified.
    assert notified == [1, 2, 4, 8]


def test_abort_config_cancels_the_job_at_its_threshold(aws: AwsTestContext) -> None:
    virtual_fleet(aws, TEN)
    failing = ["cam-01", "cam-02"]
    aws.admin.set_failures(
        [{"component": MODEL_STORE, "version": "2.1.9", "devices": failing, "phase": "install"}]
    )
    config = {
        "jobExecutionsRolloutConfig": {"maximumPerMinute": 5},
        "abortConfig": {
            "criteriaList": [
                {
                    "failureType": "FAILED",
                    "action": "CANCEL",
                    "thresholdPercentage": 40,
                    "minNumberOfExecutedThings": 5,
                }
            ]
        },
    }
    created = deploy(aws, group("Prod", aws), V9, iotJobConfiguration=config)
    aws.admin.advance_clock(600)
    iot = aws.client("iot")
    job = iot.describe_job(jobId=created["iotJobId"])["job"]
    # The first minute notifies cam-01..05; the second failure is 40 % of the 5 notified: the
    # job is canceled, the three executions in progress finish, cam-06..10 are never notified.
    assert job["status"] == "CANCELED"
    assert job["abortConfig"] == config["abortConfig"]
    assert counts(aws, created["iotJobId"]) == {"Failed": 2, "Succeeded": 3}
    executions = iot.list_job_executions_for_job(jobId=created["iotJobId"])["executionSummaries"]
    assert len(executions) == 5
    assert status(aws, created["deploymentId"]) == "CANCELED"


def test_an_abort_cancels_queued_executions(aws: AwsTestContext) -> None:
    virtual_fleet(aws, FOUR_AND_ONE_OFFLINE)
    aws.admin.set_failures(
        [{"component": MODEL_STORE, "version": "2.1.9", "devices": ["cam-1"], "phase": "run"}]
    )
    criteria = {
        "failureType": "ALL",
        "action": "CANCEL",
        "thresholdPercentage": 20,
        "minNumberOfExecutedThings": 1,
    }
    config = {"abortConfig": {"criteriaList": [criteria]}}
    created = deploy(aws, group("Prod", aws), V9, iotJobConfiguration=config)
    aws.admin.advance_clock(5)
    # cam-5 is offline: its execution was QUEUED when the job was canceled.
    assert counts(aws, created["iotJobId"]) == {"Failed": 1, "Succeeded": 3, "Canceled": 1}
    gg = aws.client("greengrassv2")
    report = gg.list_effective_deployments(coreDeviceThingName="cam-5")["effectiveDeployments"]
    assert report[0]["coreDeviceExecutionStatus"] == "CANCELED"


def test_an_execution_in_progress_too_long_times_out(aws: AwsTestContext) -> None:
    virtual_fleet(aws, TEN.replace("applySeconds: 1", "applySeconds: 600"))
    config = {"timeoutConfig": {"inProgressTimeoutInMinutes": 1}}
    created = deploy(aws, group("Prod", aws), V9, iotJobConfiguration=config)
    aws.admin.advance_clock(30)
    assert counts(aws, created["iotJobId"]) == {"InProgress": 10}
    aws.admin.advance_clock(31)
    assert counts(aws, created["iotJobId"]) == {"TimedOut": 10}
    iot = aws.client("iot")
    execution = iot.describe_job_execution(jobId=created["iotJobId"], thingName="cam-01")
    assert execution["execution"]["status"] == "TIMED_OUT"
    gg = aws.client("greengrassv2")
    reports = gg.list_effective_deployments(coreDeviceThingName="cam-01")["effectiveDeployments"]
    assert reports[0]["coreDeviceExecutionStatus"] == "TIMED_OUT"


def test_executions_are_listed_by_status_and_page(aws: AwsTestContext) -> None:
    virtual_fleet(aws, TEN)
    aws.admin.set_failures(
        [{"component": MODEL_STORE, "version": "2.1.9", "devices": ["cam-02"], "phase": "run"}]
    )
    created = deploy(aws, group("Prod", aws), V9)
    aws.admin.advance_clock(5)
    iot = aws.client("iot")
    failed = iot.list_job_executions_for_job(jobId=created["iotJobId"], status="FAILED")
    assert [e["thingArn"].rsplit("/", 1)[1] for e in failed["executionSummaries"]] == ["cam-02"]
    pages = iot.get_paginator("list_job_executions_for_job").paginate(
        jobId=created["iotJobId"], PaginationConfig={"PageSize": 3}
    )
    names = [e["thingArn"] for page in pages for e in page["executionSummaries"]]
    assert len(names) == len(set(names)) == 10
    execution = iot.describe_job_execution(jobId=created["iotJobId"], thingName="cam-02")
    details = execution["execution"]["statusDetails"]["detailsMap"]
    assert details["detailed-deployment-status"] == "FAILED_ROLLBACK_COMPLETE"


def test_a_thing_without_an_execution_is_not_found(aws: AwsTestContext) -> None:
    virtual_fleet(aws, TEN)
    created = deploy(aws, group("Prod", aws), V9)
    with pytest.raises(ClientError) as raised:
        aws.client("iot").describe_job_execution(jobId=created["iotJobId"], thingName="nobody")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_cancel_job_cancels_the_deployment(aws: AwsTestContext) -> None:
    virtual_fleet(aws, TEN)
    rollout = {"jobExecutionsRolloutConfig": {"maximumPerMinute": 2}}
    created = deploy(aws, group("Prod", aws), V9, iotJobConfiguration=rollout)
    aws.admin.advance_clock(5)
    iot = aws.client("iot")
    answer = iot.cancel_job(jobId=created["iotJobId"], comment="stop")
    assert answer["jobId"] == created["iotJobId"]
    job = iot.describe_job(jobId=created["iotJobId"])["job"]
    assert (job["status"], job["comment"]) == ("CANCELED", "stop")
    assert status(aws, created["deploymentId"]) == "CANCELED"
    aws.admin.advance_clock(600)
    assert counts(aws, created["iotJobId"]) == {"Succeeded": 2}


def test_jobs_of_other_ids_stay_with_moto(aws: AwsTestContext) -> None:
    with pytest.raises(ClientError) as raised:
        aws.client("iot").describe_job(jobId="not-a-greengrass-job")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
