"""Play a scenario (scenarios.py) against the emulator's fleet with the real engine.

Each revision goes the way `reconciler apply` and the controller take it: the specs are parsed
and validated (`parse_spec_tree`), the live state is read through boto3 and planned
(`Runtime.plan`, scoped to the scenario's groups as the controller's targeted plans are), and
the plan is applied (`Applier`: CreateComponentVersion, CreateDeployment over HTTP). The
emulator's devices take the revisions on its virtual clock; afterwards each device's
configuration (admin API, as the nucleus model holds it) is compared with the preview of the
last revision the specs accepted (`ComponentPlan.effective_configuration`, the plan's
`effectiveConfiguration`).

One emulator serves every example; each example uses fresh thing groups and devices. The
emulator is reset every `RESET_EVERY` examples so that its account does not grow without bound
(the next revision that needs the uploader's versions creates them again, as a first apply in a
new account would).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.core.arns import thing_group_arn
from reconciler.core.configuration import apply_configuration_update
from reconciler.core.plan import TargetAction
from reconciler.core.recipes import default_configuration
from reconciler.core.specs import InMemorySpecTree, InvalidSpecsError, parse_spec_tree
from reconciler.engine.applying import ApplyOptions, Outcome
from reconciler.engine.reading import ReadScope
from reconciler.engine.runtime import Runtime, build_runtime
from reconciler.settings import ReconcilerSettings
from tests.conftest import AwsTestContext
from tests.integration.fleet.scenarios import (
    FLEET_TIMING,
    SAMPLE_SPECS,
    STEP,
    DeviceScenario,
    Scenario,
    spec_files,
)

RESET_EVERY = 25
ARTIFACT_BUCKET = "acme-greengrass-artifacts"  # deploy-specs/reconciler.yaml's bucket


@dataclass(frozen=True)
class Promise:
    """What the last accepted plan of a group promised for one component. `unstable` is the
    plan's warning that some values change kind from their defaults: a device that also
    applies another target's deployment after this one holds them as `reverted` (the defaults
    merged over the promise, as the nucleus does for a component the deployment does not
    configure)."""

    deployment_id: str
    version: str
    configuration: Mapping[str, Any]
    unstable: bool = False
    reverted: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Mismatch:
    device: str
    group: str
    component: str
    expected: Any
    actual: Any

    def __str__(self) -> str:
        return (
            f"device {self.device} ({self.group}), {self.component}:\n"
            f"  plan promised: {self.expected!r}\n  device holds:  {self.actual!r}"
        )


@dataclass
class Outcomes:
    """What one example did, for the test's assertions and hypothesis' statistics."""

    mismatches: list[Mismatch] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # the specs' error messages
    applied_revisions: int = 0


class FleetHarness:
    def __init__(self, aws: AwsTestContext) -> None:
        self.aws = aws
        self.admin = aws.admin
        self._names = itertools.count()
        self._examples = 0
        self.runtime = self._fresh_account()

    # -- the account --------------------------------------------------------------------------

    def _fresh_account(self) -> Runtime:
        self.admin.reset()
        self.admin.load_fleet(FLEET_TIMING)
        self.admin.set_clock("virtual")
        self.fleet_start = float(self.admin.fleet()["startedAt"])
        self.now = float(self.admin.clock()["now"])
        self.aws.client("s3").create_bucket(Bucket=ARTIFACT_BUCKET)
        # The controller's own rate limit (20 calls/s) would make the test measure the bucket.
        # One worker: a scenario has one or two groups, and starting threads for them costs
        # more than the calls. No fact cache: it serves new processes, not this one.
        settings = ReconcilerSettings(
            endpoint_url=self.aws.endpoint_url,
            rate_limit=100_000.0,
            fact_cache=False,
            concurrency=1,
        )
        return build_runtime(settings, region=self.aws.region, account=self.aws.account_id)

    def _advance(self, seconds: float) -> None:
        self.now = float(self.admin.advance_clock(seconds)["now"])

    # -- one example --------------------------------------------------------------------------

    def play(self, scenario: Scenario) -> Outcomes:
        self._examples += 1
        if self._examples % RESET_EVERY == 0:
            self.runtime = self._fresh_account()
        serial = next(self._names)
        groups = [f"Prop{serial}G{i}" for i in range(len(scenario.components))]
        arns = [thing_group_arn(self.aws.region, self.aws.account_id, g) for g in groups]
        self.admin.create_thing_groups(groups)
        devices = [f"prop{serial}-d{i}" for i in range(len(scenario.devices))]
        start = self.now
        outcomes = Outcomes()
        promises: dict[str, dict[str, Promise]] = {}
        count = len(scenario.revisions)
        for step in range(count + 1):
            self._join(scenario.devices, devices, groups, step, start)
            if step == count:
                break
            files = spec_files(scenario, scenario.revisions[step], groups)
            try:
                spec_set = parse_spec_tree(InMemorySpecTree(files.files))
            except InvalidSpecsError as error:
                outcomes.refused.append(str(error))
                _check_refusal(error, files.broken_file, scenario.revisions[step].breakage)
                self._check_nothing_deployed(arns, promises)
            else:
                assert files.broken_file is None, f"the specs accepted {files.broken_file}"
                self._plan_and_apply(spec_set, arns, promises)
                outcomes.applied_revisions += 1
            self._advance(STEP)
        last_offline = max((end for d in scenario.devices for _, end in d.offline), default=0)
        self._advance(max(0.0, start + last_offline - self.now) + STEP)
        for name, device in zip(devices, scenario.devices, strict=True):
            outcomes.mismatches.extend(self._check(name, _final_groups(device, groups), promises))
        return outcomes

    def _join(
        self,
        scenarios: tuple[DeviceScenario, ...],
        names: list[str],
        groups: list[str],
        step: int,
        start: float,
    ) -> None:
        """Devices that join before revision `step` (or after the last one) do so now."""
        added = []
        for name, device in zip(names, scenarios, strict=True):
            later = device.also_joins
            if device.joins_at == step:
                member = {groups[i] for i in device.groups}
                if later is not None and later[1] <= step:
                    member.add(groups[later[0]])
                offset = start - self.fleet_start
                windows = [
                    {"from": _ms(offset + begin), "to": _ms(offset + end)}
                    for begin, end in device.offline
                ]
                added.append({"name": name, "groups": sorted(member), "offline": windows})
            elif later is not None and device.joins_at < step == later[1]:
                self.admin.update_device(name, groups=_final_groups(device, groups))
        if added:
            self.admin.add_devices(added)

    def _plan_and_apply(
        self, spec_set: Any, arns: list[str], promises: dict[str, dict[str, Promise]]
    ) -> None:
        scope = ReadScope(frozenset(arns), fleet_size=len(arns))
        plan = self.runtime.plan(spec_set, commit=None, specs_path=None, scope=scope)
        options = ApplyOptions(
            instance=self.runtime.settings.instance, specs_root=SAMPLE_SPECS, concurrency=1
        )
        report = self.runtime.applier().apply(plan, options)
        assert not report.failed, report
        if any(v.outcome is Outcome.APPLIED for v in report.versions):
            self.runtime.reader.invalidate_listings()
        results = {r.thing_group: r for r in report.targets}
        for target in plan.targets:
            result = results[target.thing_group]
            assert result.deployment_id is not None, result
            if target.action is TargetAction.NOOP and target.thing_group in promises:
                # Unchanged since the last revision (the runtime's memo may not even have
                # planned it again): the promise of the revision that is live stands.
                assert promises[target.thing_group][target.components[0].name].deployment_id == (
                    result.deployment_id
                )
                continue
            promised: dict[str, Promise] = {}
            for component in target.components:
                assert component.effective_configuration is not None
                assert component.desired_version is not None
                configuration = dict(component.effective_configuration)
                warned = any(
                    w.startswith(f"{component.name}: ") and "change(s) kind" in w
                    for w in target.warnings
                )
                defaults = self._defaults(component.name, component.desired_version)
                reverted = apply_configuration_update(configuration, None, defaults)
                promised[component.name] = Promise(
                    result.deployment_id,
                    component.desired_version,
                    configuration,
                    warned,
                    reverted,
                )
            promises[target.thing_group] = promised

    def _check_nothing_deployed(self, arns: list[str], promises: dict[str, Any]) -> None:
        """After a refused revision, each group's latest deployment is the last accepted one."""
        greengrass = self.aws.client("greengrassv2")
        for arn in arns:
            listed = greengrass.list_deployments(targetArn=arn)["deployments"]
            latest = [d["deploymentId"] for d in listed]
            group = arn.rpartition("/")[2]
            promised = promises.get(group)
            expected = [next(iter(promised.values())).deployment_id] if promised else []
            assert latest == expected, f"{group}: {latest} after a refused revision"

    def _defaults(self, name: str, version: str) -> dict[str, Any]:
        record = self.runtime.reader.recipe(name, version)
        assert record is not None, (name, version)
        return default_configuration(record.recipe)

    def _check(
        self, name: str, groups: list[str], promises: dict[str, dict[str, Promise]]
    ) -> list[Mismatch]:
        device = self.admin.device(name)
        found: list[Mismatch] = []
        for group in groups:
            promised = promises.get(group)
            if not promised:
                continue
            deployment_id = next(iter(promised.values())).deployment_id
            took = device["targets"].get(f"thinggroup/{group}")
            executions = {
                e["deploymentId"]: e["coreDeviceExecutionStatus"]
                for e in device["effectiveDeployments"]
            }
            assert (took, executions.get(deployment_id)) == (deployment_id, "SUCCEEDED"), (
                f"{name} did not end with {group}'s last revision {deployment_id}: "
                f"targets {device['targets']}, executions {executions}"
            )
            for component, promise in promised.items():
                installed = device["installedComponents"].get(component, {}).get("version")
                actual = device["configuration"].get(component)
                if promise.reverted != promise.configuration:
                    # The plan must have said so; then a device in several groups may hold
                    # either, depending on which deployment it applied last.
                    assert promise.unstable, (name, group, component, promise)
                    if len(groups) > 1 and (installed, actual) == (
                        promise.version,
                        promise.reverted,
                    ):
                        continue
                if (installed, actual) != (promise.version, promise.configuration):
                    found.append(
                        Mismatch(
                            name,
                            group,
                            component,
                            (promise.version, promise.configuration),
                            (installed, actual),
                        )
                    )
        return found


def _final_groups(device: DeviceScenario, groups: list[str]) -> list[str]:
    member = {groups[i] for i in device.groups}
    if device.also_joins is not None:
        member.add(groups[device.also_joins[0]])
    return sorted(member)


def _ms(seconds: float) -> str:
    return f"{round(seconds * 1000)}ms"


def _check_refusal(error: InvalidSpecsError, broken_file: str | None, breakage: Any) -> None:
    """A refused revision was broken on purpose, and the error says where and why."""
    assert broken_file is not None and breakage is not None, f"valid specs refused: {error}"
    problems = [p for p in error.problems if p.file == broken_file]
    assert problems, f"no problem reported in {broken_file}: {error}"
    cause = "begins with '_'" if breakage.kind == "underscore" else "only by case"
    assert any(
        p.line > 0 and "configuration" in p.field and cause in p.message for p in problems
    ), f"the error does not name the line, field and cause: {error}"
