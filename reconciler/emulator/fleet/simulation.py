"""The fleet simulation: devices, the jobs that reach them, and a heap of timed events.

Nothing runs in the background. Every request (Greengrass, IoT jobs, admin) first calls
`advance()`, which processes the events due by the emulator clock's `now`, each at its own time,
so what a request reads is the state at that instant, and a virtual clock advanced by an hour
replays the hour's events in order. Events are small tuples; a device has no thread.

    RELEASE  a job notifies the next devices its rollout rate allows (again a minute later)
    WAKE     an offline device comes back and picks up what it was sent
    FINISH   a device finished applying a deployment (applySeconds + a stable jitter)
    TIMEOUT  an execution still IN_PROGRESS reaches `inProgressTimeoutInMinutes`
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import zlib
from collections.abc import Callable

from reconciler.emulator.fleet import jobs as job_states
from reconciler.emulator.fleet.clock import EmulatorClock
from reconciler.emulator.fleet.devices import DeploymentDocument, Device, EffectiveDeployment
from reconciler.emulator.fleet.fleet_file import DeviceSpec, FailureRule, FleetDocument, Timing
from reconciler.emulator.fleet.jobs import Job
from reconciler.emulator.fleet.nucleus import (
    THING_KEY_PREFIX,
    Outcome,
    Resolver,
    apply_deployment,
    group_key,
)
from reconciler.emulator.greengrass.deployments import Deployment
from reconciler.emulator.moto_world import MotoWorld

RELEASE, WAKE, FINISH, TIMEOUT = range(4)
MINUTE = 60.0
Settle = Callable[[str, str, str], None]  # (region, deployment id, COMPLETED | FAILED | CANCELED)
ResolverFactory = Callable[[Device], Resolver]


class Fleet:
    def __init__(self, clock: EmulatorClock, world: MotoWorld, region: str, account: str) -> None:
        self.clock = clock
        self.world = world
        self.region = region
        self.account = account
        self.initial = FleetDocument()
        self.devices: dict[str, Device] = {}
        self.jobs: dict[str, Job] = {}
        self.documents: dict[str, DeploymentDocument] = {}  # by job id
        self.job_regions: dict[str, str] = {}
        self.failures: tuple[FailureRule, ...] = ()
        self.timing = Timing()
        self.start = clock.now()
        self._events: list[tuple[float, int, int, str, str]] = []
        self._seq = itertools.count()
        self._selected: dict[int, frozenset[str]] = {}
        # Set by the Greengrass backends: how deployments end, how components resolve, and
        # which deployment is the latest (ACTIVE) one of a thing group.
        self.settle: Settle = lambda region, deployment_id, status: None
        self.resolver: ResolverFactory | None = None
        self.latest_jobs: Callable[[str], list[str]] = lambda group: []
        # Resolutions are cached within one `advance` (new versions may change them after).
        self.forget_resolutions: Callable[[], None] = lambda: None

    # -- loading and changing the fleet -------------------------------------------------------

    def load(self, document: FleetDocument) -> None:
        """Replace the devices, failure rules and timing with a fleet document's."""
        now = self.clock.now()
        self.devices.clear()
        self._selected.clear()
        self.start = now
        self.failures = document.failures
        self.timing = document.timing
        for group in document.groups:
            self.world.create_thing_group(self.region, group)
        for spec in document.devices:
            self.add_device(spec)

    def reset(self) -> None:
        self.devices.clear()
        self.jobs.clear()
        self.documents.clear()
        self.job_regions.clear()
        self._events.clear()
        self.load(self.initial)

    def add_device(self, spec: DeviceSpec) -> Device:
        now = self.clock.now()
        if spec.name in self.devices:
            raise ValueError(f"a device named {spec.name} exists already")
        device = Device(spec.name, set(spec.groups), spec.os, spec.architecture, spec.offline)
        device.registered = device.status_updated = now
        self.devices[spec.name] = device
        self._selected.clear()
        self.world.put_device_thing(self.region, spec.name, sorted(spec.groups))
        self._joined(device, set(spec.groups), now)
        return device

    def remove_device(self, name: str) -> None:
        """Forget a device; its executions that had not ended are REMOVED."""
        now = self.clock.now()
        self.devices.pop(name, None)
        self._selected.clear()
        for job in self.jobs.values():
            execution = job.executions.get(name)
            if execution is not None and execution.status not in job_states.TERMINAL:
                job.move(name, job_states.REMOVED, now)
                self._after_execution(job, now)

    def set_groups(self, name: str, groups: set[str], *, mirror: bool = True) -> None:
        """Change a device's thing groups; it receives the current deployment of each new one."""
        device = self.devices[name]
        now = self.clock.now()
        added, left = groups - device.groups, device.groups - groups
        device.groups = set(groups)
        if mirror:
            self.world.put_device_thing(self.region, name, sorted(groups))
        for job in self.jobs.values():
            execution = job.executions.get(name)
            if (
                execution is not None
                and execution.status == job_states.QUEUED
                and any(job.target_arn.endswith(f":thinggroup/{g}") for g in left)
            ):
                job.move(name, job_states.REMOVED, now)
        self._joined(device, added, now)

    def set_offline(self, name: str, offline: bool) -> None:
        device = self.devices[name]
        device.forced_offline = offline
        if not offline:
            self._schedule(self.clock.now(), WAKE, name)

    def set_failures(self, rules: tuple[FailureRule, ...]) -> None:
        self.failures = rules
        self._selected.clear()

    # -- deployments (called by the Greengrass deployment service) ----------------------------

    def deployment_created(self, region: str, deployment: Deployment) -> None:
        now = self.clock.now()
        document = DeploymentDocument(
            deployment.deployment_id,
            deployment.name or "",
            deployment.iot_job_id,
            deployment.iot_job_arn,
            deployment.target_arn,
            document_key(deployment.target_arn, deployment.parent_target_arn),
            deployment.components,
            # ROLLBACK is the documented default of a deployment without policies.
            str((deployment.deployment_policies or {}).get("failureHandlingPolicy") or "ROLLBACK"),
            deployment.created,
        )
        continuous = ":thinggroup/" in deployment.target_arn
        job = Job(
            document.job_id,
            document.job_arn,
            document.deployment_id,
            deployment.target_arn,
            continuous,
            deployment.created,
            dict(deployment.iot_job_configuration or {}),
        )
        self.jobs[job.job_id] = job
        self.documents[job.job_id] = document
        self.job_regions[job.job_id] = region
        if region == self.region:
            job.pending.extend(sorted(self._targeted(deployment.target_arn)))
        self._release_soon(job, now)

    def deployment_canceled(self, job_id: str) -> None:
        job = self.jobs.get(job_id)
        if job is not None:
            self.cancel_job(job, self.clock.now())

    def cancel_job(
        self, job: Job, now: float, comment: str | None = None, reason: str | None = None
    ) -> None:
        """Cancel a job; the devices' reports of executions it canceled say so too."""
        job.cancel(now, comment, reason)
        self._mirror_job(job, now)

    def _mirror_job(self, job: Job, now: float) -> None:
        for name, execution in job.executions.items():
            device = self.devices.get(name)
            if device is not None:
                self._mirror(device, job.job_id, execution.status, now)

    def _targeted(self, target_arn: str) -> list[str]:
        kind, _, name = target_arn.rpartition(":")[2].partition("/")
        if kind == "thing":
            return [name] if name in self.devices else []
        return [d.name for d in self.devices.values() if name in d.groups]

    def _joined(self, device: Device, groups: set[str], now: float) -> None:
        """Late joiners: continuous jobs of the groups' latest deployments notify the device."""
        for group in sorted(groups):
            for job_id in self.latest_jobs(group):
                job = self.jobs.get(job_id)
                if job is None or job.status != job_states.JOB_IN_PROGRESS:
                    continue
                # A device that had an execution (even one REMOVED when it left) keeps it.
                if device.name not in job.executions and device.name not in job.pending:
                    job.pending.append(device.name)
                    self._release_soon(job, now)

    # -- the event loop -----------------------------------------------------------------------

    def advance(self) -> int:
        """Process every event due by now; return how many were processed."""
        now = self.clock.now()
        processed = 0
        events = self._events
        self.forget_resolutions()
        while events and events[0][0] <= now:
            at, _, kind, first, second = heapq.heappop(events)
            processed += 1
            if kind == RELEASE:
                self._release(first, at)
            elif kind == WAKE:
                device = self.devices.get(first)
                if device is not None:
                    self._try_start(device, at)
            elif kind == FINISH:
                self._finish(first, second, at)
            else:
                self._timeout(first, second, at)
        return processed

    @property
    def pending_events(self) -> int:
        return len(self._events)

    def _schedule(self, at: float, kind: int, first: str, second: str = "") -> None:
        heapq.heappush(self._events, (at, next(self._seq), kind, first, second))

    def _release_soon(self, job: Job, now: float) -> None:
        if not job.release_scheduled and job.pending:
            job.release_scheduled = True
            self._schedule(now, RELEASE, job.job_id)

    def _release(self, job_id: str, now: float) -> None:
        job = self.jobs.get(job_id)
        if job is None:
            return
        job.release_scheduled = False
        if job.status != job_states.JOB_IN_PROGRESS:
            return
        arn_prefix = f"arn:aws:iot:{self.region}:{self.account}:thing/"
        for _ in range(job.releasable()):
            name = job.pending.popleft()
            device = self.devices.get(name)
            if device is None:
                continue
            job.notify(name, arn_prefix + name, now)
            document = self.documents[job_id]
            device.effective[job_id] = EffectiveDeployment(document, job_states.QUEUED, now, now)
            device.waiting_jobs.append(job_id)
            self._try_start(device, now)
        if job.pending:
            job.release_scheduled = True
            self._schedule(now + MINUTE, RELEASE, job_id)

    def _try_start(self, device: Device, now: float) -> None:
        while device.busy_job is None and device.waiting_jobs:
            job_id = device.waiting_jobs[0]
            job = self.jobs.get(job_id)
            execution = job.executions.get(device.name) if job is not None else None
            if job is None or execution is None or execution.status != job_states.QUEUED:
                device.waiting_jobs.pop(0)
                self._mirror(device, job_id, execution.status if execution else None, now)
                continue
            if not device.online(now, self.start):
                back = device.next_online(now, self.start)
                if back is not None:
                    self._schedule(back, WAKE, device.name)
                return
            device.waiting_jobs.pop(0)
            device.busy_job = job_id
            job.move(device.name, job_states.IN_PROGRESS, now)
            self._mirror(device, job_id, job_states.IN_PROGRESS, now)
            self._schedule(
                now + self._apply_seconds(device.name, job_id), FINISH, device.name, job_id
            )
            timeout = job.timeout_seconds()
            if timeout is not None:
                self._schedule(now + timeout, TIMEOUT, device.name, job_id)

    def _finish(self, name: str, job_id: str, now: float) -> None:
        device = self.devices.get(name)
        job = self.jobs.get(job_id)
        if device is None or job is None or device.busy_job != job_id:
            return
        device.busy_job = None
        outcome = self._apply(device, self.documents[job_id], now)
        details = {"detailed-deployment-status": outcome.detailed}
        if outcome.cause:
            details["deployment-failure-cause"] = outcome.cause
        job.move(name, outcome.status, now, details)
        record = device.effective.get(job_id)
        if record is not None:
            execution_status = job.executions[name].status
            record.status = execution_status
            record.reason = outcome.detailed
            record.error_stack, record.error_types = outcome.error_stack, outcome.error_types
            record.modified = now
        self._after_execution(job, now)
        self._try_start(device, now)

    def _timeout(self, name: str, job_id: str, now: float) -> None:
        job = self.jobs.get(job_id)
        if job is None or name not in job.executions:
            return
        if job.executions[name].status != job_states.IN_PROGRESS:
            return
        job.move(name, job_states.TIMED_OUT, now)
        device = self.devices.get(name)
        if device is not None:
            self._mirror(device, job_id, job_states.TIMED_OUT, now)
        self._after_execution(job, now)

    def _after_execution(self, job: Job, now: float) -> None:
        region = self.job_regions.get(job.job_id, self.region)
        if job.status == job_states.JOB_IN_PROGRESS and job.abort_due():
            self.cancel_job(job, now, comment="Canceled by the job's abort configuration")
            self.settle(region, job.deployment_id, "CANCELED")
        if not job.continuous and job.status == job_states.JOB_COMPLETED:
            ended = [e.status for e in job.executions.values()]
            status = (
                "COMPLETED" if ended and all(s == job_states.SUCCEEDED for s in ended) else "FAILED"
            )
            self.settle(region, job.deployment_id, status)

    def _mirror(self, device: Device, job_id: str, status: str | None, now: float) -> None:
        record = device.effective.get(job_id)
        if record is not None and status is not None and record.status != status:
            record.status = status
            record.modified = now

    # -- applying -----------------------------------------------------------------------------

    def _apply(self, device: Device, document: DeploymentDocument, now: float) -> Outcome:
        assert self.resolver is not None
        outcome = apply_deployment(
            document=document,
            device_name=device.name,
            device_groups=device.groups,
            installed=device.installed,
            configuration=device.configuration,
            group_deployments=device.group_deployments,
            resolve=self.resolver(device),
            fails=lambda component, version, phase: self._fails(
                device.name, component, version, phase
            ),
            now=now,
        )
        if outcome.installed is not None:
            device.installed = outcome.installed
        if outcome.configuration is not None:
            device.configuration = outcome.configuration
        if outcome.group_deployments is not None:
            device.group_deployments = outcome.group_deployments
        device.status_updated = now
        return outcome

    def _fails(self, device: str, component: str, version: str, phase: str) -> bool:
        return any(
            rule.phase == phase
            and rule.matches(component, version)
            and device in self._chosen(rule)
            for rule in self.failures
        )

    def _chosen(self, rule: FailureRule) -> frozenset[str]:
        """The devices a rule hits: named ones, or a stable pseudo-random share or count."""
        key = id(rule)
        chosen = self._selected.get(key)
        if chosen is None:
            selector = rule.devices
            if selector.names is not None:
                chosen = frozenset(selector.names)
            else:
                order = sorted(self.devices, key=lambda n: hashlib.sha1(n.encode()).digest())
                if selector.count is not None:
                    size = selector.count
                else:
                    size = int((selector.share or 0.0) * len(order) + 0.5)
                chosen = frozenset(order[:size])
            self._selected[key] = chosen
        return chosen

    def _apply_seconds(self, device: str, job_id: str) -> float:
        share = zlib.crc32(f"{device}/{job_id}".encode()) / 2**32
        return self.timing.apply_seconds + self.timing.jitter_seconds * share


def document_key(target_arn: str, parent_target_arn: str | None) -> str:
    """Under which target a device records a deployment's components (OnBehalfOf for subs)."""
    kind, _, name = (parent_target_arn or target_arn).rpartition(":")[2].partition("/")
    return THING_KEY_PREFIX + name if kind == "thing" else group_key(name)
