"""The deploy-specs format: models, the `extends` merge rule, recipe checks, and the pure loader.

Public entry point: `parse_spec_tree(tree) -> SpecSet` (raises `InvalidSpecsError`, a
`reconciler.errors.SpecError`, listing every problem); a long-lived process uses
`load_specs(tree, previous=snapshot) -> SpecSnapshot` to parse only the Deployments that
changed. `reconciler.adapters.spec_files` reads a directory; docs/spec-format.md describes the
format. How one Deployment document becomes a desired deployment is told step by step in
`reconciler.core.specs.deployments`.
"""

from reconciler.core.specs.deployment_models import (
    ComponentRunWith,
    DeploymentIoTJobConfiguration,
    DeploymentPolicies,
)
from reconciler.core.specs.loading import load_specs, parse_spec_tree, reload_specs
from reconciler.core.specs.located import SourceLocation
from reconciler.core.specs.merging import merge_patch
from reconciler.core.specs.problems import InvalidSpecsError, SpecProblem
from reconciler.core.specs.schema import spec_json_schema
from reconciler.core.specs.snapshot import SpecSnapshot
from reconciler.core.specs.spec_set import (
    ArtifactRule,
    ComponentOverride,
    CustomComponent,
    DeploymentComponent,
    DeploymentSpec,
    LocalArtifact,
    RepositorySettings,
    SpecSet,
    SyncPolicySettings,
)
from reconciler.core.specs.tree import InMemorySpecTree, SpecLimits, SpecTree

__all__ = [
    "ArtifactRule",
    "ComponentOverride",
    "ComponentRunWith",
    "CustomComponent",
    "DeploymentComponent",
    "DeploymentIoTJobConfiguration",
    "DeploymentPolicies",
    "DeploymentSpec",
    "InMemorySpecTree",
    "InvalidSpecsError",
    "LocalArtifact",
    "RepositorySettings",
    "SourceLocation",
    "SpecLimits",
    "SpecProblem",
    "SpecSet",
    "SpecSnapshot",
    "SpecTree",
    "SyncPolicySettings",
    "load_specs",
    "merge_patch",
    "parse_spec_tree",
    "reload_specs",
    "spec_json_schema",
]
