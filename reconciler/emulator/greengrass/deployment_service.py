"""The rules of Greengrass v2 deployments: one latest revision per target, idempotent creation,
cancel and delete, and listings newest first."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

from reconciler.emulator.greengrass import arns
from reconciler.emulator.greengrass.component_service import ComponentService
from reconciler.emulator.greengrass.context import BackendContext
from reconciler.emulator.greengrass.deployments import (
    ACTIVE,
    CANCELED,
    COMPLETED,
    Deployment,
    DeploymentStore,
)
from reconciler.emulator.greengrass.exceptions import (
    ConflictError,
    ResourceNotFoundError,
    ValidationError,
)
from reconciler.emulator.greengrass.idempotency import Remembered, fingerprint
from reconciler.emulator.greengrass.pagination import paginate
from reconciler.emulator.protocol.validation import FieldProblem, summarize

DEPLOYMENT = "deployment"


class DeploymentService:
    def __init__(self, context: BackendContext, components: ComponentService) -> None:
        self.context = context
        self.components = components
        self.store = DeploymentStore()

    def create(self, params: dict[str, Any]) -> Deployment:
        context = self.context
        now = context.clock()
        target_arn: str = params["targetArn"]
        self._check_target(target_arn)
        parent_target_arn: str | None = params.get("parentTargetArn")
        if parent_target_arn:
            self._check_parent(target_arn, parent_target_arn)
        token = params.get("clientToken")
        digest = fingerprint(params)
        if token:
            earlier = context.tokens.lookup("CreateDeployment", token, digest, now)
            found = self.store.get(earlier) if earlier else None
            if found is not None:
                return found
        components = params.get("components") or {}
        self._check_components(components)
        history = self.store.history(target_arn)
        previous = self.store.latest_for(target_arn)
        if previous is not None:
            previous.is_latest = False
            if previous.status(now) == ACTIVE:
                previous.fixed_status = CANCELED
            self._record_put(previous)
            if context.fleet is not None:
                context.fleet.deployment_canceled(previous.iot_job_id)
        history.last_revision += 1
        deployment_id = str(uuid.uuid4())
        job_id = str(uuid.uuid4())
        deployment = Deployment(
            deployment_id=deployment_id,
            arn=arns.deployment_arn(context.region, context.account, deployment_id),
            seq=self.store.next_seq,
            target_arn=target_arn,
            revision=history.last_revision,
            # As given: GetDeployment answers null where the request had nothing (no name, no
            # policies: aws/aws-cli#6185), never a name or defaults of the emulator's own.
            name=params.get("deploymentName"),
            components=components,
            deployment_policies=params.get("deploymentPolicies"),
            iot_job_configuration=params.get("iotJobConfiguration"),
            parent_target_arn=params.get("parentTargetArn"),
            created=now,
            iot_job_id=job_id,
            iot_job_arn=arns.iot_job_arn(context.region, context.account, job_id),
        )
        self.store.put(deployment)
        history.latest_id = deployment_id
        self._record_put(deployment)
        context.changed(
            "target.put",
            lambda: {
                "region": context.region,
                "target": target_arn,
                "lastRevision": history.last_revision,
                "latestId": deployment_id,
            },
        )
        if context.fleet is not None:
            context.fleet.deployment_created(context.region, deployment)
        if token:
            remembered = Remembered("CreateDeployment", token, digest, deployment_id, now)
            context.tokens.remember(remembered)
            context.changed(
                "token.put", lambda: {"region": context.region, "record": remembered.to_record()}
            )
        return deployment

    def get(self, deployment_id: str) -> Deployment:
        found = self.store.get(deployment_id)
        if found is None:
            raise ResourceNotFoundError(
                f"Deployment {deployment_id} was not found",
                resource_id=deployment_id,
                resource_type=DEPLOYMENT,
            )
        return found

    def list(
        self,
        *,
        target_arn: str | None,
        history_filter: str | None,
        parent_target_arn: str | None,
        max_results: int | None,
        next_token: str | None,
    ) -> tuple[list[Deployment], str | None]:
        latest_only = (history_filter or "LATEST_ONLY") == "LATEST_ONLY"
        candidates = self.store.newest_first(target_arn=target_arn, latest_only=latest_only)

        def matching() -> Iterator[Deployment]:
            for deployment in candidates:
                if parent_target_arn and deployment.parent_target_arn != parent_target_arn:
                    continue
                yield deployment

        return paginate(matching(), lambda d: -d.seq, max_results, next_token)

    def cancel(self, deployment_id: str) -> Deployment:
        deployment = self.get(deployment_id)
        status = deployment.status(self.context.clock())
        if status not in (ACTIVE, COMPLETED):
            raise ConflictError(
                f"Deployment {deployment_id} is {status} and cannot be canceled",
                resource_id=deployment_id,
                resource_type=DEPLOYMENT,
            )
        deployment.fixed_status = CANCELED
        self._record_put(deployment)
        if self.context.fleet is not None:
            self.context.fleet.deployment_canceled(deployment.iot_job_id)
        return deployment

    def settle(self, deployment_id: str, status: str) -> None:
        """End an ACTIVE deployment with the status its devices' job gave it."""
        deployment = self.store.get(deployment_id)
        if deployment is not None and deployment.status(self.context.clock()) == ACTIVE:
            deployment.fixed_status = status
            self._record_put(deployment)

    def delete(self, deployment_id: str) -> None:
        deployment = self.get(deployment_id)
        if deployment.status(self.context.clock()) == ACTIVE:
            raise ConflictError(
                f"Deployment {deployment_id} is ACTIVE; cancel it before deleting it",
                resource_id=deployment_id,
                resource_type=DEPLOYMENT,
            )
        self.store.delete(deployment_id)
        self.context.changed(
            "deployment.delete", lambda: {"region": self.context.region, "id": deployment_id}
        )

    def find_by_arn(self, arn: str) -> Deployment | None:
        deployment_id = arns.parse_deployment_arn(arn)
        found = self.store.get(deployment_id) if deployment_id else None
        return found if found is not None and found.arn == arn else None

    # -- checks -------------------------------------------------------------------------------

    def _check_target(self, target_arn: str) -> None:
        target = arns.parse_iot_target(target_arn)
        if target is None:  # pragma: no cover - the model's pattern rejects it first
            raise ValidationError(f"{target_arn} is not a thing or thing group ARN")
        if target.region != self.context.region:
            raise ValidationError(
                f"The target {target_arn} is in {target.region}; deployments in "
                f"{self.context.region} can only target things and thing groups of that region",
                fields=[FieldProblem("targetArn", "Target is in another region")],
            )
        if target.kind == "thinggroup" and not self.context.world.thing_group_exists(
            target.region, target.account, target.name
        ):
            raise ResourceNotFoundError(
                f"Thing group {target.name} does not exist in account {target.account} "
                f"({target_arn}); create it in AWS IoT first",
                resource_id=target_arn,
                resource_type="thingGroup",
            )

    def _check_parent(self, target_arn: str, parent_target_arn: str) -> None:
        """A subdeployment: AWS's "Create subdeployments" and the API reference say its target
        can only be a thing group, that it is made within the parent's deployment, and that a
        thing group used with one parent "can't be reused with a different parent fleet … the
        API will return an error". They name no error type, nor what happens without a parent
        deployment: the emulator refuses both with a ValidationException (the safest choice)."""
        target = arns.parse_iot_target(target_arn)
        parent = arns.parse_iot_target(parent_target_arn)
        if target is None or target.kind != "thinggroup":
            raise ValidationError(
                "When creating a subdeployment, the targetArn can only be a thing group",
                fields=[FieldProblem("targetArn", "A subdeployment targets a thing group")],
            )
        if parent is None or parent.kind != "thinggroup" or parent_target_arn == target_arn:
            raise ValidationError(
                f"parentTargetArn {parent_target_arn} must be another thing group, whose "
                "deployment the subdeployment's devices are in",
                fields=[FieldProblem("parentTargetArn", "Not a parent thing group")],
            )
        if self.store.latest_for(parent_target_arn) is None:
            raise ValidationError(
                f"The parent target {parent_target_arn} has no deployment: a subdeployment is "
                "created within its parent's deployment",
                fields=[FieldProblem("parentTargetArn", "The parent has no deployment")],
            )
        for earlier in self.store.newest_first(target_arn=target_arn):
            if earlier.parent_target_arn and earlier.parent_target_arn != parent_target_arn:
                raise ValidationError(
                    f"Thing group {target.name} was used for a subdeployment of "
                    f"{earlier.parent_target_arn}; it cannot be reused with a different parent",
                    fields=[FieldProblem("parentTargetArn", "Subdeployment group has a parent")],
                )

    def _check_components(self, components: dict[str, Any]) -> None:
        problems: list[FieldProblem] = []
        now = self.context.clock()
        for name, spec in components.items():
            version = spec.get("componentVersion", "")
            where = f"components.{name}"
            found = self.components.any_version(name, version)
            if found is None:
                problems.append(
                    FieldProblem(
                        f"{where}.componentVersion",
                        f"Component {name} version {version} does not exist (neither a private "
                        "component of this account nor a public one)",
                    )
                )
            elif self.components.deployable(name, version) is None:
                problems.append(
                    FieldProblem(
                        f"{where}.componentVersion",
                        f"Component {name} version {version} is {found.state(now)} and cannot be "
                        "deployed",
                    )
                )
            problems.extend(_configuration_problems(where, spec.get("configurationUpdate") or {}))
        if problems:
            raise ValidationError(summarize(problems), fields=problems)

    def _record_put(self, deployment: Deployment) -> None:
        self.context.changed(
            "deployment.put",
            lambda: {"region": self.context.region, "record": deployment.to_record()},
        )


def _configuration_problems(where: str, update: dict[str, Any]) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    merge = update.get("merge")
    if merge is not None:
        try:
            document = json.loads(merge)
        except json.JSONDecodeError as error:
            document = None
            problems.append(
                FieldProblem(
                    f"{where}.configurationUpdate.merge", f"merge is not valid JSON: {error}"
                )
            )
        if document is not None and not isinstance(document, dict):
            problems.append(
                FieldProblem(f"{where}.configurationUpdate.merge", "merge must be a JSON object")
            )
    for pointer in update.get("reset") or []:
        if pointer and not pointer.startswith("/"):
            problems.append(
                FieldProblem(
                    f"{where}.configurationUpdate.reset",
                    f"{pointer!r} is not a JSON pointer: it must be empty or start with '/'",
                )
            )
    return problems
