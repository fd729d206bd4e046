"""Checks of a Component's recipe (format 2020-01-25) and discovery of its local artifacts.

The structured parts of a recipe are checked (known keys, enums, versions, npm-style version
ranges, artifact URIs); the free-form parts (DefaultConfiguration, Lifecycle, Platform) are not.
Like the Greengrass service, recipe keys match case-insensitively (`READ: ALL` is `Read: ALL`).

An artifact URI with a scheme (`s3://bucket/key`, `docker:`, `greengrass:`) is used as it is; a
relative path without a scheme names a file of the repository, relative to the recipe, that
`apply` uploads to the artifact bucket.
"""

from __future__ import annotations

import difflib
import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import semantic_version

from reconciler.core.specs.device_keys import configuration_key_findings, located_problems
from reconciler.core.specs.fields import check_component_name, check_s3_uri, check_semver
from reconciler.core.specs.local_files import LocalFileError, LocalFiles
from reconciler.core.specs.located import Node
from reconciler.core.specs.problems import InvalidSpecsError, SpecProblem, quoted
from reconciler.core.specs.spec_set import LocalArtifact
from reconciler.core.specs.tree import SpecLimits

RECIPE_FORMAT_VERSION = "2020-01-25"
_RECIPE_KEYS = (
    "RecipeFormatVersion", "ComponentName", "ComponentVersion", "ComponentType",
    "ComponentDescription", "ComponentPublisher", "ComponentSource", "ComponentConfiguration",
    "ComponentDependencies", "Manifests", "Lifecycle",
)  # fmt: skip
_MANIFEST_KEYS = ("Name", "Platform", "Lifecycle", "Selections", "Artifacts")
_ARTIFACT_KEYS = ("URI", "Digest", "Algorithm", "Unarchive", "Permission")
_COMPONENT_TYPES = (
    "aws.greengrass.generic", "aws.greengrass.lambda", "aws.greengrass.plugin",
    "aws.greengrass.nucleus",
)  # fmt: skip
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_VERSION_RANGE = re.compile(r"[ -~]+")  # printable ASCII on one line
_PASSED_THROUGH_SCHEMES = ("docker", "greengrass")
RECIPE_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class CheckedRecipe:
    path: str
    recipe: Node
    local_artifacts: tuple[LocalArtifact, ...]


