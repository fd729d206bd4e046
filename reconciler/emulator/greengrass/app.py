"""The Greengrass v2 request pipeline: route, parse, validate, call, check, serialize.

Everything protocol-related is derived from the botocore model (see `protocol/`); this module
only strings the steps together and turns failures into the service's error responses:
unknown routes get the 404 `UnknownOperationException` of AWS front ends, invalid input a
`ValidationException` with `fields`, and a response that does not match its output shape (in
strict mode) a 500 that says exactly what is wrong, because that is a bug of the emulator.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from reconciler.emulator.greengrass import core_devices, urls
from reconciler.emulator.greengrass.exceptions import (
    GreengrassError,
    InternalServerError,
    ValidationError,
)
from reconciler.emulator.greengrass.models import GreengrassBackends
from reconciler.emulator.greengrass.responses import HANDLERS, Call
from reconciler.emulator.protocol.parsing import CannotParseError, HttpRequest, parse_input
from reconciler.emulator.protocol.routing import RouteMatch
from reconciler.emulator.protocol.serializing import serialize_error, serialize_output
from reconciler.emulator.protocol.shapes import ShapeSpec
from reconciler.emulator.protocol.validation import summarize, validate
from reconciler.emulator.replies import Reply

log = logging.getLogger(__name__)
_HANDLER_MODULES = (core_devices,)  # register their operations in HANDLERS


class GreengrassService:
    """Answers Greengrass v2 requests from the backends of every region."""

    def __init__(self, backends: GreengrassBackends, *, strict_responses: bool) -> None:
        self.backends = backends
        self.strict_responses = strict_responses
        self._model = urls.service_model()
        self._router = urls.router()
        self._shapes = urls.shapes()
        self._warm_up()

    def route(self, request: HttpRequest) -> RouteMatch | None:
        """The operation a request calls (None: no route of the model matches)."""
        return self._router.match(request.method, request.path, request.query, request.headers)

    def handle(
        self, request: HttpRequest, found: RouteMatch | None, *, region: str, endpoint_url: str
    ) -> Reply:
        """Answer a request that `route` matched to `found`."""
        if found is None:
            return _unknown_operation(request)
        operation = found.operation
        try:
            reply = self._call(operation.name, found.labels, request, region, endpoint_url)
        except GreengrassError as error:
            reply = self._error(error)
        except Exception as error:  # the emulator must answer, and say what broke
            log.exception("Greengrass %s failed", operation.name)
            reply = self._error(
                InternalServerError(f"The emulator failed: {type(error).__name__}: {error}")
            )
        reply.operation = operation.name
        return reply

    def _call(
        self,
        name: str,
        labels: dict[str, str],
        request: HttpRequest,
        region: str,
        endpoint_url: str,
    ) -> Reply:
        operation = self._model.operation_model(name)
        input_spec = self._spec(operation.input_shape)
        try:
            params, problems = parse_input(input_spec, labels, request)
        except CannotParseError as error:
            raise ValidationError(str(error), reason="CANNOT_PARSE") from error
        if input_spec is not None:
            problems += validate(input_spec, params)
        if problems:
            raise ValidationError(summarize(problems), fields=problems)
        handler = HANDLERS[name]
        with self.backends.lock:
            self.backends.advance()
            now = self.backends.clock()
            outcome = handler(Call(self.backends[region], endpoint_url, now), params)
        output_spec = self._spec(operation.output_shape)
        if self.strict_responses and output_spec is not None:
            wrong = validate(output_spec, outcome.output, response=True)
            if wrong:
                raise InternalServerError(
                    f"Emulator bug: the {name} response does not match the output shape "
                    f"{output_spec.name}: {summarize(wrong)}"
                )
        headers, body = serialize_output(output_spec, outcome.output)
        headers["x-amzn-RequestId"] = str(uuid.uuid4())
        status = int(operation.http.get("responseCode", 200))
        return Reply(status, headers, body, resource=outcome.resource)

    def _error(self, error: GreengrassError) -> Reply:
        spec = self._shapes.compile(self._model.shape_for(error.code))
        status, headers, body = serialize_error(spec, error.code, error.fields())
        headers["x-amzn-RequestId"] = str(uuid.uuid4())
        return Reply(status, headers, body)

    def _spec(self, shape: Any) -> ShapeSpec | None:
        return None if shape is None else self._shapes.compile(shape)

    def _warm_up(self) -> None:
        # Compile every shape up front: the compiler's cache is not meant to be filled by
        # several request threads at once.
        for name in self._model.operation_names:
            operation = self._model.operation_model(name)
            self._spec(operation.input_shape)
            self._spec(operation.output_shape)
        for code in (
            "ValidationException",
            "ResourceNotFoundException",
            "ConflictException",
            "ThrottlingException",
            "InternalServerException",
            "AccessDeniedException",
            "RequestAlreadyInProgressException",
            "ServiceQuotaExceededException",
        ):
            self._shapes.compile(self._model.shape_for(code))


def error_reply(code: str, fields: dict[str, Any]) -> Reply:
    """An error of the service's model built outside an operation (fault injection)."""
    model = urls.service_model()
    spec = urls.shapes().compile(model.shape_for(code))
    status, headers, body = serialize_error(spec, code, fields)
    headers["x-amzn-RequestId"] = str(uuid.uuid4())
    return Reply(status, headers, body)


def _unknown_operation(request: HttpRequest) -> Reply:
    message = f"No Greengrass v2 operation matches {request.method} {request.path}"
    body = json.dumps({"message": message}).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "x-amzn-ErrorType": "UnknownOperationException",
        "x-amzn-RequestId": str(uuid.uuid4()),
    }
    return Reply(404, headers, body, operation="UnknownOperation")
