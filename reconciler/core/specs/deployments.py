"""How a Deployment document becomes a desired deployment (a `DeploymentSpec`).

The path, step by step, with the helper module of each step:

1. The file is parsed into located values, `Node`s (`parsing`), and its envelope is checked
   (`documents.read_envelope`). The loader (`loading`) keeps the document as a
   `DeferredDeployment`: plain values and the few locations a resolved spec carries.
2. `extends`: the bases it names, nearest first (`merging.base_chain`), are merged under it,
   Settings.defaults at the bottom, by the one RFC 7386 merge (`merging`).
3. The merged spec is checked against what a Deployment may say
   (`deployment_models.DeploymentDocumentSpec`), and its target here: exactly one of thingGroup
   or thing, which no other Deployment has.
4. Each component gets its version (one declared in the repository may omit it), and its
   configuration is checked the way a device reads it (`device_keys`) and for keys that could
   never be removed again (`reset_limits`).
5. The result is a `DeploymentSpec` (`spec_set`), its values shared with the equal values of
   other Deployments (`sharing`).

`DeploymentResolver.resolve` takes every Deployment of a load along this path (and checks every
DeploymentBase on its own); `subdeployment_problems` then checks subdeployments across them.

Memory: a fleet has thousands of Deployment documents and a few bases. Holding every Deployment
as a located tree (a `Node` per value, with its file, line and path) until all are resolved took
about 8 KB per document, 80 MB at 10,000 groups. So a Deployment goes along the path on plain
values (`_plain`); only a document that has a problem is parsed again and goes along it with
locations (`_located`), so that its messages name the file, line and field exactly as before.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from reconciler.core.arns import thing_target
from reconciler.core.plan import PruneMode
from reconciler.core.rollouts import RolloutPolicy
from reconciler.core.specs.budget import ExpansionBudget, ExpansionLimitError, oversized
from reconciler.core.specs.deployment_models import (
    DeploymentBaseSpec,
    DeploymentComponentSpec,
    DeploymentDocumentSpec,
    DeploymentIoTJobConfiguration,
    DeploymentPolicies,
    RolloutPolicySpec,
)
from reconciler.core.specs.device_keys import (
    configuration_key_findings,
    located_problems,
    reset_findings,
)
from reconciler.core.specs.documents import ParsedDocument
from reconciler.core.specs.located import FieldPath, JsonValue, Node, SourceLocation
from reconciler.core.specs.merging import (
    Layered,
    base_chain,
    chain_of_bases,
    effective_spec,
    merge_plain,
    merged_bases,
)
from reconciler.core.specs.problems import SpecProblem
from reconciler.core.specs.reset_limits import unremovable_keys
from reconciler.core.specs.sharing import SharedValues
from reconciler.core.specs.spec_set import DeploymentComponent, DeploymentSpec, SyncPolicySettings
from reconciler.core.specs.tree import SpecLimits
from reconciler.core.specs.validation import validate_node
from reconciler.core.suspension import Suspension, parse_instant

_NOT_DECLARED = "not declared"


@dataclass(frozen=True)
class TargetOwner:
    """The Deployment that already targets a thing group (for the duplicate-target message)."""

    name: str
    location: SourceLocation


TargetOwners = dict[str, TargetOwner]


@dataclass(frozen=True)
class DeferredDeployment:
    """A Deployment document held as plain values until it is resolved (see the module doc).

    `component_locations` are those of the component entries the document itself writes (the
    resolved spec names them); `located()` parses the file again, for messages.
    """

    name: str
    location: SourceLocation
    name_node: Node | None
    spec: dict[str, JsonValue]
    component_locations: Mapping[str, SourceLocation]
    located: Callable[[], ParsedDocument]

    kind = "Deployment"

    @classmethod
    def of(
        cls, document: ParsedDocument, located: Callable[[], ParsedDocument]
    ) -> DeferredDeployment:
        spec = document.spec.plain()
        assert isinstance(spec, dict)  # read_envelope only passes mappings
        components = document.spec.child("components")
        entries = components.mapping() if components is not None else None
        return cls(
            name=document.name,
            location=document.location,
            name_node=document.name_node,
            spec=spec,
            component_locations={
                name: node.location
                for name, node in (entries or {}).items()
                if node.value is not None
            },
            located=located,
        )


class DeploymentResolver:
    """Resolves every Deployment (and checks every DeploymentBase, used or not).

    `declared` maps the names of components declared in the repository to their version (None
    for a ComponentOverride whose version the planner picks); `other_kinds` maps the names of
    documents that are not bases to their kind, for messages.
    """

    def __init__(
        self,
        defaults: Node | None,
        bases: Sequence[ParsedDocument],
        deployments: deque[DeferredDeployment],
        declared: Mapping[str, str | None],
        other_kinds: Mapping[str, str],
        *,
        located: bool = False,
        budget: ExpansionBudget | None = None,
    ) -> None:
        """`budget` is charged with what the resolved Deployments hold (see `SharedValues`)."""
        self.budget = budget or ExpansionBudget(SpecLimits())
        self.limits = self.budget.limits
        self.defaults = defaults
        self.bases = {doc.name: _layered(doc) for doc in reversed(bases)}  # the first one wins
        self.base_documents = bases
        self.deployments = deployments
        self.declared = declared
        self.other_kinds = other_kinds
        self.problems: list[SpecProblem] = []
        self.shared = SharedValues(self.budget)
        # Resolve every Deployment with locations: slower and larger, the reference the plain
        # path is tested against.
        self.located = located
        self._plain_layers: dict[tuple[str, ...], JsonValue] = {}

    def resolve(
        self, *, check_bases: bool = True, taken: Mapping[str, TargetOwner] | None = None
    ) -> list[DeploymentSpec]:
        """The resolved Deployments, sorted by thing group; problems go to `self.problems`.

        `check_bases=False` skips checking the bases on their own (known valid), and `taken`
        names thing groups that Deployments resolved earlier already target (an incremental
        load resolves only the documents that changed)."""
        if check_bases:
            # Bases first: a problem in a base is then worded for the base, not a Deployment.
            for document in self.base_documents:
                self._effective(_layered(document), DeploymentBaseSpec)
        resolved: list[DeploymentSpec] = []
        targets: TargetOwners = dict(taken or {})
        while self.deployments:
            # Consumed: a document is freed once resolved (the caller holds no other reference).
            deferred = self.deployments.popleft()
            deployment = None if self.located else self._plain(deferred, targets)
            if deployment is None:
                deployment = self._located(deferred.located(), targets)
            if deployment is not None:
                resolved.append(deployment)
        return sorted(resolved, key=lambda deployment: deployment.thing_group)

    def _located(self, document: ParsedDocument, targets: TargetOwners) -> DeploymentSpec | None:
        result = self._effective(_layered(document), DeploymentDocumentSpec)
        if result is None:
            return None
        spec, effective = result
        if not self._unique_target(document, spec, targets):
            return None
        component_nodes = effective.child("components")

        def locate(name: str) -> Node | None:
            return component_nodes.child(name) if component_nodes is not None else None

        suspend_node = effective.child("suspend")
        suspend_at = str(suspend_node.location) if suspend_node is not None else None
        try:
            return self._deployment(document.name, document.location, spec, locate, suspend_at)
        except ExpansionLimitError as error:
            self.problems.append(
                SpecProblem.on(document.spec.child("extends") or document.spec, str(error))
            )
            return None

    def _plain(self, deferred: DeferredDeployment, targets: TargetOwners) -> DeploymentSpec | None:
        """The resolved spec, or None when anything is wrong: the located path then finds it
        again and words it. Nothing is reported from here."""
        chain = self._plain_chain(deferred)
        if chain is None:
            return None
        merged = merge_plain(self._plain_bases(chain), deferred.spec)
        if oversized(merged, self.limits) is not None:
            return None
        try:
            spec = DeploymentDocumentSpec.model_validate(merged)
        except ValueError:  # pydantic's ValidationError
            return None
        if _target_problems(spec) or _target_key(spec) in targets or any(_unremovable_keys(spec)):
            return None

        def locate(name: str) -> SourceLocation | None:
            return _component_location(name, deferred, chain, self.defaults)

        try:
            deployment = self._deployment(
                deferred.name,
                deferred.location,
                spec,
                locate,
                _suspend_location(deferred, chain, self.defaults),
                report=False,
            )
        except ExpansionLimitError:
            return None
        if deployment is not None:
            targets[_target_key(spec)] = TargetOwner(deferred.name, deferred.location)
        return deployment

    def _plain_chain(self, deferred: DeferredDeployment) -> list[Layered] | None:
        """`base_chain` on plain values: the bases, nearest first, or None on a problem."""
        chain, broken = chain_of_bases(
            deferred.name,
            deferred.spec.get("extends"),
            self.bases,
            self.other_kinds,
            self.limits.max_extends_depth,
        )
        return chain if broken is None else None

    def _plain_bases(self, chain: Sequence[Layered]) -> JsonValue:
        """`Settings.defaults ⊕ base_n ⊕ … ⊕ base_1` as plain values, computed once per chain."""
        key = tuple(base.name for base in chain)
        if key not in self._plain_layers:
            merged = merged_bases(self.defaults, chain)
            self._plain_layers[key] = merged.plain() if merged is not None else None
        return self._plain_layers[key]

    def _effective(
        self, document: Layered, model: type[DeploymentBaseSpec]
    ) -> tuple[DeploymentBaseSpec, Node] | None:
        chain, problem = base_chain(
            document, self.bases, self.other_kinds, self.limits.max_extends_depth
        )
        if problem is not None:
            self.problems.append(problem)
            # Still check the document on its own, to report its other problems in this run.
            _, problems = validate_node(model, effective_spec(self.defaults, (), document.spec))
            self.problems.extend(problems)
            return None
        effective = effective_spec(self.defaults, chain, document.spec)
        too_large = oversized(effective.plain(), self.limits)
        if too_large is not None:
            what = "with what it extends, this" if chain else "this"
            self.problems.append(
                SpecProblem.on(
                    document.extends or document.spec,
                    f"{what} {'base' if model is DeploymentBaseSpec else 'deployment'} comes to "
                    f"{too_large} (counting every expansion): move large data into artifacts",
                )
            )
            return None
        spec, problems = validate_node(model, effective)
        self.problems.extend(problems)
        if spec is None:
            return None
        unremovable = [
            SpecProblem.on(_follow(effective, path), message)
            for path, message in _unremovable_keys(spec)
        ]
        self.problems.extend(unremovable)
        return (spec, effective) if not unremovable else None

    def _unique_target(
        self,
        document: ParsedDocument,
        spec: DeploymentBaseSpec,
        targets: TargetOwners,
    ) -> bool:
        """Whether the Deployment names one valid target that no other Deployment has."""
        assert isinstance(spec, DeploymentDocumentSpec)
        problems = _target_problems(spec)
        for field_name, message in problems:
            node = document.spec.child(field_name) if field_name else document.spec
            # Not in the document: a base wrote it, and is told that it may not.
            if node is not None:
                self.problems.append(SpecProblem.on(node, message))
        if problems:
            return False
        key = _target_key(spec)
        first = targets.get(key)
        if first is None:
            targets[key] = TargetOwner(document.name, document.location)
            return True
        if spec.thing is not None:
            node = document.spec.child("thing") or document.spec
            message = (
                f"core device (thing) {spec.thing!r} is already the target of Deployment "
                f"{first.name!r} ({first.location}); a core device has exactly one Deployment"
            )
        else:
            node = document.spec.child("thingGroup") or document.spec
            message = (
                f"thing group {spec.thing_group!r} is already the target of Deployment "
                f"{first.name!r} ({first.location}); a thing group has exactly one Deployment"
                + (" (its subdeployment counts as one)" if spec.parent_thing_group else "")
            )
        self.problems.append(SpecProblem.on(node, message))
        return False

    def _deployment(
        self,
        name: str,
        source: SourceLocation,
        spec: DeploymentBaseSpec,
        locate: Callable[[str], Node | SourceLocation | None],
        suspend_at: str | None,
        *,
        report: bool = True,
    ) -> DeploymentSpec | None:
        """The resolved spec; `locate(component)` gives a component entry's node (located path)
        or location (plain path). Without `report`, a problem is not reported, only None."""
        assert isinstance(spec, DeploymentDocumentSpec)
        components: dict[str, DeploymentComponent] = {}
        for component_name in sorted(spec.components or {}):
            entry = (spec.components or {})[component_name]
            where = locate(component_name)
            if entry is None or where is None:  # null entries never survive the merge
                continue
            version = (
                entry.version
                if entry.version is not None
                else self.declared.get(component_name, _NOT_DECLARED)
            )
            if version == _NOT_DECLARED:
                if report:
                    assert isinstance(where, Node)
                    self.problems.append(
                        SpecProblem.on(
                            where,
                            f"no version given, and {component_name!r} is not declared in this "
                            "repository: add 'version: MAJOR.MINOR.PATCH' (or declare it with a "
                            "Component or ComponentOverride document)",
                        )
                    )
                continue
            findings = [
                *configuration_key_findings(entry.configuration or {}, ("configuration",)),
                *reset_findings(entry.reset or [], ("reset",)),
            ]
            if findings:
                if report:
                    assert isinstance(where, Node)
                    self.problems.extend(located_problems(where, iter(findings)))
                continue
            location = where.location if isinstance(where, Node) else where
            components[component_name] = self._component(component_name, version, entry, location)
        if len(components) != len(spec.components or {}):
            return None
        sync = spec.sync_policy
        return DeploymentSpec(
            name=name,
            thing_group=_target_key(spec),
            deployment_name=spec.deployment_name or name,
            components=components,
            deployment_policies=self.shared.model(
                (spec.deployment_policies or DeploymentPolicies()).with_service_defaults()
            ),
            iot_job_configuration=self.shared.model(
                spec.iot_job_configuration or DeploymentIoTJobConfiguration()
            ),
            tags=self.shared.tags(dict(sorted((spec.tags or {}).items()))),
            sync_policy=SyncPolicySettings(
                prune=bool(sync and PruneMode.of(sync.prune) is not PruneMode.OFF),
                self_heal=bool(sync and sync.self_heal),
            ),
            source=source,
            rollout_policy=_rollout_policy(spec.rollout_policy),
            suspension=(
                Suspension(
                    reason=spec.suspend.reason,
                    until=parse_instant(spec.suspend.until) if spec.suspend.until else None,
                    origin=suspend_at or str(source),
                )
                if spec.suspend is not None
                else None
            ),
            parent_thing_group=spec.parent_thing_group,
        )

    def _component(
        self,
        name: str,
        version: str | None,
        entry: DeploymentComponentSpec,
        location: SourceLocation,
    ) -> DeploymentComponent:
        return self.shared.component(
            DeploymentComponent(
                name=name,
                version=version,
                configuration=self.shared.document(dict(entry.configuration or {})),
                configuration_policy=entry.configuration_policy or "minimal",
                reset=tuple(entry.reset or ()),
                secret_paths=tuple(entry.secret_paths or ()),
                run_with=self.shared.model(entry.run_with) if entry.run_with else None,
                source=location,
            )
        )


def _component_location(
    name: str, deferred: DeferredDeployment, chain: Sequence[Layered], defaults: Node | None
) -> SourceLocation | None:
    """Where `merge_patch` locates the entry of a component the resolved spec has: in the
    nearest layer that writes it (a merged mapping takes the location of the later document).
    None if no layer does, which a resolved component cannot be (the located path decides)."""
    if name in deferred.component_locations:
        return deferred.component_locations[name]
    layers = [base.spec for base in chain] + ([defaults] if defaults is not None else [])
    for layer in layers:
        components = layer.child("components")
        entry = components.child(name) if components is not None else None
        if entry is not None:
            return entry.location if entry.value is not None else None
    return None


def _suspend_location(
    deferred: DeferredDeployment, chain: Sequence[Layered], defaults: Node | None
) -> str | None:
    """Where the resolved `suspend` comes from: the nearest layer that writes it."""
    if "suspend" in deferred.spec:
        # Parsed again for its line (rare: only a suspended group pays for it).
        node = deferred.located().spec.child("suspend")
        return str(node.location) if node is not None else deferred.location.file
    layers = [base.spec for base in chain] + ([defaults] if defaults is not None else [])
    for layer in layers:
        node = layer.child("suspend")
        if node is not None:
            return str(node.location)
    return None


def _target_key(spec: DeploymentDocumentSpec) -> str:
    """The Deployment's target key (core/arns.py); only for a spec without target problems."""
    if spec.thing is not None:
        return thing_target(spec.thing)
    assert spec.thing_group is not None
    return spec.thing_group


