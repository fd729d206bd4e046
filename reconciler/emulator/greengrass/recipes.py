"""Component recipes: parse (JSON or YAML), validate like the service, render back.

Recipe keys are matched case-insensitively, as the Greengrass nucleus reads them (`URI`, `Uri`
and `uri` are the same key); the document keeps the spelling the author used.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import semantic_version
import yaml

RECIPE_FORMAT_VERSION = "2020-01-25"
DEPENDENCY_TYPES = ("HARD", "SOFT")
UNARCHIVE_MODES = ("NONE", "ZIP")
COMPONENT_TYPES = (
    "aws.greengrass.generic",
    "aws.greengrass.lambda",
    "aws.greengrass.plugin",
    "aws.greengrass.nucleus",
)
MAX_NAME_LENGTH = 128
MAX_VERSION_LENGTH = 64

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class RecipeError(Exception):
    """The recipe is not valid; `problems` lists every reason, each a full sentence."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Dependency:
    name: str
    requirement: str
    spec: semantic_version.NpmSpec
    dependency_type: str


@dataclass(frozen=True)
class Recipe:
    """A validated recipe and the facts the service derives from it."""

    document: dict[str, Any]
    name: str
    version: str
    description: str
    publisher: str
    dependencies: tuple[Dependency, ...]
    manifests: tuple[dict[str, Any], ...]

    def artifact_uris(self) -> list[str]:
        uris: list[str] = []
        for manifest in self.manifests:
            for artifact in field(manifest, "Artifacts") or []:
                uri = field(artifact, "URI")
                if isinstance(uri, str) and uri not in uris:
                    uris.append(uri)
        return uris

    def platforms(self) -> list[dict[str, Any]]:
        """The `ComponentPlatform` list of the service: one per manifest that names a platform."""
        result: list[dict[str, Any]] = []
        for manifest in self.manifests:
            platform = field(manifest, "Platform")
            if not isinstance(platform, Mapping):
                continue
            entry: dict[str, Any] = {
                "attributes": {str(k): str(v) for k, v in platform.items() if str(v)}
            }
            name = field(manifest, "Name")
            if isinstance(name, str) and name:
                entry["name"] = name
            result.append(entry)
        return result


def field(mapping: Any, key: str) -> Any:
    """`mapping[key]`, ignoring the case of the key; None when absent or not a mapping."""
    if not isinstance(mapping, Mapping):
        return None
    if key in mapping:
        return mapping[key]
    lowered = key.lower()
    for candidate, value in mapping.items():
        if isinstance(candidate, str) and candidate.lower() == lowered:
            return value
    return None


def load_document(raw: bytes) -> dict[str, Any]:
    """Decode recipe bytes (JSON or YAML) into a mapping."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RecipeError([f"The recipe is not UTF-8 text: {error}"]) from error
    try:
        document = json.loads(text) if text.lstrip().startswith("{") else None
    except json.JSONDecodeError:
        document = None
    if document is None:
        try:
            document = yaml.load(text, Loader=_Loader)
        except yaml.YAMLError as error:
            raise RecipeError(
                [f"The recipe is neither valid JSON nor valid YAML: {error}"]
            ) from error
    if not isinstance(document, dict):
        raise RecipeError(["The recipe must be a JSON object or a YAML mapping"])
    normalized: dict[str, Any] = _normalized(document)
    return normalized


def parse_recipe(raw: bytes) -> Recipe:
    return recipe_from_document(load_document(raw))


def recipe_from_document(document: dict[str, Any]) -> Recipe:
    """Validate a recipe document; raise `RecipeError` naming every problem found."""
    problems: list[str] = []
    format_version = field(document, "RecipeFormatVersion")
    if format_version != RECIPE_FORMAT_VERSION:
        problems.append(
            f"RecipeFormatVersion must be '{RECIPE_FORMAT_VERSION}', got {format_version!r}"
        )
    name = field(document, "ComponentName")
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_NAME_LENGTH:
        problems.append(f"ComponentName must be a string of 1 to {MAX_NAME_LENGTH} characters")
        name = ""
    version = field(document, "ComponentVersion")
    if not isinstance(version, str) or not _is_semantic_version(version):
        problems.append(
            f"ComponentVersion must be a semantic version such as 1.0.0, got {version!r}"
        )
        version = ""
    component_type = field(document, "ComponentType")
    if component_type is not None and component_type not in COMPONENT_TYPES:
        problems.append(f"ComponentType must be one of {', '.join(COMPONENT_TYPES)}")
    configuration = field(document, "ComponentConfiguration")
    if configuration is not None and not isinstance(
        field(configuration, "DefaultConfiguration") or {}, Mapping
    ):
        problems.append("ComponentConfiguration.DefaultConfiguration must be a mapping")
    dependencies = _dependencies(field(document, "ComponentDependencies"), problems)
    manifests = _manifests(field(document, "Manifests"), problems)
    if problems:
        raise RecipeError(problems)
    description = field(document, "ComponentDescription")
    publisher = field(document, "ComponentPublisher")
    return Recipe(
        document=document,
        name=name,
        version=version,
        description=description if isinstance(description, str) else "",
        publisher=publisher if isinstance(publisher, str) else "",
        dependencies=dependencies,
        manifests=manifests,
    )


def render(document: Mapping[str, Any], output_format: str) -> bytes:
    """The recipe as the service returns it: JSON (indented) or YAML, in the author's key order."""
    if output_format == "YAML":
        text = yaml.dump(dict(document), Dumper=_Dumper, sort_keys=False, allow_unicode=True)
        return text.encode("utf-8")
    return json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8")


