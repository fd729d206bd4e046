"""Component and ComponentOverride documents: their recipes and local files, resolved."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field

import semantic_version

from reconciler.core.specs.documents import ComponentOverrideSpec, ComponentSpec
from reconciler.core.specs.envelope import ParsedDocument
from reconciler.core.specs.local_files import LocalFileError, LocalFiles
from reconciler.core.specs.located import Node
from reconciler.core.specs.problems import SpecProblem
from reconciler.core.specs.recipes import RecipeCheck
from reconciler.core.specs.resolved import ArtifactRule, ComponentOverride, CustomComponent
from reconciler.core.specs.tree import SpecLimits
from reconciler.core.specs.validation import validate_node


@dataclass
class ComponentResults:
    """What the Component and ComponentOverride documents yield."""

    components: list[CustomComponent] = field(default_factory=list)
    overrides: list[ComponentOverride] = field(default_factory=list)
    referenced: set[str] = field(default_factory=set)
    """Files used as recipes or artifacts: not spec documents even if they are YAML."""
    problems: list[SpecProblem] = field(default_factory=list)


class ComponentDocuments:
    """Resolves Component and ComponentOverride documents against the files of the tree."""

    def __init__(self, files: LocalFiles, read: Callable[[str], Node | None], limits: SpecLimits):
        self.files = files
        self.read = read
        self.limits = limits
        self.results = ComponentResults()

    def add_component(self, document: ParsedDocument) -> None:
        spec_node = document.spec
        recipe_ref = spec_node.child("recipe")
        if recipe_ref is not None and isinstance(recipe_ref.value, str):
            # Known even when the document is invalid, so the recipe is not read as a document.
            directory = posixpath.dirname(document.file)
            self.results.referenced.add(
                posixpath.normpath(posixpath.join(directory, recipe_ref.value))
            )
        spec, problems = validate_node(ComponentSpec, spec_node)
        self.results.problems.extend(problems)
        name_node = document.name_node
        version_node = spec_node.child("version")
        if spec is None or recipe_ref is None or name_node is None or version_node is None:
            return
        check = RecipeCheck(self.files, self.read, self.limits)
        checked = check.run(recipe_ref, name_node, version_node)
        self.results.problems.extend(check.problems)
        if checked is None:
            return
        self.results.referenced.add(checked.path)
        self.results.referenced.update(artifact.path for artifact in checked.local_artifacts)
        if check.problems:
            return
        recipe = checked.recipe.plain()
        assert isinstance(recipe, dict)
        self.results.components.append(
            CustomComponent(
                name=document.name,
                version=spec.version,
                recipe=recipe,
                recipe_path=checked.path,
                local_artifacts=checked.local_artifacts,
                source=document.root.location,
            )
        )

    def add_override(self, document: ParsedDocument) -> None:
        spec_node = document.spec
        spec, problems = validate_node(ComponentOverrideSpec, spec_node)
        self.results.problems.extend(problems)
        if spec is None:
            return
        rules: list[ArtifactRule] = []
        seen: dict[str, Node] = {}
        failed = False
        directory = posixpath.dirname(document.file)
        rule_nodes = spec_node.child("artifacts")
        for index, rule in enumerate(spec.artifacts or []):
            rule_node = rule_nodes.child(index) if rule_nodes is not None else None
            assert rule_node is not None  # the model validated this very list
            if rule.match in seen:
                first = seen[rule.match].location.line
                self._problem(
                    rule_node.child("match") or rule_node,
                    f"a rule for {rule.match!r} exists already (line {first}); the first matching "
                    "rule wins, so this one would never apply",
                )
                failed = True
            seen.setdefault(rule.match, rule_node)
            local = None
            if rule.file is not None:
                file_node = rule_node.child("file") or rule_node
                try:
                    local = self.files.artifact(
                        file_node,
                        directory,
                        rule.file,
                        rule.match,
                        max_bytes=self.limits.max_artifact_bytes,
                    )
                except LocalFileError as error:
                    self.results.problems.append(error.problem)
                    failed = True
                    continue
                self.results.referenced.add(local.path)
            rules.append(ArtifactRule(rule.match, local, rule.uri))
        if spec.version is not None and spec.bump is not None:
            self._problem(
                spec_node.child("bump") or spec_node,
                "set either 'bump' (the planner picks the version) or 'version', not both",
            )
            failed = True
        if spec.version is not None and semantic_version.Version(
            spec.version
        ) <= semantic_version.Version(spec.base_version):
            version_node = spec_node.child("version") or spec_node
            self._problem(
                version_node,
                f"version {spec.version} must be greater than baseVersion {spec.base_version}, "
                "or devices keep the public version",
            )
            failed = True
        if failed:
            return
        self.results.overrides.append(
            ComponentOverride(
                name=document.name,
                base_version=spec.base_version,
                bump=spec.bump or "patch",
                version=spec.version,
                publisher=spec.publisher,
                artifact_rules=tuple(rules),
                source=document.root.location,
            )
        )

    def _problem(self, node: Node, message: str) -> None:
        self.results.problems.append(SpecProblem.on(node, message))
