"""A spec document: the envelope every kind shares, how it is read, and the `spec` of each kind.

    apiVersion: greengrass-reconciler/v1
    kind: Settings | DeploymentBase | Deployment | Component | ComponentOverride | Rollout
    metadata: {name, labels?, annotations?}
    spec: {...}

The loader checks the envelope first (`read_envelope`) and the `spec` separately (a Deployment's
after merging what it `extends`); `SpecDocument` joins them again for the JSON Schema. The spec of
a Deployment or DeploymentBase is in `deployment_models`, a Rollout's in `rollout_models`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, Field, model_validator

from reconciler.core.specs.deployment_models import (
    DeploymentBaseSpec,
    DeploymentDefaults,
    DeploymentDocumentSpec,
)
from reconciler.core.specs.fields import (
    API_VERSION,
    AccountId,
    BucketName,
    FileGlob,
    KeyPrefix,
    LocalPath,
    Name,
    Region,
    S3Uri,
    SemVer,
    SingleLine,
    SpecModel,
)
from reconciler.core.specs.located import Node, SourceLocation
from reconciler.core.specs.problems import SpecProblem
from reconciler.core.specs.rollout_models import RolloutSpec
from reconciler.core.specs.validation import describe_value, validate_node
from reconciler.core.windows import parse_cron, parse_window_duration, parse_zone

Kind = Literal[
    "Settings", "DeploymentBase", "Deployment", "Component", "ComponentOverride", "Rollout"
]
KINDS: tuple[str, ...] = get_args(Kind)
DEFAULT_ARTIFACT_PREFIX = "greengrass-reconciler/"


class Metadata(SpecModel):
    name: Name
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None


class DocumentEnvelope(SpecModel):
    """What every document has; `spec` is checked by the model of its kind."""

    api_version: Literal["greengrass-reconciler/v1"]
    kind: Kind
    metadata: Metadata
    spec: dict[str, object]


# --- Settings -------------------------------------------------------------------------------


class ArtifactStore(SpecModel):
    """Where `apply` uploads local artifacts: s3://{bucket}/{prefix}{component}/{version}/{file}."""

    bucket: BucketName
    prefix: KeyPrefix = DEFAULT_ARTIFACT_PREFIX


def _cron(text: str) -> str:
    parse_cron(text)
    return text


def _duration(text: str) -> str:
    parse_window_duration(text)
    return text


def _zone(text: str) -> str:
    parse_zone(text)
    return text


class SyncWindowSpec(SpecModel):
    """When the controller may apply (Argo CD's sync windows; docs/controller.md)."""

    kind: Literal["allow", "deny"]
    """deny: never apply while open (deny wins); allow: when any allow window names a group,
    apply it only while one of them is open."""
    schedule: Annotated[str, AfterValidator(_cron)]
    """5-field cron (minute hour day-of-month month day-of-week) of the openings."""
    duration: Annotated[str, AfterValidator(_duration)]
    """How long each opening lasts: 30m, 8h, 1d12h (at most 7d)."""
    time_zone: Annotated[str, AfterValidator(_zone)] = "UTC"
    """IANA time zone the schedule is read in."""
    groups: list[Annotated[str, Field(min_length=1, max_length=128)]] | None = None
    """Thing group names or fnmatch globs (Camera*); omitted: every group."""


class SettingsSpec(SpecModel):
    region: Region
    account_id: AccountId
    artifacts: ArtifactStore
    allow_empty: bool = False
    """An empty set of Deployments is an error unless this is true."""
    defaults: DeploymentDefaults | None = None
    sync_windows: list[SyncWindowSpec] | None = None
    """When the controller may apply; the CLI's `apply` is a manual sync and ignores them."""


# --- Component and ComponentOverride --------------------------------------------------------


class ComponentSpec(SpecModel):
    """A custom component whose recipe (and maybe artifacts) live in this repository."""

    version: SemVer
    recipe: LocalPath


class ArtifactReplacement(SpecModel):
    """Replace the public recipe's artifacts whose file name matches `match` (first rule wins)."""

    match: FileGlob
    file: LocalPath | None = None
    uri: S3Uri | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ArtifactReplacement:
        if (self.file is None) == (self.uri is None):
            raise ValueError("give exactly one of 'file' (a local file) or 'uri' (an s3:// URI)")
        return self


