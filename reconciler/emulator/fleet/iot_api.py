"""IoT Jobs operations on the jobs of Greengrass deployments, shaped by botocore's `iot` model.

moto does not know these jobs (the Greengrass service creates them), so the gateway sends
DescribeJob, ListJobExecutionsForJob, DescribeJobExecution and CancelJob here when their
`jobId` is one of them; every other IoT request stays moto's. Parsing, validation and
serialization use the same model-derived protocol code as Greengrass v2.
"""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any

import botocore.session
from botocore.model import ServiceModel

from reconciler.emulator.fleet import jobs as job_states
from reconciler.emulator.fleet.simulation import Fleet
from reconciler.emulator.greengrass.exceptions import GreengrassError
from reconciler.emulator.greengrass.pagination import paginate
from reconciler.emulator.protocol.parsing import CannotParseError, HttpRequest, parse_input
from reconciler.emulator.protocol.routing import RouteMatch, Router
from reconciler.emulator.protocol.serializing import serialize_error, serialize_output
from reconciler.emulator.protocol.shapes import ShapeCompiler
from reconciler.emulator.protocol.validation import summarize, validate
from reconciler.emulator.replies import Reply

OPERATIONS = ("DescribeJob", "ListJobExecutionsForJob", "DescribeJobExecution", "CancelJob")


class IotError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@cache
def _model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("iot")


class IotJobsService:
    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet
        self._shapes = ShapeCompiler()
        model = _model()
        self._router = Router(model)
        for name in OPERATIONS:  # compile up front: the compiler's cache is not thread-safe
            operation = model.operation_model(name)
            assert operation.input_shape is not None  # every jobs operation takes a jobId
            self._shapes.compile(operation.input_shape)
            if operation.output_shape is not None:
                self._shapes.compile(operation.output_shape)
        for code in ("ResourceNotFoundException", "InvalidRequestException"):
            self._shapes.compile(model.shape_for(code))

    def route(self, request: HttpRequest) -> RouteMatch | None:
        """The operation when the fleet answers this IoT request (a Greengrass job), else None."""
        found = self._router.match(request.method, request.path, request.query, request.headers)
        if found is None or found.operation.name not in OPERATIONS:
            return None
        return found if found.labels.get("jobId") in self.fleet.jobs else None

    def handle(self, found: RouteMatch, request: HttpRequest) -> Reply:
        operation = found.operation
        try:
            assert operation.input_shape is not None
            spec = self._shapes.compile(operation.input_shape)
            try:
                params, problems = parse_input(spec, found.labels, request)
            except CannotParseError as error:
                raise IotError("InvalidRequestException", str(error)) from error
            problems += validate(spec, params)
            if problems:
                raise IotError("InvalidRequestException", summarize(problems))
            output = getattr(self, "_" + operation.name)(params)
        except IotError as error:
            shape = self._shapes.compile(_model().shape_for(error.code))
            status, headers, body = serialize_error(shape, error.code, {"message": str(error)})
            headers["x-amzn-RequestId"] = str(uuid.uuid4())
            return Reply(status, headers, body, operation=operation.name)
        output_spec = (
            self._shapes.compile(operation.output_shape) if operation.output_shape else None
        )
        headers, body = serialize_output(output_spec, output)
        headers["x-amzn-RequestId"] = str(uuid.uuid4())
        job = self.fleet.jobs[found.labels["jobId"]]
        return Reply(200, headers, body, operation=operation.name, resource=job.arn)

    # -- operations ---------------------------------------------------------------------------

    def _DescribeJob(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return self.fleet.jobs[params["jobId"]].describe()

    def _ListJobExecutionsForJob(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        job = self.fleet.jobs[params["jobId"]]
        wanted = params.get("status")
        executions = [
            (thing, e)
            for thing, e in sorted(job.executions.items())
            if wanted is None or e.status == wanted
        ]
        try:
            page, token = paginate(
                executions, lambda item: item[0], params.get("maxResults"), params.get("nextToken")
            )
        except GreengrassError as error:  # an unreadable token
            raise IotError("InvalidRequestException", str(error)) from error
        summaries = [{"thingArn": e.thing_arn, "jobExecutionSummary": e.summary()} for _, e in page]
        result: dict[str, Any] = {"executionSummaries": summaries}
        if token:
            result["nextToken"] = token
        return result

    def _DescribeJobExecution(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        job = self.fleet.jobs[params["jobId"]]
        found = job.execution(params["thingName"])
        if found is None:
            raise IotError(
                "ResourceNotFoundException",
                f"Job execution of job {job.job_id} on thing {params['thingName']} not found",
            )
        return found

    def _CancelJob(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        job = self.fleet.jobs[params["jobId"]]
        if job.status == job_states.JOB_IN_PROGRESS:
            region = self.fleet.job_regions.get(job.job_id, self.fleet.region)
            now = self.fleet.clock.now()
            self.fleet.cancel_job(job, now, params.get("comment"), params.get("reasonCode"))
            self.fleet.settle(region, job.deployment_id, "CANCELED")
        return {
            "jobArn": job.arn,
            "jobId": job.job_id,
            "description": f"Greengrass deployment {job.deployment_id}",
        }
