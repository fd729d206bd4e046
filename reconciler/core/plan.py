"""The plan: an immutable value computed once, rendered many ways, applied by a separate step.

A plan says, per thing group, whether a new deployment revision is needed and why (component
versions, configuration merge/reset, run-with, policies), and which component versions and
artifacts must exist first; for a change inside a Rollout, the waves it will go through. It
holds the exact CreateDeployment request of each revision, so applying never re-derives anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from reconciler.core.configuration.model import ConfigurationChange
from reconciler.core.schedule import RolloutSchedule

NO_CHANGE = ConfigurationChange()


class TargetAction(StrEnum):
    CREATE = "create"  # the thing group has no deployment yet
    UPDATE = "update"  # a new revision replaces the live one
    NOOP = "no-op"  # the live revision is what the specs ask for
    PRUNE = "prune"  # no spec targets the group; its reconciler-made deployment would be cancelled


class ComponentAction(StrEnum):
    ADD = "add"
    REMOVE = "remove"
    CHANGE = "change"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class FieldChange:
    """A deployment-level field (policies, job configuration, name, tags) that differs."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class ComponentPlan:
    name: str
    action: ComponentAction
    live_version: str | None
    desired_version: str | None
    # Everything below is safe to print: secret values are already redacted. The unredacted
    # configurationUpdate exists only in `TargetPlan.request`, which renderers never print.
    merge_preview: Mapping[str, Any] | None = None
    reset: tuple[str, ...] = ()
    configuration_change: ConfigurationChange = NO_CHANGE
    # The configuration a device ends with (and had), after reset then merge.
    effective_configuration: Mapping[str, Any] | None = None
    live_effective_configuration: Mapping[str, Any] | None = None
    run_with_before: Mapping[str, Any] | None = None
    run_with_after: Mapping[str, Any] | None = None
    secret_paths: tuple[str, ...] = ()

    @property
    def version_changed(self) -> bool:
        return self.live_version != self.desired_version

    @property
    def is_compact(self) -> bool:
        return (
            self.merge_preview is None
            and self.effective_configuration is None
            and self.live_effective_configuration is None
            and self.configuration_change == NO_CHANGE
        )

    def compact(self) -> ComponentPlan:
        """Without what only renderers show: the configuration documents and the change
        summary (itself when it has none)."""
        if self.is_compact:
            return self
        return replace(
            self,
            merge_preview=None,
            effective_configuration=None,
            live_effective_configuration=None,
            configuration_change=NO_CHANGE,
        )

    @property
    def run_with_changed(self) -> bool:
        return (self.run_with_before or None) != (self.run_with_after or None)


class PruneMode(StrEnum):
    """What pruning a group no spec targets any more does (`defaults.syncPolicy.prune`)."""

    OFF = "off"  # nothing: the candidate is only reported
    # CancelDeployment of its latest revision: devices keep running its components (AWS docs:
    # canceling a deployment does not remove what devices already installed).
    CANCEL = "cancel"
    # First a revision with no components (devices remove the components only that group
    # deployed), then, once that revision's rollout ended, CancelDeployment.
    UNINSTALL = "uninstall"

    @classmethod
    def of(cls, value: PruneMode | bool | str | None) -> PruneMode:
        """`true` means `cancel` (what prune always did), `false`/absent `off`."""
        if isinstance(value, PruneMode):
            return value
        if value is True:
            return cls.CANCEL
        if value is False or value is None:
            return cls.OFF
        return cls(value)


