"""The S3 buckets and IoT thing groups that moto emulates, reached in-process.

Greengrass rules need them (an artifact must exist in S3 in the component's region; a deployment
target group must exist in IoT), persistence saves and restores them, and the admin API creates
thing groups. moto keeps its state in process-wide globals, so everything goes through its
backend objects rather than over HTTP.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from moto.iot.models import iot_backends
from moto.moto_api._internal.models import moto_api_backend
from moto.s3.models import s3_backends

PARTITION = "aws"


@dataclass(frozen=True)
class S3Object:
    bucket_region: str
    body: bytes

    def sha256_base64(self) -> str:
        return base64.b64encode(hashlib.sha256(self.body).digest()).decode("ascii")


class MotoWorld:
    """In-process access to moto's S3 and IoT state for one emulated account."""

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id

    # -- lookups used by the Greengrass rules ------------------------------------------------

    def bucket_region(self, bucket: str) -> str | None:
        found = self._s3().buckets.get(bucket)
        return None if found is None else str(found.region_name)

    def s3_object(self, bucket: str, key: str) -> S3Object | None:
        found = self._s3().buckets.get(bucket)
        if found is None:
            return None
        item = found.keys.get(key)
        if item is None or not hasattr(item, "value"):
            return None  # absent, or a delete marker
        return S3Object(bucket_region=str(found.region_name), body=item.value)

    def thing_group_exists(self, region: str, account: str, name: str) -> bool:
        if account != self.account_id:
            return False
        arn = f"arn:{PARTITION}:iot:{region}:{account}:thinggroup/{name}"
        return arn in self._iot(region).thing_groups

    def thing_group_names(self, region: str, thing_name: str) -> list[str]:
        """Names of the thing groups a thing belongs to (empty if the thing does not exist)."""
        backend = self._iot(region)
        arn = f"arn:{PARTITION}:iot:{region}:{self.account_id}:thing/{thing_name}"
        return [g.thing_group_name for g in backend.thing_groups.values() if arn in g.things]

    # -- changes ------------------------------------------------------------------------------

    def create_thing_group(self, region: str, name: str, parent: str | None = None) -> str:
        """Create (or keep) a thing group; return its ARN."""
        # moto lists top-level groups by `parent_group_name is None`: never pass "".
        _, arn, _ = self._iot(region).create_thing_group(name, parent or None, {})
        return str(arn)

    def put_device_thing(self, region: str, name: str, groups: list[str]) -> str:
        """Create (or keep) a thing and make its group memberships exactly `groups`.

        Works on moto's dictionaries by ARN: moto's own by-name look-ups scan every thing, which
        would make a 10,000-device fleet quadratic.
        """
        backend = self._iot(region)
        arn = f"arn:{PARTITION}:iot:{region}:{self.account_id}:thing/{name}"
        thing = backend.things.get(arn)
        if thing is None:
            thing = backend.create_thing(name, "", None)
        wanted = set()
        for group in groups:
            group_arn = f"arn:{PARTITION}:iot:{region}:{self.account_id}:thinggroup/{group}"
            if group_arn not in backend.thing_groups:
                self.create_thing_group(region, group)
            wanted.add(group_arn)
        for group_arn, group in backend.thing_groups.items():
            if group_arn in wanted:
                group.things[arn] = thing
            else:
                group.things.pop(arn, None)
        return str(arn)

    def reset(self) -> None:
        """Forget every resource of every moto service in this process."""
        moto_api_backend.reset()

    # -- snapshots of single resources, for the journal ---------------------------------------

    def bucket_record(self, bucket: str) -> dict[str, Any] | None:
        found = self._s3().buckets.get(bucket)
        return None if found is None else {"name": bucket, "region": str(found.region_name)}

    def object_record(self, bucket: str, key: str) -> dict[str, Any] | None:
        found = self._s3().buckets.get(bucket)
        item = None if found is None else found.keys.get(key)
        if item is None or not hasattr(item, "value"):
            return None
        metadata = dict(getattr(item, "metadata", {}) or {})
        return {
            "bucket": bucket,
            "key": key,
            "body": base64.b64encode(item.value).decode("ascii"),
            "contentType": metadata.get("Content-Type") or metadata.get("content-type"),
        }

    def thing_group_record(self, region: str, name: str) -> dict[str, Any] | None:
        for group in self._iot(region).thing_groups.values():
            if group.thing_group_name == name:
                return {
                    "region": region,
                    "name": name,
                    "parent": group.parent_group_name or None,
                    "properties": dict(group.thing_group_properties or {}),
                }
        return None

    def thing_record(self, region: str, name: str) -> dict[str, Any] | None:
        backend = self._iot(region)
        for thing in backend.things.values():
            if thing.thing_name == name:
                return {
                    "region": region,
                    "name": name,
                    "attributes": dict(thing.attributes or {}),
                    "groups": self.thing_group_names(region, name),
                }
        return None

    # -- restoring ----------------------------------------------------------------------------

    def put_bucket(self, record: dict[str, Any]) -> None:
        backend = self._s3()
        if record["name"] not in backend.buckets:
            backend.create_bucket(record["name"], record["region"])

    def delete_bucket(self, name: str) -> None:
        backend = self._s3()
        if name in backend.buckets:
            for key in list(backend.buckets[name].keys.keys()):
                backend.delete_object(name, key)
            backend.delete_bucket(name)

    def put_object(self, record: dict[str, Any]) -> None:
        backend = self._s3()
        if record["bucket"] not in backend.buckets:
            return  # its bucket was deleted later in the journal
        item = backend.put_object(
            record["bucket"],
            record["key"],
            base64.b64decode(record["body"]),
            disable_notification=True,
        )
        if record.get("contentType"):
            item.set_metadata({"Content-Type": record["contentType"]})

    def delete_object(self, bucket: str, key: str) -> None:
        backend = self._s3()
        if bucket in backend.buckets:
            backend.delete_object(bucket, key)

    def put_thing_group(self, record: dict[str, Any]) -> None:
        backend = self._iot(record["region"])
        if self.thing_group_record(record["region"], record["name"]) is None:
            backend.create_thing_group(
                record["name"], record.get("parent") or None, record.get("properties") or {}
            )

    def delete_thing_group(self, region: str, name: str) -> None:
        if self.thing_group_record(region, name) is not None:
            self._iot(region).delete_thing_group(name)

    def put_thing(self, record: dict[str, Any]) -> None:
        region, name = record["region"], record["name"]
        backend = self._iot(region)
        if self.thing_record(region, name) is None:
            backend.create_thing(name, "", {"attributes": record.get("attributes") or {}})
        for group in record.get("groups") or []:
            if self.thing_group_record(region, group) is not None:
                backend.add_thing_to_thing_group(group, None, name, None)

    def delete_thing(self, region: str, name: str) -> None:
        if self.thing_record(region, name) is not None:
            self._iot(region).delete_thing(name)

    # -- whole-state export, for snapshots ----------------------------------------------------

    def iot_regions(self) -> list[str]:
        """Regions in which moto's IoT backend has been used (so may hold thing groups)."""
        return sorted(iot_backends[self.account_id].keys())

    def export(self, regions: list[str]) -> dict[str, Any]:
        buckets = [self.bucket_record(name) for name in sorted(self._s3().buckets)]
        objects = [
            self.object_record(bucket, key)
            for bucket in sorted(self._s3().buckets)
            for key in sorted(self._s3().buckets[bucket].keys.keys())
        ]
        groups: list[dict[str, Any] | None] = []
        things: list[dict[str, Any] | None] = []
        for region in regions:
            backend = self._iot(region)
            # Parents before children, so that restoring can create them in order.
            ordered = sorted(
                backend.thing_groups.values(),
                key=lambda g: len(g.metadata.get("rootToParentThingGroups", [])),
            )
            groups.extend(self.thing_group_record(region, g.thing_group_name) for g in ordered)
            things.extend(self.thing_record(region, t.thing_name) for t in backend.things.values())
        return {
            "buckets": [b for b in buckets if b],
            "objects": [o for o in objects if o],
            "thingGroups": [g for g in groups if g],
            "things": [t for t in things if t],
        }

    def restore(self, state: dict[str, Any]) -> None:
        for bucket in state.get("buckets", []):
            self.put_bucket(bucket)
        for item in state.get("objects", []):
            self.put_object(item)
        for group in state.get("thingGroups", []):
            self.put_thing_group(group)
        for thing in state.get("things", []):
            self.put_thing(thing)

    def _s3(self) -> Any:
        return s3_backends[self.account_id][PARTITION]

    def _iot(self, region: str) -> Any:
        return iot_backends[self.account_id][region]
