"""Translate botocore's exceptions into the reconciler's error tree, in one place.

Nothing above the adapters ever sees a botocore exception: callers decide retry-or-report on
`ReconcilerError.temporary` alone.

*Whether* an error is worth retrying is botocore's own decision, not a list of ours: the checkers
of its `standard` retry mode (`botocore.retries.standard`) judge every failure, the same rules
every AWS SDK applies — connection errors and resets mid-response (`ConnectionError`,
`HTTPClientError`: `EndpointConnectionError`, `ConnectionClosedError`, connect and read
timeouts), 500/502/503/504, transient codes such as S3's `RequestTimeout`, throttling codes and
429s, and errors the service model marks `retryable`. One code is added to its transient codes:
Greengrass's `RequestAlreadyInProgressException`, which its model documents as "a client token
used while IoT Greengrass is still processing an earlier request that uses the same client
token" — exactly what a retry of a write whose first answer was lost meets, and it resolves by
waiting. botocore only classifies here; `AwsCaller` counts the attempts, waits (honouring
Retry-After) and keeps the rate limit.
"""

from __future__ import annotations

from botocore.awsrequest import AWSResponse
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from botocore.model import OperationModel
from botocore.retries.standard import (
    OrRetryChecker,
    RetryContext,
    RetryEventAdapter,
    StandardRetryConditions,
    ThrottlingErrorDetector,
    TransientRetryableChecker,
)

from reconciler.errors import (
    AwsApiError,
    AwsClientError,
    AwsConflictError,
    AwsNotFoundError,
    AwsServerError,
    AwsThrottledError,
    AwsValidationError,
)

_IN_PROGRESS_CODES = ["RequestAlreadyInProgressException"]

# botocore's standard retry conditions without their attempt count (AwsCaller counts attempts):
# a context is always the first of two allowed attempts.
_RETRYABLE = OrRetryChecker(
    [
        StandardRetryConditions(max_attempts=2),
        TransientRetryableChecker(
            transient_error_codes=_IN_PROGRESS_CODES,
            transient_status_codes=[],
            transient_exception_cls=(),
        ),
    ]
)
_THROTTLING = ThrottlingErrorDetector(RetryEventAdapter())

_NOT_FOUND_CODES = frozenset(
    {"ResourceNotFoundException", "NoSuchKey", "NoSuchBucket", "NotFound", "404"}
)
_CONFLICT_CODES = frozenset(
    {"ConflictException", "ResourceAlreadyExistsException", "BucketAlreadyOwnedByYou"}
)
_VALIDATION_CODES = frozenset({"ValidationException", "InvalidRequestException"})


def _retry_context(error: Exception, operation_model: OperationModel) -> RetryContext:
    """What botocore's retry handler would see for `error`: the parsed error response and the
    HTTP status of a service's answer, or the exception raised when there was no answer."""
    if not isinstance(error, ClientError):
        return RetryContext(
            attempt_number=1, operation_model=operation_model, caught_exception=error
        )
    metadata = error.response.get("ResponseMetadata", {})
    http_response = AWSResponse(
        url="",
        status_code=int(metadata.get("HTTPStatusCode", 0)),
        headers=metadata.get("HTTPHeaders", {}),  # type: ignore[arg-type]
        raw=None,
    )
    return RetryContext(
        attempt_number=1,
        operation_model=operation_model,
        parsed_response=error.response,
        http_response=http_response,
    )


def translate(error: Exception, operation: str, operation_model: OperationModel) -> AwsApiError:
    """Return the reconciler error that stands for a botocore `error` raised by `operation`
    (named in messages); `operation_model`, the client's model of it, tells botocore's checkers
    which errors the service models as retryable."""
    if isinstance(error, NoCredentialsError):
        return AwsClientError(
            "no AWS credentials found (environment, shared config, SSO, container or instance"
            " role)",
            code="NoCredentials",
            operation=operation,
        )
    context = _retry_context(error, operation_model)
    if isinstance(error, ClientError):
        return _translate_client_error(error, operation, context)
    if _RETRYABLE.is_retryable(context):
        return AwsServerError(
            f"{operation}: {error}", code=type(error).__name__, operation=operation
        )
    if isinstance(error, BotoCoreError):
        return AwsClientError(
            f"{operation}: {error}", code=type(error).__name__, operation=operation
        )
    return AwsApiError(f"{operation}: {error}", operation=operation)


def _translate_client_error(
    error: ClientError, operation: str, context: RetryContext
) -> AwsApiError:
    details = error.response.get("Error", {})
    code = str(details.get("Code", "Unknown"))
    message = str(details.get("Message") or code)
    status = context.http_response.status_code
    text = f"{operation}: {code}: {message}"
    if _THROTTLING.is_throttling_error_from_context(context):
        return AwsThrottledError(
            text, code=code, operation=operation, retry_after=_retry_after(error)
        )
    if _RETRYABLE.is_retryable(context):
        return AwsServerError(text, code=code, operation=operation)
    if code in _NOT_FOUND_CODES or status == 404:
        return AwsNotFoundError(text, code=code, operation=operation)
    if code in _CONFLICT_CODES or status == 409:
        return AwsConflictError(text, code=code, operation=operation)
    if code in _VALIDATION_CODES:
        return AwsValidationError(text, code=code, operation=operation)
    return AwsClientError(text, code=code, operation=operation)


def _retry_after(error: ClientError) -> float | None:
    # botocore parses the Retry-After header into `retryAfterSeconds` on Greengrass errors.
    raw: object = error.response.get("retryAfterSeconds")
    if raw is None:
        headers = error.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        raw = headers.get("retry-after")
    if not isinstance(raw, str | int | float):
        return None
    try:
        return float(raw)
    except ValueError:
        return None
