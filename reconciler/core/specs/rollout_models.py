"""The `spec` of a `kind: Rollout` document, its checks, and the Rollout it describes.

    spec:
      waves:
        - name: canary
          canary: {parent: CameraFleetProd, group: CameraFleetCanary}
          gate: {minDevices: 3, successRatio: 1.0, bake: 10m, maxFailedDevices: 0}
        - name: staging
          targets: [CameraFleetStaging]
          gate: {successRatio: 0.98, bake: 30m, approval: true}
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
from typing import Literal

from pydantic import Field, field_validator, model_validator

from reconciler.core.durations import parse_duration
from reconciler.core.specs.fields import Name, SpecModel, ThingGroupName
from reconciler.core.specs.located import Node
from reconciler.core.specs.problems import SpecProblem
from reconciler.core.waves import Canary, Gate, OnFailure, Rollout, Wave


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
