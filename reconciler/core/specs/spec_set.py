"""The `SpecSet` and its parts: the resolved desired state the planner consumes; plain,
immutable, deterministically ordered.

`extends` is already applied, omitted versions of repository components are filled in, local
files are checked and hashed. Paths are POSIX paths relative to the specs root.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from reconciler.core import arns
from reconciler.core.plan import PruneMode
from reconciler.core.rollouts import RolloutPolicy
from reconciler.core.specs.deployment_models import (
    ComponentRunWith,
    DeploymentIoTJobConfiguration,
    DeploymentPolicies,
)
from reconciler.core.specs.located import JsonValue, SourceLocation
from reconciler.core.suspension import Suspension
from reconciler.core.waves import Rollout
from reconciler.core.windows import SyncWindow


@dataclass(frozen=True)
class RepositorySettings:
    """The Settings document: where the fleet lives and where artifacts go."""

    region: str
    account_id: str
    artifact_bucket: str
    artifact_prefix: str
    allow_empty: bool
    source: SourceLocation
    prune: PruneMode = PruneMode.OFF
    """`defaults.syncPolicy.prune`: what happens to the deployments of groups no spec targets
    any more (and that this reconciler made): nothing, cancelled, or uninstalled then
    cancelled. Specs that are gone cannot say it themselves."""
    sync_windows: tuple[SyncWindow, ...] = ()
    """`syncWindows`: when the controller may apply (core/windows.py)."""

    def thing_group_arn(self, thing_group: str) -> str:
        return arns.thing_group_arn(self.region, self.account_id, thing_group)

    def target_arn(self, target: str) -> str:
        """The ARN of a target key: a thing group's name or `thing/NAME` (core/arns.py)."""
        return arns.target_arn(self.region, self.account_id, target)

    def artifact_key(self, component: str, version: str, file_name: str) -> str:
        """The S3 key `apply` uploads a local artifact of `component` `version` to."""
        return f"{self.artifact_prefix}{component}/{version}/{file_name}"

    def artifact_uri(self, component: str, version: str, file_name: str) -> str:
        """Where `apply` uploads a local artifact of `component` `version`."""
        return f"s3://{self.artifact_bucket}/{self.artifact_key(component, version, file_name)}"


@dataclass(frozen=True)
class SyncPolicySettings:
    """What the controller may do without a person: prune removed groups, revert drift."""

    prune: bool = False
    self_heal: bool = False


@dataclass(frozen=True)
class DeploymentComponent:
    """One component of a thing group's deployment.

    `version` is None only for a ComponentOverride without an explicit version: the planner picks
    it (see `ComponentOverride.bump`). `configuration` is the overlay on top of the recipe's
    DefaultConfiguration, after `extends` (no nulls in its mappings); treat it as read-only.
    """

    name: str
    version: str | None
    configuration: dict[str, JsonValue]
    configuration_policy: Literal["minimal", "replace"]
    reset: tuple[str, ...]
    secret_paths: tuple[str, ...]
    run_with: ComponentRunWith | None
    source: SourceLocation

    def run_with_api(self) -> dict[str, Any] | None:
        """CreateDeployment's `components.*.runWith`, or None when not set."""
        return self.run_with.to_api() if self.run_with is not None else None


@dataclass(frozen=True)
class DeploymentSpec:
    """The effective deployment of one target (defaults and bases merged in).

    `thing_group` is the **target key** (core/arns.py): the thing group's name, or
    `thing/NAME` when the Deployment targets one core device (`spec.thing`)."""

    name: str
    thing_group: str
    deployment_name: str
    components: Mapping[str, DeploymentComponent]
    """Sorted by component name."""
    deployment_policies: DeploymentPolicies
    """With the service's defaults filled in for every member the specs leave unset."""
    iot_job_configuration: DeploymentIoTJobConfiguration
    tags: Mapping[str, str]
    sync_policy: SyncPolicySettings
    source: SourceLocation
    rollout_policy: RolloutPolicy = field(default_factory=RolloutPolicy)
    """When the rollout of a revision is Failed or Degraded, and how long it is followed."""
    suspension: Suspension | None = None
    """`suspend`: planned, not applied, while active (how the controller acts, not what the
    group gets: outside `desired_state_digest`)."""
    parent_thing_group: str | None = None
    """`parentThingGroup`: a subdeployment of that group's deployment (`parentTargetArn`)."""

    @property
    def thing(self) -> str | None:
        """The core device's thing name when the Deployment targets one, else None."""
        return arns.target_thing(self.thing_group)

    def tags_api(self) -> dict[str, str] | None:
        """CreateDeployment's `tags` (None when empty: the API rejects an empty map)."""
        return dict(self.tags) or None

    @cached_property
    def fingerprint(self) -> str:
        """A digest of everything this spec says, computed once per object.

        The planner memoizes a target's plan on it, so a long-lived process that keeps its
        `SpecSet` while the specs do not change re-plans unchanged targets at no cost.
        """
        return hashlib.sha256(repr(self).encode()).hexdigest()


@dataclass(frozen=True)
class LocalArtifact:
    """A file of the repository that `apply` uploads.

    `reference` is what names it: the URI as written in a recipe, or the `match` glob of an
    override rule. `path` is relative to the specs root.
    """

    reference: str
    path: str
    size: int
    sha256: str

    @property
    def file_name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class CustomComponent:
    """A component whose recipe lives in the repository.

    `recipe` is the parsed recipe as written (local artifact URIs not yet rewritten to S3).
    """

    name: str
    version: str
    recipe: dict[str, JsonValue]
    recipe_path: str
    local_artifacts: tuple[LocalArtifact, ...]
    source: SourceLocation


@dataclass(frozen=True)
class ArtifactRule:
    """Replace the public recipe's artifacts whose file name matches `match` (first rule wins)
    with a local file (`local`) or an S3 object (`uri`): exactly one of the two is set."""

    match: str
    local: LocalArtifact | None
    uri: str | None


@dataclass(frozen=True)
class ComponentOverride:
    """A custom version of a public component, built from the public `base_version` recipe.

    When `version` is None the planner picks the next free version of kind `bump` that still
    satisfies every dependant's version requirement.
    """

    name: str
    base_version: str
    bump: Literal["patch", "minor"]
    version: str | None
    publisher: str | None
    artifact_rules: tuple[ArtifactRule, ...]
    source: SourceLocation


@dataclass(frozen=True)
class SpecSet:
    """Everything the specs declare, valid and resolved."""

    settings: RepositorySettings
    deployments: tuple[DeploymentSpec, ...]
    """Sorted by thing group."""
    components: tuple[CustomComponent, ...]
    """Sorted by name."""
    overrides: tuple[ComponentOverride, ...]
    """Sorted by name."""
    rollouts: tuple[Rollout, ...] = ()
    """In file order; no thing group is in two of them."""

    def rollout_for(self, thing_group: str) -> Rollout | None:
        """The Rollout a wave of which deploys to `thing_group` (None: it takes changes at once)."""
        return next((r for r in self.rollouts if thing_group in r.groups), None)

    def deployment_for(self, thing_group: str) -> DeploymentSpec | None:
        return next((d for d in self.deployments if d.thing_group == thing_group), None)

    def revision_source(self, thing_group: str) -> DeploymentSpec | None:
        """The Deployment whose revision the group takes: its own, or for a Rollout's canary
        group (which has none), its parent's."""
        own = self.deployment_for(thing_group)
        if own is not None:
            return own
        rollout = self.rollout_for(thing_group)
        source = rollout.source_group(thing_group) if rollout is not None else thing_group
        return self.deployment_for(source) if source != thing_group else None
