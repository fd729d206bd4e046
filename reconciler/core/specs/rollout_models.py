"""The `spec` of a `kind: Rollout` document, its checks, and the Rollout it describes.

    spec:
      waves:
        - name: canary
          canary: {parent: CameraFleetProd, group: CameraFleetCanary}
          gate: {minDevices: 3, successRatio: 1.0, bake: 10m, maxFailedDevices: 0}
        - name: staging
          targets: [CameraFleetStaging]
          gate:
            successRatio: 0.98
            bake: 30m
            approval: true           # then `reconciler approve camera-models staging`
            metrics:                 # CloudWatch GetMetricData, judged like an alarm
              - namespace: Acme/Camera
                metricName: InferenceErrors
                dimensions: {ThingGroup: CameraFleetStaging}
                statistic: Sum
                period: 5m           # or periodSeconds: 300
                comparison: GreaterThanThreshold
                threshold: 5
                over: 30m
        - name: production
          targets: [CameraFleetProd]
      onFailure: revert          # or halt (the default)

A document's own rules (one of targets or canary per wave, a canary group that is not its
parent, a valid bake) are checked by the model; the rules across documents (unique wave names,
Deployment documents for the targets, no group in two Rollouts) by `check_rollouts`. The
controller enforces them (`reconciler/engine/waves.py`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from reconciler.core.durations import parse_duration
from reconciler.core.metric_checks import (
    Comparison,
    MetricCheck,
    MissingData,
    dimensions_of,
    period_problem,
    statistic_problem,
)
from reconciler.core.specs.fields import Name, SpecModel, ThingGroupName
from reconciler.core.specs.located import Node
from reconciler.core.specs.problems import SpecProblem
from reconciler.core.waves import Canary, Gate, OnFailure, Rollout, Wave

# CloudWatch's limits: a dimension name or value of 1-255 characters, at most 30 dimensions.
_MAX_DIMENSIONS = 30
_DEFAULT_PERIOD_SECONDS = 60  # CloudWatch's standard resolution


class MetricCheckSpec(SpecModel):
    """A CloudWatch metric that must stay on the good side of a threshold (an alarm's words:
    `comparison` names the side that fails the gate)."""

    namespace: str = Field(min_length=1, max_length=255, description="The metric's namespace")
    metric_name: str = Field(min_length=1, max_length=255, description="The metric's name")
    dimensions: dict[str, str] = Field(
        default_factory=dict, description="The metric's dimensions, name: value"
    )
    statistic: str = Field(
        "Average", description="Average, Sum, Minimum, Maximum, SampleCount or a percentile: p99"
    )
    period: str | None = Field(
        None, description="Each datapoint's period: 1m, 5m (or periodSeconds)"
    )
    period_seconds: int | None = Field(None, gt=0, description="Each datapoint's period in seconds")
    threshold: float = Field(description="The value compared with each datapoint")
    comparison: Literal[
        "GreaterThanThreshold",
        "GreaterThanOrEqualToThreshold",
        "LessThanThreshold",
        "LessThanOrEqualToThreshold",
    ] = Field(description="The side of the threshold that fails the gate")
    over: str = Field("10m", description="The window read, ending now: 10m, 1h")
    datapoints_to_fail: int = Field(
        1, ge=1, description="Breaching datapoints in the window that fail the gate"
    )
    treat_missing_data: Literal["missing", "notBreaching", "breaching"] = Field(
        "missing", description="A window without datapoints: wait (missing), pass or fail"
    )

    @field_validator("dimensions")
    @classmethod
    def _dimensions_fit(cls, dimensions: dict[str, str]) -> dict[str, str]:
        if len(dimensions) > _MAX_DIMENSIONS:
            raise ValueError(f"{len(dimensions)} dimensions: CloudWatch allows {_MAX_DIMENSIONS}")
        for name, value in dimensions.items():
            if not 1 <= len(name) <= 255 or not 1 <= len(value) <= 255:
                raise ValueError(
                    f"the dimension {name!r}: names and values are 1 to 255 characters"
                )
        return dimensions

    @field_validator("statistic")
    @classmethod
    def _statistic_is_known(cls, statistic: str) -> str:
        problem = statistic_problem(statistic)
        if problem is not None:
            raise ValueError(problem)
        return statistic

    @field_validator("period", "over")
    @classmethod
    def _is_a_duration(cls, text: str | None) -> str | None:
        if text is not None:
            parse_duration(text)  # its ValueError says what a duration looks like
        return text

    @model_validator(mode="after")
    def _period_and_window_fit(self) -> Self:
        if self.period is not None and self.period_seconds is not None:
            raise ValueError("give the period once: period (a duration) or periodSeconds")
        problem = period_problem(self.seconds_per_period)
        if problem is not None:
            raise ValueError(problem)
        window = int(parse_duration(self.over).total_seconds())
        needed = self.seconds_per_period * self.datapoints_to_fail
        if window < needed:
            raise ValueError(
                f"over: {self.over} holds fewer than the {self.datapoints_to_fail} "
                f"datapoint(s) of {self.seconds_per_period} s that fail the gate"
            )
        return self

    @property
    def seconds_per_period(self) -> int:
        if self.period is not None:
            return int(parse_duration(self.period).total_seconds())
        return self.period_seconds or _DEFAULT_PERIOD_SECONDS

    def to_check(self) -> MetricCheck:
        return MetricCheck(
            namespace=self.namespace,
            metric_name=self.metric_name,
            statistic=self.statistic,
            period_seconds=self.seconds_per_period,
            threshold=float(self.threshold),
            comparison=Comparison(self.comparison),
            over_seconds=int(parse_duration(self.over).total_seconds()),
            dimensions=dimensions_of(self.dimensions),
            datapoints_to_fail=self.datapoints_to_fail,
            treat_missing_data=MissingData(self.treat_missing_data),
        )


class GateSpec(SpecModel):
    """What a wave's devices must show before the next wave goes."""

    min_devices: int = Field(0, ge=0, description="At least this many devices succeeded")
    success_ratio: float = Field(
        1.0, ge=0.0, le=1.0, description="Succeeded devices over the devices targeted"
    )
    bake: str | None = Field(None, description="How long the conditions must hold: 10m, 2h, 1h30m")
    max_failed_devices: int | None = Field(
        None, ge=0, description="More failed devices fail the gate at once"
    )
    approval: bool = Field(
        False,
        description="Then an operator approves the wave for the change being rolled out "
        "(reconciler approve ROLLOUT WAVE, or POST /approve)",
    )
    metrics: list[MetricCheckSpec] = Field(
        default_factory=list, description="CloudWatch metrics that must stay within thresholds"
    )

    @field_validator("bake")
    @classmethod
    def _bake_is_a_duration(cls, bake: str | None) -> str | None:
        if bake is not None:
            parse_duration(bake)  # its ValueError says what a duration looks like
        return bake

    def to_gate(self) -> Gate:
        bake = parse_duration(self.bake).total_seconds() if self.bake is not None else 0.0
        return Gate(
            min_devices=self.min_devices,
            success_ratio=self.success_ratio,
            bake_seconds=bake,
            max_failed_devices=self.max_failed_devices,
            approval=self.approval,
            metrics=tuple(check.to_check() for check in self.metrics),
        )


