"""What one simulated core device holds: membership, platform, components, reports.

Kept compact (slots, shared immutable values) because a benchmark fleet has 10,000 of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.emulator.fleet.fleet_file import OfflineWindow

RUNNING = "RUNNING"
BROKEN = "BROKEN"
UNHEALTHY_STATES = ("BROKEN", "ERRORED")


@dataclass(slots=True)
class InstalledComponent:
    version: str
    is_root: bool
    lifecycle: str
    changed_at: float
    arn: str
    source: str  # the deployment that last brought it (lastInstallationSource)


@dataclass(frozen=True, slots=True)
class DeploymentDocument:
    """What a device receives for a deployment: the parts the nucleus reads."""

    deployment_id: str
    deployment_name: str
    job_id: str
    job_arn: str
    target_arn: str
    group_key: str  # the target the components are recorded under (a parent for subdeployments)
    components: dict[str, Any]
    failure_policy: str
    created: float


@dataclass(slots=True)
class EffectiveDeployment:
    """The device's report of one deployment (ListEffectiveDeployments)."""

    document: DeploymentDocument
    status: str
    created: float
    modified: float
    reason: str | None = None
    error_stack: tuple[str, ...] = ()
    error_types: tuple[str, ...] = ()


@dataclass(slots=True)
class Device:
    name: str
    groups: set[str]
    os: str
    architecture: str
    offline: tuple[OfflineWindow, ...] = ()
    forced_offline: bool = False
    registered: float = 0.0
    installed: dict[str, InstalledComponent] = field(default_factory=dict)
    configuration: dict[str, dict[str, Any]] = field(default_factory=dict)
    group_deployments: dict[str, DeploymentDocument] = field(default_factory=dict)
    effective: dict[str, EffectiveDeployment] = field(default_factory=dict)  # by job id
    busy_job: str | None = None
    waiting_jobs: list[str] = field(default_factory=list)
    status_updated: float = 0.0

    # Windows are compared in absolute time, `fleet_start + w.end`, in both methods: with an
    # offset (`now - fleet_start < w.end`) float rounding could leave a device offline at the
    # very instant `next_online` names, and the simulation would wake it there forever.
    def online(self, now: float, fleet_start: float) -> bool:
        if self.forced_offline:
            return False
        return not any(fleet_start + w.start <= now < fleet_start + w.end for w in self.offline)

    def next_online(self, now: float, fleet_start: float) -> float | None:
        """When an offline device comes back (None: only the admin API brings it back); always
        later than `now` while the device is offline at `now`."""
        if self.forced_offline:
            return None
        ends = [
            fleet_start + w.end
            for w in self.offline
            if fleet_start + w.start <= now < fleet_start + w.end
        ]
        return max(ends) if ends else now

    @property
    def healthy(self) -> bool:
        return not any(c.lifecycle in UNHEALTHY_STATES for c in self.installed.values())

    def platform(self) -> dict[str, Any]:
        return {"attributes": {"os": self.os, "architecture": self.architecture}}