class RecipeCheck:
    """Checks one Component's recipe against its document (`name`, `version` and where they are)."""

    def __init__(self, files: LocalFiles, read: Callable[[str], Node | None], limits: SpecLimits):
        self.files = files
        self.read = read
        self.limits = limits
        self.problems: list[SpecProblem] = []
        self.artifacts: dict[str, LocalArtifact] = {}

    def run(
        self, recipe_ref: Node, name: Node | None, version: Node | None
    ) -> CheckedRecipe | None:
        """Check the recipe `recipe_ref` names against the document's `name` and `version`.

        `name` or `version` is None when the document's own value is invalid (already reported):
        the recipe is then checked without comparing that field.
        """
        reference = str(recipe_ref.value)
        try:
            path = self.files.resolve(
                recipe_ref,
                posixpath.dirname(recipe_ref.location.file),
                reference,
                max_bytes=self.limits.max_document_bytes,
            )
        except LocalFileError as error:
            self.problems.append(error.problem)
            return None
        if not path.lower().endswith(RECIPE_SUFFIXES):
            self.problems.append(
                SpecProblem.on(
                    recipe_ref, f"{path!r}: a recipe must be a .yaml, .yml or .json file"
                )
            )
            return None
        try:
            recipe = self.read(path)
        except InvalidSpecsError as error:
            self.problems.extend(error.problems)
            return None
        if recipe is None or recipe.mapping() is None:
            self.problems.append(
                SpecProblem(
                    path,
                    1 if recipe else 0,
                    "",
                    "a recipe must be a mapping (RecipeFormatVersion, ComponentName, ...)",
                )
            )
            return None
        self._check_recipe(recipe, name, version)
        return CheckedRecipe(path, recipe, tuple(self.artifacts.values()))

    def _check_recipe(self, recipe: Node, name: Node | None, version: Node | None) -> None:
        entries = self._entries(recipe, _RECIPE_KEYS)
        self._check_identity(recipe, entries, name, version)
        for key in ("ComponentDescription", "ComponentPublisher", "ComponentSource"):
            if key in entries:
                self._string(entries[key])
        if (kind := entries.get("ComponentType")) is not None:
            self._choice(kind, _COMPONENT_TYPES)
        if (configuration := entries.get("ComponentConfiguration")) is not None:
            defaults = self._entries(configuration, ("DefaultConfiguration",)).get(
                "DefaultConfiguration"
            )
            if defaults is not None and defaults.mapping() is None:
                self._problem(
                    defaults, "expected a mapping (the component's default configuration)"
                )
            elif defaults is not None:
                plain = defaults.plain()
                assert isinstance(plain, dict)
                self.problems.extend(located_problems(defaults, configuration_key_findings(plain)))
        if (dependencies := entries.get("ComponentDependencies")) is not None:
            self._dependencies(dependencies)
        if (lifecycle := entries.get("Lifecycle")) is not None and lifecycle.mapping() is None:
            self._problem(lifecycle, "expected a mapping")
        if (manifests := entries.get("Manifests")) is not None:
            for manifest in self._items(manifests):
                self._manifest(manifest)

    def _check_identity(
        self, recipe: Node, entries: dict[str, Node], name: Node | None, version: Node | None
    ) -> None:
        """Format version, and the name and version the Component document declares."""
        self._require(recipe, entries, ("RecipeFormatVersion", "ComponentName", "ComponentVersion"))
        fmt = entries.get("RecipeFormatVersion")
        if fmt is not None and fmt.value != RECIPE_FORMAT_VERSION:
            self._problem(
                fmt,
                f"unsupported recipe format {_kind(fmt)} (expected {RECIPE_FORMAT_VERSION})",
            )
        recipe_name = entries.get("ComponentName")
        if recipe_name is not None and self._string(recipe_name) and name is not None:
            self._same(recipe_name, name, "ComponentName", "metadata.name")
        recipe_version = entries.get("ComponentVersion")
        if recipe_version is not None and not isinstance(recipe_version.value, dict | list):
            text = str(recipe_version.value)  # an unquoted 1.0 is a number: report it as text
            if self._valid(recipe_version, check_semver, text) and version is not None:
                self._same(recipe_version, version, "ComponentVersion", "spec.version")
        elif recipe_version is not None:
            self._problem(recipe_version, f"expected a version, got {_kind(recipe_version)}")

    def _dependencies(self, dependencies: Node) -> None:
        if dependencies.mapping() is None:
            self._problem(
                dependencies,
                "expected a mapping of component name to {VersionRequirement, DependencyType}",
            )
        for name, dependency in (dependencies.mapping() or {}).items():
            # A name no component can have (an invisible character, a typo'd separator) would
            # only fail on the devices, when the nucleus cannot resolve it.
            self._valid(dependency, check_component_name, name)
            entries = self._entries(dependency, ("VersionRequirement", "DependencyType"))
            if (requirement := entries.get("VersionRequirement")) is not None and self._string(
                requirement
            ):
                text = str(requirement.value)
                try:
                    semantic_version.NpmSpec(text)
                    # The library ignores a trailing line break, which the nucleus may not.
                    if not text.strip() or not _VERSION_RANGE.fullmatch(text):
                        raise ValueError(text)
                except ValueError:
                    self._problem(
                        requirement,
                        f"{quoted(text)} is not a valid npm-style version range "
                        "(e.g. '>=2.1.0 <2.2.0' or '~2.1.0')",
                    )
            if (kind := entries.get("DependencyType")) is not None:
                self._choice(kind, ("HARD", "SOFT"))

    def _manifest(self, manifest: Node) -> None:
        entries = self._entries(manifest, _MANIFEST_KEYS)
        for key in ("Platform", "Lifecycle"):
            if (value := entries.get(key)) is not None and value.mapping() is None:
                self._problem(value, "expected a mapping")
        if (selections := entries.get("Selections")) is not None:
            for selection in self._items(selections):
                self._string(selection)
        if (name := entries.get("Name")) is not None:
            self._string(name)
        if (artifacts := entries.get("Artifacts")) is not None:
            for artifact in self._items(artifacts):
                self._artifact(artifact)

    def _artifact(self, artifact: Node) -> None:
        entries = self._entries(artifact, _ARTIFACT_KEYS)
        self._require(artifact, entries, ("URI",))
        for key in ("Digest", "Algorithm"):
            if key in entries:
                self._string(entries[key])
        if (unarchive := entries.get("Unarchive")) is not None:
            self._choice(unarchive, ("NONE", "ZIP"))
        if (permission := entries.get("Permission")) is not None:
            for value in self._entries(permission, ("Read", "Execute")).values():
                self._choice(value, ("NONE", "OWNER", "ALL"))
        uri = entries.get("URI")
        if uri is not None and self._string(uri):
            self._uri(uri, str(uri.value))

    def _uri(self, node: Node, uri: str) -> None:
        scheme = _SCHEME.match(uri)
        if scheme is not None and len(scheme.group(1)) > 1:  # one letter: a Windows drive
            name = scheme.group(1).lower()
            if name == "s3":
                self._valid(node, check_s3_uri, uri)
            elif name not in _PASSED_THROUGH_SCHEMES:
                self._problem(
                    node,
                    f"unsupported URI scheme {name!r} (use s3://, docker: or greengrass:, or a "
                    "path relative to the recipe for a file of this repository)",
                )
            return
        try:
            local = self.files.artifact(
                node,
                posixpath.dirname(node.location.file),
                uri,
                uri,
                max_bytes=self.limits.max_artifact_bytes,
            )
        except LocalFileError as error:
            self.problems.append(error.problem)
            return
        clash = next(
            (
                a
                for a in self.artifacts.values()
                if a.file_name == local.file_name and a.path != local.path
            ),
            None,
        )
        if clash is not None:
            self._problem(
                node,
                f"{local.path!r} and {clash.path!r} have the same file name: they "
                "would overwrite each other in the artifact bucket",
            )
        self.artifacts.setdefault(local.path, local)

    # --- small checks --------------------------------------------------------------------

    def _entries(self, node: Node, allowed: Iterable[str]) -> dict[str, Node]:
        """The entries of a mapping by canonical key; unknown keys and non-mappings reported."""
        entries = node.mapping()
        if entries is None:
            self._problem(node, f"expected a mapping, got {_kind(node)}")
            return {}
        canonical = {key.lower(): key for key in allowed}
        found: dict[str, Node] = {}
        for key, value in entries.items():
            known = canonical.get(key.lower())
            if known is not None and known in found:
                self.problems.append(
                    SpecProblem.on(
                        value,
                        f"recipe field {quoted(key)} is given twice: Greengrass reads recipe keys "
                        "case-insensitively, so it is the same field as the one above; keep one",
                    )
                )
            elif known is not None:
                found[known] = value
            if known is not None:
                continue
            close = difflib.get_close_matches(key.lower(), list(canonical), n=1, cutoff=0.6)
            hint = (
                f", did you mean {canonical[close[0]]!r}?"
                if close
                else f" (expected one of: {', '.join(allowed)})"
            )
            self.problems.append(SpecProblem.on(value, f"unknown recipe field {quoted(key)}{hint}"))
        return found

    def _items(self, node: Node) -> list[Node]:
        if isinstance(node.value, list):
            return node.value
        self._problem(node, f"expected a list, got {_kind(node)}")
        return []

    def _require(self, node: Node, entries: dict[str, Node], keys: Iterable[str]) -> None:
        for key in keys:
            if key not in entries:
                self.problems.append(SpecProblem.on(node, "required recipe field is missing", key))

    def _string(self, node: Node) -> bool:
        if isinstance(node.value, str):
            return True
        self._problem(node, f"expected a string, got {_kind(node)}")
        return False

    def _choice(self, node: Node, choices: Iterable[str]) -> None:
        allowed = {choice.lower(): choice for choice in choices}
        if not isinstance(node.value, str) or node.value.lower() not in allowed:
            self._problem(
                node, f"{_kind(node)} is not allowed (expected {' or '.join(allowed.values())})"
            )

    def _valid(self, node: Node, check: Callable[[str], str], text: str) -> bool:
        try:
            check(text)
        except ValueError as error:
            self._problem(node, str(error))
            return False
        return True

    def _same(self, in_recipe: Node, in_document: Node, recipe_key: str, document_key: str) -> None:
        if str(in_recipe.value) != str(in_document.value):
            self._problem(
                in_recipe,
                f"{recipe_key} {quoted(str(in_recipe.value))} differs from {document_key} "
                f"{quoted(str(in_document.value))} in {in_document.location}; they must be equal",
            )

    def _problem(self, node: Node, message: str) -> None:
        self.problems.append(SpecProblem.on(node, message))


def _kind(node: Node) -> str:
    if isinstance(node.value, dict):
        return "a mapping"
    if isinstance(node.value, list):
        return "a list"
    if node.value is None:
        return "null"
    return quoted(str(node.raw if node.raw is not None else node.value))
