"""Which AWS failures are retried: botocore's standard retry rules decide, not a list of ours.

The exceptions are botocore's own, built as its HTTP layer and parsers build them; the operation
models come from real (offline) clients, so the service models' error shapes take part.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    NoCredentialsError,
    ParamValidationError,
    ReadTimeoutError,
    ResponseStreamingError,
)
from botocore.model import OperationModel

from reconciler.adapters.aws.errors import translate
from reconciler.errors import (
    AwsClientError,
    AwsConflictError,
    AwsNotFoundError,
    AwsServerError,
    AwsThrottledError,
    AwsValidationError,
)

URL = "https://greengrass.us-east-1.amazonaws.com/greengrass/v2/deployments"


def _model(service: str, operation: str) -> OperationModel:
    client = boto3.session.Session().client(  # type: ignore[call-overload]
        service, region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    model: OperationModel = client.meta.service_model.operation_model(operation)
    return model


def _client_error(
    code: str, status: int, operation: str, headers: dict[str, str] | None = None, **extra: Any
) -> ClientError:
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": f"{code} (test)"},
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": headers or {}},
        **extra,
    }
    return ClientError(response, operation)  # type: ignore[arg-type]


CREATE_DEPLOYMENT = ("greengrassv2", "CreateDeployment")
PUT_OBJECT = ("s3", "PutObject")


@pytest.mark.parametrize(
    "raw",
    [
        # A connection reset while the answer was arriving: the write may have taken effect.
        ConnectionClosedError(endpoint_url=URL, request=None, error="reset by peer"),
        EndpointConnectionError(endpoint_url=URL, error="connection refused"),
        ConnectTimeoutError(endpoint_url=URL, error="timed out"),
        ReadTimeoutError(endpoint_url=URL, error="read timed out"),
        HTTPClientError(error="Connection broken: IncompleteRead"),
        ResponseStreamingError(error="Connection broken: IncompleteRead(10 bytes read)"),
    ],
    ids=lambda raw: type(raw).__name__,
)
def test_network_failures_are_temporary(raw: Exception) -> None:
    error = translate(raw, "create_deployment", _model(*CREATE_DEPLOYMENT))
    assert isinstance(error, AwsServerError)
    assert error.temporary
    assert error.code == type(raw).__name__


@pytest.mark.parametrize(
    ("service_operation", "code", "status"),
    [
        # S3 answers 400 RequestTimeout when the upload stalled: botocore's transient codes.
        (PUT_OBJECT, "RequestTimeout", 400),
        # Greengrass: the same client token while the first request is still processed.
        (CREATE_DEPLOYMENT, "RequestAlreadyInProgressException", 400),
        (CREATE_DEPLOYMENT, "InternalServerException", 500),
        (PUT_OBJECT, "ServiceUnavailable", 503),
        (PUT_OBJECT, "BadGateway", 502),
    ],
)
def test_transient_answers_are_temporary_server_errors(
    service_operation: tuple[str, str], code: str, status: int
) -> None:
    error = translate(
        _client_error(code, status, service_operation[1]), "op", _model(*service_operation)
    )
    assert isinstance(error, AwsServerError), error
    assert error.temporary and error.code == code


@pytest.mark.parametrize(
    ("service_operation", "code", "status"),
    [
        (CREATE_DEPLOYMENT, "ThrottlingException", 429),
        (PUT_OBJECT, "SlowDown", 503),
        (("sts", "GetCallerIdentity"), "Throttling", 400),
        # A 429 whose code no model knows is throttling by its status.
        (("iot", "DescribeThingGroup"), "SomethingNew", 429),
    ],
)
def test_throttling_is_recognised(
    service_operation: tuple[str, str], code: str, status: int
) -> None:
    error = translate(
        _client_error(code, status, service_operation[1]), "op", _model(*service_operation)
    )
    assert isinstance(error, AwsThrottledError)
    assert error.temporary


def test_retry_after_is_kept_from_the_field_or_the_header() -> None:
    model = _model(*CREATE_DEPLOYMENT)
    parsed = _client_error("ThrottlingException", 429, "CreateDeployment", retryAfterSeconds="7")
    header = _client_error("ThrottlingException", 429, "CreateDeployment", {"retry-after": "3"})
    first, second = translate(parsed, "op", model), translate(header, "op", model)
    assert isinstance(first, AwsThrottledError) and first.retry_after == 7.0
    assert isinstance(second, AwsThrottledError) and second.retry_after == 3.0


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("ValidationException", 400, AwsValidationError),
        ("ResourceNotFoundException", 404, AwsNotFoundError),
        ("ConflictException", 409, AwsConflictError),
        ("AccessDeniedException", 403, AwsClientError),
        ("ServiceQuotaExceededException", 402, AwsClientError),
    ],
)
def test_permanent_answers_are_not_retried(code: str, status: int, kind: type[Exception]) -> None:
    error = translate(
        _client_error(code, status, "CreateDeployment"), "op", _model(*CREATE_DEPLOYMENT)
    )
    assert type(error) is kind
    assert not error.temporary


def test_missing_credentials_and_bad_parameters_are_permanent() -> None:
    model = _model(*CREATE_DEPLOYMENT)
    no_credentials = translate(NoCredentialsError(), "create_deployment", model)
    assert isinstance(no_credentials, AwsClientError) and not no_credentials.temporary
    assert "no AWS credentials" in str(no_credentials)
    invalid = translate(ParamValidationError(report="bad"), "create_deployment", model)
    assert isinstance(invalid, AwsClientError) and not invalid.temporary
