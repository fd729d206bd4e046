"""The errors of the Greengrass v2 service, named and shaped as in its botocore model.

Each exception carries the members of its error shape; `app.py` serializes them with the
status code the model assigns (`ValidationException` 400, `ResourceNotFoundException` 404,
`ConflictException` 409, `ThrottlingException` 429, `InternalServerException` 500...).
"""

from __future__ import annotations

from typing import Any

from reconciler.emulator.protocol.validation import FieldProblem


class GreengrassError(Exception):
    """Base of the service's errors: `code` is the error shape name."""

    code = "InternalServerException"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def fields(self) -> dict[str, Any]:
        """Members of the error shape, as the model names them."""
        return {"message": self.message}


class ValidationError(GreengrassError):
    code = "ValidationException"

    def __init__(
        self,
        message: str,
        *,
        reason: str = "FIELD_VALIDATION_FAILED",
        fields: list[FieldProblem] | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.problems = fields or []

    def fields(self) -> dict[str, Any]:
        result: dict[str, Any] = {"message": self.message, "reason": self.reason}
        if self.problems:
            result["fields"] = [{"name": p.name, "message": p.message} for p in self.problems]
        return result


class _ResourceError(GreengrassError):
    def __init__(self, message: str, *, resource_id: str, resource_type: str) -> None:
        super().__init__(message)
        self.resource_id = resource_id
        self.resource_type = resource_type

    def fields(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "resourceId": self.resource_id,
            "resourceType": self.resource_type,
        }


class ResourceNotFoundError(_ResourceError):
    code = "ResourceNotFoundException"


class ConflictError(_ResourceError):
    code = "ConflictException"


class AccessDeniedError(GreengrassError):
    code = "AccessDeniedException"


class ThrottlingError(GreengrassError):
    code = "ThrottlingException"

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds

    def fields(self) -> dict[str, Any]:
        return {"message": self.message, "retryAfterSeconds": self.retry_after_seconds}


class InternalServerError(GreengrassError):
    code = "InternalServerException"

    def __init__(self, message: str, *, retry_after_seconds: int | None = None) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds

    def fields(self) -> dict[str, Any]:
        result: dict[str, Any] = {"message": self.message}
        if self.retry_after_seconds is not None:
            result["retryAfterSeconds"] = self.retry_after_seconds
        return result