def with_artifact_digests(document: dict[str, Any], digests: Mapping[str, str]) -> dict[str, Any]:
    """A copy of the recipe whose artifacts carry the `Digest`/`Algorithm` the service computed."""
    result = copy.deepcopy(document)
    for manifest in field(result, "Manifests") or []:
        for artifact in field(manifest, "Artifacts") or []:
            uri = field(artifact, "URI")
            if isinstance(artifact, dict) and uri in digests:
                artifact["Digest"] = digests[uri]
                artifact["Algorithm"] = "SHA-256"
    return result


# `os: all` / `architecture: any` and the like: wildcards the nucleus keeps for recipes written
# before `*` (aws-greengrass-component-common's PlatformHelper.testField); real recipes use them,
# e.g. `"os": "all"` in aws/aws-cli#6185.
_LEGACY_WILDCARDS = {"os": ("all", "any"), "architecture": ("all", "any")}


def platform_matches(platform: Any, attributes: Mapping[str, str]) -> bool:
    """Whether a manifest's `Platform` accepts a device with `attributes`, as the nucleus decides.

    Each attribute of the manifest must equal the device's, be `*`, be a `/regex/`, or, for `os`
    and `architecture`, be `all` or `any`. Attributes the device does not report are not held
    against it (the emulator has no real device).
    """
    if not isinstance(platform, Mapping):
        return True
    for key, wanted in platform.items():
        have = attributes.get(str(key))
        wanted_text = str(wanted)
        if have is None or wanted_text in ("*", ""):
            continue
        if wanted_text in _LEGACY_WILDCARDS.get(str(key), ()):
            continue
        if len(wanted_text) > 1 and wanted_text.startswith("/") and wanted_text.endswith("/"):
            if re.fullmatch(wanted_text[1:-1], have) is None:
                return False
        elif wanted_text != have:
            return False
    return True


def _is_semantic_version(text: str) -> bool:
    if len(text) > MAX_VERSION_LENGTH:
        return False
    try:
        semantic_version.Version(text)
    except ValueError:
        return False
    return True


def _dependencies(value: Any, problems: list[str]) -> tuple[Dependency, ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        problems.append("ComponentDependencies must be a mapping of component name to dependency")
        return ()
    result: list[Dependency] = []
    for name, dependency in value.items():
        if not isinstance(dependency, Mapping):
            problems.append(f"ComponentDependencies.{name} must be a mapping")
            continue
        requirement = field(dependency, "VersionRequirement")
        requirement = "*" if requirement is None else str(requirement)
        try:
            spec = semantic_version.NpmSpec(requirement)
        except ValueError:
            problems.append(
                f"ComponentDependencies.{name}.VersionRequirement {requirement!r} is not a valid "
                "npm-style version range (for example '>=2.1.0 <2.2.0' or '~2.1.0')"
            )
            continue
        dependency_type = str(field(dependency, "DependencyType") or "HARD").upper()
        if dependency_type not in DEPENDENCY_TYPES:
            problems.append(f"ComponentDependencies.{name}.DependencyType must be HARD or SOFT")
            continue
        result.append(Dependency(str(name), requirement, spec, dependency_type))
    return tuple(result)


def _manifests(value: Any, problems: list[str]) -> tuple[dict[str, Any], ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(m, Mapping) for m in value):
        problems.append("Manifests must be a list of mappings")
        return ()
    for index, manifest in enumerate(value):
        platform = field(manifest, "Platform")
        if platform is not None and not isinstance(platform, Mapping):
            problems.append(f"Manifests[{index}].Platform must be a mapping")
        artifacts = field(manifest, "Artifacts") or []
        if not isinstance(artifacts, list):
            problems.append(f"Manifests[{index}].Artifacts must be a list")
            continue
        for position, artifact in enumerate(artifacts):
            where = f"Manifests[{index}].Artifacts[{position}]"
            uri = field(artifact, "URI")
            if not isinstance(uri, str) or not uri:
                problems.append(f"{where}.URI is required")
            unarchive = field(artifact, "Unarchive")
            if unarchive is not None and str(unarchive).upper() not in UNARCHIVE_MODES:
                problems.append(f"{where}.Unarchive must be NONE or ZIP")
    return tuple(value)


def _normalized(value: Any) -> Any:
    """YAML turns an unquoted `2020-01-25` into a date; the recipe means the string."""
    if isinstance(value, dict):
        return {key: _normalized(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_normalized(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
