"""Translate botocore's exceptions into the reconciler's error tree, in one place.

Nothing above the adapters ever sees a botocore exception: callers decide retry-or-report on
`ReconcilerError.temporary` alone.
"""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
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

_THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
        "ThrottledException",
        "RequestThrottled",
    }
)
_NOT_FOUND_CODES = frozenset(
    {"ResourceNotFoundException", "NoSuchKey", "NoSuchBucket", "NotFound", "404"}
)
_CONFLICT_CODES = frozenset(
    {"ConflictException", "ResourceAlreadyExistsException", "BucketAlreadyOwnedByYou"}
)
_VALIDATION_CODES = frozenset({"ValidationException", "InvalidRequestException"})


def translate(error: Exception, operation: str) -> AwsApiError:
    """Return the reconciler error that stands for a botocore `error` raised by `operation`."""
    if isinstance(error, ClientError):
        return _translate_client_error(error, operation)
    if isinstance(error, NoCredentialsError):
        return AwsClientError(
            "no AWS credentials found (environment, shared config, SSO, container or instance"
            " role)",
            code="NoCredentials",
            operation=operation,
        )
    if isinstance(error, EndpointConnectionError | BotoConnectionError | ReadTimeoutError):
        return AwsServerError(
            f"{operation}: {error}", code=type(error).__name__, operation=operation
        )
    if isinstance(error, BotoCoreError):
        return AwsClientError(
            f"{operation}: {error}", code=type(error).__name__, operation=operation
        )
    return AwsApiError(f"{operation}: {error}", operation=operation)


def _translate_client_error(error: ClientError, operation: str) -> AwsApiError:
    details = error.response.get("Error", {})
    code = str(details.get("Code", "Unknown"))
    message = str(details.get("Message") or code)
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
    text = f"{operation}: {code}: {message}"
    if code in _THROTTLING_CODES or status == 429:
        return AwsThrottledError(
            text, code=code, operation=operation, retry_after=_retry_after(error)
        )
    if status >= 500:
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