@dataclass(frozen=True, slots=True)
class TargetPlan:
    """The plan for one target: a thing group, or a core device (see core/arns.py).

    `thing_group` is the target key: the group's name, or `thing/NAME` for a core device."""

    thing_group: str
    target_arn: str
    action: TargetAction
    spec_name: str | None = None
    spec_file: str | None = None
    live_deployment_id: str | None = None
    live_revision_id: str | None = None
    live_managed: bool = False  # the live revision carries the reconciler's tags
    # The live revision differs from the desired one and was not made by the reconciler as it
    # is (changed in the console or by another tool): only `selfHeal` lets the controller revert.
    drift: bool = False
    # The latest revision was canceled outside Git (the console, the CLI) and the specs still ask
    # for what it carried: an operator's stop. Only `selfHeal` lets the controller deploy again;
    # a commit that changes what the specs ask of the group clears it (see targets.py).
    canceled_outside_git: bool = False
    components: tuple[ComponentPlan, ...] = ()
    field_changes: tuple[FieldChange, ...] = ()
    # The CreateDeployment request (without clientToken and provenance tags), secrets unredacted:
    # renderers must print `components`, never this.
    request: Mapping[str, Any] | None = None
    content_hash: str | None = None
    client_token: str | None = None
    warnings: tuple[str, ...] = ()
    # What the specs ask of the group, independent of the live state (`desired_state_digest`):
    # a controller compares it between commits to tell a change in Git from one outside it.
    desired_digest: bytes | None = None
    # The `greengrass-reconciler/resets-sent` tag of the revision (see core/planning/resets.py).
    resets_sent: str = ""
    # Prune candidates only: what the Settings say pruning does, whether the live revision is
    # already the reconciler's empty uninstall revision (the next step is to cancel it once it
    # rolled out), and the devices in the group (ListThingsInThingGroup, recursive; None: not
    # counted).
    prune_mode: PruneMode | None = None
    uninstall_revision: bool = False
    devices: int | None = None
    # A subdeployment's parent group (`parentTargetArn`): apply creates the parent's revision
    # first, and deploys this one only if the parent's did not fail.
    parent_thing_group: str | None = None

    @property
    def has_changes(self) -> bool:
        return self.action is not TargetAction.NOOP

    @property
    def changed_components(self) -> tuple[ComponentPlan, ...]:
        return tuple(c for c in self.components if c.action is not ComponentAction.UNCHANGED)

    def compact(self) -> TargetPlan:
        """What applying and reporting need, without what only renderers show: compact
        components, and no request when nothing is to be sent (a no-op). Itself when it is
        compact already. A controller planning a large fleet every cycle holds only this."""
        request = None if self.action is TargetAction.NOOP else self.request
        if request is self.request and all(c.is_compact for c in self.components):
            return self
        return replace(
            self, request=request, components=tuple(c.compact() for c in self.components)
        )


@dataclass(frozen=True)
class ArtifactUpload:
    """A local file from the specs repo that must be in S3 before its component version."""

    local_path: str  # relative to the specs root
    bucket: str
    key: str
    sha256: str
    size: int

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


class ComponentOrigin(StrEnum):
    CUSTOM = "custom"  # a recipe kept in the repo
    OVERRIDE = "override"  # a public component re-published with the team's artifacts


@dataclass(frozen=True)
class ComponentVersionPlan:
    """A private component version that the desired state needs."""

    name: str
    version: str
    origin: ComponentOrigin
    exists: bool  # already created (with this content): nothing to do
    recipe: Mapping[str, Any]  # final recipe, artifact URIs rewritten to S3
    content_hash: str
    artifacts: tuple[ArtifactUpload, ...] = ()
    base_version: str | None = None  # for overrides: the public version used as template

    @property
    def needs_create(self) -> bool:
        return not self.exists


@dataclass(frozen=True)
class TargetFailure:
    """A thing group that could not be planned (a controller plans the others all the same)."""

    thing_group: str
    target_arn: str
    reason: str


@dataclass(frozen=True)
class Plan:
    targets: tuple[TargetPlan, ...]
    component_versions: tuple[ComponentVersionPlan, ...] = ()
    warnings: tuple[str, ...] = ()
    commit: str | None = None
    specs_path: str | None = None
    # Only when planned with `keep_going`: the groups left out of `targets`, and why.
    failures: tuple[TargetFailure, ...] = ()
    # The Rollouts whose groups this plan changes, wave by wave (core/schedule.py).
    schedules: tuple[RolloutSchedule, ...] = ()

    @property
    def changed_targets(self) -> tuple[TargetPlan, ...]:
        return tuple(t for t in self.targets if t.has_changes)

    @property
    def versions_to_create(self) -> tuple[ComponentVersionPlan, ...]:
        return tuple(v for v in self.component_versions if v.needs_create)

    @property
    def artifacts_to_upload(self) -> tuple[ArtifactUpload, ...]:
        seen: dict[str, ArtifactUpload] = {}
        for version in self.versions_to_create:
            for artifact in version.artifacts:
                seen.setdefault(artifact.uri, artifact)
        return tuple(seen[k] for k in sorted(seen))

    @property
    def has_changes(self) -> bool:
        return bool(self.changed_targets or self.versions_to_create)

    def count(self, action: TargetAction) -> int:
        return sum(1 for t in self.targets if t.action is action)
