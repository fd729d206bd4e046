"""The Greengrass v2 backends: one per region, each holding components, deployments and tags.

Every change goes through the backend's `ChangeSink` as a (kind, payload) pair holding the full
new record of what changed, so a journal of them can be replayed idempotently (`apply`) and a
snapshot is just every record (`export`/`restore`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from reconciler.emulator.greengrass.component_service import ComponentService
from reconciler.emulator.greengrass.components import ComponentVersion
from reconciler.emulator.greengrass.context import BackendContext, ChangeSink, RuntimeSettings
from reconciler.emulator.greengrass.deployment_service import DeploymentService
from reconciler.emulator.greengrass.deployments import Deployment
from reconciler.emulator.greengrass.exceptions import ResourceNotFoundError, ValidationError
from reconciler.emulator.greengrass.idempotency import IdempotencyStore, Remembered
from reconciler.emulator.moto_world import MotoWorld
from reconciler.emulator.protocol.validation import FieldProblem

if TYPE_CHECKING:
    from reconciler.emulator.fleet.simulation import Fleet

RESERVED_TAG_PREFIX = "aws:"


class GreengrassBackend:
    """Greengrass v2 in one region of the emulated account."""

    def __init__(self, context: BackendContext) -> None:
        self.context = context
        self.components = ComponentService(context)
        self.deployments = DeploymentService(context, self.components)
        self.tags: dict[str, dict[str, str]] = {}

    # -- operations that also touch tags ------------------------------------------------------

    def create_component_version(self, params: dict[str, Any]) -> ComponentVersion:
        _check_tag_keys(params.get("tags") or {})
        version = self.components.create_version(params)
        if params.get("tags"):
            self._set_tags(version.arn, {**self.tags.get(version.arn, {}), **params["tags"]})
        return version

    def create_deployment(self, params: dict[str, Any]) -> Deployment:
        _check_tag_keys(params.get("tags") or {})
        deployment = self.deployments.create(params)
        if params.get("tags"):
            self._set_tags(deployment.arn, {**self.tags.get(deployment.arn, {}), **params["tags"]})
        return deployment

    def delete_component(self, arn: str) -> None:
        self.components.delete(arn)
        if arn in self.tags:
            self._set_tags(arn, {})

    def delete_deployment(self, deployment_id: str) -> None:
        deployment = self.deployments.get(deployment_id)
        self.deployments.delete(deployment_id)
        if deployment.arn in self.tags:
            self._set_tags(deployment.arn, {})

    # -- tagging ------------------------------------------------------------------------------

    def list_tags(self, arn: str) -> dict[str, str]:
        self._require_taggable(arn)
        return dict(self.tags.get(arn, {}))

    def tag_resource(self, arn: str, tags: dict[str, str]) -> None:
        self._require_taggable(arn)
        _check_tag_keys(tags)
        self._set_tags(arn, {**self.tags.get(arn, {}), **tags})

    def untag_resource(self, arn: str, keys: list[str]) -> None:
        self._require_taggable(arn)
        remaining = {k: v for k, v in self.tags.get(arn, {}).items() if k not in keys}
        self._set_tags(arn, remaining)

    def tags_of(self, arn: str) -> dict[str, str]:
        return dict(self.tags.get(arn, {}))

    def _require_taggable(self, arn: str) -> None:
        if self.components.exists(arn) or self.deployments.find_by_arn(arn) is not None:
            return
        raise ResourceNotFoundError(
            f"The resource {arn} was not found", resource_id=arn, resource_type="resource"
        )

    def _set_tags(self, arn: str, tags: dict[str, str]) -> None:
        if tags:
            self.tags[arn] = tags
        else:
            self.tags.pop(arn, None)
        self.context.changed(
            "tags.put", lambda: {"region": self.context.region, "arn": arn, "tags": tags}
        )

    # -- persistence --------------------------------------------------------------------------

    def apply(self, kind: str, payload: dict[str, Any]) -> None:
        """Replay one journaled change (idempotent: payloads hold absolute records)."""
        if kind == "component.put":
            self.components.private.put(ComponentVersion.from_record(payload["record"]))
        elif kind == "component.delete":
            self.components.private.delete(payload["name"], payload["version"])
        elif kind == "deployment.put":
            self.deployments.store.put(Deployment.from_record(payload["record"]))
        elif kind == "deployment.delete":
            self.deployments.store.delete(payload["id"])
        elif kind == "target.put":
            history = self.deployments.store.history(payload["target"])
            history.last_revision = payload["lastRevision"]
            history.latest_id = payload["latestId"]
        elif kind == "tags.put":
            if payload["tags"]:
                self.tags[payload["arn"]] = dict(payload["tags"])
            else:
                self.tags.pop(payload["arn"], None)
        elif kind == "token.put":
            self.context.tokens.remember(Remembered(**payload["record"]))
        else:
            raise ValueError(f"unknown Greengrass change {kind!r}")

    def export(self) -> list[tuple[str, dict[str, Any]]]:
        """The whole state as the changes that rebuild it, in an order that replays correctly."""
        region = self.context.region
        changes: list[tuple[str, dict[str, Any]]] = []
        for version in self.components.private.all():
            changes.append(("component.put", {"region": region, "record": version.to_record()}))
        for deployment in sorted(self.deployments.store.all(), key=lambda d: d.seq):
            changes.append(("deployment.put", {"region": region, "record": deployment.to_record()}))
        for target, history in self.deployments.store.targets.items():
            changes.append(
                (
                    "target.put",
                    {
                        "region": region,
                        "target": target,
                        "lastRevision": history.last_revision,
                        "latestId": history.latest_id,
                    },
                )
            )
        for arn, tags in self.tags.items():
            changes.append(("tags.put", {"region": region, "arn": arn, "tags": tags}))
        for remembered in self.context.tokens.all():
            changes.append(("token.put", {"region": region, "record": remembered.to_record()}))
        return changes


class GreengrassBackends:
    """The backends of every region, created on first use, behind one lock."""

    def __init__(
        self,
        account: str,
        settings: RuntimeSettings,
        world: MotoWorld,
        sink: ChangeSink | None,
        clock: Callable[[], float] = time.time,
        fleet: Fleet | None = None,
    ) -> None:
        self.account = account
        self.settings = settings
        self.world = world
        self.sink = sink
        self.clock = clock
        self.fleet = fleet
        # One lock for all Greengrass state: operations are short, and it keeps every change
        # and its journal line in the same order.
        self.lock = threading.RLock()
        self._backends: dict[str, GreengrassBackend] = {}

    def __getitem__(self, region: str) -> GreengrassBackend:
        backend = self._backends.get(region)
        if backend is None:
            context = BackendContext(
                region=region,
                account=self.account,
                settings=self.settings,
                world=self.world,
                record=self.sink,
                clock=self.clock,
                tokens=IdempotencyStore(),
                fleet=self.fleet,
            )
            backend = self._backends[region] = GreengrassBackend(context)
        return backend

    def advance(self) -> None:
        """Bring the simulated devices up to the clock's now (call with the lock held)."""
        if self.fleet is not None:
            self.fleet.advance()

    def regions(self) -> list[str]:
        return sorted(self._backends)

    def apply(self, kind: str, payload: dict[str, Any]) -> None:
        self[payload["region"]].apply(kind, payload)

    def export(self) -> list[tuple[str, dict[str, Any]]]:
        return [change for region in self.regions() for change in self[region].export()]

    def reset(self) -> None:
        self._backends.clear()


def _check_tag_keys(tags: dict[str, str]) -> None:
    reserved = [key for key in tags if key.lower().startswith(RESERVED_TAG_PREFIX)]
    if reserved:
        raise ValidationError(
            f"Tag keys starting with '{RESERVED_TAG_PREFIX}' are reserved for AWS: "
            f"{', '.join(reserved)}",
            fields=[FieldProblem("tags", f"Reserved tag key {key}") for key in reserved],
        )
