"""The request log records every request, whichever service answered it."""

from __future__ import annotations

import contextlib

from tests.conftest import AwsTestContext
from tests.emulator.helpers import thing_group_arn

DLR = {"aws.greengrass.DLRImageClassification": {"componentVersion": "2.1.10"}}


def test_requests_of_every_service_are_recorded(aws: AwsTestContext) -> None:
    gg, s3, iot, sts = (aws.client(n) for n in ("greengrassv2", "s3", "iot", "sts"))
    iot.create_thing_group(thingGroupName="fleet")
    iot.describe_thing_group(thingGroupName="fleet")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="m/a.tar.gz", Body=b"x")
    s3.get_object(Bucket="models", Key="m/a.tar.gz")
    assert sts.get_caller_identity()["Account"] == aws.account_id
    gg.list_components()
    fleet = thing_group_arn("fleet", aws.region, aws.account_id)
    gg.create_deployment(targetArn=fleet, components=DLR)
    seen = [
        (r.service, r.operation, r.mutating, r.resource, r.status) for r in aws.admin.requests()
    ]
    assert seen == [
        ("iot", "CreateThingGroup", True, fleet, 200),
        ("iot", "DescribeThingGroup", False, fleet, 200),
        ("s3", "CreateBucket", True, "s3://models", 200),
        ("s3", "PutObject", True, "s3://models/m/a.tar.gz", 200),
        ("s3", "GetObject", False, "s3://models/m/a.tar.gz", 200),
        ("sts", "GetCallerIdentity", False, None, 200),
        ("greengrassv2", "ListComponents", False, None, 200),
        ("greengrassv2", "CreateDeployment", True, fleet, 201),
    ]


def test_since_and_clear(aws: AwsTestContext) -> None:
    gg = aws.client("greengrassv2")
    gg.list_components()
    first = aws.admin.requests()
    gg.list_deployments()
    later = aws.admin.requests(since=first[-1].seq)
    assert [r.operation for r in later] == ["ListDeployments"]
    assert later[0].seq > first[-1].seq and later[0].method == "GET"
    assert later[0].path == "/greengrass/v2/deployments"
    assert aws.admin.clear_requests() == 2
    assert aws.admin.requests() == []


def test_errors_and_resolution_are_read_only(aws: AwsTestContext) -> None:
    gg = aws.client("greengrassv2", retries={"total_max_attempts": 1})
    gg.resolve_component_candidates(
        componentCandidates=[
            {"componentName": "variant.DLR", "versionRequirements": {"g": "~1.6.0"}}
        ]
    )
    with contextlib.suppress(gg.exceptions.ResourceNotFoundException):
        gg.get_deployment(deploymentId="missing")
    records = aws.admin.requests()
    assert [(r.operation, r.mutating, r.status) for r in records] == [
        ("ResolveComponentCandidates", False, 200),
        ("GetDeployment", False, 404),
    ]