class ComponentOverrideSpec(SpecModel):
    """A new version of a public component, made from its recipe with replaced artifacts."""

    base_version: SemVer
    """The public version whose recipe is the template."""
    bump: Literal["patch", "minor"] | None = None
    """The kind of version the planner picks (default patch): the next free one that still
    satisfies every dependant's version requirement."""
    version: SemVer | None = None
    """An explicit version instead of `bump`."""
    publisher: Annotated[SingleLine, Field(min_length=1)] | None = None
    """ComponentPublisher of the new recipe (default: the public recipe's)."""
    artifacts: list[ArtifactReplacement] | None = None


# --- Documents, for the JSON Schema ---------------------------------------------------------


class _Document(SpecModel):
    api_version: Literal["greengrass-reconciler/v1"] = Field(description=f"Always {API_VERSION}")
    metadata: Metadata


class SettingsDocument(_Document):
    """Repository-wide settings: exactly one per specs root (conventionally reconciler.yaml)."""

    kind: Literal["Settings"]
    spec: SettingsSpec


class DeploymentBaseDocument(_Document):
    """A shared, abstract deployment that Deployments and other bases `extends`."""

    kind: Literal["DeploymentBase"]
    spec: DeploymentBaseSpec


class DeploymentDocument(_Document):
    """The deployment of one target, a thing group or a core device (one per target)."""

    kind: Literal["Deployment"]
    spec: DeploymentDocumentSpec


class ComponentDocument(_Document):
    """A custom component with its recipe in this repository."""

    kind: Literal["Component"]
    spec: ComponentSpec


class ComponentOverrideDocument(_Document):
    """A custom version of a public component (same name), with replaced artifacts."""

    kind: Literal["ComponentOverride"]
    spec: ComponentOverrideSpec


class RolloutDocument(_Document):
    """Thing groups in waves: each wave takes a change after the earlier waves' gates passed."""

    kind: Literal["Rollout"]
    spec: RolloutSpec


SpecDocument = Annotated[
    SettingsDocument
    | DeploymentBaseDocument
    | DeploymentDocument
    | ComponentDocument
    | ComponentOverrideDocument
    | RolloutDocument,
    Field(discriminator="kind"),
]
"""Any spec document, discriminated by `kind` (the type the JSON Schema describes)."""

SPEC_MODELS: dict[str, type[SpecModel]] = {
    "Settings": SettingsSpec,
    "DeploymentBase": DeploymentBaseSpec,
    "Deployment": DeploymentDocumentSpec,
    "Component": ComponentSpec,
    "ComponentOverride": ComponentOverrideSpec,
    "Rollout": RolloutSpec,
}


# --- Reading the envelope, before the spec ----------------------------------------------------


@dataclass(frozen=True)
class ParsedDocument:
    """A document whose kind is known and whose spec is a mapping (the spec is not yet checked).

    `name` falls back to the file path when metadata.name is unusable (already reported), so
    that the rest of the document can still be checked.
    """

    file: str
    kind: str
    name: str
    root: Node
    name_node: Node | None
    spec: Node

    @property
    def location(self) -> SourceLocation:
        return self.root.location


def read_envelope(root: Node) -> tuple[ParsedDocument | None, list[SpecProblem]]:
    """Check the envelope; return the document when its spec can be checked further."""
    file = root.location.file
    if root.mapping() is None:
        message = (
            f"a spec document must be a mapping with apiVersion, kind, metadata and spec, "
            f"not {describe_value(root)}"
        )
        return None, [SpecProblem(file, root.location.line, "", message)]
    keys = {key.lower() for key in root.mapping() or {}}
    if "recipeformatversion" in keys and "apiversion" not in keys:
        message = (
            "this looks like a component recipe, but no Component document names it in "
            "spec.recipe (a recipe is not a spec document)"
        )
        return None, [SpecProblem(file, root.location.line, "", message)]
    _, problems = validate_node(DocumentEnvelope, root)
    kind = root.child("kind")
    spec = root.child("spec")
    if kind is None or kind.value not in KINDS or spec is None or spec.mapping() is None:
        return None, problems
    metadata = root.child("metadata")
    name_node = metadata.child("name") if metadata is not None else None
    name = name_node.value if name_node is not None and isinstance(name_node.value, str) else file
    return ParsedDocument(file, str(kind.value), name, root, name_node, spec), problems
