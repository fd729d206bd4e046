"""How a Deployment document becomes a desired deployment (a `DeploymentSpec`).

The path, step by step, with the helper module of each step:

1. The file is read as plain values (`parsing.parse_values`) and its envelope is checked. The
   loader (`loading`) keeps the document as a `DeferredDeployment`: plain values, the few
   locations a resolved spec carries, and its bytes, parsed again into located values
   (`Node`s, `parsing.parse_file`) only when a message needs one.
2. `extends`: the bases it names, nearest first (`merging.chain_of_bases`), are merged under
   it, Settings.defaults at the bottom, by the one RFC 7386 merge (`merging`).
3. The merged spec is checked against what a Deployment may say
   (`deployment_models.DeploymentDocumentSpec`), and its target here: exactly one of thingGroup
   or thing, which no other Deployment has.
4. Each component gets its version (one declared in the repository may omit it), and its
   configuration is checked the way a device reads it (`device_keys`) and for keys that could
   never be removed again (`reset_limits`).
5. The result is a `DeploymentSpec` (`spec_set`), its values shared with the equal values of
   other Deployments (`sharing`).

`DeploymentResolver.resolve` takes every Deployment of a load along this path
(`DeploymentResolver._resolve`; every DeploymentBase is checked on its own by steps 2 and 3);
`subdeployment_problems` then checks subdeployments across them.

One path, on plain values; locations on demand. A fleet has thousands of Deployment documents and
a few bases. Holding every Deployment as a located tree (a `Node` per value, with its file, line
and path) until all are resolved took about 8 KB per document, 80 MB at 10,000 groups. So each
step works on plain values, and a problem is worded against the document's located view
(`_Located`: the file parsed again, merged with its bases' located values by the same merge),
made only when a message needs it. What the checks find on plain values and where the located
view puts it are the same: `merge_patch(t, p).plain() == merge_plain(t.plain(), p.plain())`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from pydantic import ValidationError

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
from reconciler.core.specs.validation import describe_error, validate_node
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
    spec: dict[str, JsonValue]
    component_locations: Mapping[str, SourceLocation]
    located: Callable[[], ParsedDocument]

    kind = "Deployment"

    @property
    def name_node(self) -> Node | None:
        """Where its name is written (parsed again: only a message needs it)."""
        return self.located().name_node

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
            spec=spec,
            component_locations={
                name: node.location
                for name, node in (entries or {}).items()
                if node.value is not None
            },
            located=located,
        )


class _Located:
    """A document's located view, made on first use and kept: parsing a Deployment again is
    paid only by one that has a problem (or a `suspend`, for its line)."""

    def __init__(self, make: Callable[[], ParsedDocument]) -> None:
        self._make = make
        self._document: ParsedDocument | None = None

    @classmethod
    def ready(cls, document: ParsedDocument) -> _Located:
        """The view of a document that is located already (a base)."""
        view = cls(lambda: document)
        view._document = document
        return view

    def __call__(self) -> ParsedDocument:
        if self._document is None:
            self._document = self._make()
        return self._document


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
                plain = document.spec.plain()
                assert isinstance(plain, dict)  # read_envelope only passes mappings
                self._checked(document.name, plain, _Located.ready(document), DeploymentBaseSpec)
        resolved: list[DeploymentSpec] = []
        targets: TargetOwners = dict(taken or {})
        while self.deployments:
            # Consumed: a document is freed once resolved (the caller holds no other reference).
            deployment = self._resolve(self.deployments.popleft(), targets)
            if deployment is not None:
                resolved.append(deployment)
        return sorted(resolved, key=lambda deployment: deployment.thing_group)

    def _resolve(
        self, deferred: DeferredDeployment, targets: TargetOwners
    ) -> DeploymentSpec | None:
        """Steps 2 to 5 of the module doc for one Deployment, on plain values; each problem is
        worded against the document's located view, parsed again only then."""
        located = _Located(deferred.located)
        checked = self._checked(deferred.name, deferred.spec, located, DeploymentDocumentSpec)
        if checked is None:
            return None
        spec, chain = checked
        assert isinstance(spec, DeploymentDocumentSpec)
        if not self._unique_target(deferred, located, spec, targets):
            return None

        def entry(name: str) -> Node:
            """The located entry of a component (for a message)."""
            components = self._effective(chain, located).child("components")
            node = components.child(name) if components is not None else None
            assert node is not None  # the entry is in the resolved spec
            return node

        try:
            return self._deployment(
                deferred,
                spec,
                lambda name: _component_location(name, deferred, chain, self.defaults),
                entry,
                _suspend_location(deferred, located, chain, self.defaults),
            )
        except ExpansionLimitError as error:
            self.problems.append(
                SpecProblem.on(located().spec.child("extends") or located().spec, str(error))
            )
            return None

    def _checked(
        self,
        name: str,
        plain: dict[str, JsonValue],
        located: _Located,
        model: type[DeploymentBaseSpec],
    ) -> tuple[DeploymentBaseSpec, list[Layered]] | None:
        """Steps 2 and 3 for a Deployment or a base: merged with what it extends and checked
        against `model`; the spec and the bases it extends, or None (the problems reported)."""
        chain, broken = chain_of_bases(
            name, plain.get("extends"), self.bases, self.other_kinds, self.limits.max_extends_depth
        )
        if broken is not None:
            at, message = broken
            where = at.extends if at is not None else located().spec.child("extends")
            assert where is not None  # a chain breaks only at an `extends`
            self.problems.append(SpecProblem.on(where, message))
            # Still check the document on its own, to report its other problems in this run.
            _, problems = validate_node(model, effective_spec(self.defaults, (), located().spec))
            self.problems.extend(problems)
            return None
        merged = merge_plain(self._plain_bases(chain), plain)
        too_large = oversized(merged, self.limits)
        if too_large is not None:
            what = "with what it extends, this" if chain else "this"
            self.problems.append(
                SpecProblem.on(
                    located().spec.child("extends") or located().spec,
                    f"{what} {'base' if model is DeploymentBaseSpec else 'deployment'} comes to "
                    f"{too_large} (counting every expansion): move large data into artifacts",
                )
            )
            return None
        try:
            spec = model.model_validate(merged)
        except ValidationError as error:
            effective = self._effective(chain, located)
            self.problems.extend(describe_error(e, effective, model) for e in error.errors())
            return None
        unremovable = list(_unremovable_keys(spec))
        if unremovable:
            effective = self._effective(chain, located)
            self.problems.extend(
                SpecProblem.on(_follow(effective, path), message) for path, message in unremovable
            )
            return None
        return spec, chain

    def _effective(self, chain: Sequence[Layered], located: _Located) -> Node:
        """The located merge of the document and what it extends, for wording a problem."""
        return effective_spec(self.defaults, chain, located().spec)

    def _plain_bases(self, chain: Sequence[Layered]) -> JsonValue:
        """`Settings.defaults ⊕ base_n ⊕ … ⊕ base_1` as plain values, computed once per chain."""
        key = tuple(base.name for base in chain)
        if key not in self._plain_layers:
            merged = merged_bases(self.defaults, chain)
            self._plain_layers[key] = merged.plain() if merged is not None else None
        return self._plain_layers[key]

    def _unique_target(
        self,
        deferred: DeferredDeployment,
        located: _Located,
        spec: DeploymentDocumentSpec,
        targets: TargetOwners,
    ) -> bool:
        """Whether the Deployment names one valid target that no other Deployment has."""
        problems = _target_problems(spec)
        for field_name, message in problems:
            document = located().spec
            node = document.child(field_name) if field_name else document
            # Not in the document: a base wrote it, and is told that it may not.
            if node is not None:
                self.problems.append(SpecProblem.on(node, message))
        if problems:
            return False
        key = _target_key(spec)
        first = targets.get(key)
        if first is None:
            targets[key] = TargetOwner(deferred.name, deferred.location)
            return True
        if spec.thing is not None:
            node = located().spec.child("thing") or located().spec
            message = (
                f"core device (thing) {spec.thing!r} is already the target of Deployment "
                f"{first.name!r} ({first.location}); a core device has exactly one Deployment"
            )
        else:
            node = located().spec.child("thingGroup") or located().spec
            message = (
                f"thing group {spec.thing_group!r} is already the target of Deployment "
                f"{first.name!r} ({first.location}); a thing group has exactly one Deployment"
                + (" (its subdeployment counts as one)" if spec.parent_thing_group else "")
            )
        self.problems.append(SpecProblem.on(node, message))
        return False

    def _deployment(
        self,
        deferred: DeferredDeployment,
        spec: DeploymentDocumentSpec,
        locate: Callable[[str], SourceLocation | None],
        entry: Callable[[str], Node],
        suspend_at: str | None,
    ) -> DeploymentSpec | None:
        """Steps 4 and 5: the resolved spec. `locate(component)` gives where a component's entry
        is written, `entry(component)` its located node, for a message."""
        components: dict[str, DeploymentComponent] = {}
        for component_name in sorted(spec.components or {}):
            component = (spec.components or {})[component_name]
            where = locate(component_name)
            if component is None or where is None:  # null entries never survive the merge
                continue
            version = (
                component.version
                if component.version is not None
                else self.declared.get(component_name, _NOT_DECLARED)
            )
            if version == _NOT_DECLARED:
                self.problems.append(
                    SpecProblem.on(
                        entry(component_name),
                        f"no version given, and {component_name!r} is not declared in this "
                        "repository: add 'version: MAJOR.MINOR.PATCH' (or declare it with a "
                        "Component or ComponentOverride document)",
                    )
                )
                continue
            findings = [
                *configuration_key_findings(component.configuration or {}, ("configuration",)),
                *reset_findings(component.reset or [], ("reset",)),
            ]
            if findings:
                self.problems.extend(located_problems(entry(component_name), iter(findings)))
                continue
            components[component_name] = self._component(component_name, version, component, where)
        if len(components) != len(spec.components or {}):
            return None
        sync = spec.sync_policy
        source = deferred.location
        return DeploymentSpec(
            name=deferred.name,
            thing_group=_target_key(spec),
            deployment_name=spec.deployment_name or deferred.name,
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
    None if no layer does, which a resolved component cannot be."""
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
    deferred: DeferredDeployment,
    located: _Located,
    chain: Sequence[Layered],
    defaults: Node | None,
) -> str | None:
    """Where the resolved `suspend` comes from: the nearest layer that writes it."""
    if "suspend" in deferred.spec:
        # Parsed again for its line (rare: only a suspended group pays for it).
        node = located().spec.child("suspend")
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
