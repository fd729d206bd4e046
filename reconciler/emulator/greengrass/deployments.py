"""Deployments: the record the service keeps for each, and a store with per-target revisions.

A target (thing or thing group) has one latest deployment. Creating another makes a new
revision; the previous one stops being `isLatestForTarget`. A deployment is ACTIVE until a
status is set: CANCELED when superseded or canceled, and for a deployment to one thing
COMPLETED or FAILED when that device's job execution ends (see fleet/simulation.py). A
thing-group deployment is continuous: it stays ACTIVE while it is the latest for its group.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any

ACTIVE = "ACTIVE"
COMPLETED = "COMPLETED"
FAILED = "FAILED"
CANCELED = "CANCELED"


@dataclass
class Deployment:
    deployment_id: str
    arn: str
    seq: int  # creation order within the region, for newest-first listings
    target_arn: str
    revision: int
    name: str | None  # None, like the optional members below: the request did not give it
    components: dict[str, Any]
    deployment_policies: dict[str, Any] | None
    iot_job_configuration: dict[str, Any] | None
    parent_target_arn: str | None
    created: float
    iot_job_id: str
    iot_job_arn: str
    is_latest: bool = True
    fixed_status: str | None = None

    def status(self, now: float) -> str:
        return self.fixed_status if self.fixed_status is not None else ACTIVE

    def to_record(self) -> dict[str, Any]:
        # Shallow: the nested dicts are plain JSON values, written out before they can change.
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Deployment:
        # State files written before deployments were continuous hold a completion timer.
        return cls(**{k: v for k, v in record.items() if k != "completes_at"})


@dataclass
class TargetHistory:
    last_revision: int = 0
    latest_id: str | None = None


class DeploymentStore:
    """The deployments of one region, by id, in creation order, and per target."""

    def __init__(self) -> None:
        self._by_id: dict[str, Deployment] = {}
        # Per target, in creation order: listing one target's history never scans the others.
        self._by_target: dict[str, dict[str, Deployment]] = {}
        self.targets: dict[str, TargetHistory] = {}
        self.next_seq = 1

    def get(self, deployment_id: str) -> Deployment | None:
        return self._by_id.get(deployment_id)

    def put(self, deployment: Deployment) -> None:
        self._by_id[deployment.deployment_id] = deployment
        self._by_target.setdefault(deployment.target_arn, {})[deployment.deployment_id] = deployment
        self.next_seq = max(self.next_seq, deployment.seq + 1)

    def delete(self, deployment_id: str) -> None:
        removed = self._by_id.pop(deployment_id, None)
        if removed is not None:
            self._by_target.get(removed.target_arn, {}).pop(deployment_id, None)
            history = self.targets.get(removed.target_arn)
            if history is not None and history.latest_id == deployment_id:
                history.latest_id = None

    def history(self, target_arn: str) -> TargetHistory:
        return self.targets.setdefault(target_arn, TargetHistory())

    def latest_for(self, target_arn: str) -> Deployment | None:
        history = self.targets.get(target_arn)
        if history is None or history.latest_id is None:
            return None
        return self._by_id.get(history.latest_id)

    def newest_first(
        self, *, target_arn: str | None = None, latest_only: bool = False
    ) -> Iterator[Deployment]:
        """Deployments from the newest, optionally of one target and/or only latest revisions.

        Deployments are inserted in creation order (snapshots are written in that order too),
        so walking the dicts backwards is newest first without sorting everything.
        """
        if target_arn is not None:
            if latest_only:
                latest = self.latest_for(target_arn)
                return iter([latest] if latest is not None else [])
            return reversed(self._by_target.get(target_arn, {}).values())
        if latest_only:
            latest_ones = (self.latest_for(target) for target in self.targets)
            return iter(sorted((d for d in latest_ones if d), key=lambda d: -d.seq))
        return reversed(self._by_id.values())

    def all(self) -> list[Deployment]:
        return list(self._by_id.values())

    def clear(self) -> None:
        self._by_id.clear()
        self._by_target.clear()
        self.targets.clear()
        self.next_seq = 1
