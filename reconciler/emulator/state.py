"""Everything the emulator holds, and keeping it: replay, journal, compaction, export, reset.

`EmulatorState` owns the Greengrass backends and the view of moto's S3 and IoT resources, and
journals every change to the state file (when one is used) before the request that made it is
answered. One lock guards Greengrass operations, journaled moto writes and compaction, so a
snapshot never contains half of an operation.
"""

from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ElementTree
from typing import Any

from reconciler.emulator.classify import RequestFacts
from reconciler.emulator.fleet.clock import EmulatorClock
from reconciler.emulator.fleet.fleet_file import FleetDocument
from reconciler.emulator.fleet.link import connect
from reconciler.emulator.fleet.simulation import Fleet
from reconciler.emulator.greengrass.context import RuntimeSettings
from reconciler.emulator.greengrass.models import GreengrassBackends
from reconciler.emulator.moto_world import MotoWorld
from reconciler.emulator.options import EmulatorOptions
from reconciler.emulator.persistence import Change, StateFile
from reconciler.emulator.protocol.parsing import HttpRequest


class EmulatorState:
    def __init__(self, options: EmulatorOptions, state_file: StateFile | None = None) -> None:
        self.options = options
        self.state_file = state_file
        self.world = MotoWorld(options.account_id)
        self.settings = RuntimeSettings(component_ready_seconds=options.component_ready_seconds)
        self.clock = EmulatorClock()
        self.fleet = Fleet(self.clock, self.world, options.region, options.account_id)
        self.fleet.initial = options.fleet or FleetDocument()
        self.backends = GreengrassBackends(
            options.account_id,
            self.settings,
            self.world,
            self._journal if state_file is not None else None,
            clock=self.clock.now,
            fleet=self.fleet,
        )
        connect(self.fleet, self.backends)
        self.lock: threading.RLock = self.backends.lock

    # -- lifecycle ----------------------------------------------------------------------------

    def restore(self) -> int:
        """Load the state file (if any) into a clean world; return the changes replayed."""
        self.world.reset()
        changes = self.state_file.load() if self.state_file is not None else []
        with self.lock:
            for kind, payload in changes:
                self._apply(kind, payload)
            if self.state_file is not None:
                self.state_file.compact(self.export())
            # The fleet is not journaled: devices come from the fleet file at every start and
            # receive the latest deployments of their groups, like devices joining them.
            self.fleet.reset()
            now = self.clock.now()
            for region in self.backends.regions():
                for deployment in self.backends[region].deployments.store.all():
                    if deployment.is_latest and deployment.status(now) == "ACTIVE":
                        self.fleet.deployment_created(region, deployment)
        return len(changes)

    def close(self) -> None:
        if self.state_file is not None:
            with self.lock:
                self.state_file.compact(self.export())
                self.state_file.close()

    def reset(self) -> None:
        """Empty Greengrass private state and moto's state; restore the starting settings."""
        with self.lock:
            self.backends.reset()
            self.world.reset()
            self.settings.component_ready_seconds = self.options.component_ready_seconds
            self.clock.reset()
            self.fleet.reset()
            if self.state_file is not None:
                self.state_file.append("reset", {})
                self.state_file.compact(self.export())

    def create_thing_groups(self, region: str, names: list[str]) -> list[dict[str, str]]:
        created = []
        with self.lock:
            for name in names:
                arn = self.world.create_thing_group(region, name)
                record = self.world.thing_group_record(region, name)
                if record is not None:
                    self._journal("iot.thinggroup.put", record)
                created.append({"name": name, "arn": arn})
        self.sync()
        return created

    def export(self) -> list[Change]:
        """The whole state as changes that rebuild it: moto's resources, then Greengrass."""
        moto = self.world.export(self.world.iot_regions())
        changes: list[Change] = [("s3.bucket.put", b) for b in moto["buckets"]]
        changes += [("s3.object.put", o) for o in moto["objects"]]
        changes += [("iot.thinggroup.put", g) for g in moto["thingGroups"]]
        changes += [("iot.thing.put", t) for t in moto["things"]]
        return changes + self.backends.export()

    # -- moto writes --------------------------------------------------------------------------

    def journals(self, facts: RequestFacts) -> bool:
        """Whether a request that moto answers changes state this file keeps."""
        return self.state_file is not None and facts.mutating and facts.service in ("s3", "iot")

    def journal_moto_change(self, facts: RequestFacts, request: HttpRequest, region: str) -> None:
        labels = facts.labels
        if facts.service == "s3":
            bucket = labels.get("Bucket")
            if bucket is None:
                return
            keys = _deleted_keys(request.body) if facts.operation == "DeleteObjects" else []
            if labels.get("Key"):
                keys = [labels["Key"]]
            for key in keys:
                record = self.world.object_record(bucket, key)
                if record is None:
                    self._journal("s3.object.delete", {"bucket": bucket, "key": key})
                else:
                    self._journal("s3.object.put", record)
            if not keys:
                bucket_record = self.world.bucket_record(bucket)
                if bucket_record is None:
                    self._journal("s3.bucket.delete", {"name": bucket})
                else:
                    self._journal("s3.bucket.put", bucket_record)
            return
        group = labels.get("thingGroupName")
        if group:
            record = self.world.thing_group_record(region, group)
            self._journal(
                "iot.thinggroup.put" if record else "iot.thinggroup.delete",
                record or {"region": region, "name": group},
            )
        thing = labels.get("thingName") or thing_in_body(request.body)
        if thing:
            thing_record = self.world.thing_record(region, thing)
            self._journal(
                "iot.thing.put" if thing_record else "iot.thing.delete",
                thing_record or {"region": region, "name": thing},
            )

    # -- persistence --------------------------------------------------------------------------

    def sync(self) -> None:
        """Make every change journaled so far durable; call before answering the request."""
        if self.state_file is not None:
            self.state_file.sync()

    def _journal(self, kind: str, payload: dict[str, Any]) -> None:
        if self.state_file is not None:
            self.state_file.append(kind, payload)

    def maybe_compact(self) -> None:
        state_file = self.state_file
        if (
            state_file is not None
            and state_file.lines_since_compaction >= self.options.compact_every
        ):
            with self.lock:
                state_file.compact(self.export())

    def _apply(self, kind: str, payload: dict[str, Any]) -> None:
        world = self.world
        if kind == "reset":
            self.backends.reset()
            world.reset()
        elif kind == "s3.bucket.put":
            world.put_bucket(payload)
        elif kind == "s3.bucket.delete":
            world.delete_bucket(payload["name"])
        elif kind == "s3.object.put":
            world.put_object(payload)
        elif kind == "s3.object.delete":
            world.delete_object(payload["bucket"], payload["key"])
        elif kind == "iot.thinggroup.put":
            world.put_thing_group(payload)
        elif kind == "iot.thinggroup.delete":
            world.delete_thing_group(payload["region"], payload["name"])
        elif kind == "iot.thing.put":
            world.put_thing(payload)
        elif kind == "iot.thing.delete":
            world.delete_thing(payload["region"], payload["name"])
        else:
            self.backends.apply(kind, payload)


def _deleted_keys(body: bytes) -> list[str]:
    """Keys named by an S3 DeleteObjects request body."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return []
    return [element.text or "" for element in root.iter() if element.tag.endswith("Key")]


def thing_in_body(body: bytes) -> str | None:
    """The thing named by IoT calls that carry it in their JSON body (group membership changes)."""
    try:
        document = json.loads(body) if body else {}
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    if isinstance(document.get("thingName"), str):
        return str(document["thingName"])
    arn = document.get("thingArn")
    return arn.rsplit("/", 1)[-1] if isinstance(arn, str) else None
