"""The error tree of greengrass-reconciler.

Every failure the product reports derives from `ReconcilerError`. Each class says whether the
failure is *temporary* (retrying later may succeed: throttling, a 5xx, an unreachable Git remote)
or *permanent* (retrying the same input gives the same answer: an invalid spec, a version
conflict, access denied). Retry loops and the controller decide on that flag alone.

    ReconcilerError
    ├── SpecError                 desired state is invalid (file, line, field, cause)  permanent
    ├── PlanError                 specs are valid but cannot be planned               permanent
    ├── SourceError               the Git/local source could not be read              temporary
    │   └── GitNotFoundError      the `git` program is not installed                  permanent
    ├── ApplyError                a step of an apply failed                           per cause
    └── AwsApiError               an AWS call failed (botocore errors wrapped at the boundary)
        ├── AwsClientError        4xx                                                 permanent
        │   ├── AwsNotFoundError
        │   ├── AwsConflictError
        │   └── AwsValidationError
        ├── AwsThrottledError     429 / ThrottlingException                           temporary
        └── AwsServerError        5xx, timeouts, connection errors, other answers     temporary
                                  botocore's standard retry rules call transient
"""

from __future__ import annotations


class ReconcilerError(Exception):
    """Base of every error the reconciler reports."""

    temporary: bool = False


class SpecError(ReconcilerError):
    """The desired state in the specs is invalid."""


class PlanError(ReconcilerError):
    """Valid specs that cannot be turned into a plan (dependency conflict, immutable version...)."""


class SourceError(ReconcilerError):
    """The source of desired state (Git remote, local path) could not be read."""

    temporary = True


class GitNotFoundError(SourceError):
    """The `git` program is missing (GitPython, which needs it, refuses to load without it)."""

    temporary = False

    def __init__(self) -> None:
        super().__init__(
            "the `git` program was not found; install Git (2.31 or later) and put it on PATH"
        )


class ApplyError(ReconcilerError):
    """A step of applying a plan failed."""

    def __init__(self, message: str, *, temporary: bool = False) -> None:
        super().__init__(message)
        self.temporary = temporary


class AwsApiError(ReconcilerError):
    """An AWS API call failed. `code` is the AWS error code, `operation` the API operation."""

    def __init__(self, message: str, *, code: str = "", operation: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.operation = operation


class AwsClientError(AwsApiError):
    """The request was rejected (4xx): retrying it unchanged will not help."""


class AwsNotFoundError(AwsClientError):
    """The resource does not exist."""


class AwsConflictError(AwsClientError):
    """The resource exists already or is in a conflicting state."""


class AwsValidationError(AwsClientError):
    """The service rejected the request's content."""


class AwsThrottledError(AwsApiError):
    """The service throttled the request; `retry_after` is the delay it asked for, if any."""

    temporary = True

    def __init__(
        self, message: str, *, code: str = "", operation: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(message, code=code, operation=operation)
        self.retry_after = retry_after


class AwsServerError(AwsApiError):
    """The service failed (5xx), timed out or could not be reached, or gave another answer that
    botocore's standard retry rules call transient (S3 `RequestTimeout`, ...)."""

    temporary = True