def _target_problems(spec: DeploymentDocumentSpec) -> list[tuple[str | None, str]]:
    """What is wrong with the Deployment's target, as (field to point at, message)."""
    if spec.thing_group is None and spec.thing is None:
        return [
            (
                None,
                "a Deployment targets exactly one of 'thingGroup' (a thing group's name) or "
                "'thing' (a core device's thing name): give one",
            )
        ]
    if spec.thing_group is not None and spec.thing is not None:
        return [
            (
                "thing",
                "give either 'thingGroup' or 'thing', not both: a Deployment targets one thing "
                "group or one core device (write a second Deployment for the other)",
            )
        ]
    parent = spec.parent_thing_group
    if parent is not None and spec.thing is not None:
        return [
            (
                "parentThingGroup",
                "a subdeployment targets a thing group, never a core device (AWS: the target of "
                "a subdeployment can only be a thing group): use 'parentThingGroup' with "
                "'thingGroup', or drop it",
            )
        ]
    if parent is not None and parent == spec.thing_group:
        return [
            (
                "parentThingGroup",
                f"{parent!r} is the target group itself: a subdeployment deploys to another "
                "group, whose devices are in the parent group",
            )
        ]
    return []


def _rollout_policy(spec: RolloutPolicySpec | None) -> RolloutPolicy:
    defaults = RolloutPolicy()
    if spec is None:
        return defaults
    return RolloutPolicy(
        failure_threshold_percentage=(
            defaults.failure_threshold_percentage
            if spec.failure_threshold_percentage is None
            else float(spec.failure_threshold_percentage)
        ),
        rollout_timeout_minutes=(
            defaults.rollout_timeout_minutes
            if spec.rollout_timeout_minutes is None
            else spec.rollout_timeout_minutes
        ),
    )


