"""Component and ComponentOverride documents: their recipes and local files, resolved.

The checks of files and versions run on the raw values even when the model reports other problems
in the same document, so that one run shows everything that is wrong.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field

import semantic_version

from reconciler.core.specs.documents import ComponentOverrideSpec, ComponentSpec, ParsedDocument
from reconciler.core.specs.local_files import LocalFileError, LocalFiles
from reconciler.core.specs.located import Node
from reconciler.core.specs.problems import SpecProblem
from reconciler.core.specs.recipes import RecipeCheck
from reconciler.core.specs.spec_set import (
    ArtifactRule,
    ComponentOverride,
    CustomComponent,
    LocalArtifact,
)
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
        spec, problems = validate_node(ComponentSpec, spec_node)
        self.results.problems.extend(problems)
        if recipe_ref is None or not isinstance(recipe_ref.value, str) or not recipe_ref.value:
            return
        # Known even when the recipe is broken, so that it is not read as a spec document.
        directory = posixpath.dirname(document.file)
        self.results.referenced.add(posixpath.normpath(posixpath.join(directory, recipe_ref.value)))
        version_node = spec_node.child("version") if spec is not None else None
        check = RecipeCheck(self.files, self.read, self.limits)
        checked = check.run(recipe_ref, document.name_node, version_node)
        self.results.problems.extend(check.problems)
        if checked is None:
            return
        self.results.referenced.add(checked.path)
        self.results.referenced.update(artifact.path for artifact in checked.local_artifacts)
        recipe = checked.recipe.plain()
        if spec is None or check.problems or not isinstance(recipe, dict):
            return
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
        spec, problems = validate_node(ComponentOverrideSpec, document.spec)
        self.results.problems.extend(problems)
        before = len(self.results.problems)
        locals_by_rule = self._override_files(document)
        self._override_version(document.spec)
        if spec is None or len(self.results.problems) > before:
            return
        rules = tuple(
            ArtifactRule(rule.match, locals_by_rule.get(index), rule.uri)
            for index, rule in enumerate(spec.artifacts or [])
        )
        self.results.overrides.append(
            ComponentOverride(
                name=document.name,
                base_version=spec.base_version,
                bump=spec.bump or "patch",
                version=spec.version,
                publisher=spec.publisher,
                artifact_rules=rules,
                source=document.root.location,
            )
        )

    def _override_files(self, document: ParsedDocument) -> dict[int, LocalArtifact]:
        """Check every rule's local file and that no `match` repeats; by rule index."""
        rules = document.spec.child("artifacts")
        found: dict[int, LocalArtifact] = {}
        if rules is None or not isinstance(rules.value, list):
            return found
        seen: dict[str, int] = {}
        for index, rule in enumerate(rules.value):
            match = rule.child("match")
            if match is not None and isinstance(match.value, str):
                if match.value in seen:
                    self._problem(
                        match,
                        f"a rule for {match.value!r} exists already (line {seen[match.value]}); "
                        "the first matching rule wins, so this one would never apply",
                    )
                seen.setdefault(match.value, match.location.line)
            file = rule.child("file")
            if file is None or not isinstance(file.value, str) or not file.value:
                continue
            label = match.value if match is not None and isinstance(match.value, str) else ""
            try:
                found[index] = self.files.artifact(
                    file,
                    posixpath.dirname(document.file),
                    file.value,
                    label,
                    max_bytes=self.limits.max_artifact_bytes,
                )
            except LocalFileError as error:
                self.results.problems.append(error.problem)
                continue
            self.results.referenced.add(found[index].path)
        return found

    def _override_version(self, spec: Node) -> None:
        version, bump, base = spec.child("version"), spec.child("bump"), spec.child("baseVersion")
        if version is not None and bump is not None:
            self._problem(
                bump, "set either 'bump' (the planner picks the version) or 'version', not both"
            )
        explicit, public = _semver(version), _semver(base)
        if (
            version is not None
            and explicit is not None
            and public is not None
            and explicit <= public
        ):
            self._problem(
                version,
                f"version {explicit} must be greater than baseVersion {public}, or devices "
                "keep the public version",
            )

    def _problem(self, node: Node, message: str) -> None:
        self.results.problems.append(SpecProblem.on(node, message))


def _semver(node: Node | None) -> semantic_version.Version | None:
    if node is None or not isinstance(node.value, str):
        return None
    try:
        return semantic_version.Version(node.value)
    except ValueError:
        return None
