"""The wire protocol, derived from botocore's model: routing, parsing, errors, response checks."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import botocore.session
import pytest
from botocore.model import OperationModel, Shape
from botocore.serialize import create_serializer

from reconciler.emulator.greengrass.urls import is_greengrass_v2
from reconciler.emulator.protocol.routing import Router
from reconciler.emulator.protocol.shapes import ShapeCompiler
from reconciler.emulator.protocol.validation import validate
from tests.conftest import AwsTestContext
from tests.emulator.helpers import recipe_bytes

MODEL = botocore.session.get_session().get_service_model("greengrassv2")


def raw(
    aws: AwsTestContext, method: str, path: str, body: bytes | None = None
) -> tuple[int, dict[str, str], dict[str, Any]]:
    request = urllib.request.Request(
        aws.endpoint_url + path,
        data=body,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            headers = {k.lower(): v for k, v in response.headers.items()}
            return response.status, headers, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        headers = {k.lower(): v for k, v in error.headers.items()}
        return error.code, headers, json.loads(error.read() or b"{}")


def sample(shape: Shape, depth: int = 0) -> Any:
    """A value of `shape` good enough for botocore's serializer (required members only)."""
    if shape.type_name == "structure":
        return {
            name: sample(shape.members[name], depth + 1)
            for name in shape.metadata.get("required", [])
        }
    if shape.type_name == "list":
        return [sample(shape.member, depth + 1)]  # type: ignore[attr-defined]
    if shape.type_name == "map":
        return {"key": sample(shape.value, depth + 1)}  # type: ignore[attr-defined]
    if shape.type_name in ("integer", "long"):
        return 1
    if shape.type_name == "blob":
        return b"blob"
    if shape.type_name == "boolean":
        return True
    return "arn:aws:greengrass:us-east-1:123456789012:components:x:versions:1.0.0"


@pytest.mark.parametrize("operation_name", MODEL.operation_names)
def test_every_operation_routes_back_to_itself(operation_name: str) -> None:
    operation: OperationModel = MODEL.operation_model(operation_name)
    params = sample(operation.input_shape) if operation.input_shape else {}
    request = create_serializer("rest-json").serialize_to_request(params, operation)
    url = urlsplit(request["url_path"])
    query = {k: v if isinstance(v, list) else [v] for k, v in request["query_string"].items()}
    found = Router(MODEL).match(request["method"], unquote(url.path), query)
    assert found is not None and found.operation.name == operation_name


def test_greengrass_paths_are_told_apart_from_v1_and_others() -> None:
    arn = "arn:aws:greengrass:us-east-1:123456789012:components:x:versions:1.0.0"
    assert is_greengrass_v2("/greengrass/v2/components")
    assert is_greengrass_v2(f"/tags/{arn}")
    assert is_greengrass_v2(f"/tags/{quote(arn, safe='')}")  # how boto3 sends it
    assert not is_greengrass_v2(
        "/tags/arn:aws:greengrass:us-east-1:123456789012:/greengrass/groups/g"
    )
    assert not is_greengrass_v2("/greengrass/groups")
    assert not is_greengrass_v2("/tags/arn:aws:s3:::bucket")
    assert is_greengrass_v2("/tags/arn:aws:s3:::bucket", "greengrass")


def test_percent_encoded_tag_paths_reach_greengrass(aws: AwsTestContext) -> None:
    arn = aws.client("greengrassv2").create_component_version(inlineRecipe=recipe_bytes())["arn"]
    status, _, body = raw(aws, "GET", "/tags/" + quote(arn, safe=""))
    assert status == 200
    assert body == {"tags": {}}


def test_an_unknown_route_is_an_unknown_operation(aws: AwsTestContext) -> None:
    status, headers, body = raw(aws, "GET", "/greengrass/v2/widgets")
    assert status == 404
    assert headers["x-amzn-errortype"] == "UnknownOperationException"
    assert "GET /greengrass/v2/widgets" in body["message"]
    logged = aws.admin.requests()[-1]
    assert (logged.operation, logged.status, logged.mutating) == ("UnknownOperation", 404, False)


def test_a_body_that_is_not_json_cannot_be_parsed(aws: AwsTestContext) -> None:
    status, headers, body = raw(aws, "POST", "/greengrass/v2/deployments", b"{not json")
    assert status == 400
    assert headers["x-amzn-errortype"] == "ValidationException"
    assert body["reason"] == "CANNOT_PARSE"


def test_missing_required_members_are_reported(aws: AwsTestContext) -> None:
    status, _, body = raw(aws, "POST", "/greengrass/v2/deployments", b"{}")
    assert status == 400
    assert body["fields"] == [
        {
            "name": "targetArn",
            "message": "Value null at 'targetArn' failed to satisfy constraint: "
            "Member must not be null",
        }
    ]


def test_timestamps_are_epoch_numbers_and_blobs_base64(aws: AwsTestContext) -> None:
    arn = aws.client("greengrassv2").create_component_version(inlineRecipe=recipe_bytes())["arn"]
    status, _, body = raw(
        aws, "GET", "/greengrass/v2/components/" + quote(arn, safe="") + "/metadata"
    )
    assert status == 200
    assert isinstance(body["creationTimestamp"], float)
    status, _, body = raw(aws, "GET", "/greengrass/v2/components/" + quote(arn, safe=""))
    assert json.loads(__import__("base64").b64decode(body["recipe"]))["ComponentVersion"] == "1.0.0"


def test_the_response_check_catches_what_the_model_forbids() -> None:
    spec = ShapeCompiler().compile(MODEL.operation_model("GetDeployment").output_shape)
    problems = validate(
        spec,
        {
            "deploymentStatus": "DONE",
            "revisionId": "",
            "creationTimestamp": "yesterday",
            "tags": {},
        },
        response=True,
    )
    messages = " | ".join(p.message for p in problems)
    assert "'DONE' at 'deploymentStatus'" in messages and "enum value set" in messages
    assert "'revisionId' failed to satisfy constraint: Member must have length greater" in messages
    assert (
        "'creationTimestamp' failed to satisfy constraint: Member must be a timestamp" in messages
    )
    assert "tags" not in messages  # an empty map is a normal answer


def test_strict_response_checks_are_on_in_the_test_fixture(aws: AwsTestContext) -> None:
    assert aws.admin.settings()["strictResponses"] is True