def _unremovable_keys(spec: DeploymentBaseSpec) -> Iterator[tuple[FieldPath, str]]:
    """`reset_limits.unremovable_keys` of every component's configuration, with their paths
    below the spec."""
    for name, entry in (spec.components or {}).items():
        if entry is not None and entry.configuration:
            for path, message in unremovable_keys(entry.configuration):
                yield ("components", name, "configuration", *path), message


def _follow(node: Node, path: FieldPath) -> Node:
    """The node `path` leads to below `node` (the deepest one there is)."""
    for part in path:
        child = node.child(part)
        if child is None:
            break
        node = child
    return node


def _layered(document: ParsedDocument) -> Layered:
    return Layered(document.name, document.spec, document.spec.child("extends"))


def subdeployment_problems(deployments: Iterable[DeploymentSpec]) -> list[SpecProblem]:
    """Subdeployments whose parent group has no Deployment of its own, or whose parent is a
    subdeployment itself. A subdeployment is made within the parent's deployment (AWS's
    "Create subdeployments" starts from the parent group's latest deployment, and a new revision
    of the parent replaces its subdeployments), so the specs must give the parent one."""
    specs = list(deployments)
    by_target = {spec.thing_group: spec for spec in specs}
    problems: list[SpecProblem] = []
    for spec in specs:
        parent_group = spec.parent_thing_group
        if parent_group is None:
            continue
        parent = by_target.get(parent_group)
        if parent is None:
            message = (
                f"no Deployment targets the parent group {parent_group!r}: a subdeployment is "
                "made within its parent's deployment, so give the parent group a Deployment "
                "(or drop 'parentThingGroup')"
            )
        elif parent.parent_thing_group is not None:
            message = (
                f"the parent group {parent_group!r} is itself a subdeployment (of "
                f"{parent.parent_thing_group!r}, in {parent.source}): a subdeployment's parent "
                "must be a plain thing group deployment"
            )
        else:
            continue
        problems.append(SpecProblem.at(spec.source, ("spec", "parentThingGroup"), message))
    return problems
