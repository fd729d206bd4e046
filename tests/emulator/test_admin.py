"""The admin API: health, settings, reset, thing groups, errors."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from reconciler.emulator.admin import EmulatorAdmin, EmulatorAdminError
from tests.conftest import AwsTestContext
from tests.emulator.helpers import recipe_bytes, thing_group_arn


def test_health(aws: AwsTestContext) -> None:
    health = aws.admin.health()
    assert health["status"] == "ok"
    assert health["accountId"] == aws.account_id
    assert health["region"] == aws.region
    assert health["stateFile"] is None


def test_reset_empties_everything_but_the_public_catalog(aws: AwsTestContext) -> None:
    gg, s3, iot = aws.client("greengrassv2"), aws.client("s3"), aws.client("iot")
    gg.create_component_version(inlineRecipe=recipe_bytes())
    s3.create_bucket(Bucket="models")
    aws.admin.create_thing_groups(["fleet"])
    gg.create_deployment(
        targetArn=thing_group_arn("fleet", aws.region, aws.account_id),
        components={"com.example.Hello": {"componentVersion": "1.0.0"}},
    )
    aws.admin.set_faults(latency_ms=1)
    aws.admin.set_settings(component_ready_seconds=99)
    aws.admin.set_clock("virtual")
    aws.admin.reset()
    assert gg.list_components()["components"] == []
    assert gg.list_deployments(historyFilter="ALL")["deployments"] == []
    assert s3.list_buckets()["Buckets"] == []
    assert iot.list_thing_groups()["thingGroups"] == []
    assert len(gg.list_components(scope="PUBLIC")["components"]) >= 9
    assert aws.admin.faults()["latencyMs"] == 0
    assert aws.admin.settings()["componentReadySeconds"] == 0
    assert aws.admin.clock()["mode"] == "real"
    assert [r.operation for r in aws.admin.requests()] == [
        "ListComponents",
        "ListDeployments",
        "ListBuckets",
        "ListThingGroups",
        "ListComponents",
    ]


def test_thing_groups_can_be_created_in_bulk(aws: AwsTestContext) -> None:
    created = aws.admin.create_thing_groups(["a", "b"])
    assert created == [
        {"name": "a", "arn": thing_group_arn("a", aws.region, aws.account_id)},
        {"name": "b", "arn": thing_group_arn("b", aws.region, aws.account_id)},
    ]
    iot = aws.client("iot")
    assert iot.describe_thing_group(thingGroupName="b")["thingGroupArn"] == created[1]["arn"]
    assert sorted(g["groupName"] for g in iot.list_thing_groups()["thingGroups"]) == ["a", "b"]
    with pytest.raises(EmulatorAdminError, match="names"):
        aws.admin.create_thing_groups([""])


def test_unknown_endpoints_and_bad_bodies_are_explained(aws: AwsTestContext) -> None:
    with pytest.raises(EmulatorAdminError, match="No admin endpoint /_emulator/nothing"):
        aws.admin._call("GET", "nothing")
    with pytest.raises(EmulatorAdminError, match="405"):
        aws.admin._call("DELETE", "health")
    request = urllib.request.Request(
        aws.endpoint_url + "/_emulator/faults", data=b"[1", method="PUT"
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    assert raised.value.code == 400
    assert "not valid JSON" in json.loads(raised.value.read())["message"]


def test_an_unreachable_emulator_is_reported_clearly() -> None:
    with pytest.raises(EmulatorAdminError, match="cannot be reached"):
        EmulatorAdmin("http://127.0.0.1:9", timeout=2).health()