class CanarySpec(SpecModel):
    """A subdeployment: the parent's revision deployed to `group`, whose devices are in it."""

    parent: ThingGroupName
    group: ThingGroupName

    @model_validator(mode="after")
    def _group_is_not_its_parent(self) -> CanarySpec:
        if self.group == self.parent:
            raise ValueError(f"the canary group {self.group!r} is its own parent")
        return self


class WaveSpec(SpecModel):
    name: Name
    targets: list[ThingGroupName] | None = Field(None, min_length=1)
    canary: CanarySpec | None = None
    gate: GateSpec = GateSpec()

    @model_validator(mode="after")
    def _targets_or_canary(self) -> WaveSpec:
        if (self.targets is None) == (self.canary is None):
            raise ValueError("a wave has either targets or canary (one of them)")
        return self

    def to_wave(self) -> Wave:
        canary = (
            Canary(parent=self.canary.parent, group=self.canary.group)
            if self.canary is not None
            else None
        )
        return Wave(
            name=self.name,
            targets=tuple(self.targets or ()),
            canary=canary,
            gate=self.gate.to_gate(),
        )


class RolloutSpec(SpecModel):
    """Thing groups in waves: each wave goes after every earlier wave's gate passed."""

    waves: list[WaveSpec] = Field(min_length=1)
    on_failure: Literal["halt", "revert"] = "halt"

    def to_rollout(self, name: str) -> Rollout:
        return Rollout(
            name=name,
            waves=tuple(wave.to_wave() for wave in self.waves),
            on_failure=OnFailure(self.on_failure),
        )


def check_rollouts(
    documents: Sequence[tuple[str, Node, RolloutSpec]], deployment_groups: Collection[str]
) -> tuple[list[Rollout], list[SpecProblem]]:
    """The rules across documents, for (metadata.name, spec node, spec) of each Rollout and the
    thing groups that have a Deployment document: wave names unique in a Rollout, every target
    and canary parent deployed by a Deployment, a canary group without one (it takes its
    parent's revision), no group in two waves or two Rollouts."""
    problems: list[SpecProblem] = []
    owner: dict[str, str] = {}  # group -> "rollout NAME wave WAVE", first seen
    for name, spec_node, spec in documents:
        seen_waves: set[str] = set()
        for index, wave in enumerate(spec.waves):
            wave_node = spec_node.child("waves")
            item = wave_node.child(index) if wave_node is not None else None
            where = item if item is not None else spec_node
            if wave.name in seen_waves:
                problems.append(SpecProblem.on(where, f"a second wave named {wave.name!r}", "name"))
            seen_waves.add(wave.name)
            if wave.canary is not None:
                if wave.canary.parent not in deployment_groups:
                    message = f"the canary's parent {wave.canary.parent!r} has no Deployment"
                    problems.append(SpecProblem.on(where, message, "canary", "parent"))
                if wave.canary.group in deployment_groups:
                    message = (
                        f"the canary group {wave.canary.group!r} has its own Deployment; a "
                        "canary takes its parent's revision (remove one of them)"
                    )
                    problems.append(SpecProblem.on(where, message, "canary", "group"))
            for target in wave.targets or ():
                if target not in deployment_groups:
                    message = f"the thing group {target!r} has no Deployment document"
                    problems.append(SpecProblem.on(where, message, "targets"))
            here = f"rollout {name} wave {wave.name}"
            for group in wave.to_wave().groups:
                if group in owner:
                    message = f"the thing group {group!r} is already in {owner[group]}"
                    problems.append(SpecProblem.on(where, message))
                else:
                    owner[group] = here
    rollouts = [spec.to_rollout(name) for name, _, spec in documents] if not problems else []
    return rollouts, problems
