"""The reads that say what a deployment revision did on the devices.

Per followed revision and poll: one DescribeJob (the execution counts of its IoT job, whatever
the fleet's size). Only when the counts moved: the group's UNHEALTHY core devices
(ListCoreDevices with thingGroupArn and status), and, while the sample is not full, a bounded
sample of the failing devices (ListJobExecutionsForJob by status) with what their nucleus
reported (ListEffectiveDeployments: error stack, error types, reason). A failed execution is
final, so a device in the sample is never read again. Only when nothing is pending: the
group's members (ListThingsInThingGroup, 250 a page), since a job counts only the devices it
notified so far.

Every call goes through the `AwsCaller` it is given: the controller gives one drawing from the
rollout follow-up budget (see `SharedBudget`), so following never starves reconciling.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reconciler.adapters.aws.calling import AwsCaller
from reconciler.adapters.aws.clients import AwsClients
from reconciler.core.arns import target_arn, target_of_arn, target_thing, thing_group_arn
from reconciler.core.rollouts import (
    FAILURE_EXECUTION_STATUSES,
    DeviceCounts,
    FailingDevice,
    JobFacts,
)
from reconciler.errors import AwsNotFoundError

FAILING_SAMPLE = 10  # failing devices shown per rollout (each costs one call, once)
_PAGE = 100
_MEMBERS_PAGE = 250  # ListThingsInThingGroup's maximum
# A device lists its effective deployments newest first; ours is among the latest few.
_EFFECTIVE_DEPLOYMENTS_PAGE = 20


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value or 0.0)


@dataclass(frozen=True)
class DeploymentFacts:
    """What GetDeployment says about a revision that following it needs."""

    deployment_id: str
    target_arn: str
    revision_id: str
    iot_job_id: str | None
    status: str
    is_latest: bool
    created_at: float
    tags: Mapping[str, str]

    @property
    def thing_group(self) -> str | None:
        """The target key (core/arns.py): a thing group's name or `thing/NAME`."""
        return target_of_arn(self.target_arn)


