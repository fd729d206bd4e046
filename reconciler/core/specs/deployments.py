"""Deployments and DeploymentBases: apply `extends`, validate the result, resolve versions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from reconciler.core.specs.deployment_models import (
    DeploymentComponentSpec,
    DeploymentIoTJobConfiguration,
    DeploymentPolicies,
)
from reconciler.core.specs.documents import DeploymentBaseSpec, DeploymentDocumentSpec
from reconciler.core.specs.envelope import ParsedDocument
from reconciler.core.specs.located import Node
from reconciler.core.specs.merging import Layered, base_chain, effective_spec
from reconciler.core.specs.problems import SpecProblem
from reconciler.core.specs.resolved import DeploymentComponent, DeploymentSpec, SyncPolicySettings
from reconciler.core.specs.sharing import SharedValues
from reconciler.core.specs.validation import validate_node


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
        deployments: Sequence[ParsedDocument],
        declared: Mapping[str, str | None],
        other_kinds: Mapping[str, str],
    ) -> None:
        self.defaults = defaults
        self.bases = {doc.name: _layered(doc) for doc in reversed(bases)}  # the first one wins
        self.base_documents = bases
        self.deployments = deployments
        self.declared = declared
        self.other_kinds = other_kinds
        self.problems: list[SpecProblem] = []
        self.shared = SharedValues()

    def resolve(self) -> list[DeploymentSpec]:
        # Bases first: a problem in a base is then worded for the base, not for a Deployment.
        for document in self.base_documents:
            self._effective(_layered(document), DeploymentBaseSpec)
        resolved: list[DeploymentSpec] = []
        targets: dict[str, ParsedDocument] = {}
        for document in self.deployments:
            result = self._effective(_layered(document), DeploymentDocumentSpec)
            if result is None:
                continue
            spec, effective = result
            if not self._unique_target(document, spec, targets):
                continue
            deployment = self._deployment(document, spec, effective)
            if deployment is not None:
                resolved.append(deployment)
        return sorted(resolved, key=lambda deployment: deployment.thing_group)

    def _effective(
        self, document: Layered, model: type[DeploymentBaseSpec]
    ) -> tuple[DeploymentBaseSpec, Node] | None:
        chain, problem = base_chain(document, self.bases, self.other_kinds)
        if problem is not None:
            self.problems.append(problem)
            # Still check the document on its own, to report its other problems in this run.
            _, problems = validate_node(model, effective_spec(self.defaults, (), document.spec))
            self.problems.extend(problems)
            return None
        effective = effective_spec(self.defaults, chain, document.spec)
        spec, problems = validate_node(model, effective)
        self.problems.extend(problems)
        return (spec, effective) if spec is not None else None

    def _unique_target(
        self, document: ParsedDocument, spec: DeploymentBaseSpec, targets: dict[str, ParsedDocument]
    ) -> bool:
        assert isinstance(spec, DeploymentDocumentSpec)
        first = targets.setdefault(spec.thing_group, document)
        if first is document:
            return True
        node = document.spec.child("thingGroup") or document.spec
        self.problems.append(
            SpecProblem.on(
                node,
                f"thing group {spec.thing_group!r} is already the target of Deployment "
                f"{first.name!r} ({first.root.location}); a thing group has exactly one Deployment",
            )
        )
        return False

    def _deployment(
        self, document: ParsedDocument, spec: DeploymentBaseSpec, effective: Node
    ) -> DeploymentSpec | None:
        assert isinstance(spec, DeploymentDocumentSpec)
        component_nodes = effective.child("components")
        components: dict[str, DeploymentComponent] = {}
        for name in sorted(spec.components or {}):
            entry = (spec.components or {})[name]
            node = component_nodes.child(name) if component_nodes is not None else None
            if entry is None or node is None:  # null entries never survive the merge
                continue
            component = self._component(name, entry, node)
            if component is not None:
                components[name] = component
        if len(components) != len(spec.components or {}):
            return None
        sync = spec.sync_policy
        return DeploymentSpec(
            name=document.name,
            thing_group=spec.thing_group,
            deployment_name=spec.deployment_name or document.name,
            components=components,
            deployment_policies=self.shared.model(
                (spec.deployment_policies or DeploymentPolicies()).with_service_defaults()
            ),
            iot_job_configuration=self.shared.model(
                spec.iot_job_configuration or DeploymentIoTJobConfiguration()
            ),
            tags=self.shared.tags(dict(sorted((spec.tags or {}).items()))),
            sync_policy=SyncPolicySettings(
                prune=bool(sync and sync.prune), self_heal=bool(sync and sync.self_heal)
            ),
            source=document.root.location,
        )

    def _component(
        self, name: str, entry: DeploymentComponentSpec, node: Node
    ) -> DeploymentComponent | None:
        version = entry.version
        if version is None:
            if name not in self.declared:
                self.problems.append(
                    SpecProblem.on(
                        node,
                        f"no version given, and {name!r} is not declared in this repository: add "
                        "'version: MAJOR.MINOR.PATCH' (or declare it with a Component or "
                        "ComponentOverride document)",
                    )
                )
                return None
            version = self.declared[name]
        return self.shared.component(
            DeploymentComponent(
                name=name,
                version=version,
                configuration=self.shared.document(dict(entry.configuration or {})),
                configuration_policy=entry.configuration_policy or "minimal",
                reset=tuple(entry.reset or ()),
                secret_paths=tuple(entry.secret_paths or ()),
                run_with=self.shared.model(entry.run_with) if entry.run_with else None,
                source=node.location,
            )
        )


def _layered(document: ParsedDocument) -> Layered:
    return Layered(document.name, document.spec, document.spec.child("extends"))