class RolloutReader:
    """Reads the rollout of revisions in one account and region."""

    def __init__(
        self,
        clients: AwsClients,
        caller: AwsCaller,
        *,
        account: str,
        failing_sample: int = FAILING_SAMPLE,
    ) -> None:
        self._clients = clients
        self._caller = caller
        self.region = clients.settings.region
        self.account = account
        self.failing_sample = failing_sample

    # Clients are created on first use (clients.py): a plan that counts no devices and
    # follows no rollout calls neither service.
    @property
    def _greengrass(self) -> Any:
        return self._clients.greengrass

    @property
    def _iot(self) -> Any:
        return self._clients.iot

    @property
    def caller(self) -> AwsCaller:
        return self._caller

    def deployment(self, deployment_id: str) -> DeploymentFacts:
        raw = self._caller.call(self._greengrass, "get_deployment", deploymentId=deployment_id)
        return DeploymentFacts(
            deployment_id=str(raw["deploymentId"]),
            target_arn=str(raw.get("targetArn", "")),
            revision_id=str(raw.get("revisionId", "")),
            iot_job_id=raw.get("iotJobId") or None,
            status=str(raw.get("deploymentStatus", "")),
            is_latest=bool(raw.get("isLatestForTarget", True)),
            created_at=_epoch(raw.get("creationTimestamp")),
            tags=dict(raw.get("tags") or {}),
        )

    def latest_group_deployments(self, thing_groups: Iterable[str]) -> dict[str, str]:
        """The latest deployment id of each of `thing_groups` (target keys: thing groups and
        `thing/NAME`) that has one (one sweep of ListDeployments, 100 targets a page). A
        group's subdeployment is its latest deployment when it is the newest one."""
        wanted = {target_arn(self.region, self.account, g): g for g in thing_groups}
        found: dict[str, str] = {}
        for item in self._caller.paginate(
            self._greengrass,
            "list_deployments",
            "deployments",
            historyFilter="LATEST_ONLY",
            maxResults=_PAGE,
        ):
            group = wanted.get(str(item.get("targetArn", "")))
            if group is not None:
                found[group] = str(item["deploymentId"])
        return found

    def job(self, job_id: str) -> JobFacts:
        """DescribeJob: the execution counts and what decides the rollout's state."""
        job = self._caller.call(self._iot, "describe_job", jobId=job_id)["job"]
        abort = job.get("abortConfig") or {}
        return JobFacts(
            status=str(job.get("status", "")),
            counts=DeviceCounts.from_process_details(job.get("jobProcessDetails")),
            rate_limited=bool(job.get("jobExecutionsRolloutConfig")),
            abort_criteria=tuple(abort.get("criteriaList") or ()),
            created_at=_epoch(job.get("createdAt")),
            updated_at=_epoch(job.get("lastUpdatedAt") or job.get("createdAt")),
        )

    def group_members(self, thing_group: str) -> int:
        """Things in the group and its child groups: the devices an IoT job to it targets. A
        core device's target (`thing/NAME`) is that one device."""
        if target_thing(thing_group) is not None:
            return 1
        return sum(
            1
            for _ in self._caller.paginate(
                self._iot,
                "list_things_in_thing_group",
                "things",
                thingGroupName=thing_group,
                recursive=True,
                maxResults=_MEMBERS_PAGE,
            )
        )

    def unhealthy_devices(self, thing_group: str) -> int:
        """The group's core devices whose status is UNHEALTHY (a component BROKEN or ERRORED);
        for a core device's target, 1 if that device is (GetCoreDevice), else 0."""
        thing = target_thing(thing_group)
        if thing is not None:
            try:
                device = self._caller.call(
                    self._greengrass, "get_core_device", coreDeviceThingName=thing
                )
            except AwsNotFoundError:  # not (yet) a core device: nothing reported
                return 0
            return 1 if device.get("status") == "UNHEALTHY" else 0
        return sum(
            1
            for _ in self._caller.paginate(
                self._greengrass,
                "list_core_devices",
                "coreDevices",
                thingGroupArn=thing_group_arn(self.region, self.account, thing_group),
                status="UNHEALTHY",
                maxResults=_PAGE,
            )
        )

    def failing_devices(
        self,
        *,
        job_id: str,
        deployment_id: str,
        counts: DeviceCounts,
        known: Iterable[FailingDevice] = (),
    ) -> tuple[FailingDevice, ...]:
        """`known` topped up to the sample size with devices whose execution failed, timed out
        or was rejected, each with its nucleus's error codes and reason."""
        sample = {device.device: device for device in known}
        by_status = {"FAILED": counts.failed, "TIMED_OUT": counts.timed_out}
        by_status["REJECTED"] = counts.rejected
        for status in FAILURE_EXECUTION_STATUSES:
            room = self.failing_sample - len(sample)
            already = sum(1 for device in sample.values() if device.status == status)
            if room <= 0 or by_status[status] <= already:
                continue
            page = self._caller.call(
                self._iot,
                "list_job_executions_for_job",
                jobId=job_id,
                status=status,
                maxResults=min(_PAGE, already + room),
            )
            for summary in page.get("executionSummaries", []):
                name = str(summary.get("thingArn", "")).rpartition("/")[2]
                if name and name not in sample and len(sample) < self.failing_sample:
                    sample[name] = self._device_report(name, status, deployment_id, job_id)
        return tuple(sorted(sample.values(), key=lambda device: device.device))

    def _device_report(
        self, device: str, status: str, deployment_id: str, job_id: str
    ) -> FailingDevice:
        try:
            page = self._caller.call(
                self._greengrass,
                "list_effective_deployments",
                coreDeviceThingName=device,
                maxResults=_EFFECTIVE_DEPLOYMENTS_PAGE,
            )
        except AwsNotFoundError:  # a thing in the group that is not a core device
            return FailingDevice(device=device, status=status)
        for entry in page.get("effectiveDeployments", []):
            if entry.get("deploymentId") == deployment_id or entry.get("iotJobId") == job_id:
                details = entry.get("statusDetails") or {}
                return FailingDevice(
                    device=device,
                    status=status,
                    error_types=tuple(details.get("errorTypes") or ()),
                    error_stack=tuple(details.get("errorStack") or ()),
                    reason=entry.get("reason") or None,
                )
        return FailingDevice(device=device, status=status)
